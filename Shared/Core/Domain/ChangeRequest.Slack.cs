using System.Text.Json.Serialization;

namespace SgBridge.Shared.Domain;

/// <summary>Where a request asked for in Slack came from: the user, the modal submission, the duration asked for (null: permanent) and
/// why.</summary>
public sealed record SlackOrigin(string UserId, string? UserName, string? Email, string? TeamId, string ViewId, TimeSpan? RequestedFor, string Reason);

public sealed partial class ChangeRequest
{
    /// <summary>Set when the request was asked for in Slack (the /sgbridge modal): nothing changed in AWS before approval.</summary>
    [JsonInclude] public SlackOrigin? Slack { get; private set; }

    /// <summary>
    /// Opens a request asked for in Slack: one rule to add, Pending at once (nothing changed in AWS). <paramref name="id"/>
    /// derives from the modal's view id, so a duplicated submission maps to the same request.
    /// </summary>
    public static ChangeRequest OpenFromSlack(string id, string accountId, string region, string groupId, string? groupName, string? vpcId,
        SecurityGroupRule rule, Requester requester, SlackOrigin origin, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        ArgumentException.ThrowIfNullOrWhiteSpace(accountId);
        ArgumentException.ThrowIfNullOrWhiteSpace(region);
        ArgumentException.ThrowIfNullOrWhiteSpace(groupId);
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(requester);
        ArgumentNullException.ThrowIfNull(origin);
        if (requester.SlackUserId != origin.UserId)
        {
            throw new ArgumentException("The requester of a Slack request is the Slack user who submitted it.", nameof(requester));
        }
        if (origin.RequestedFor is { } d && d <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(origin), d, "A requested duration is positive, or null (permanent).");
        }
        var request = new ChangeRequest
        {
            Id = id,
            EventId = SlackEventId(origin.ViewId),
            EventName = SlackEventName,
            EventTime = now,
            Status = RequestStatus.Pending,
            Kind = ChangeKind.Add,
            AccountId = accountId,
            Region = region,
            GroupId = groupId,
            GroupName = groupName,
            VpcId = vpcId,
            Requester = requester,
            Rules = [rule with { RuleId = null }],
            Slack = origin,
            CreatedAt = now,
            UpdatedAt = now,
        };
        request.RaiseFor(RequestStatus.Pending, now);
        return request;
    }

    /// <summary>The EventName of requests asked for in Slack.</summary>
    public const string SlackEventName = "SlackRequest";

    /// <summary>The stand-in event id of a Slack request: one per modal view, the key that makes a submission idempotent.</summary>
    public static string SlackEventId(string viewId) => "slack-view:" + viewId;
}
