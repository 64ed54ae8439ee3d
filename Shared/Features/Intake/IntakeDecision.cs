using SgBridge.Shared.Domain;
using SgBridge.Shared.Events;
using SgBridge.Shared.Policy;

namespace SgBridge.Shared.Intake;

/// <summary>What the intake decides about an event before any AWS call or queue message.</summary>
public enum IntakeVerdict
{
    /// <summary>The event is not one the bridge accepts (400): the parser's rejection says why.</summary>
    Rejected,
    /// <summary>The API call failed in AWS, so it changed nothing (202, skipped).</summary>
    FailedCall,
    /// <summary>The account is not in Policy:AllowedAccounts (403).</summary>
    AccountNotAllowed,
    /// <summary>An egress change while Policy:PoliceEgress is false (202, not policed).</summary>
    EgressNotPoliced,
    /// <summary>The bridge's own revert or apply coming back through CloudTrail (202, ignored).</summary>
    BridgeOwn,
    /// <summary>Processed: reverted and sent to approvers (<see cref="Verdict.Police"/>) or recorded (<see cref="Verdict.Exempt"/>); 202 once queued or done.</summary>
    Process,
}

/// <summary>
/// The intake's decision on one event before AWS: parse errors, the account allow-list, egress policing, and the policy
/// verdict (the bridge's own change, an exemption, or policed). One code path for the HTTP intake
/// (<see cref="EventIntake"/>) and the operator's dry run (<c>sgbridge plan</c>), so the two cannot disagree.
/// <see cref="StatusCode"/>, <see cref="Title"/> and <see cref="Detail"/> are what the intake answers EventBridge
/// (for <see cref="IntakeVerdict.Process"/>: 202 "Accepted" once the change is queued or processed inline).
/// </summary>
public sealed record IntakeDecision(IntakeVerdict Verdict, int StatusCode, string Title, string Detail)
{
    /// <summary>The telemetry reason of a refusal or skip (e.g. <c>account_not_allowed</c>); null for <see cref="IntakeVerdict.Process"/>.</summary>
    public string? Reason { get; init; }

    public string? EventId { get; init; }

    /// <summary>The change the event describes; null when it was rejected or skipped as a failed call.</summary>
    public SecurityGroupChange? Change { get; init; }

    /// <summary>The parser's rejection, for <see cref="IntakeVerdict.Rejected"/> and <see cref="IntakeVerdict.FailedCall"/>.</summary>
    public ParseResult.Rejection? Rejection { get; init; }

    /// <summary>Who is policed (evaluated for the allowed, policed-direction changes): police, exempt, or the bridge's own.</summary>
    public PolicyVerdict? Policy { get; init; }

    /// <summary>The change goes on to be reverted (or, exempt, recorded).</summary>
    public bool Proceeds => Verdict == IntakeVerdict.Process;

    public static IntakeDecision Decide(ReadOnlySpan<byte> body, ChangePolicy policy, bool policeEgress) =>
        Decide(CloudTrailParser.Parse(body), policy, policeEgress);

    public static IntakeDecision Decide(ParseResult parsed, ChangePolicy policy, bool policeEgress)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        ArgumentNullException.ThrowIfNull(policy);
        if (parsed.TryGetRejection(out var rejection))
        {
            return rejection.Kind == RejectionKind.FailedCall
                ? new IntakeDecision(IntakeVerdict.FailedCall, 202, "Skipped", rejection.Message) { Reason = "failed_call", EventId = rejection.EventId, Rejection = rejection }
                : new IntakeDecision(IntakeVerdict.Rejected, 400, "Invalid event", rejection.Message) { Reason = rejection.Kind.ToString(), EventId = rejection.EventId, Rejection = rejection };
        }
        if (!parsed.TryGetChange(out var change))
        {
            throw new InvalidOperationException("A parse result is either a change or a rejection.");
        }
        if (!policy.IsAllowedAccount(change.AccountId))
        {
            return new IntakeDecision(IntakeVerdict.AccountNotAllowed, 403, "Account not allowed", $"Account {change.AccountId} is not in Policy:AllowedAccounts.")
            { Reason = "account_not_allowed", EventId = change.EventId, Change = change };
        }
        if (change.Direction == RuleDirection.Egress && !policeEgress)
        {
            return new IntakeDecision(IntakeVerdict.EgressNotPoliced, 202, "Not policed",
                $"{change.EventName} on {change.GroupLabel}: egress changes are not policed (Policy:PoliceEgress is false).")
            { Reason = "egress_not_policed", EventId = change.EventId, Change = change };
        }
        var verdict = policy.Evaluate(change);
        if (verdict.Verdict == SgBridge.Shared.Policy.Verdict.BridgeOwn)
        {
            return new IntakeDecision(IntakeVerdict.BridgeOwn, 202, "Ignored", $"The bridge's own change ({verdict.Reason}).")
            { Reason = "bridge_own", EventId = change.EventId, Change = change, Policy = verdict };
        }
        return new IntakeDecision(IntakeVerdict.Process, 202, "Accepted", $"{change.EventName} on {change.GroupLabel} queued.")
        { EventId = change.EventId, Change = change, Policy = verdict };
    }
}
