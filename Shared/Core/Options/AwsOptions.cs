using System.ComponentModel.DataAnnotations;

namespace SgBridge.Shared.Options;

public enum AwsAuthMode
{
    /// <summary>STS AssumeRoleWithWebIdentity with an Entra ID token of the Function's managed identity (no AWS keys).</summary>
    WebIdentity,
    /// <summary>STS AssumeRole with an ExternalId, from base AWS credentials of the default chain.</summary>
    AssumeRole,
}

/// <summary>How the bridge reaches AWS. App settings: Aws__RoleArnPattern, Aws__AuthMode, …</summary>
public sealed class AwsOptions : IValidatableObject
{
    public const string SectionName = "Aws";
    public const string AccountPlaceholder = "{accountId}";

    /// <summary>Required. The role assumed in each account, e.g. arn:aws:iam::{accountId}:role/SgBridgeExecutionRole.
    /// It is also the bridge's own identity: changes it makes are never reverted.</summary>
    // Braces doubled: DataAnnotations passes ErrorMessage through string.Format.
    [Required(ErrorMessage = "Aws:RoleArnPattern is required, e.g. arn:aws:iam::{{accountId}}:role/SgBridgeExecutionRole.")]
    public string RoleArnPattern { get; set; } = "";

    public AwsAuthMode AuthMode { get; set; } = AwsAuthMode.WebIdentity;

    /// <summary>WebIdentity: the Entra application (ID URI or client id) the token is issued for; the AWS trust policy pins it as aud.</summary>
    public string? WebIdentityAudience { get; set; }

    /// <summary>WebIdentity: client id of the user-assigned managed identity (blank: system-assigned / developer credentials).</summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>AssumeRole: the ExternalId the member roles require.</summary>
    public string? ExternalId { get; set; }

    /// <summary>Optional. STS endpoint (VPC endpoint, FIPS, emulator). Blank: the SDK's regional default.</summary>
    public string? StsEndpoint { get; set; }

    /// <summary>Optional. EC2 endpoint; "{region}" is replaced by the event's region. Blank: the SDK's default.</summary>
    public string? Ec2Endpoint { get; set; }

    /// <summary>Region used for STS calls (regional STS endpoint).</summary>
    public string StsRegion { get; set; } = "us-east-1";

    [Required]
    public string SessionName { get; set; } = "sgbridge";

    [Range(typeof(TimeSpan), "00:15:00", "12:00:00")]
    public TimeSpan SessionDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Cached credentials are renewed this long before they expire.</summary>
    public TimeSpan RefreshMargin { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>AWS SDK retries for throttling, 5xx and network errors (standard retry mode, with backoff).</summary>
    [Range(0, 10)]
    public int MaxErrorRetry { get; set; } = 4;

    public string RoleArnFor(string accountId) => RoleArnPattern.Replace(AccountPlaceholder, accountId, StringComparison.Ordinal);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrEmpty(RoleArnPattern)
            && (!RoleArnPattern.StartsWith("arn:", StringComparison.Ordinal) || !RoleArnPattern.Contains(AccountPlaceholder, StringComparison.Ordinal) || !RoleArnPattern.Contains(":role/", StringComparison.Ordinal)))
        {
            yield return new ValidationResult($"Aws:RoleArnPattern must be an IAM role ARN containing {AccountPlaceholder}, e.g. arn:aws:iam::{AccountPlaceholder}:role/SgBridgeExecutionRole.", [nameof(RoleArnPattern)]);
        }
        if (AuthMode == AwsAuthMode.WebIdentity && string.IsNullOrWhiteSpace(WebIdentityAudience))
        {
            yield return new ValidationResult("Aws:WebIdentityAudience is required when Aws:AuthMode is WebIdentity (the Entra application ID URI the AWS role trusts as aud).", [nameof(WebIdentityAudience)]);
        }
        if (AuthMode == AwsAuthMode.AssumeRole && string.IsNullOrWhiteSpace(ExternalId))
        {
            yield return new ValidationResult("Aws:ExternalId is required when Aws:AuthMode is AssumeRole.", [nameof(ExternalId)]);
        }
        foreach (var (name, value) in new[] { (nameof(StsEndpoint), StsEndpoint), (nameof(Ec2Endpoint), Ec2Endpoint) })
        {
            if (!string.IsNullOrWhiteSpace(value) && !Uri.TryCreate(value.Replace("{region}", "us-east-1", StringComparison.Ordinal), UriKind.Absolute, out _))
            {
                yield return new ValidationResult($"Aws:{name} must be an absolute URL, got '{value}'.", [name]);
            }
        }
        if (RefreshMargin < TimeSpan.Zero || RefreshMargin >= SessionDuration)
        {
            yield return new ValidationResult("Aws:RefreshMargin must be between zero and Aws:SessionDuration.", [nameof(RefreshMargin)]);
        }
    }
}
