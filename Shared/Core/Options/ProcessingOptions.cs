using System.ComponentModel.DataAnnotations;

namespace SgBridge.Shared.Options;

/// <summary>Queue-processing settings that must agree with host.json.</summary>
public sealed class ProcessingOptions
{
    public const string SectionName = "Processing";

    /// <summary>Must equal host.json extensions.queues.maxDequeueCount: on that try a failure is final
    /// (the request is marked RevertFailed and the host moves the message to the poison queue).</summary>
    [Range(1, 100)]
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>A change the poison reader cannot record (storage unreachable) goes back on the changes queue, visible after this
    /// delay, so it is recorded with its true outcome once storage answers.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "Processing:PoisonRedriveDelay must be between 1 second and 1 hour.")]
    public TimeSpan PoisonRedriveDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long after its event a change is still re-driven from the poison queue; past it the reader gives up
    /// (Critical log, monitoring told, message dropped).</summary>
    [Range(typeof(TimeSpan), "01:00:00", "6.00:00:00", ErrorMessage = "Processing:PoisonRedriveWindow must be between 1 hour and 6 days.")]
    public TimeSpan PoisonRedriveWindow { get; set; } = TimeSpan.FromDays(1);

    /// <summary>A request nobody decided within this time expires (it stays reverted). Zero: requests never expire.</summary>
    public TimeSpan PendingExpiry { get; set; } = TimeSpan.FromDays(7);
}
