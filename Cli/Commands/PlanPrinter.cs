using System.Globalization;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Shared.Processing;

namespace SgBridge.Cli.Commands;

/// <summary>The text form of one dry-run plan.</summary>
internal static class PlanPrinter
{
    public static void Print(DryRunResult r, bool accountsDefaulted, TextWriter o, bool banner = true)
    {
        var c = r.Change;
        var q = r.Requester();
        if (banner)
        {
            o.WriteLine("SgBridge dry run: nothing is called.");
            o.WriteLine();
        }
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
            o.WriteLine(plan.Writes.Count == 0
                ? "Reconcile (describe the group's rules once; nothing to undo)"
                : $"Reconcile (describe the group's rules once, then {plan.Writes.Count} EC2 write{(plan.Writes.Count == 1 ? "" : "s")})");
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
            Row(o, "Status", r.Decision.Verdict == Verdict.Exempt ? "Exempt (adopted as far as the group confirms it)"
                : r.Plan is { Writes.Count: 0 } ? "Unmatched (the event did not match the group; the monitoring channel is told)"
                : "Reverting, then Pending (waiting for an approver in Slack)");
            if (req.PreviousContentUnknown) Row(o, "Flag", "previous content unknown: the bridge failed closed");
        }
    }

    private static Requester Requester(this DryRunResult r) => r.Change.Requester;

    private static void Row(TextWriter o, string label, string value) => o.WriteLine($"  {label,-12} {value}");
}
