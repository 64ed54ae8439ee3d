using System.Diagnostics;

namespace SgBridge.Tests.Infrastructure;

/// <summary>
/// Every template in aws-bootstrap/ passes cfn-lint (the version pinned in requirements-dev.txt; test.sh installs it).
/// Errors and warnings both fail: the templates are clean today, and a warning worth accepting is suppressed in the
/// template itself (Metadata cfn-lint config ignore_checks, with a comment saying why), where a reviewer sees it.
/// Informational findings (exit bit 8) do not fail. Without python3 or cfn-lint the tests skip with a message.
/// </summary>
public sealed class CfnLintTests
{
    public static TheoryData<string> Templates()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(RepoPaths.Combine("aws-bootstrap"), "*.yaml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(RepoPaths.Root, file).Replace('\\', '/'));
        }

        return data;
    }

    [CfnLintFact]
    public void CfnLint_InstalledVersion_IsThePinnedOne()
    {
        Assert.True(
            CfnLint.InstalledVersion == CfnLint.PinnedVersion,
            $"cfn-lint {CfnLint.InstalledVersion} is installed, requirements-dev.txt pins {CfnLint.PinnedVersion}: run `python3 -m pip install -r requirements-dev.txt` (test.sh does).");
    }

    [CfnLintTheory]
    [MemberData(nameof(Templates))]
    public async Task CfnLint_Template_ReportsNoErrorOrWarning(string file)
    {
        var result = await CfnLint.RunAsync(file);

        Assert.True((result.ExitCode & CfnLint.FailingBits) == 0, $"cfn-lint {file}: exit {result.ExitCode}\n{result.Output}");
    }

    [CfnLintTheory]
    [MemberData(nameof(Templates))]
    public async Task CfnLint_StatefulResources_SayWhatHappensToThemOnDeleteAndReplace(string file)
    {
        // I3011 (informational, so not in the run above): a stateful resource (the dead-letter queue holds undelivered
        // changes) without DeletionPolicy/UpdateReplacePolicy is deleted with its stack.
        var result = await CfnLint.RunAsync(file, "--include-checks", "I3011");

        Assert.DoesNotContain("I3011", result.Output, StringComparison.Ordinal);
    }

    [CfnLintFact]
    public async Task CfnLint_TemplateWithAnUnknownProperty_Fails()
    {
        // The harness must see a finding: an unknown property is error E3002.
        var path = Path.Combine(Path.GetTempPath(), $"sgbridge-cfnlint-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(path, "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  rQueue:\n    Type: AWS::SQS::Queue\n    Properties:\n      NotAProperty: 1\n");
        try
        {
            var result = await CfnLint.RunAsync(path);

            Assert.NotEqual(0, result.ExitCode & CfnLint.FailingBits);
            Assert.Contains("E3002", result.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}

internal sealed record CfnLintResult(int ExitCode, string Output);

/// <summary>Runs cfn-lint through python3 (its console entry point), so a pip install without PATH changes works.</summary>
internal static class CfnLint
{
    /// <summary>cfn-lint exit code bits: 1 crash or usage error, 2 error, 4 warning, 8 informational.</summary>
    public const int FailingBits = 1 | 2 | 4;

    private const string EntryPoint =
        "import sys; from importlib.metadata import entry_points; (ep,) = entry_points(group='console_scripts', name='cfn-lint'); sys.exit(ep.load()())";

    private static readonly Lazy<string?> Version = new(() =>
    {
        var result = Run(["-c", "import importlib.metadata as m; print(m.version('cfn-lint'))"], TimeSpan.FromSeconds(30));
        return result is { ExitCode: 0 } ? result.Output.Trim() : null;
    });

    public static string? InstalledVersion => Version.Value;

    public static string PinnedVersion { get; } = File.ReadLines(RepoPaths.Combine("requirements-dev.txt"))
        .Select(l => l.Trim())
        .Single(l => l.StartsWith("cfn-lint==", StringComparison.Ordinal))["cfn-lint==".Length..];

    public static string? NotAvailableMessage => InstalledVersion is null
        ? "cfn-lint is not installed for python3 (or python3 is missing): run ./test.sh or `python3 -m pip install -r requirements-dev.txt`."
        : null;

    public static Task<CfnLintResult> RunAsync(string file, params string[] options) =>
        Task.Run(() => Run(["-c", EntryPoint, "--format", "parseable", .. options, "--", file], TimeSpan.FromMinutes(2))
            ?? throw new InvalidOperationException("python3 did not start."));

    private static CfnLintResult? Run(IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("python3")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process? process;
        try
        {
            process = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no python3
        }

        using (process)
        {
            if (process is null)
            {
                return null;
            }

            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"python3 {string.Join(' ', arguments)} did not finish within {timeout}.");
            }

            return new CfnLintResult(process.ExitCode, stdout.Result + stderr.Result);
        }
    }
}

/// <summary>A fact skipped with an install hint when cfn-lint is not installed.</summary>
public sealed class CfnLintFactAttribute : FactAttribute
{
    public CfnLintFactAttribute()
    {
        if (CfnLint.NotAvailableMessage is { } message)
        {
            Skip = message;
        }
    }
}

/// <summary>A theory skipped with an install hint when cfn-lint is not installed.</summary>
public sealed class CfnLintTheoryAttribute : TheoryAttribute
{
    public CfnLintTheoryAttribute()
    {
        if (CfnLint.NotAvailableMessage is { } message)
        {
            Skip = message;
        }
    }
}
