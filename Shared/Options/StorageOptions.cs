using System.ComponentModel.DataAnnotations;

namespace SgBridge.Shared.Options;

/// <summary>
/// Where requests, approved states and queues live. Locally a connection string (Azurite);
/// in Azure the account name with the managed identity (no shared keys).
/// App settings: Storage__ConnectionString, or Storage__AccountName (+ Storage__ClientId for a user-assigned identity).
/// </summary>
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

    /// <summary>The least <see cref="Retention"/> accepted: a day.</summary>
    public static readonly TimeSpan MinRetention = TimeSpan.FromDays(1);

    /// <summary>
    /// How long a final request (and its Slack rows) stays after its last change before the daily purge deletes it
    /// (Storage__Retention, a TimeSpan; default 400 days). At least one day: 0 or a negative value is refused at
    /// start-up (it would delete every final request at once) — there is no "keep forever" value.
    /// </summary>
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
