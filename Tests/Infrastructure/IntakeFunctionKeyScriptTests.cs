using System.Diagnostics;
using SgBridge.FunctionApp.Functions;

namespace SgBridge.Tests.Infrastructure;

/// <summary>
/// scripts/intake-function-key.sh run for real with bash, against a stand-in `az` on PATH that records its arguments:
/// keys are created on the intake function only, the value alone reaches stdout, and rotation names do not collide.
/// </summary>
public sealed class IntakeFunctionKeyScriptTests : IDisposable
{
    private const string Script = "scripts/intake-function-key.sh";

    private readonly string _directory = Directory.CreateTempSubdirectory("sgbridge-az-").FullName;

    public IntakeFunctionKeyScriptTests()
    {
        var az = Path.Combine(_directory, "az");
        File.WriteAllText(az, """
            #!/usr/bin/env bash
            printf '%s\n' "$*" >> "$(dirname "$0")/calls"
            case "$*" in
              *"keys set"*) echo "generated-key-value-0123456789" ;;
              *"keys list"*) printf 'eventbridge-1\neventbridge-2\n' ;;
            esac
            """.ReplaceLineEndings("\n"));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(az, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public async Task Create_WithoutName_SetsAKeyOnTheIntakeFunctionAndPrintsOnlyItsValue()
    {
        var result = await RunAsync("create");

        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal("generated-key-value-0123456789\n", result.StandardOutput);
        var call = Assert.Single(Calls());
        Assert.StartsWith("functionapp function keys set --resource-group rg-test --name func-test ", call, StringComparison.Ordinal);
        Assert.Contains($"--function-name {nameof(ReceiveAwsEvent)} ", call, StringComparison.Ordinal);
        Assert.Matches(@"--key-name eventbridge-[0-9]{14} ", call);
        Assert.DoesNotContain("--key-value", call, StringComparison.Ordinal);
        Assert.DoesNotContain("host", call, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_WithName_DeletesThatKeyOfTheIntakeFunction()
    {
        var result = await RunAsync("delete", "eventbridge-20260101000000");

        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Equal(
            [$"functionapp function keys delete --resource-group rg-test --name func-test --function-name {nameof(ReceiveAwsEvent)} --key-name eventbridge-20260101000000"],
            Calls());
    }

    [Fact]
    public async Task List_PrintsKeyNamesOnly()
    {
        var result = await RunAsync("list");

        Assert.True(result.ExitCode == 0, result.StandardError);
        Assert.Contains("--query keys(@)", Assert.Single(Calls()), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("delete")]
    [InlineData("rotate")]
    public async Task Run_WithoutAValidCommand_FailsWithoutCallingAz(string command)
    {
        var result = await RunAsync(command);

        Assert.Equal(2, result.ExitCode);
        Assert.Empty(Calls());
    }

    [Fact]
    public async Task Create_WithoutTheAppName_FailsWithoutCallingAz()
    {
        var result = await RunAsync(new Dictionary<string, string?> { ["AZURE_FUNCTION_APP_NAME"] = null }, "create");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("AZURE_FUNCTION_APP_NAME", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(Calls());
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private List<string> Calls()
    {
        var path = Path.Combine(_directory, "calls");
        return File.Exists(path) ? File.ReadAllLines(path).ToList() : [];
    }

    private Task<ScriptResult> RunAsync(params string[] arguments) => RunAsync(new Dictionary<string, string?>(), arguments);

    private async Task<ScriptResult> RunAsync(Dictionary<string, string?> overrides, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = RepoPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PATH"] = $"{_directory}:{Environment.GetEnvironmentVariable("PATH")}";
        start.Environment["AZURE_RESOURCE_GROUP"] = "rg-test";
        start.Environment["AZURE_FUNCTION_APP_NAME"] = "func-test";
        foreach (var (name, value) in overrides)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return new ScriptResult(process.ExitCode, await stdout, await stderr);
    }
}

internal sealed record ScriptResult(int ExitCode, string StandardOutput, string StandardError);
