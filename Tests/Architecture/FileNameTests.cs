using SgBridge.Tests.Fakes;
using Xunit;

namespace SgBridge.Tests.Architecture;

/// <summary>
/// Files are named after their type: every source file in Shared/ is <c>Name.cs</c>, or <c>Name.Part.cs</c> for a part
/// of a partial type, where <c>Name</c> is a type the file declares at namespace level (it may also hold that type's
/// small companions: its records, enums, exceptions); or a family of small types is named as their plural
/// (<c>EffectPerformers.cs</c> holds <c>RenderPerformer</c>, <c>ApplyPerformer</c>, …: two or more types ending in the
/// singular of its last word). A reader looking for a type finds its file by its name.
/// </summary>
public sealed class FileNameTests
{
    [Fact]
    public void EverySharedFile_IsNamedAfterATypeItDeclares()
    {
        var root = Path.Combine(RepoRoot.Path, "Shared");
        var misnamed = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(s => s is "obj" or "bin"))
            .Select(f => (File: Path.GetRelativePath(root, f), Types: LayerChecker.TopLevelTypes(LayerChecker.StripCommentsAndStrings(File.ReadAllText(f))).ToList()))
            .Where(f => f.Types.Count > 0 && !IsNamedAfter(TypeNameOf(f.File), f.Types))
            .Select(f => $"{f.File} (declares {string.Join(", ", f.Types)})")
            .ToList();

        Assert.True(misnamed.Count == 0, "Files not named after a type they declare: " + string.Join("; ", misnamed));
    }

    [Theory]
    [InlineData("Core/Domain/ChangeRequest.cs", "ChangeRequest")]
    [InlineData("Core/Domain/ChangeRequest.Effects.cs", "ChangeRequest")]
    [InlineData("Features/Processing/EffectsWorker.cs", "EffectsWorker")]
    public void TypeNameOf_IsTheFileNameUpToItsFirstDot(string file, string expected) =>
        Assert.Equal(expected, TypeNameOf(file));

    [Theory]
    [InlineData("EffectPerformers", new[] { "RenderPerformer", "ApplyPerformer" }, true)]
    [InlineData("EffectPerformers", new[] { "RenderPerformer" }, false)]
    [InlineData("Interfaces", new[] { "IRequestStore", "IQueueSender" }, false)]
    [InlineData("Routing", new[] { "ApprovalRoute", "ApprovalRouter" }, false)]
    [InlineData("SweepService", new[] { "SweepService", "SweepReport" }, true)]
    public void IsNamedAfter_ATypeOrAFamilyOfTypes(string name, string[] types, bool expected) =>
        Assert.Equal(expected, IsNamedAfter(name, types));

    private static bool IsNamedAfter(string name, IReadOnlyCollection<string> types)
    {
        if (types.Contains(name, StringComparer.Ordinal))
        {
            return true;
        }
        var lastWord = System.Text.RegularExpressions.Regex.Match(name, "[A-Z][a-z0-9]*s$").Value;
        return lastWord.Length > 1 && types.Count(t => t.EndsWith(lastWord[..^1], StringComparison.Ordinal)) >= 2;
    }

    private static string TypeNameOf(string file) => Path.GetFileName(file).Split('.')[0];
}
