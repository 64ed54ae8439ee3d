using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace SgBridge.Shared.Options;

/// <summary>Who and what the bridge polices. App settings: Policy__AllowedAccounts, Policy__ExemptPrincipalArns, …</summary>
public sealed partial class PolicyOptions : IValidatableObject
{
    public const string SectionName = "Policy";

    /// <summary>Required. AWS account ids (12 digits) whose events are accepted, comma separated.</summary>
    [Required(ErrorMessage = "Policy:AllowedAccounts is required: list the AWS account ids (12 digits, comma separated) whose events the bridge accepts.")]
    public string AllowedAccounts { get; set; } = "";

    /// <summary>Optional. IAM ARNs (of users or of the roles behind sessions) whose changes are recorded but not reverted; '*' is a wildcard.</summary>
    public string ExemptPrincipalArns { get; set; } = "";

    /// <summary>Optional. Service-linked roles (path /aws-service-role/) change groups for managed services; exempt by default.</summary>
    public bool ExemptServiceLinkedRoles { get; set; } = true;

    /// <summary>
    /// Optional. Police outbound (egress) rule changes too (Policy__PoliceEgress). False (default): egress events are
    /// acknowledged "Not policed" and logged, never queued; the templates forward them only when told to.
    /// </summary>
    public bool PoliceEgress { get; set; }

    /// <summary>Optional. Display aliases for accounts: "111111111111=prod, 222222222222=staging".</summary>
    public string AccountAliases { get; set; } = "";

    public IReadOnlySet<string> AllowedAccountSet => SettingList.Parse(AllowedAccounts).ToHashSet(StringComparer.Ordinal);

    public IReadOnlyList<string> ExemptPrincipalPatterns => SettingList.Parse(ExemptPrincipalArns);

    public IReadOnlyDictionary<string, string> AccountAliasMap =>
        SettingList.Parse(AccountAliases)
            .Select(p => p.Split('=', 2, StringSplitOptions.TrimEntries))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var accounts = SettingList.Parse(AllowedAccounts);
        if (accounts.Count == 0)
        {
            yield return new ValidationResult("Policy:AllowedAccounts must list at least one AWS account id.", [nameof(AllowedAccounts)]);
        }
        foreach (var a in accounts.Where(a => !AccountId().IsMatch(a)))
        {
            yield return new ValidationResult($"Policy:AllowedAccounts has '{a}', which is not a 12-digit AWS account id.", [nameof(AllowedAccounts)]);
        }
        foreach (var p in ExemptPrincipalPatterns.Where(p => !p.StartsWith("arn:", StringComparison.Ordinal)))
        {
            yield return new ValidationResult($"Policy:ExemptPrincipalArns has '{p}', which is not an ARN (arn:aws:iam::123456789012:role/Name; '*' allowed).", [nameof(ExemptPrincipalArns)]);
        }
        foreach (var p in SettingList.Parse(AccountAliases).Where(p => !p.Contains('=', StringComparison.Ordinal)))
        {
            yield return new ValidationResult($"Policy:AccountAliases has '{p}': write account=alias.", [nameof(AccountAliases)]);
        }
    }

    [GeneratedRegex("^[0-9]{12}$")]
    private static partial Regex AccountId();
}
