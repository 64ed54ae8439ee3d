using SgBridge.Tests.Fakes;
using Xunit;

namespace SgBridge.Tests.Architecture;

/// <summary>
/// The layers of Shared/ as projects: Core (domain, message contracts, ports, options, the request lifecycle) ←
/// Features (intake, processing, reconcile, approvals, policy, Slack rendering and inbound) ← adapters (Azure: tables,
/// queues, blobs, Azure Monitor; Aws: EC2 and STS; SlackApi: the Slack Web API client) ← Hosting (AddSgBridge). The
/// compiler keeps project references one way; these tests keep the rest: no reference cycle anywhere, no folder cycle
/// inside a Shared project, the Azure and AWS SDKs named only in adapters, and every file inside a project.
/// </summary>
public sealed class LayerTests
{
    private static readonly string SharedRoot = Path.Combine(RepoRoot.Path, "Shared");

    /// <summary>The projects whose code may name the Azure and AWS SDKs.</summary>
    public static readonly IReadOnlySet<string> Adapters = new HashSet<string>(StringComparer.Ordinal) { "Azure", "Aws", "SlackApi" };

    /// <summary>What each Shared project may reference (and nothing else).</summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlySet<string>> Allowed = new Dictionary<string, IReadOnlySet<string>>
    {
        ["Core"] = new HashSet<string>(),
        ["Features"] = new HashSet<string> { "Core" },
        ["Azure"] = new HashSet<string> { "Core", "Features" },
        ["Aws"] = new HashSet<string> { "Core", "Features" },
        ["SlackApi"] = new HashSet<string> { "Core", "Features" },
        ["Hosting"] = new HashSet<string> { "Core", "Features", "Azure", "Aws", "SlackApi" },
    };

    [Fact]
    public void ProjectReferences_HaveNoCycle()
    {
        var references = LayerChecker.ReadProjectReferences(RepoRoot.Path);

        Assert.Contains("Shared/Core/Core.csproj", references.Keys);
        Assert.Empty(LayerChecker.Cycles(references));
    }

    [Fact]
    public void SharedProjects_ReferenceOnlyTheLayersBelow()
    {
        var references = LayerChecker.ReadProjectReferences(RepoRoot.Path);
        var shared = references.Where(r => r.Key.StartsWith("Shared/", StringComparison.Ordinal))
            .ToDictionary(r => ProjectName(r.Key), r => r.Value.Select(ProjectName).ToHashSet());

        Assert.Equal(Allowed.Keys.Order(), shared.Keys.Order());
        Assert.All(shared, p => Assert.True(p.Value.IsSubsetOf(Allowed[p.Key]),
            $"{p.Key} references {string.Join(", ", p.Value.Except(Allowed[p.Key]))}, which it may not"));
    }

    [Fact]
    public void SharedProjects_HaveNoFolderCycle()
    {
        foreach (var project in SharedProjects())
        {
            var dependencies = LayerChecker.FolderDependencies(SourcesOf(project));
            var cycles = LayerChecker.Cycles(LayerChecker.Graph(dependencies));

            Assert.True(cycles.Count == 0, $"Folder cycle in Shared/{project}: " + string.Join("; ", cycles.Select(c =>
                string.Join(" ", dependencies.Where(d => c.Contains(d.From) && c.Contains(d.To))
                    .Select(d => $"{d.From}→{d.To} [{string.Join(", ", d.Because.Take(4))}]")))));
        }
    }

    [Fact]
    public void SdkNamespaces_AppearOnlyInAdapterProjects()
    {
        var mentions = SharedProjects().Where(p => !Adapters.Contains(p))
            .SelectMany(p => SourcesOf(p).Select(f => (File: $"{p}/{f.Path}", Sdk: LayerChecker.SdkMentions(f.Text))))
            .Where(f => f.Sdk.Count > 0)
            .ToDictionary(f => f.File, f => f.Sdk);

        Assert.True(mentions.Count == 0, string.Join("; ", mentions.Select(m => $"{m.Key} names {string.Join(", ", m.Value)} outside an adapter project")));
    }

    [Fact]
    public void OnlyAdapterProjects_ReferenceAnSdkPackage()
    {
        // The compiler then refuses an SDK type outside an adapter, whatever the text scan above might miss.
        foreach (var project in SharedProjects().Where(p => !Adapters.Contains(p) && p != "Hosting"))
        {
            var csproj = System.Xml.Linq.XDocument.Load(Path.Combine(SharedRoot, project, project + ".csproj"));
            var packages = csproj.Descendants("PackageReference").Select(p => (string)p.Attribute("Include")!).ToList();

            Assert.DoesNotContain(packages, p => p.StartsWith("Azure.", StringComparison.Ordinal) || p.StartsWith("AWSSDK.", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void EverySharedSourceFile_IsInsideAProject()
    {
        // A file merged into a folder that no project holds any more would silently not be compiled.
        var projects = SharedProjects().Select(p => Path.Combine(SharedRoot, p) + Path.DirectorySeparatorChar).ToList();
        var stray = Directory.EnumerateFiles(SharedRoot, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(f) && !projects.Any(p => f.StartsWith(p, StringComparison.Ordinal)))
            .Select(f => Path.GetRelativePath(SharedRoot, f))
            .ToList();

        Assert.Empty(stray);
    }

    [Fact]
    public void QueueMessages_AreDeclaredTogetherInCore()
    {
        var messages = SourcesOf("Core").Where(f => f.Folder == "Messages")
            .SelectMany(f => LayerChecker.TopLevelTypes(LayerChecker.StripCommentsAndStrings(f.Text)))
            .ToHashSet();
        var elsewhere = SharedProjects()
            .SelectMany(p => SourcesOf(p).Where(f => !(p == "Core" && f.Folder == "Messages")).Select(f => (File: $"{p}/{f.Path}", f.Text)))
            .Where(f => LayerChecker.TopLevelTypes(LayerChecker.StripCommentsAndStrings(f.Text)).Any(t => t.EndsWith("Command", StringComparison.Ordinal) && t.StartsWith("Reconcile", StringComparison.Ordinal)))
            .Select(f => f.File);

        Assert.Contains("EffectsMessage", messages);
        Assert.Contains("ReconcileMessage", messages);
        Assert.Contains("SettleGroup", messages);
        Assert.Empty(elsewhere);
    }

    private static IEnumerable<string> SharedProjects() =>
        Directory.EnumerateFiles(SharedRoot, "*.csproj", SearchOption.AllDirectories)
            .Where(p => !IsBuildOutput(p))
            .Select(p => Path.GetFileName(Path.GetDirectoryName(p))!)
            .Order(StringComparer.Ordinal);

    private static List<SourceFile> SourcesOf(string project)
    {
        var dir = Path.Combine(SharedRoot, project);
        return [.. Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(f))
            .Select(f =>
            {
                var relative = Path.GetRelativePath(dir, f).Replace('\\', '/');
                var slash = relative.IndexOf('/', StringComparison.Ordinal);
                return new SourceFile(slash < 0 ? "." : relative[..slash], relative, File.ReadAllText(f));
            })];
    }

    private static bool IsBuildOutput(string path) =>
        path.Split(Path.DirectorySeparatorChar).Any(s => s is "obj" or "bin");

    private static string ProjectName(string csproj) => Path.GetFileNameWithoutExtension(csproj);
}
