using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Policy;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;

namespace SgBridge.Shared.Slack.Requests;

/// <summary>Requests from Slack: the modal, its checks (fields, then AWS), and a request for the approvers like any other.</summary>
public sealed partial class SlackRequestService(
    ISlackClient slack,
    ISecurityGroupClientFactory aws,
    RequestLifecycle lifecycle,
    IOptions<PolicyOptions> policy,
    IOptions<ReconcileOptions> reconcile,
    IOptions<ApprovalsOptions> durations,
    IOptions<SlackRequestOptions> options,
    TimeProvider time,
    ILogger<SlackRequestService> logger,
    Policy.PolicyGate policyGate,
    ModalSeal seal)
{
    /// <summary>How long views.open may take: the trigger id expires 3 seconds after the click.</summary>
    internal static readonly TimeSpan ViewBudget = TimeSpan.FromSeconds(2);

    /// <summary>How long a group look-up may carry on after the modal was answered (so a retry finds warm credentials).</summary>
    internal static readonly TimeSpan BackgroundLookupLimit = TimeSpan.FromSeconds(20);

    private readonly RequestFormValidator _validator = new(policy.Value, durations.Value);

    /// <summary>Opens the request modal for the user behind <paramref name="triggerId"/>. Null: opened; else why not (shown to the user).</summary>
    public async Task<string?> OpenModalAsync(string triggerId, string userId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(triggerId);
        var p = policy.Value;
        var accounts = p.AllowsEveryAccount
            ? null
            : p.AllowedAccountSet.Order(StringComparer.Ordinal).Select(a => (a, p.AccountAliasMap.GetValueOrDefault(a))).ToList();
        var view = RequestModal.Request(accounts, reconcile.Value.RegionList, p.PoliceEgress, durations.Value.GetChoices().Select(c => (c.Label, c.Length)).ToList(),
            seal.Seal(RequestBlocks.RequestCallback, userId, data: null));
        try
        {
            using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            budget.CancelAfter(ViewBudget);
            await slack.OpenViewAsync(triggerId, view, budget.Token);
            LogModalOpened(logger, userId);
            return null;
        }
        catch (Exception ex) when (SlackFailure.Is(ex, cancellationToken))
        {
            LogModalFailed(logger, ex, userId);
            return ex is SlackApiException api
                ? $"SgBridge could not open the request form (Slack said {api.Error}). Try again."
                : "SgBridge could not open the request form in time. Try again.";
        }
    }

    /// <summary>A submission: <c>response_action: errors</c> by block id for anything wrong, else the request opened (once per view).</summary>
    public async Task<DecisionResult> SubmitAsync(SlackViewSubmission submission, CancellationToken cancellationToken)
    {
        var check = _validator.Check(submission.Values);
        if (!check.IsValid)
        {
            LogRefused(logger, submission.UserId, string.Join(",", check.Errors.Keys));
            return DecisionResult.ModalErrors("invalid: " + string.Join(",", check.Errors.Keys), check.Errors);
        }
        var form = check.Form!;
        var (group, groupError) = await FindGroupAsync(form, cancellationToken);
        if (group is null)
        {
            LogRefused(logger, submission.UserId, RequestBlocks.Group);
            return DecisionResult.ModalErrors("group: " + groupError, [new(RequestBlocks.Group, groupError!)]);
        }

        var requester = new Requester(PrincipalType.SlackUser, Arn: null, AccountId: null, PrincipalId: $"slack:{submission.TeamId}:{submission.UserId}",
            UserName: submission.UserName ?? submission.UserId, SessionName: null, IssuerArn: null, SourceIp: null, UserAgent: "Slack /sgbridge", InvokedBy: null)
        {
            SlackUserId = submission.UserId,
        };
        var origin = new SlackOrigin(submission.UserId, submission.UserName, Email: null, submission.TeamId, submission.ViewId, form.Duration, form.Reason);
        var eventId = ChangeRequest.SlackEventId(submission.ViewId);
        for (var length = RequestId.DefaultLength; length <= RequestId.MaxLength; length += 4)
        {
            var request = ChangeRequest.OpenFromSlack(RequestId.For(eventId, length), form.AccountId, form.Region, group.GroupId, group.GroupName, group.VpcId,
                form.Rule, requester, origin, time.GetUtcNow());
            // The policy file decides on the object about to be stored (with the tags of the modal's own group look-up), so
            // the one insert carries the decision and its effects; a duplicated submission finds the stored request.
            policyGate.Decide(request, time.GetUtcNow(), form.Duration, group.Tags is null ? GroupTags.NotRead : GroupTags.Known(group.Tags));
            var (stored, created) = await lifecycle.OpenAsync(request, cancellationToken);
            if (stored.Value.EventId != eventId)
            {
                continue; // another request holds this short id: take a longer one
            }
            if (created)
            {
                policyGate.LogDecision(stored.Value);
                LogOpened(logger, stored.Value.Id, submission.UserId, form.AccountId, group.GroupId);
            }
            return DecisionResult.ModalUpdate((created ? "opened " : "already open ") + stored.Value.Id,
                RequestModal.Opened(stored.Value, existing: !created));
        }
        throw new InvalidOperationException($"No free request id for {eventId}.");
    }

    /// <summary>Looks the group up in AWS within <see cref="SlackRequestOptions.GroupCheckTimeout"/>; null with the error to show when not found or not checked.</summary>
    private async Task<(Aws.GroupDescription? Group, string? Error)> FindGroupAsync(RequestForm form, CancellationToken cancellationToken)
    {
        var label = form.GroupId ?? form.GroupName!;
        // Not tied to the caller's token: past Slack's budget the look-up carries on (bounded) and warms credentials for the retry.
        var lookup = Task.Run(async () =>
        {
            using var limit = new CancellationTokenSource(BackgroundLookupLimit);
            var client = await aws.CreateAsync(form.AccountId, form.Region, limit.Token);
            return await client.DescribeGroupAsync(form.GroupId, form.GroupName, limit.Token);
        }, CancellationToken.None);
        try
        {
            var group = await lookup.WaitAsync(options.Value.GroupCheckTimeout, time, cancellationToken);
            return group is null
                ? (null, $"There is no security group {SlackText.Plain(label, 80)} in {form.AccountId} ({form.Region})" + (form.GroupId is null ? " default VPC: give the group id for other VPCs." : "."))
                : (group, null);
        }
        catch (TimeoutException)
        {
            _ = lookup.ContinueWith(t => LogLookupLate(logger, t.Exception, form.AccountId, form.Region), TaskContinuationOptions.OnlyOnFaulted);
            LogLookupTimedOut(logger, form.AccountId, form.Region, options.Value.GroupCheckTimeout);
            return (null, "AWS did not answer in time, so the group could not be checked. Submit again.");
        }
        catch (RoleNotAssumableException ex)
        {
            LogLookupFailed(logger, ex, form.AccountId, form.Region);
            return (null, $"SgBridge cannot reach account {form.AccountId}: its role is not deployed there.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogLookupFailed(logger, ex, form.AccountId, form.Region);
            return (null, $"The group could not be checked in AWS ({SlackText.Plain(Ec2ErrorText.CodeOf(ex), 60)}). Submit again.");
        }
    }

    [LoggerMessage(5601, LogLevel.Information, "Request modal opened for Slack user {SlackUserId}")]
    private static partial void LogModalOpened(ILogger logger, string slackUserId);

    [LoggerMessage(5602, LogLevel.Warning, "Could not open the request modal for Slack user {SlackUserId}")]
    private static partial void LogModalFailed(ILogger logger, Exception exception, string slackUserId);

    [LoggerMessage(5603, LogLevel.Information, "Request modal of Slack user {SlackUserId} refused: {Blocks}")]
    private static partial void LogRefused(ILogger logger, string slackUserId, string blocks);

    [LoggerMessage(5604, LogLevel.Information, "Request {RequestId} opened from Slack by {SlackUserId} ({AccountId}, {GroupId})")]
    private static partial void LogOpened(ILogger logger, string requestId, string slackUserId, string accountId, string groupId);

    [LoggerMessage(5605, LogLevel.Warning, "Group look-up in {AccountId} {Region} took longer than {Timeout}: the modal asks to submit again")]
    private static partial void LogLookupTimedOut(ILogger logger, string accountId, string region, TimeSpan timeout);

    [LoggerMessage(5606, LogLevel.Warning, "Group look-up in {AccountId} {Region} failed")]
    private static partial void LogLookupFailed(ILogger logger, Exception exception, string accountId, string region);

    [LoggerMessage(5607, LogLevel.Warning, "Late group look-up in {AccountId} {Region} failed")]
    private static partial void LogLookupLate(ILogger logger, Exception? exception, string accountId, string region);
}
