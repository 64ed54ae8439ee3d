using System.ComponentModel.DataAnnotations;

namespace SgBridge.Shared.Options;

/// <summary>What the sweep does with a difference no event explains.</summary>
public enum ReconcileMode
{
    /// <summary>Revert it and open a drift request.</summary>
    Enforce,
    /// <summary>Only report it (a Reported request and a monitoring message); AWS is not changed.</summary>
    Report,
}

/// <summary>A group first seen after onboarding (no approved state yet).</summary>
public enum UnknownGroupPolicy
{
    /// <summary>Its current rules become its approved state (except what the event that revealed it claims to have added), and monitoring is told.</summary>
    Adopt,
    /// <summary>It starts with no approved rules: everything in it is a difference.</summary>
    Enforce,
}

/// <summary>How groups are converged to their approved state. App settings: Reconcile__Mode, Reconcile__Interval, …</summary>
public sealed class ReconcileOptions : IValidatableObject
{
    public const string SectionName = "Reconcile";

    public ReconcileMode Mode { get; set; } = ReconcileMode.Enforce;

    public UnknownGroupPolicy UnknownGroups { get; set; } = UnknownGroupPolicy.Adopt;

    /// <summary>How often the sweep looks at every group of every allowed account and region. Whole minutes; zero: never.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The regions the sweep covers, comma separated (e.g. "eu-west-1, us-east-1").</summary>
    public string Regions { get; set; } = "";

    /// <summary>A difference no event explains is acted on only once it has lasted this long: its own event (e.g. an exempt
    /// pipeline's or an AWS service's) may still be on its way. Zero: at once.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "Reconcile:SettleDelay must be between 00:00:00 and 01:00:00.")]
    public TimeSpan SettleDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a worker holds a group; a lease of a worker that died lapses after this.</summary>
    [Range(typeof(TimeSpan), "00:00:10", "00:10:00", ErrorMessage = "Reconcile:LeaseDuration must be between 00:00:10 and 00:10:00.")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a worker waits for a group another worker holds before the message is retried later.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:02:00", ErrorMessage = "Reconcile:LeaseWait must be between 00:00:00 and 00:02:00.")]
    public TimeSpan LeaseWait { get; set; } = TimeSpan.FromSeconds(20);

    public IReadOnlyList<string> RegionList => SettingList.Parse(Regions);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Interval < TimeSpan.Zero || Interval.Ticks % TimeSpan.TicksPerMinute != 0)
        {
            yield return new ValidationResult($"Reconcile:Interval must be whole minutes (00:15:00), or 00:00:00 for no sweep; it is {Interval}.", [nameof(Interval)]);
        }
        foreach (var r in RegionList.Where(r => !System.Text.RegularExpressions.Regex.IsMatch(r, "^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$")))
        {
            yield return new ValidationResult($"Reconcile:Regions has '{r}', which is not an AWS region name.", [nameof(Regions)]);
        }
    }
}
