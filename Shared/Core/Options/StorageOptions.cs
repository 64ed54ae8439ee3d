using System.ComponentModel.DataAnnotations;

namespace SgBridge.Shared.Options;

/// <summary>Where requests, approved states and queues live: a connection string (Azurite), or the account name with the managed
/// identity.</summary>
public sealed class StorageOptions : IValidatableObject
{
    public const string SectionName = "Storage";

    public string? ConnectionString { get; set; }
    public string? AccountName { get; set; }

    /// <summary>Client id of the user-assigned managed identity used for storage.</summary>
    public string? ClientId { get; set; }

    [Required, RegularExpression("^[A-Za-z][A-Za-z0-9]{2,62}$", ErrorMessage = "Storage:RequestsTable must be 3-63 letters and digits, starting with a letter.")]
    public string RequestsTable { get; set; } = "SgBridgeRequests";

    /// <summary>Each group's approved state and reconcile lease (one partition per account and region).</summary>
    [Required, RegularExpression("^[A-Za-z][A-Za-z0-9]{2,62}$", ErrorMessage = "Storage:GroupsTable must be 3-63 letters and digits, starting with a letter.")]
    public string GroupsTable { get; set; } = "SgBridgeGroups";

    /// <summary>Slack message and batch state (Storage__SlackTable), written only by the notification code.</summary>
    [Required, RegularExpression("^[A-Za-z][A-Za-z0-9]{2,62}$", ErrorMessage = "Storage:SlackTable must be 3-63 letters and digits, starting with a letter.")]
    public string SlackTable { get; set; } = "SgBridgeSlack";

    /// <summary>One try of a Table Storage call (Azure.Core's default of 100 s let a hung endpoint hold the revert path for minutes).</summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:00:30", ErrorMessage = "Storage:TableNetworkTimeout must be between 0.2 and 30 seconds.")]
    public TimeSpan TableNetworkTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>One try of a queue send or receive, abandoned and sent again inside the intake's budget (a send retried after a
    /// lost answer may queue a second copy, which the event id makes harmless).</summary>
    [Range(typeof(TimeSpan), "00:00:00.200", "00:00:30", ErrorMessage = "Storage:QueueNetworkTimeout must be between 0.2 and 30 seconds.")]
    public TimeSpan QueueNetworkTimeout { get; set; } = TimeSpan.FromSeconds(1.5);

    /// <summary>Retries of a failed or timed-out try, for tables and queues (Azure.Core's default is 3).</summary>
    [Range(0, 5, ErrorMessage = "Storage:MaxRetries must be between 0 and 5.")]
    public int MaxRetries { get; set; } = 2;

    /// <summary>A read of a group's approved state, retries included: past it the revert goes on without storage (an add's rules
    /// are revoked by id).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:00:30", ErrorMessage = "Storage:GroupReadTimeout must be between 0.1 and 30 seconds.")]
    public TimeSpan GroupReadTimeout { get; set; } = TimeSpan.FromSeconds(1.5);

    /// <summary>A smaller <see cref="Retention"/> would delete every final request at once.</summary>
    public static readonly TimeSpan MinRetention = TimeSpan.FromDays(1);

    /// <summary>How long a final request and its Slack rows stay after their last change.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(400);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Retention < MinRetention)
        {
            yield return new ValidationResult(
                $"Storage:Retention must be at least {MinRetention:c} (a TimeSpan such as 400.00:00:00); it was {Retention:c}.",
                [nameof(Retention)]);
        }
        if (string.IsNullOrWhiteSpace(ConnectionString) == string.IsNullOrWhiteSpace(AccountName))
        {
            yield return new ValidationResult(
                "Set exactly one of Storage:ConnectionString (Azurite locally) or Storage:AccountName (managed identity in Azure).",
                [nameof(ConnectionString), nameof(AccountName)]);
        }
    }
}
