using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;

namespace SgBridge.Tests.Fakes;

/// <summary>
/// A test's way to drive the Slack side the way the effects worker does: "show this request" (the
/// <see cref="EffectKind.Render"/> effect, with the request as stored or as carried) or "render this batch now"
/// (<see cref="RenderBatch"/>, a debounced render). <paramref name="Request"/>: the copy to show (null: read it).
/// </summary>
/// Read from a queued <see cref="RenderBatch"/>'s JSON, it is that render (so a test can run what the service queued).
[System.Text.Json.Serialization.JsonConverter(typeof(RequestNotificationConverter))]
public sealed record RequestNotification(string RequestId, RequestStatus Status, bool Render = false, DateTimeOffset? DueAt = null, ChangeRequest? Request = null, string? Home = null);

/// <summary>Reads a queued effects message as the notification a test drives (only renders are queued with a delay).</summary>
public sealed class RequestNotificationConverter : System.Text.Json.Serialization.JsonConverter<RequestNotification>
{
    public override RequestNotification Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
        System.Text.Json.JsonSerializer.Deserialize<EffectsMessage>(ref reader, options) switch
        {
            RenderBatch r => new RequestNotification(r.LeadId, default, Render: true, DueAt: r.DueAt, Home: r.Home),
            NudgeEffects n => new RequestNotification(n.RequestId, default),
            var other => throw new System.Text.Json.JsonException($"Not a notification: {other?.GetType().Name}"),
        };

    public override void Write(System.Text.Json.Utf8JsonWriter writer, RequestNotification value, System.Text.Json.JsonSerializerOptions options) =>
        throw new NotSupportedException("Tests only read notifications from the queue.");
}

public static class NotificationCalls
{
    /// <summary>Shows the request (the Render effect), or does the debounced render the notification names.</summary>
    public static async Task NotifyAsync(this NotificationService service, RequestNotification n, IRequestStore requests, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(n);
        if (n.Render)
        {
            var home = n.Home ?? SlackRows.HomeOf(n.Request ?? (await requests.GetAsync(n.RequestId, ct))!.Value);
            await service.RenderBatchAsync(new RenderBatch(home, n.RequestId, n.DueAt ?? default), ct);
            return;
        }
        var request = n.Request is { } carried && carried.Id == n.RequestId ? carried : (await requests.GetAsync(n.RequestId, ct))?.Value;
        if (request is not null)
        {
            await service.ShowAsync(request, retry: false, ct);
        }
    }

    /// <summary>Delivers a message the service queued (a debounced render) as the effects queue would.</summary>
    public static Task DeliverAsync(this NotificationService service, string json, CancellationToken ct = default) =>
        BridgeJson.Deserialize<EffectsMessage>(json) switch
        {
            RenderBatch r => service.RenderBatchAsync(r, ct),
            var other => throw new InvalidOperationException($"Not a render: {other.GetType().Name}"),
        };
}
