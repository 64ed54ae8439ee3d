using Microsoft.Extensions.Logging;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Reconcile;

/// <summary>
/// The approval side of the race with an event revoking without the lease (see <see cref="TryTakeAwayUnleasedAsync"/>).
/// An approval writes the approved state and then describes the group; an event that read the approved state
/// <em>before</em> that write may revoke the same access <em>after</em> that describe, so the approval saw nothing to do
/// and the event took the approved access away. The event path does not re-read the approved state to find out (that
/// would be one storage operation on every event); the approval, which is rare, queues one settle check instead, for
/// the access it approved, <see cref="Options.ReconcileOptions.SettleDelay"/> after its reconcile. The check runs under
/// the lease and gives back whatever of that access is approved and missing.
/// <para>
/// Why that is enough: the event path measures the time from its read of the approved state to the answer to its last
/// revoke, and re-reads the approved state when that took longer than <see cref="UnleasedBudget"/> (half the settle
/// delay). So an event that did not re-read revoked within the budget of its read, which came before the approval's
/// write, which came before the check was queued: the revoke landed before the check's describe, and the check sees
/// the access missing. Nothing approved stays revoked longer than the settle delay (plus the queue's pickup); nothing
/// unapproved is given back, since the check acts only on access that is approved when it runs.
/// </para>
/// </summary>
public sealed partial class GroupReconciler
{
    /// <summary>How long an event's revoke without the lease may take (from its approved-state read) before it re-reads.</summary>
    internal TimeSpan UnleasedBudget => _options.SettleDelay / 2;

    /// <summary>The settle-check keys of the access an approval makes approved (an add's rules, an edit's new content).</summary>
    internal static IReadOnlyList<string> GrantedKeys(ChangeRequest request) => request.Kind switch
    {
        ChangeKind.Add => request.Rules.Select(MissingKey).Distinct(StringComparer.Ordinal).ToArray(),
        ChangeKind.Modify => request.Edits.Select(e => MissingKey(e.After)).Distinct(StringComparer.Ordinal).ToArray(),
        _ => [], // a removal gives nothing: a racing revoke goes the same way
    };

    private static string MissingKey(SecurityGroupRule rule) => new DifferenceItem(DifferenceKind.Missing, null, rule with { RuleId = null }).Key;

    /// <summary>After an approval's reconcile: one settle check for the access it approved, a settle delay later.</summary>
    private async Task SettleAfterApprovalAsync(string accountId, string region, string groupId, ChangeRequest request, CancellationToken ct)
    {
        var keys = GrantedKeys(request);
        if (keys.Count == 0)
        {
            return;
        }
        await queue.SendAsync(QueueNames.Reconcile, new ReconcileCommand(accountId, region, groupId, keys), _options.SettleDelay, ct);
        LogApprovalSettleQueued(logger, request.Id, accountId, region, groupId, keys.Count, _options.SettleDelay);
    }

    [LoggerMessage(708, LogLevel.Debug, "Request {RequestId}: settle check queued for {AccountId}/{Region} {GroupId} ({Keys} approved access key(s)) in {Delay}")]
    private static partial void LogApprovalSettleQueued(ILogger logger, string requestId, string accountId, string region, string groupId, int keys, TimeSpan delay);
}
