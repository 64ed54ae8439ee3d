namespace SgBridge.Tests.Fakes;

/// <summary>The repository root: the nearest folder above the test binaries that holds SgBridge.sln.</summary>
public static class RepoRoot
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "SgBridge.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"SgBridge.sln not found above {AppContext.BaseDirectory}.");
    });

    public static string Path => Root.Value;

    public static string Sample(string name) => System.IO.Path.Combine(Root.Value, "samples", name);
}
