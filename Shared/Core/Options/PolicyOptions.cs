using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;

namespace SgBridge.Shared.Options;

/// <summary>Who and what the bridge polices. App settings: Policy__AllowedAccounts, Policy__ExemptPrincipalArns, …</summary>
public sealed partial class PolicyOptions : IValidatableObject
{
    public const string SectionName = "Policy";

    /// <summary>The <see cref="AllowedAccounts"/> value that admits every account.</summary>
    public const string EveryAccount = "*";

    /// <summary>Required. AWS account ids whose events are accepted, or <c>*</c> alone when the organisation-gated event bus is the
    /// allow-list.</summary>
    [Required(ErrorMessage = "Policy:AllowedAccounts is required: list the AWS account ids (12 digits, comma separated) whose events the bridge accepts, or '*' for every account.")]
    public string AllowedAccounts { get; set; } = "";

    /// <summary>Optional. IAM ARNs (of users or of the roles behind sessions) whose changes are recorded but not reverted; '*' is a wildcard.</summary>
    public string ExemptPrincipalArns { get; set; } = "";

    /// <summary>Optional. Service-linked roles (path /aws-service-role/) change groups for managed services; exempt by default.</summary>
    public bool ExemptServiceLinkedRoles { get; set; } = true;

    /// <summary>Optional. Police egress rules too; false (default): egress events are acknowledged "Not policed" and never
    /// queued.</summary>
    public bool PoliceEgress { get; set; }

    /// <summary>Optional. Display aliases for accounts: "111111111111=prod, 222222222222=staging".</summary>
    public string AccountAliases { get; set; } = "";

    /// <summary>The policy file (docs/policy.md): a path deployed with the app, or an https:// blob URL read with the bridge's
    /// storage credential; .yaml/.yml or .json, validated at start-up. Empty: every policed change waits for an approver.</summary>
    public string RulesFile { get; set; } = "";

    /// <summary>The listed account ids (holds "*" alone when every account is allowed: ask <see cref="AllowsAccount"/>).</summary>
    public IReadOnlySet<string> AllowedAccountSet => Parsed().Accounts;

    public bool AllowsEveryAccount => Parsed().Every;

    /// <summary>Whether events of <paramref name="accountId"/> are accepted: a listed 12-digit id, or any 12-digit id with
    /// <c>*</c>.</summary>
    public bool AllowsAccount(string? accountId) =>
        accountId is not null && AccountId().IsMatch(accountId) && (Parsed().Every || Parsed().Accounts.Contains(accountId));

    /// <summary>The parsed setting, kept while the setting is unchanged (one reference: safe to share across threads).</summary>
    private sealed record ParsedAccounts(string Setting, IReadOnlySet<string> Accounts, bool Every);

    private ParsedAccounts? _parsed;

    private ParsedAccounts Parsed()
    {
        var setting = AllowedAccounts;
        if (_parsed is { } parsed && ReferenceEquals(parsed.Setting, setting))
        {
            return parsed;
        }
        var accounts = SettingList.Parse(setting);
        return _parsed = new ParsedAccounts(setting, accounts.ToHashSet(StringComparer.Ordinal), accounts is [EveryAccount]);
    }

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
            yield return new ValidationResult("Policy:AllowedAccounts must list at least one AWS account id, or be '*' for every account.", [nameof(AllowedAccounts)]);
        }
        if (accounts.Count > 1 && accounts.Contains(EveryAccount, StringComparer.Ordinal))
        {
            yield return new ValidationResult("Policy:AllowedAccounts mixes '*' with account ids: write '*' alone (every account) or only account ids.", [nameof(AllowedAccounts)]);
        }
        foreach (var a in accounts.Where(a => a != EveryAccount && !AccountId().IsMatch(a)))
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

    [GeneratedRegex(@"\A[0-9]{12}\z")]
    private static partial Regex AccountId();
}
