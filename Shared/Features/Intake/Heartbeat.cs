using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Shared.Intake;

/// <summary>A heartbeat as it arrived: the scheduled event's id and time, the rule that sent it, when the intake took it.</summary>
public sealed record HeartbeatBeat(string EventId, DateTimeOffset SentAt, string Account, string Rule, DateTimeOffset ReceivedAt)
{
    /// <summary>How long EventBridge took to deliver it (retries included).</summary>
    public TimeSpan Delay => ReceivedAt - SentAt;
}

/// <summary>
/// Silence is not health: a scheduled rule on the central account's default bus (aws-bootstrap/sgbridge-central-bus.yaml,
/// rHeartbeatRule) sends a "Scheduled Event" every few minutes through the same connection (function key) and API
/// destination as the security group events. The intake records it here instead of opening a request: the last
/// heartbeat (one row, read by <c>sgbridge accounts</c> and doctor) and the <c>sgbridge.heartbeats</c> metric,
/// which the Azure alert "no heartbeat" reads (bicep/modules/alerts.bicep). A wrong key, an app that does not start,
/// a deleted rule or connection: the heartbeats stop, and the alert fires after two intervals.
/// </summary>
/// <summary>Where the last heartbeat is kept (one row, replaced by each beat): the storage port of <see cref="Heartbeat"/>.</summary>
public interface IHeartbeatStore
{
    Task WriteAsync(HeartbeatBeat beat, CancellationToken cancellationToken);

    /// <summary>The last heartbeat written; null: none yet.</summary>
    Task<HeartbeatBeat?> LastAsync(CancellationToken cancellationToken);
}

public sealed partial class Heartbeat
{
    /// <summary>EventBridge's envelope of a scheduled rule's event.</summary>
    public const string Source = "aws.events";
    public const string DetailType = "Scheduled Event";

    private readonly IHeartbeatStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<Heartbeat> _logger;
    private readonly BridgeTelemetry _telemetry;

    public Heartbeat(IHeartbeatStore store, TimeProvider time, ILogger<Heartbeat> logger, BridgeTelemetry telemetry)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _time = time;
        _logger = logger;
        _telemetry = telemetry;
    }

    /// <summary>
    /// True when <paramref name="body"/> is a scheduled event (source aws.events, detail-type "Scheduled Event"); only
    /// the central account's heartbeat rule targets the intake with one. Anything else is left to the CloudTrail parser.
    /// </summary>
    public static bool IsHeartbeat(ReadOnlySpan<byte> body, out string eventId, out DateTimeOffset sentAt, out string account, out string rule)
    {
        eventId = account = rule = "";
        sentAt = default;
        try
        {
            var reader = new Utf8JsonReader(body);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("source", out var source) || source.ValueKind != JsonValueKind.String || !source.ValueEquals(Source)
                || !root.TryGetProperty("detail-type", out var type) || type.ValueKind != JsonValueKind.String || !type.ValueEquals(DetailType))
            {
                return false;
            }
            eventId = Text(root, "id");
            account = Text(root, "account");
            sentAt = DateTimeOffset.TryParse(Text(root, "time"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : default;
            rule = root.TryGetProperty("resources", out var resources) && resources.ValueKind == JsonValueKind.Array && resources.GetArrayLength() > 0
                && resources[0].ValueKind == JsonValueKind.String ? resources[0].GetString()! : "";
            return true;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Not JSON, or a string that is not valid UTF-8 (GetString cannot transcode it): not a heartbeat; the
            // CloudTrail parser answers it 400 with the field.
            return false;
        }
    }

    /// <summary>Records the heartbeat (one row, one metric point) and answers 202; 503 when it cannot be stored (EventBridge retries).</summary>
    public async Task<IntakeResult> RecordAsync(string eventId, DateTimeOffset sentAt, string account, string rule, CancellationToken cancellationToken)
    {
        var beat = new HeartbeatBeat(eventId, sentAt == default ? _time.GetUtcNow() : sentAt, account, rule, _time.GetUtcNow());
        try
        {
            await _store.WriteAsync(beat, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogNotRecorded(_logger, ex, beat.EventId);
            return new IntakeResult(503, "Heartbeat not recorded", "The bridge cannot store the heartbeat right now; EventBridge will retry.", EventId: beat.EventId, RetryAfter: EventIntake.RetryAfter);
        }
        _telemetry.Heartbeats.Add(1);
        LogReceived(_logger, beat.EventId, beat.Rule, beat.Delay.TotalSeconds);
        return new IntakeResult(202, "Heartbeat", $"Heartbeat {beat.EventId} recorded.", EventId: beat.EventId);
    }

    /// <summary>The last heartbeat the intake recorded; null: none yet.</summary>
    public Task<HeartbeatBeat?> LastAsync(CancellationToken cancellationToken) => _store.LastAsync(cancellationToken);

    private static string Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";

    [LoggerMessage(5380, LogLevel.Information, "Heartbeat {EventId} from {Rule} received ({DelaySeconds} s after it was sent)")]
    private static partial void LogReceived(ILogger logger, string eventId, string rule, double delaySeconds);

    [LoggerMessage(5381, LogLevel.Error, "Heartbeat {EventId} could not be recorded; answering 503 so EventBridge retries")]
    private static partial void LogNotRecorded(ILogger logger, Exception exception, string eventId);
}
