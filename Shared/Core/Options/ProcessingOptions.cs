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

    /// <summary>A request nobody decided within this time expires (it stays reverted). Zero: requests never expire.</summary>
    public TimeSpan PendingExpiry { get; set; } = TimeSpan.FromDays(7);
}
