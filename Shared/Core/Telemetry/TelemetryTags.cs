using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Reconcile;

namespace SgBridge.Shared.Telemetry;

/// <summary>Tag names on the bridge's spans and metrics; Application Insights shows them as customDimensions
/// (docs/operations-telemetry.md).</summary>
public static class TelemetryTags
{
    public const string RequestId = "sgbridge.request_id";
    public const string EventId = "sgbridge.event_id";
    public const string AccountId = "sgbridge.account_id";
    public const string Region = "sgbridge.region";
    public const string GroupId = "sgbridge.group_id";
    public const string DequeueCount = "sgbridge.dequeue_count";
    public const string HttpStatus = "http.response.status_code";
    public const string MessagingOperation = "messaging.operation.type";
    public const string MessagingDestination = "messaging.destination.name";
    public const string MessagingMessageId = "messaging.message.id";

    // Metric dimensions (low cardinality: no ids but the account).
    public const string Outcome = "outcome";
    public const string Reason = "reason";
    public const string Status = "status";
    public const string Kind = "kind";
    public const string Account = "account";
    public const string AuthMode = "auth_mode";

    /// <summary>The request a queue message is about, for its span. The request id of a change is the one its event id
    /// gives (ChangeProcessor lengthens it on the rare collision: the event id tag finds those).</summary>
    public static IEnumerable<KeyValuePair<string, object?>> For(object? payload) => payload switch
    {
        SecurityGroupChange change =>
        [
            new(RequestId, Domain.RequestId.For(change.EventId)),
            new(EventId, change.EventId),
            new(AccountId, change.AccountId),
            new(Region, change.Region),
            new(GroupId, change.GroupLabel),
        ],
        NudgeEffects perform => [new(RequestId, perform.RequestId)],
        RedriveEffects catchUp => [new(RequestId, catchUp.RequestId)],
        RenderBatch render => [new(RequestId, render.LeadId)],
        SettleGroup settle => [new(AccountId, settle.AccountId), new(Region, settle.Region), new(GroupId, settle.GroupId)],
        ReconcileMessage reconcile => [new(AccountId, reconcile.AccountId), new(Region, reconcile.Region)],
        _ => [],
    };
}
