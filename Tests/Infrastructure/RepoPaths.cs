using System.Xml.Linq;

namespace SgBridge.Tests.Infrastructure;

/// <summary>Locates the repository and the Bicep CLI that <c>dotnet restore</c> put in the NuGet cache (tools/BicepCli).</summary>
internal static class RepoPaths
{
    private const string BicepPackageId = "Azure.Bicep.CommandLine.linux-x64";

    public static string Root { get; } = FindRoot();

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string ReadText(params string[] parts) => File.ReadAllText(Combine(parts));

    /// <summary>The bicep executable, made executable if the package extraction lost the bit.</summary>
    public static string BicepExecutable()
    {
        var version = XDocument.Load(Combine("Directory.Packages.props"))
            .Descendants("PackageVersion")
            .Where(e => string.Equals((string?)e.Attribute("Include"), BicepPackageId, StringComparison.OrdinalIgnoreCase))
            .Select(e => (string?)e.Attribute("Version"))
            .FirstOrDefault()
            ?? throw new InvalidOperationException($"Directory.Packages.props has no PackageVersion for {BicepPackageId}.");

        var packagesRoot = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrWhiteSpace(packagesRoot))
        {
            packagesRoot = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        }

        var path = Path.Combine(packagesRoot, BicepPackageId.ToLowerInvariant(), version, "tools", "bicep");
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"The Bicep CLI is not at {path}. Run `dotnet restore tools/BicepCli/BicepCli.csproj` (or `dotnet restore SgBridge.sln`); " +
                $"the package {BicepPackageId} {version} carries a linux-x64 binary only.");
        }

        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if (!mode.HasFlag(UnixFileMode.UserExecute))
            {
                File.SetUnixFileMode(path, mode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            }
        }

        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SgBridge.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No SgBridge.sln above {AppContext.BaseDirectory}.");
    }
}
