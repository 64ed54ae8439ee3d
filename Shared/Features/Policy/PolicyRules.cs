using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Policy;

/// <summary>The policy named by <see cref="PolicyOptions.RulesFile"/>: start-up validation loads it into <see cref="PolicyRulesCache"/>,
/// so a bad policy stops the app before any event and a blob is read once.</summary>
public sealed class PolicyRules(IOptions<PolicyOptions> options, PolicyRulesCache cache, IPolicyBlobReader blobs)
{
    private readonly Lazy<PolicyRuleSet> _rules = new(() => cache.GetOrLoad(options.Value, blobs));

    public bool Configured => !string.IsNullOrWhiteSpace(options.Value.RulesFile);

    public PolicyRuleSet Current => _rules.Value;

    public IReadOnlyDictionary<string, string> AccountAliases { get; } = options.Value.AccountAliasMap;

    /// <summary>Reads and parses the configured file or blob; empty when none is configured.</summary>
    public static PolicyRuleSet Load(PolicyOptions options, IPolicyBlobReader blobs)
    {
        var setting = options.RulesFile?.Trim() ?? "";
        if (setting.Length == 0)
        {
            return PolicyRuleSet.Empty;
        }
        if (setting.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || setting.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            var (blobText, source) = blobs.Read(setting, CancellationToken.None);
            return PolicyRuleParser.Parse(blobText, source, options.AccountAliasMap);
        }
        var name = Path.GetFileName(setting);
        var extension = Path.GetExtension(setting).ToLowerInvariant();
        if (extension is not (".yaml" or ".yml" or ".json"))
        {
            throw new PolicyFileException([new PolicyError(name, 0, "Policy:RulesFile must end in .yaml, .yml or .json (the extension says how to read it)")]);
        }
        var path = Path.IsPathRooted(setting) ? setting : Path.Combine(AppContext.BaseDirectory, setting);
        try
        {
            return PolicyRuleParser.Parse(File.ReadAllText(path), name, options.AccountAliasMap);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PolicyFileException([new PolicyError(name, 0, $"Policy:RulesFile cannot be read from {path}: {ex.Message}")]);
        }
    }
}

/// <summary>The policy as start-up validation loaded it, keyed by its settings; only a successful load is kept.</summary>
public sealed class PolicyRulesCache
{
    private readonly Lock _gate = new();
    private ((string, string) Key, PolicyRuleSet Rules)? _loaded;

    public PolicyRuleSet GetOrLoad(PolicyOptions options, IPolicyBlobReader blobs)
    {
        var key = (options.RulesFile?.Trim() ?? "", options.AccountAliases ?? "");
        lock (_gate)
        {
            if (_loaded is not { } loaded || loaded.Key != key)
            {
                _loaded = loaded = (key, PolicyRules.Load(options, blobs));
            }
            return loaded.Rules;
        }
    }
}

/// <summary>Start-up validation of the policy file or blob: each error names the file (or blob) and the line.</summary>
public sealed class PolicyRulesValidator(PolicyRulesCache cache, IPolicyBlobReader blobs) : IValidateOptions<PolicyOptions>
{
    public ValidateOptionsResult Validate(string? name, PolicyOptions options)
    {
        try
        {
            cache.GetOrLoad(options, blobs);
            return ValidateOptionsResult.Success;
        }
        catch (PolicyFileException ex)
        {
            return ValidateOptionsResult.Fail(ex.Errors.Select(e => $"Policy:RulesFile: {e}"));
        }
    }
}
