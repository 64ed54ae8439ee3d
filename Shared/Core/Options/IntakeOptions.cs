using System.ComponentModel.DataAnnotations;

namespace SgBridge.Shared.Options;

/// <summary>How the EventBridge intake answers. App settings: Intake__EnqueueTimeout, Intake__RevertInline, Intake__InlineBudget.</summary>
public sealed class IntakeOptions : IValidatableObject
{
    /// <summary>The longest answer the intake may take: EventBridge waits 5 s, and the rest is the margin for the host.</summary>
    public static readonly TimeSpan MaxAnswer = TimeSpan.FromSeconds(4);

    public const string SectionName = "Intake";

    /// <summary>The whole time one event may spend being queued, retries included; past it the intake answers 503 with
    /// Retry-After and EventBridge tries again. An inline revert that gave up early leaves its unused budget to the enqueue.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:04", ErrorMessage = "Intake:EnqueueTimeout must be between 0.1 and 4 seconds (EventBridge waits 5 seconds for an answer).")]
    public TimeSpan EnqueueTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Revert in the intake (the queue worker's <c>ChangeProcessor</c>) within <see cref="InlineBudget"/>, else queue the
    /// change. False: always queue (one queue hop and the trigger's polling interval on every event).</summary>
    public bool RevertInline { get; set; } = true;

    /// <summary>How long the intake waits for the inline revert; with <see cref="EnqueueTimeout"/> it must fit in <see cref="MaxAnswer"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:03.500", ErrorMessage = "Intake:InlineBudget must be between 0.1 and 3.5 seconds.")]
    public TimeSpan InlineBudget { get; set; } = TimeSpan.FromSeconds(1);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (RevertInline && InlineBudget + EnqueueTimeout > MaxAnswer)
        {
            yield return new ValidationResult(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"Intake:InlineBudget ({InlineBudget.TotalSeconds:0.###} s) plus Intake:EnqueueTimeout ({EnqueueTimeout.TotalSeconds:0.###} s) must be at most {MaxAnswer.TotalSeconds:0} s: EventBridge waits 5 s for an answer, and a change the inline revert did not finish must still be queued in time."),
                [nameof(InlineBudget), nameof(EnqueueTimeout)]);
        }
    }
}
