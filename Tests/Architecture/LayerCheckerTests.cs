using Xunit;

namespace SgBridge.Tests.Architecture;

/// <summary>The checker behind <see cref="LayerTests"/> on small synthetic inputs: each check finds the bad case it exists for.</summary>
public sealed class LayerCheckerTests
{
    [Fact]
    public void Cycles_FindsAReferenceCycle_AndNoneInALayeredGraph()
    {
        var cyclic = new Dictionary<string, IReadOnlyList<string>>
        {
            ["Core"] = [],
            ["Features"] = ["Core", "Azure"],
            ["Azure"] = ["Core", "Features"],
            ["Hosting"] = ["Azure"],
        };
        var layered = new Dictionary<string, IReadOnlyList<string>>
        {
            ["Core"] = [],
            ["Features"] = ["Core"],
            ["Azure"] = ["Core", "Features"],
            ["Hosting"] = ["Azure", "Features"],
        };

        Assert.Equal([["Azure", "Features"]], LayerChecker.Cycles(cyclic));
        Assert.Empty(LayerChecker.Cycles(layered));
    }

    [Fact]
    public void Cycles_FindsANodeThatReferencesItself()
    {
        Assert.Equal([["A"]], LayerChecker.Cycles(new Dictionary<string, IReadOnlyList<string>> { ["A"] = ["A"] }));
    }

    [Fact]
    public void ReadProjectReferences_ReadsTheCsprojFiles_SoACycleOnDiskIsFound()
    {
        var root = Directory.CreateTempSubdirectory("layers-");
        try
        {
            Project(root.FullName, "A", "B");
            Project(root.FullName, "B", "A");
            Project(root.FullName, "C", "A");

            var references = LayerChecker.ReadProjectReferences(root.FullName);

            Assert.Equal(["B/B.csproj"], references["A/A.csproj"]);
            Assert.Equal([["A/A.csproj", "B/B.csproj"]], LayerChecker.Cycles(references));
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public void FolderDependencies_FindAFolderCycle_WithTheTypesThatMakeIt()
    {
        var files = new List<SourceFile>
        {
            new("Slack", "Slack/Handler.cs", "namespace X.Slack;\npublic sealed class Handler(DecisionService decisions) { }"),
            new("Approvals", "Approvals/DecisionService.cs", "namespace X.Approvals;\npublic sealed class DecisionService { private readonly Handler? _h; }"),
            new("Domain", "Domain/Request.cs", "namespace X.Domain;\npublic sealed record Request(string Id);"),
        };

        var dependencies = LayerChecker.FolderDependencies(files);
        var cycles = LayerChecker.Cycles(LayerChecker.Graph(dependencies));

        Assert.Equal([["Approvals", "Slack"]], cycles);
        Assert.Contains(dependencies, d => d is { From: "Slack", To: "Approvals" } && d.Because.Contains("DecisionService (Handler.cs)"));
    }

    [Fact]
    public void FolderDependencies_IgnoreCommentsStringsNestedTypesAndMemberAccess()
    {
        var files = new List<SourceFile>
        {
            new("Slack", "Slack/Text.cs", """
                namespace X.Slack;
                /// <summary>Not a dependency: <see cref="DecisionService"/>.</summary>
                public static class Text
                {
                    public const string Name = "DecisionService";
                    public static string Of(object o) => o is Outer ? Outer.Inner.ToString() : "";
                    // DecisionService in a comment
                }
                """),
            new("Approvals", "Approvals/DecisionService.cs", """
                namespace X.Approvals;
                public sealed class DecisionService { public sealed class Inner { } }
                """),
            new("Domain", "Domain/Outer.cs", "namespace X.Domain;\npublic sealed class Outer { public sealed class Inner { } }\n"),
        };

        var dependencies = LayerChecker.FolderDependencies(files);

        Assert.Equal([("Slack", "Domain")], dependencies.Select(d => (d.From, d.To)));
    }

    [Fact]
    public void FolderDependencies_CountBlockScopedNamespacesToo()
    {
        var files = new List<SourceFile>
        {
            new("A", "A/One.cs", "namespace X.A\n{\n    public class One { Two? t; }\n}\n"),
            new("B", "B/Two.cs", "namespace X.B\n{\n    public class Two { One? o; }\n}\n"),
        };

        Assert.Equal([["A", "B"]], LayerChecker.Cycles(LayerChecker.Graph(LayerChecker.FolderDependencies(files))));
    }

    [Theory]
    [InlineData("using Azure.Data.Tables;\nclass C { }", "using Azure.")]
    [InlineData("using Azure;\nclass C { }", "using Azure;")]
    [InlineData("class C { void M(Exception e) { if (e is Amazon.Runtime.AmazonServiceException) { } } }", "Amazon.Runtime")]
    [InlineData("class C { global::Azure.Core.TokenCredential? c; }", "global::Azure.Core")]
    public void SdkMentions_FindTheSdkInCode(string code, string expected)
    {
        Assert.Contains(expected, Assert.Single(LayerChecker.SdkMentions(code)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("// Azure.Core retries 3 times\nclass C { }")]
    [InlineData("/// <summary>Like <c>Amazon.RegionEndpoint</c>.</summary>\nclass C { }")]
    [InlineData("class C { const string S = \"Azure.*\"; }")]
    [InlineData("class C { int AzureCount; string MyAzure = nameof(AzureCount); }")]
    public void SdkMentions_IgnoreCommentsStringsAndLookalikes(string code)
    {
        Assert.Empty(LayerChecker.SdkMentions(code));
    }

    private static void Project(string root, string name, params string[] references)
    {
        Directory.CreateDirectory(Path.Combine(root, name));
        File.WriteAllText(Path.Combine(root, name, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <ItemGroup>
            {string.Concat(references.Select(r => $"    <ProjectReference Include=\"..\\{r}\\{r}.csproj\" />\n"))}  </ItemGroup>
            </Project>
            """);
    }
}
