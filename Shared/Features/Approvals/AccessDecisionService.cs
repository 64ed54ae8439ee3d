using Microsoft.Extensions.Logging;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Approvals;

/// <summary>
/// The two clicks on live time-bound access. <b>Revoke access</b> (approvers, or the requester from their Home tab): an
/// expiry-index row due now is written first (a crash after it leaves work the next <c>ExpireAccess</c> tick finishes),
/// the rules leave the approved state, and the request becomes AccessEnded (Revoked), whose transition raises the
/// <see cref="EffectKind.EndAccessNow"/> effect that revokes in AWS. <b>Ask to extend</b> (the requester only): opens an
/// extension request (same rules, linked to the original) that approvers decide like any other. Both answer well inside
/// Slack's 3 seconds: Table writes and cached Slack look-ups, no AWS call.
/// </summary>
public sealed partial class AccessDecisionService(
    IGroupStateStore groups,
    IAccessExpiryIndex index,
    RequestLifecycle lifecycle,
    TimeProvider time,
    ILogger<AccessDecisionService> logger)
{
    /// <summary>Revoke access now: an approver (or, from their Home tab, the requester) on a click the endpoint has read.</summary>
    public async Task<DecisionResult> RevokeAsync(ClickContext context, CancellationToken cancellationToken)
    {
        var click = context.Click;
        var id = context.RequestId;
        // From the Home tab the requester may give up their own live access too (it only takes access away).
        if (!await context.IsApproverAsync() && !(click.FromHome && await context.ClickerIsRequesterAsync()))
        {
            LogRefused(logger, click.UserId, id, "not an approver");
            return new DecisionResult(DecisionOutcome.NotAnApprover, click.UserId, Reply: DecisionReplies.NotAnApprover(id));
        }
        var stored = context.Request;
        var request = stored.Value;
        if (!request.CanEndAccess || request.GroupId is null)
        {
            return new DecisionResult(DecisionOutcome.AlreadyDecided, request.Status.ToString(),
                Reply: $"{id} is {ApprovalMessageBuilder.StatusWords(request.Status)}: there is no live access to revoke. Nothing changed.");
        }

        var now = time.GetUtcNow();
        var entry = new AccessExpiryEntry(now, id, request.AccountId, request.Region, request.GroupId, AccessEndKind.Revoke, click.UserId);
        await index.AddAsync(entry, cancellationToken);
        await groups.UpdateAsync(request.AccountId, request.Region, request.GroupId, g => g.RevokeAccessOf(request, now).Count > 0, cancellationToken);
        var update = await lifecycle.ChangeAsync(stored, r =>
        {
            if (!r.CanEndAccess)
            {
                return false;
            }
            r.EndAccess(AccessEndReason.Revoked, click.UserId, now);
            return true;
        }, cancellationToken);
        if (!update.Written)
        {
            return new DecisionResult(DecisionOutcome.AlreadyDecided, update.Request.Status.ToString(),
                Reply: $"{id} is {ApprovalMessageBuilder.StatusWords(update.Request.Status)} already. Nothing changed.");
        }
        LogRevoked(logger, id, click.UserId, request.AccountId, request.GroupId);
        return new DecisionResult(DecisionOutcome.Denied, id, 1,
            $":lock: Access of {id} revoked: it left the approved state and is revoked in AWS within a minute at most.");
    }

    /// <summary>Ask to extend: only the requester, only live time-bound access; one extension request per grant.</summary>
    public async Task<DecisionResult> ExtendAsync(ClickContext context, CancellationToken cancellationToken)
    {
        var click = context.Click;
        var id = context.RequestId;
        var original = context.Request.Value;
        if (!await context.ClickerIsRequesterAsync())
        {
            LogRefused(logger, click.UserId, id, "not the requester");
            return new DecisionResult(DecisionOutcome.NotTheRequester, click.UserId,
                Reply: $":no_entry: Only the requester of {id} can ask to extend its access. Nothing changed.");
        }
        if (original.Status != RequestStatus.Applied || original.AccessUntil is null)
        {
            return new DecisionResult(DecisionOutcome.AlreadyDecided, original.Status.ToString(),
                Reply: $"{id} is {ApprovalMessageBuilder.StatusWords(original.Status)}: only live time-bound access can be extended. Nothing changed.");
        }
        // One extension per grant: a repeated (or duplicated) click finds the same request.
        var extensionId = ExtensionIdOf(original)!;
        var (extension, created) = await lifecycle.OpenAsync(ChangeRequest.OpenExtension(extensionId, original, time.GetUtcNow()), cancellationToken);
        if (!created)
        {
            return new DecisionResult(DecisionOutcome.AlreadyDecided, extensionId,
                Reply: $"You asked already: extension {extensionId} is {ApprovalMessageBuilder.StatusWords(extension.Value.Status)}.");
        }
        LogExtensionAsked(logger, extensionId, id, click.UserId);
        return new DecisionResult(DecisionOutcome.Ignored, extensionId, 0,
            $":hourglass_flowing_sand: Asked the approvers to extend {id}: request {extensionId}. You will hear when they decide.");
    }

    /// <summary>The id of the one extension request of <paramref name="original"/>'s grant (null: not time-bound access).</summary>
    public static string? ExtensionIdOf(ChangeRequest original) =>
        original.AccessUntil is { } until ? RequestId.For($"extend:{original.Id}:{until.UtcTicks}") : null;

    [LoggerMessage(1311, LogLevel.Information, "Access of request {RequestId} revoked by {SlackUserId} ({AccountId}, {GroupId})")]
    private static partial void LogRevoked(ILogger logger, string requestId, string slackUserId, string accountId, string? groupId);

    [LoggerMessage(1312, LogLevel.Information, "Extension {ExtensionId} of request {RequestId} asked by {SlackUserId}")]
    private static partial void LogExtensionAsked(ILogger logger, string extensionId, string requestId, string slackUserId);

    [LoggerMessage(1313, LogLevel.Warning, "Slack user {SlackUserId} clicked on the access of {RequestId}: refused, {Why}")]
    private static partial void LogRefused(ILogger logger, string slackUserId, string requestId, string why);
}
