using System.ComponentModel.DataAnnotations;

namespace SgBridge.Shared.Options;

/// <summary>How the EventBridge intake answers. App settings: Intake__EnqueueTimeout.</summary>
public sealed class IntakeOptions
{
    public const string SectionName = "Intake";

    /// <summary>
    /// Optional. The whole time one event may spend being queued, the queue client's own retries included; past it the
    /// intake answers 503 with Retry-After and EventBridge tries again. EventBridge waits 5 s for an answer, so at most 4 s.
    /// (Azure.Core's default policy alone retries 3 times with backoff and waits up to 100 s per try.)
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:04", ErrorMessage = "Intake:EnqueueTimeout must be between 0.1 and 4 seconds (EventBridge waits 5 seconds for an answer).")]
    public TimeSpan EnqueueTimeout { get; set; } = TimeSpan.FromSeconds(2.5);
}
