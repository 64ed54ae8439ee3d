using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Slack;

/// <summary>What an EC2 call did, in a few words ("revoked 60 rules by id"); the full call stays on the request.</summary>
public static class CallSummary
{
    public static string Of(CallOutcome? outcome)
    {
        if (outcome is null)
        {
            return "no call recorded";
        }
        var parts = outcome.Call.Split(" + ", StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Part).ToList();
        var text = parts.Count == 0 ? "nothing to do" : string.Join(", then ", parts.Distinct());
        return outcome.Succeeded ? text : $"{text}: failed ({SlackText.Code(SlackText.Plain(outcome.ErrorCode ?? "error", 80))})";
    }

    private static string Part(string call)
    {
        var space = call.IndexOf(' ', StringComparison.Ordinal);
        var action = space < 0 ? call : call[..space];
        var args = space < 0 ? "" : call[(space + 1)..];
        var verb = action switch
        {
            "ec2:AuthorizeSecurityGroupIngress" => "authorized",
            "ec2:RevokeSecurityGroupIngress" => "revoked",
            "ec2:ModifySecurityGroupRules" => "modified",
            _ => null,
        };
        if (verb is null)
        {
            return action == "none" ? "nothing to do" : SlackText.Escape(SlackText.Plain(action, 60));
        }
        if (List(args, "SecurityGroupRuleIds=[") is { } ids)
        {
            return $"{verb} {Rules(ids, ",")} by id";
        }
        return (List(args, "IpPermissions=[") ?? List(args, "SecurityGroupRules=[")) is { } rules ? $"{verb} {Rules(rules, "; ")}" : verb + " rules";
    }

    private static string? List(string args, string marker)
    {
        var start = args.IndexOf(marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }
        start += marker.Length;
        var end = args.LastIndexOf(']');
        return end >= start ? args[start..end].Trim() : args[start..].Trim();
    }

    private static string Rules(string list, string separator) => (list.Length == 0 ? 0 : list.Split(separator).Length) is var n && n == 1 ? "1 rule" : $"{n} rules";
}
