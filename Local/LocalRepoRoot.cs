namespace SgBridge.Local;

/// <summary>The repository the local host runs from: where node_modules/azurite is (package.json pins it).</summary>
internal static class LocalRepoRoot
{
    public static string Find(string? given)
    {
        if (!string.IsNullOrWhiteSpace(given))
        {
            return Path.GetFullPath(given);
        }
        string? solution = null;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (Directory.Exists(Path.Combine(dir.FullName, "node_modules", "azurite")))
                {
                    return dir.FullName;
                }
                if (solution is null && File.Exists(Path.Combine(dir.FullName, "SgBridge.sln")))
                {
                    solution = dir.FullName;
                }
            }
        }
        // Azurite's launcher then says to run `npm ci` there.
        return solution ?? Directory.GetCurrentDirectory();
    }
}
