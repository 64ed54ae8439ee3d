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

    /// <summary>
    /// The function app's build output for the configuration and framework these tests were built with
    /// (FunctionApp/ + the same bin/&lt;config&gt;/&lt;tfm&gt;/ path the test binaries have under Tests/).
    /// </summary>
    public static string FunctionAppOutput =>
        System.IO.Path.Combine(Root.Value, "FunctionApp", System.IO.Path.GetRelativePath(System.IO.Path.Combine(Root.Value, "Tests"), AppContext.BaseDirectory));

    public static string Sample(string name) => System.IO.Path.Combine(Root.Value, "samples", name);
}
