using System.ComponentModel.DataAnnotations;

namespace SgBridge.Shared.Aws;

/// <summary>The blast radius in approver messages (app settings <c>BlastRadius__*</c>).</summary>
public sealed class BlastRadiusOptions
{
    public const string SectionName = "BlastRadius";

    /// <summary>Read and show the blast radius (default true). False: approver messages carry none and no EC2 call is made.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long a group's blast radius is reused (default 2 minutes; 0: read for every message). A failed read is never
    /// cached.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "BlastRadius:CacheTtl must be between 00:00:00 and 01:00:00.")]
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long the message waits for the read (default 2 s); past it the message says "unavailable" and the read fills the
    /// cache later.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:00:10", ErrorMessage = "BlastRadius:Budget must be between 00:00:00.050 and 00:00:10.")]
    public TimeSpan Budget { get; set; } = TimeSpan.FromSeconds(2);
}
