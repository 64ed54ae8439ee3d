using System.Text.RegularExpressions;

namespace SgBridge.Tests.Infrastructure;

/// <summary>docs/deploy.md names only files and CloudFormation parameters that exist, and every template.</summary>
public sealed partial class DeployDocTests
{
    private static readonly string Doc = RepoPaths.ReadText("docs", "deploy.md");

    [Fact]
    public void DeployDoc_RepositoryPaths_Exist()
    {
        var paths = RepoPath().Matches(Doc).Select(m => m.Value).Distinct(StringComparer.Ordinal).ToList();

        Assert.NotEmpty(paths);
        Assert.All(paths, p => Assert.True(File.Exists(RepoPaths.Combine(p.Split('/'))), $"docs/deploy.md names {p}, which does not exist."));
    }

    [Fact]
    public void DeployDoc_EveryTemplateAndScript_IsDescribed()
    {
        var files = Directory.EnumerateFiles(RepoPaths.Combine("aws-bootstrap"), "*.yaml")
            .Concat(Directory.EnumerateFiles(RepoPaths.Combine("scripts"), "*.sh"))
            .Select(f => Path.GetRelativePath(RepoPaths.Root, f).Replace('\\', '/'));

        Assert.All(files, f => Assert.Contains(f, Doc, StringComparison.Ordinal));
    }

    [Fact]
    public void DeployDoc_ParameterOverrides_AreParametersOfATemplate()
    {
        var parameters = Directory.EnumerateFiles(RepoPaths.Combine("aws-bootstrap"), "*.yaml")
            .SelectMany(f => CloudFormationTemplate.Load(Path.GetRelativePath(RepoPaths.Root, f)).Parameters.Keys)
            .ToHashSet(StringComparer.Ordinal);
        var used = ParameterOverride().Matches(Doc).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal).ToList();

        Assert.Contains("pCentralEventBusArn", used);
        Assert.Contains("pOrganizationId", used);
        Assert.All(used, p => Assert.True(parameters.Contains(p), $"docs/deploy.md sets {p}, which no template in aws-bootstrap/ declares."));
    }

    [GeneratedRegex(@"(?<![\w/.-])(aws-bootstrap|scripts|bicep)/[\w./-]+\.(yaml|sh|bicep|bicepparam)\b", RegexOptions.None, 1000)]
    private static partial Regex RepoPath();

    [GeneratedRegex(@"\b(p[A-Z]\w+)=", RegexOptions.None, 1000)]
    private static partial Regex ParameterOverride();
}
