using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using SgBridge.Shared.Domain;

namespace SgBridge.Cli.Commands;

/// <summary>
/// How a stored request is shown: the flat audit record (one row per request: <c>requests list</c>, <c>export</c>)
/// and the detailed history (<c>requests show</c>). The CLI's output has its own shape, so reshaping the domain
/// does not silently change what auditors receive.
/// </summary>
internal static class RequestView
{
    public static JsonSerializerOptions Json { get; } = CreateJson(indented: true);

    public static JsonSerializerOptions JsonLine { get; } = CreateJson(indented: false);

    /// <summary>The audit record's columns, in order: name and value (text; null when there is nothing).</summary>
    public static IReadOnlyList<(string Name, Func<ChangeRequest, string?> Value)> Columns { get; } =
    [
        ("id", r => r.Id),
        ("eventId", r => r.EventId),
        ("eventName", r => r.EventName),
        ("eventTime", r => Time(r.EventTime)),
        ("account", r => r.AccountId),
        ("region", r => r.Region),
        ("groupId", r => r.GroupId),
        ("groupName", r => r.GroupName),
        ("requester", r => r.Requester.DisplayName),
        ("requesterArn", r => r.Requester.Arn),
        ("requesterRoleArn", r => r.Requester.IssuerArn),
        ("sourceIp", r => r.Requester.SourceIp),
        ("kind", r => r.Kind.ToString()),
        ("rules", r => string.Join("; ", Changes(r))),
        ("status", r => r.Status.ToString()),
        ("exemptReason", r => r.ExemptReason),
        ("revertResult", r => Result(r.Revert)),
        ("revertCall", r => r.Revert?.Call),
        ("revertError", r => Error(r.Revert)),
        ("revertNotes", r => Notes(r.Revert)),
        ("decidedBy", r => r.DecidedBy),
        ("decidedByName", r => r.DecidedByName),
        ("decidedAt", r => Time(r.DecidedAt)),
        ("applyResult", r => Result(r.Apply)),
        ("applyCall", r => r.Apply?.Call),
        ("applyError", r => Error(r.Apply)),
        ("applyNotes", r => Notes(r.Apply)),
        ("createdAt", r => Time(r.CreatedAt)),
        ("updatedAt", r => Time(r.UpdatedAt)),
        ("policyDecision", r => r.PolicyDecision?.Outcome),
        ("policyRule", r => PolicyRule(r.PolicyDecision)),
        ("accessUntil", r => Time(r.AccessUntil)),
        ("decisionReason", r => r.DecisionReason),
    ];

    /// <summary>"rule 'name' (policy.yaml line 12)", or "no rule matched".</summary>
    public static string? PolicyRule(PolicyDecisionRecord? d) =>
        d is null ? null : d.Rule is null ? "no rule matched" : $"rule '{d.Rule}' ({d.Source} line {d.Line})";

    /// <summary>The audit record's Slack columns, after <see cref="Columns"/>: where the request is shown in Slack.</summary>
    public static IReadOnlyList<(string Name, Func<SlackLinks, string?> Value)> SlackColumns { get; } =
    [
        ("slackMessage", l => SlackLinks.Text(l.Approvers)),
        ("slackPermalink", l => l.ApproversPermalink),
        ("slackMonitoringPermalink", l => l.MonitoringPermalink),
    ];

    /// <summary>Every column name of the audit record, in order (the CSV header).</summary>
    public static IEnumerable<string> ColumnNames => Columns.Select(c => c.Name).Concat(SlackColumns.Select(c => c.Name));

    /// <summary>The audit record's values, in the order of <see cref="ColumnNames"/>.</summary>
    public static IEnumerable<string?> Values(ChangeRequest r, SlackLinks links) =>
        Columns.Select(c => c.Value(r)).Concat(SlackColumns.Select(c => c.Value(links)));

    /// <summary>The audit record as an ordered name → value map (for JSON).</summary>
    public static Dictionary<string, string?> Record(ChangeRequest r, SlackLinks links)
    {
        var record = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (name, value) in ColumnNames.Zip(Values(r, links)))
        {
            record[name] = value;
        }
        return record;
    }

    /// <summary>What changed, one line per rule: added/removed rules, rule ids whose content is unknown, edits.</summary>
    public static IEnumerable<string> Changes(ChangeRequest r) =>
        r.Rules.Select(rule => rule.Describe() + (rule.RuleId is null ? "" : $" [{rule.RuleId}]"))
            .Concat(r.UnresolvedRuleIds.Select(id => $"{id} (content unknown)"))
            .Concat(r.Edits.Select(e => $"{e.RuleId}: {e.Before?.Describe() ?? "(previous content unknown)"} -> {e.After.Describe()}"));

    public static string? Time(DateTimeOffset? t) =>
        t?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string? Result(CallOutcome? o) => o is null ? null : o.Succeeded ? "succeeded" : "failed";

    public static string? Error(CallOutcome? o) =>
        o is null || (o.ErrorCode is null && o.Message is null) ? null
        : o.ErrorCode is null ? o.Message
        : o.Message is null ? o.ErrorCode
        : $"{o.ErrorCode}: {o.Message}";

    public static string? Notes(CallOutcome? o) => o is null || o.Notes.Count == 0 ? null : string.Join("; ", o.Notes);

    /// <summary>The whole history of one request, for <c>requests show --json</c>.</summary>
    public static object Detail(ChangeRequest r, SlackLinks? links = null) => new
    {
        r.Id,
        Status = r.Status.ToString(),
        Kind = r.Kind.ToString(),
        Event = new
        {
            Id = r.EventId,
            Name = r.EventName,
            Time = Time(r.EventTime),
            Account = r.AccountId,
            r.Region,
            r.GroupId,
            r.GroupName,
            r.VpcId,
        },
        Requester = new
        {
            Type = r.Requester.Type.ToString(),
            r.Requester.DisplayName,
            r.Requester.Arn,
            RoleArn = r.Requester.IssuerArn,
            r.Requester.UserName,
            r.Requester.SessionName,
            r.Requester.SourceIp,
            r.Requester.UserAgent,
            r.Requester.InvokedBy,
        },
        Changes = Changes(r).ToArray(),
        r.PreviousContentUnknown,
        r.ExemptReason,
        Revert = Outcome(r.Revert),
        Decision = r.DecidedAt is null ? null : new
        {
            Verdict = r.Status switch
            {
                RequestStatus.Denied => "Denied",
                RequestStatus.Expired => "Expired",
                _ => "Approved",
            },
            By = r.DecidedBy,
            ByName = r.DecidedByName,
            At = Time(r.DecidedAt),
            Reason = r.DecisionReason,
            AccessUntil = Time(r.AccessUntil),
        },
        Policy = r.PolicyDecision is not { } p ? null : new { p.Outcome, p.Rule, p.Line, p.Source, p.Reason, Duration = p.Duration?.ToString() },
        Apply = Outcome(r.Apply),
        Slack = links is null || links == SlackLinks.None ? null : new
        {
            ApproversMessage = SlackLinks.Text(links.Approvers),
            ApproversPermalink = links.ApproversPermalink,
            MonitoringMessage = SlackLinks.Text(links.Monitoring),
            MonitoringPermalink = links.MonitoringPermalink,
        },
        CreatedAt = Time(r.CreatedAt),
        UpdatedAt = Time(r.UpdatedAt),
    };

    private static object? Outcome(CallOutcome? o) => o is null ? null : new
    {
        o.Call,
        Result = Result(o),
        o.ErrorCode,
        o.Message,
        o.Notes,
    };

    /// <summary>The whole history of one request as text.</summary>
    public static void PrintDetail(ChangeRequest r, TextWriter o, SlackLinks? links = null)
    {
        o.WriteLine($"Request {r.Id}: {r.Status} ({r.Kind.ToString().ToLowerInvariant()})");
        o.WriteLine();
        o.WriteLine("Event");
        Row(o, "Id", r.EventId);
        Row(o, "Name", r.EventName);
        Row(o, "Time", Time(r.EventTime));
        Row(o, "Account", $"{r.AccountId}, region {r.Region}");
        Row(o, "Group", (r.GroupId ?? $"named '{r.GroupName}'") + (r.GroupId is not null && r.GroupName is not null ? $" ({r.GroupName})" : "") + (r.VpcId is null ? "" : $" in {r.VpcId}"));
        Row(o, "Requester", r.Requester.DisplayName);
        Row(o, "ARN", r.Requester.Arn ?? "-");
        if (r.Requester.IssuerArn is { } issuer && issuer != r.Requester.Arn)
        {
            Row(o, "Via", issuer);
        }
        Row(o, "Source IP", r.Requester.SourceIp ?? "-");
        foreach (var change in Changes(r))
        {
            Row(o, "Change", change);
        }
        if (r.PreviousContentUnknown)
        {
            Row(o, "Flag", "previous content unknown: the bridge failed closed");
        }
        o.WriteLine();
        o.WriteLine("Revert");
        if (r.Status == RequestStatus.Exempt)
        {
            Row(o, "Outcome", $"not reverted: exempt ({r.ExemptReason})");
        }
        else
        {
            PrintOutcome(o, r.Revert, r.Status == RequestStatus.Reverting ? "under way" : "none recorded");
        }
        o.WriteLine();
        o.WriteLine("Decision");
        if (r.DecidedAt is not null)
        {
            Row(o, "Verdict", r.Status is RequestStatus.Denied ? "denied" : "approved");
            Row(o, "By", r.DecidedByName is null ? r.DecidedBy ?? "-" : $"{r.DecidedByName} ({r.DecidedBy})");
            Row(o, "At", Time(r.DecidedAt));
            if (r.DecisionReason is { } reason)
            {
                Row(o, "Reason", reason);
            }
            if (r.AccessUntil is { } until)
            {
                Row(o, "Until", $"{Time(until)} (time-bound: the rule is removed then)");
            }
        }
        else
        {
            Row(o, "Verdict", r.Status switch
            {
                RequestStatus.Pending => "waiting for an approver",
                RequestStatus.Expired => $"expired undecided at {Time(r.UpdatedAt)} (the change stays reverted)",
                RequestStatus.Exempt => "none needed (exempt)",
                RequestStatus.RevertFailed => "none: the revert failed, the change may still be live",
                _ => "none yet",
            });
        }
        if (r.PolicyDecision is { } policy)
        {
            Row(o, "Policy", $"{policy.Outcome}, by {PolicyRule(policy)}: {policy.Reason}");
        }
        o.WriteLine();
        o.WriteLine("Apply");
        PrintOutcome(o, r.Apply, r.Status == RequestStatus.Approved ? "under way" : "none");
        o.WriteLine();
        if (links is not null && links != SlackLinks.None)
        {
            o.WriteLine("Slack");
            Row(o, "Approvers", links.ApproversPermalink ?? SlackLinks.Text(links.Approvers) ?? "-");
            Row(o, "Monitoring", links.MonitoringPermalink ?? SlackLinks.Text(links.Monitoring) ?? "-");
            o.WriteLine();
        }
        Row(o, "Created", Time(r.CreatedAt));
        Row(o, "Updated", Time(r.UpdatedAt));
    }

    private static void PrintOutcome(TextWriter o, CallOutcome? outcome, string none)
    {
        if (outcome is null)
        {
            Row(o, "Outcome", none);
            return;
        }
        Row(o, "Call", outcome.Call);
        Row(o, "Outcome", outcome.Succeeded ? "succeeded" : $"FAILED: {Error(outcome)}");
        foreach (var note in outcome.Notes)
        {
            Row(o, "Note", note);
        }
    }

    private static void Row(TextWriter o, string label, string? value) => o.WriteLine($"  {label,-10} {value}");

    private static JsonSerializerOptions CreateJson(bool indented)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = indented,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
