using System.Globalization;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Events;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Shared.Processing;

namespace SgBridge.Cli;

/// <summary>The `sgbridge` operator command. `plan` is a dry run: it reads an event and calls nothing.</summary>
public static class CliApp
{
    private const string Usage = """
        sgbridge plan <event.json> [options]
          Reads an EventBridge event (or a bare CloudTrail record) and prints what the bridge would do: the change it
          understood, who made it, whether it is policed or exempt and why, the exact EC2 calls that would revert it,
          and the request that would be opened. Nothing is called: no AWS, Azure or Slack account is needed.

        Options (the same settings the function app reads):
          --allowed-accounts <ids>   Policy:AllowedAccounts (default: the event's own account)
          --exempt <arns>            Policy:ExemptPrincipalArns, comma separated, '*' allowed
          --no-service-linked-exemption   police service-linked roles too
          --role-pattern <arn>       Aws:RoleArnPattern (default arn:aws:iam::{accountId}:role/SgBridgeExecutionRole)
          --snapshot <file.json>     the group's last approved rules (a JSON array of rules) for removes and modifies
          --json                     print the plan as JSON
        """;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            stdout.WriteLine(Usage);
            return args.Length == 0 ? 1 : 0;
        }
        if (args[0] != "plan")
        {
            stderr.WriteLine($"Unknown command '{args[0]}'.");
            stderr.WriteLine(Usage);
            return 1;
        }
        try
        {
            return Plan(PlanArgs.Parse(args.AsSpan(1)), stdout, stderr);
        }
        catch (UsageException ex)
        {
            stderr.WriteLine(ex.Message);
            stderr.WriteLine(Usage);
            return 1;
        }
    }

    private static int Plan(PlanArgs a, TextWriter stdout, TextWriter stderr)
    {
        if (!File.Exists(a.EventFile))
        {
            stderr.WriteLine($"No such file: {a.EventFile}");
            return 1;
        }
        var parsed = CloudTrailParser.Parse(File.ReadAllBytes(a.EventFile));
        if (parsed.TryGetRejection(out var r))
        {
            var skipped = r.Kind == RejectionKind.FailedCall;
            stdout.WriteLine(skipped
                ? $"Skipped: {r.Message}\nIntake would answer 202 and do nothing: a failed call changed nothing."
                : $"Rejected ({r.Kind}): {r.Message}\nIntake would answer 400.");
            return skipped ? 0 : 2;
        }
        if (!parsed.TryGetChange(out var change))
        {
            throw new InvalidOperationException("A parse result is either a change or a rejection.");
        }
        var policyOptions = new PolicyOptions
        {
            AllowedAccounts = a.AllowedAccounts ?? change.AccountId,
            ExemptPrincipalArns = a.Exempt ?? "",
            ExemptServiceLinkedRoles = a.ExemptServiceLinkedRoles,
        };
        var awsOptions = new AwsOptions { RoleArnPattern = a.RolePattern, WebIdentityAudience = "api://sgbridge-aws" };
        var policy = new ChangePolicy(Microsoft.Extensions.Options.Options.Create(policyOptions), Microsoft.Extensions.Options.Options.Create(awsOptions));
        GroupSnapshot? snapshot = null;
        if (a.SnapshotFile is not null)
        {
            var rules = BridgeJson.Deserialize<SecurityGroupRule[]>(File.ReadAllText(a.SnapshotFile));
            snapshot = new GroupSnapshot(change.AccountId, change.Region, change.GroupId ?? "sg-unknown", change.GroupName, null, rules, DateTimeOffset.UtcNow);
        }
        var result = DryRun.Plan(change, policy, awsOptions, snapshot, DateTimeOffset.UtcNow);
        if (a.Json)
        {
            stdout.WriteLine(BridgeJson.Serialize(new
            {
                result.Change,
                result.AccountAllowed,
                result.Decision,
                result.RoleArn,
                Calls = result.Plan?.Writes.Select(w => w.Describe()),
                result.Plan?.Notes,
                Request = result.Request,
            }));
        }
        else
        {
            PlanPrinter.Print(result, a.AllowedAccounts is null, stdout);
        }
        return 0;
    }

    private sealed class UsageException(string message) : Exception(message);

    private sealed record PlanArgs(string EventFile, string? AllowedAccounts, string? Exempt, bool ExemptServiceLinkedRoles, string RolePattern, string? SnapshotFile, bool Json)
    {
        public static PlanArgs Parse(ReadOnlySpan<string> args)
        {
            string? file = null, accounts = null, exempt = null, snapshot = null;
            var role = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole";
            bool json = false, slr = true;
            for (var i = 0; i < args.Length; i++)
            {
                string Value(ReadOnlySpan<string> a, ref int i) =>
                    i + 1 < a.Length ? a[++i] : throw new UsageException($"{a[i]} needs a value.");
                switch (args[i])
                {
                    case "--allowed-accounts": accounts = Value(args, ref i); break;
                    case "--exempt": exempt = Value(args, ref i); break;
                    case "--role-pattern": role = Value(args, ref i); break;
                    case "--snapshot": snapshot = Value(args, ref i); break;
                    case "--json": json = true; break;
                    case "--no-service-linked-exemption": slr = false; break;
                    case var s when s.StartsWith('-'): throw new UsageException($"Unknown option {s}.");
                    case var s when file is null: file = s; break;
                    default: throw new UsageException($"Unexpected argument {args[i]}.");
                }
            }
            return new PlanArgs(file ?? throw new UsageException("plan needs an event file."), accounts, exempt, slr, role, snapshot, json);
        }
    }
}

internal static class PlanPrinter
{
    public static void Print(DryRunResult r, bool accountsDefaulted, TextWriter o)
    {
        var c = r.Change;
        var q = r.Requester();
        o.WriteLine("SgBridge dry run: nothing is called.");
        o.WriteLine();
        o.WriteLine("Change understood");
        Row(o, "Event", $"{c.EventName} (event id {c.EventId}, {c.EventTime.ToString("u", CultureInfo.InvariantCulture)})");
        Row(o, "Account", $"{c.AccountId}, region {c.Region}");
        Row(o, "Group", c.GroupId is null ? $"named '{c.GroupName}' (default VPC; the id is looked up)" : c.GroupName is null ? c.GroupId : $"{c.GroupId} ({c.GroupName})");
        Row(o, "Kind", c.Kind.ToString().ToLowerInvariant());
        foreach (var rule in c.Rules)
        {
            Row(o, "Rule", rule.Describe() + (rule.RuleId is null ? "" : $" [{rule.RuleId}]"));
        }
        foreach (var id in c.RuleIds.Where(id => c.Rules.All(x => x.RuleId != id)))
        {
            Row(o, "Rule id", id + " (content not in the event)");
        }
        foreach (var m in c.Modifications)
        {
            Row(o, "Edit", $"{m.RuleId} -> {m.After.Describe()}");
        }
        o.WriteLine();
        o.WriteLine("Requester");
        Row(o, "Principal", $"{q.DisplayName} ({q.Type})");
        Row(o, "ARN", q.Arn ?? "-");
        if (q.IssuerArn is not null && q.IssuerArn != q.Arn) Row(o, "Via", q.IssuerArn);
        Row(o, "Source IP", q.SourceIp ?? "-");
        Row(o, "User agent", q.UserAgent ?? "-");
        if (q.InvokedBy is not null) Row(o, "Invoked by", q.InvokedBy);
        o.WriteLine();
        o.WriteLine("Decision");
        Row(o, "Account", r.AccountAllowed
            ? $"{c.AccountId} is allowed" + (accountsDefaulted ? " (no --allowed-accounts given: the event's account is assumed allowed)" : "")
            : $"{c.AccountId} is NOT in the allowlist: intake would answer 403 and do nothing");
        Row(o, "Verdict", r.Decision.Verdict switch
        {
            Verdict.Police => $"POLICED: {r.Decision.Reason}",
            Verdict.Exempt => $"EXEMPT (recorded, not reverted): {r.Decision.Reason}",
            _ => $"IGNORED (the bridge's own change, never reverted): {r.Decision.Reason}",
        });
        o.WriteLine();
        if (r.Plan is { } plan)
        {
            o.WriteLine(plan.Writes.Count == 1 ? "Revert (one EC2 call)" : $"Revert ({plan.Writes.Count} EC2 calls)");
            Row(o, "Credentials", $"{(r.AuthMode == AwsAuthMode.WebIdentity ? "sts:AssumeRoleWithWebIdentity" : "sts:AssumeRole")} {r.RoleArn}");
            var n = 1;
            foreach (var w in plan.Writes)
            {
                Row(o, $"Call {n++}", w.Describe());
            }
            foreach (var note in plan.Notes)
            {
                Row(o, "Note", note);
            }
            o.WriteLine();
        }
        if (r.Decision.Verdict != Verdict.BridgeOwn)
        {
            var req = r.Request;
            o.WriteLine("Request that would be opened");
            Row(o, "Id", req.Id);
            Row(o, "Status", req.Status == RequestStatus.Exempt ? "Exempt" : "Reverting, then Pending (waiting for an approver in Slack)");
            if (req.PreviousContentUnknown) Row(o, "Flag", "previous content unknown: the bridge failed closed");
        }
    }

    private static Requester Requester(this DryRunResult r) => r.Change.Requester;

    private static void Row(TextWriter o, string label, string value) => o.WriteLine($"  {label,-12} {value}");
}
