using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Policy;

/// <summary>
/// The policy file named by <see cref="PolicyOptions.RulesFile"/>, read once (the file is deployed with the app: a
/// new policy is a new deployment or a restart). Start-up validation (<see cref="PolicyRulesValidator"/>) reads it
/// first, so a bad file stops the app before any event is handled.
/// </summary>
public sealed class PolicyRules(IOptions<PolicyOptions> options)
{
    private readonly Lazy<PolicyRuleSet> _rules = new(() => Load(options.Value));

    /// <summary>True when a policy file is configured.</summary>
    public bool Configured => !string.IsNullOrWhiteSpace(options.Value.RulesFile);

    public PolicyRuleSet Current => _rules.Value;

    public IReadOnlyDictionary<string, string> AccountAliases { get; } = options.Value.AccountAliasMap;

    /// <summary>Reads and parses the configured file; <see cref="PolicyRuleSet.Empty"/> when none is configured.</summary>
    public static PolicyRuleSet Load(PolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var setting = options.RulesFile?.Trim() ?? "";
        if (setting.Length == 0)
        {
            return PolicyRuleSet.Empty;
        }
        var name = Path.GetFileName(setting);
        if (setting.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || setting.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            throw new PolicyFileException([new PolicyError(setting, 0, "Policy:RulesFile is a URL; blob URLs are not supported: deploy the file with the app and give its path")]);
        }
        var extension = Path.GetExtension(setting).ToLowerInvariant();
        if (extension is not (".yaml" or ".yml" or ".json"))
        {
            throw new PolicyFileException([new PolicyError(name, 0, "Policy:RulesFile must end in .yaml, .yml or .json (the extension says how to read it)")]);
        }
        var path = Path.IsPathRooted(setting) ? setting : Path.Combine(AppContext.BaseDirectory, setting);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PolicyFileException([new PolicyError(name, 0, $"Policy:RulesFile cannot be read from {path}: {ex.Message}")]);
        }
        return PolicyRuleParser.Parse(text, name, options.AccountAliasMap);
    }
}

/// <summary>Start-up validation of the policy file: each error names the file and the line.</summary>
public sealed class PolicyRulesValidator : IValidateOptions<PolicyOptions>
{
    public ValidateOptionsResult Validate(string? name, PolicyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            PolicyRules.Load(options);
            return ValidateOptionsResult.Success;
        }
        catch (PolicyFileException ex)
        {
            return ValidateOptionsResult.Fail(ex.Errors.Select(e => $"Policy:RulesFile: {e}"));
        }
    }
}
