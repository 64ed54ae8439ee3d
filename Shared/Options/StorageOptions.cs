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

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(ConnectionString) == string.IsNullOrWhiteSpace(AccountName))
        {
            yield return new ValidationResult(
                "Set exactly one of Storage:ConnectionString (Azurite locally) or Storage:AccountName (managed identity in Azure).",
                [nameof(ConnectionString), nameof(AccountName)]);
        }
    }
}
