using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SgBridge.Cli;
using SgBridge.Emulators;
using SgBridge.Shared.Aws;
using SgBridge.Tests.Aws;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Cli;

/// <summary>
/// Every verb against what goes wrong in the field: unreachable storage, a connection string that is not one, a
/// misspelled table, a missing role and refused credentials (FleetCommandTests, with the fleet), malformed input
/// files and a bogus region. For each: the documented exit code, no line that looks like a stack frame, a one-line
/// error that names what failed and the fix, and an answer within the bound.
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class CliFailureModeTests(AzuriteFixture azurite)
{
    /// <summary>Storage bound: <see cref="CliStorage.Tries"/> tries of a refused connection, with room for a loaded machine.</summary>
    private static readonly TimeSpan StorageBound = TimeSpan.FromSeconds(20);

    private static readonly TimeSpan InstantBound = TimeSpan.FromSeconds(10);

    private readonly CliRunner _cli = new() { ConfigureServices = s => s.AddSingleton<IWebIdentityTokenSource>(new StaticTokenSource()) };

    /// <summary>A storage account nobody listens for: Azurite's well-known key on a port that refuses connections.</summary>
    private static string UnreachableStorage()
    {
        var port = ChildProcess.FreePort();
        return "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
               $"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{port}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1;";
    }

    private void Settings(string connectionString)
    {
        var e = _cli.Environment;
        e["Storage__ConnectionString"] = connectionString;
        e["Storage__RequestsTable"] = azurite.UniqueTableName("failreq");
        e["Storage__GroupsTable"] = azurite.UniqueTableName("failgrp");
        e["Policy__AllowedAccounts"] = "111111111111";
        e["Aws__RoleArnPattern"] = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole";
        e["Aws__WebIdentityAudience"] = "api://sgbridge-aws";
        e["Aws__StsEndpoint"] = $"http://127.0.0.1:{ChildProcess.FreePort()}";
        e["Aws__Ec2Endpoint"] = $"http://127.0.0.1:{ChildProcess.FreePort()}";
        e["Reconcile__Regions"] = "eu-west-1";
    }

    private async Task<(int Exit, string Out, string Err)> RunAsync(TimeSpan bound, params string[] args)
    {
        var watch = Stopwatch.StartNew();
        var result = await _cli.RunAsync(args);
        watch.Stop();
        var all = result.Out + result.Err;
        Assert.True(watch.Elapsed < bound, $"sgbridge {string.Join(' ', args)} took {watch.Elapsed.TotalSeconds:0.0} s (bound {bound.TotalSeconds} s)\n{all}");
        Assert.DoesNotContain(all.Split('\n'), CliErrors.LooksLikeStackFrame);
        Assert.DoesNotContain("Exception", all, StringComparison.Ordinal);
        return result;
    }

    /// <summary>The first line of stderr: "sgbridge VERB: what failed. Fix: what to do".</summary>
    private static void AssertOneLineError(string error, string verb, string what)
    {
        var first = error.Split('\n')[0];
        Assert.StartsWith($"sgbridge {verb}: ", first, StringComparison.Ordinal);
        Assert.Contains(what, first, StringComparison.Ordinal);
        Assert.Contains(" Fix: ", first, StringComparison.Ordinal);
    }

    public static TheoryData<string[], int> StorageVerbs() => new()
    {
        { ["requests", "list"], ExitCodes.CannotRun },
        { ["requests", "show", "SG-ABCDEF12"], ExitCodes.CannotRun },
        { ["export", "--since", "7d"], ExitCodes.CannotRun },
        { ["redrive", "--dry-run"], ExitCodes.CannotRun },
        { ["redrive"], ExitCodes.CannotRun },
        { ["requests", "approve", "SG-ABCDEF12", "--for", "8h", "--reason", "r"], ExitCodes.CannotRun },
        { ["requests", "deny", "SG-ABCDEF12", "--reason", "r"], ExitCodes.CannotRun },
        { ["access", "list"], ExitCodes.CannotRun },
        { ["groups", "show", "--account", "111111111111", "--region", "eu-west-1", "--group", "sg-0123456789abcdef0"], ExitCodes.CannotRun },
        { ["groups", "diff", "--account", "111111111111", "--region", "eu-west-1", "--group", "sg-0123456789abcdef0"], ExitCodes.CannotRun },
    };

    [Theory]
    [MemberData(nameof(StorageVerbs))]
    public async Task UnreachableStorage_IsOneLineNamingStorage_WithinTheBound(string[] args, int expected)
    {
        Settings(UnreachableStorage());

        var (exit, output, error) = await RunAsync(StorageBound, args);

        Assert.True(exit == expected, output + error);
        Assert.Contains(error.Split('\n'), l => l.StartsWith($"sgbridge {string.Join(' ', args.TakeWhile(a => !a.StartsWith('-') && !a.StartsWith("SG-", StringComparison.Ordinal)))}: Azure Storage cannot be reached", StringComparison.Ordinal)
            && l.Contains("Fix: check Storage__ConnectionString", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnreachableStorage_Json_PrintsTheErrorDocument()
    {
        Settings(UnreachableStorage());

        var (exit, output, _) = await RunAsync(StorageBound, "requests", "list", "--json");

        Assert.Equal(ExitCodes.CannotRun, exit);
        var doc = JsonDocument.Parse(output).RootElement;
        Assert.Equal("sgbridge/v1", doc.GetProperty("schema").GetString());
        Assert.Equal("requests list", doc.GetProperty("verb").GetString());
        Assert.False(doc.GetProperty("ok").GetBoolean());
        Assert.Equal(3, doc.GetProperty("exit").GetInt32());
        Assert.Equal("storage", doc.GetProperty("error").GetProperty("kind").GetString());
        Assert.StartsWith("check Storage__ConnectionString", doc.GetProperty("error").GetProperty("fix").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreachableStorage_Verbose_AddsTheException()
    {
        Settings(UnreachableStorage());

        var (exit, _, error) = await _cli.RunAsync("requests", "list", "--verbose");

        Assert.Equal(ExitCodes.CannotRun, exit);
        Assert.StartsWith("sgbridge requests list: Azure Storage cannot be reached", error, StringComparison.Ordinal);
        Assert.Contains(error.Split('\n'), CliErrors.LooksLikeStackFrame);
    }

    [Fact]
    public async Task UnreachableStorage_Doctor_FailsTheStorageChecks_AndGoesOn()
    {
        Settings(UnreachableStorage());

        var (exit, output, error) = await RunAsync(TimeSpan.FromSeconds(90), "doctor");

        Assert.True(exit == ExitCodes.Failed, output + error);
        Assert.Contains(output.Split('\n'), l => l.StartsWith("✗ storage table ", StringComparison.Ordinal) && l.Contains("cannot reach it", StringComparison.Ordinal));
        Assert.Contains(output.Split('\n'), l => l.StartsWith("✗ sts account 111111111111", StringComparison.Ordinal));
    }

    public static TheoryData<string[], int> ConnectionStringVerbs() => new()
    {
        { ["requests", "list"], ExitCodes.CannotRun },
        { ["export", "--since", "7d"], ExitCodes.CannotRun },
        { ["redrive", "--dry-run"], ExitCodes.CannotRun },
        { ["baseline", "--dry-run", "--account", "111111111111", "--region", "eu-west-1"], ExitCodes.CannotRun },
        { ["reconcile", "--account", "111111111111", "--region", "eu-west-1"], ExitCodes.CannotRun },
        { ["requests", "approve", "SG-ABCDEF12", "--reason", "r"], ExitCodes.CannotRun },
        { ["access", "list"], ExitCodes.CannotRun },
        { ["groups", "diff", "--account", "111111111111", "--region", "eu-west-1", "--group", "sg-0123456789abcdef0"], ExitCodes.CannotRun },
    };

    [Theory]
    [MemberData(nameof(ConnectionStringVerbs))]
    public async Task ConnectionStringThatIsNotOne_IsASettingsError(string[] args, int expected)
    {
        Settings("foo");

        var (exit, output, error) = await RunAsync(InstantBound, args);

        Assert.True(exit == expected, output + error);
        Assert.Contains("Storage__ConnectionString is not a storage connection string", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectionStringThatIsNotOne_Doctor_FailsStorageAccess_WithTheFix()
    {
        Settings("foo");

        var (exit, output, error) = await RunAsync(TimeSpan.FromSeconds(60), "doctor");

        Assert.True(exit == ExitCodes.Failed, output + error);
        Assert.Contains("✗ storage access: Storage__ConnectionString is not a storage connection string", output, StringComparison.Ordinal);
        Assert.Contains("    fix: copy it from the storage account's Access keys", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MisspelledTable_IsAnError_NotAnEmptyList()
    {
        Settings(azurite.ConnectionString);
        _cli.Environment["Storage__RequestsTable"] = "sgbridgerequestz";

        var (exit, output, error) = await RunAsync(InstantBound, "export", "--since", "7d");

        Assert.Equal(ExitCodes.CannotRun, exit);
        Assert.Equal("", output);
        AssertOneLineError(error, "export", "the table 'sgbridgerequestz' (Storage__RequestsTable) does not exist");
    }

    public static TheoryData<string[], string> BogusRegions() => new()
    {
        { ["baseline", "--region", "eu-wst-1", "--account", "111111111111"], "--region: 'eu-wst-1' is not an AWS region (did you mean eu-west-1?)." },
        { ["reconcile", "--region", "eu-west-1", "--region", "bogus-1"], "--region: 'bogus-1' is not an AWS region" },
        { ["reconcile", "--dry-run", "--region", "eu-west-1,us-esat-1"], "--region: 'us-esat-1' is not an AWS region (did you mean us-east-1?)." },
        { ["doctor", "--region", "eu-wst-1"], "--region: 'eu-wst-1' is not an AWS region (did you mean eu-west-1?)." },
    };

    [Theory]
    [MemberData(nameof(BogusRegions))]
    public async Task BogusRegion_IsAUsageError_BeforeAnythingRuns(string[] args, string expected)
    {
        Settings(UnreachableStorage());

        var (exit, output, error) = await RunAsync(InstantBound, args);

        Assert.True(exit == ExitCodes.Usage, output + error);
        Assert.Equal("", output);
        Assert.StartsWith($"sgbridge {args[0]}: {expected}", error, StringComparison.Ordinal);
        Assert.Contains($"See: sgbridge {args[0]} --help", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BogusRegionOrGroup_GroupsVerbs_AreUsageErrors_BeforeAnythingRuns()
    {
        Settings(UnreachableStorage());

        var (exit, output, error) = await RunAsync(InstantBound, "groups", "show", "--account", "111111111111", "--region", "eu-wst-1", "--group", "sg-0123456789abcdef0");
        Assert.True(exit == ExitCodes.Usage, output + error);
        Assert.StartsWith("sgbridge groups show: --region: 'eu-wst-1' is not an AWS region (did you mean eu-west-1?).", error, StringComparison.Ordinal);
        Assert.Contains("See: sgbridge groups show --help", error, StringComparison.Ordinal);

        var (badGroup, _, groupError) = await RunAsync(InstantBound, "groups", "diff", "--account", "111111111111", "--region", "eu-west-1", "--group", "web-servers");
        Assert.Equal(ExitCodes.Usage, badGroup);
        Assert.StartsWith("sgbridge groups diff: --group: 'web-servers' is not a security group id (sg-…).", groupError, StringComparison.Ordinal);
    }

    /// <summary>AWS unreachable (a refused STS endpoint), storage fine: `groups show` is one line with the endpoint fix, within the bound.</summary>
    [Fact]
    public async Task UnreachableAws_GroupsShow_IsOneLineNamingAws()
    {
        Settings(azurite.ConnectionString);

        var (exit, output, error) = await RunAsync(StorageBound, "groups", "show", "--account", "111111111111", "--region", "eu-west-1", "--group", "sg-0123456789abcdef0");

        Assert.True(exit == ExitCodes.CannotRun, output + error);
        Assert.Equal("", output);
        AssertOneLineError(error, "groups show", "cannot reach");
    }

    /// <summary>Azurite with a key that is not the account's: storage refuses (403), one line naming the key or the roles.</summary>
    [Theory]
    [InlineData("requests", "approve", "SG-ABCDEF12", "--reason", "r")]
    [InlineData("access", "list")]
    public async Task WrongStorageKey_NewVerbs_AreOneLineNamingTheRefusal(params string[] args)
    {
        var wrongKey = Convert.ToBase64String(new byte[64]);
        Settings(System.Text.RegularExpressions.Regex.Replace(azurite.ConnectionString, "AccountKey=[^;]+", "AccountKey=" + wrongKey));

        var (exit, output, error) = await RunAsync(StorageBound, args);

        Assert.True(exit == ExitCodes.CannotRun, output + error);
        AssertOneLineError(error, $"{args[0]} {args[1]}", "Azure Storage refused access (403");
    }

    /// <summary>The policy file came from the settings: a missing one is named as the setting, not as a --rules flag never given.</summary>
    [Fact]
    public async Task PolicyFileFromTheSettings_Missing_NamesTheSetting()
    {
        Settings(UnreachableStorage());
        var missing = Path.Combine(Path.GetTempPath(), $"sgbridge-{Guid.NewGuid():N}", "policy.yaml");
        _cli.Environment["Policy__RulesFile"] = missing;

        var (exit, _, error) = await RunAsync(InstantBound, "policy", "test", RepoRoot.Sample("authorize-ssh-from-internet.json"));

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.StartsWith($"sgbridge policy test: Policy__RulesFile: no such file: {missing}", error, StringComparison.Ordinal);
        Assert.DoesNotContain("--rules:", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BogusRegionInTheSettings_IsNamedAsTheSetting()
    {
        Settings(UnreachableStorage());
        _cli.Environment["Reconcile__Regions"] = "eu-west-1,eu-wst-2";

        var (exit, _, error) = await RunAsync(InstantBound, "reconcile", "--dry-run");

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.StartsWith("sgbridge reconcile: Reconcile:Regions: 'eu-wst-2' is not an AWS region (did you mean eu-west-2?).", error, StringComparison.Ordinal);
    }

    public static TheoryData<string, string[], int, string> MalformedFiles() => new()
    {
        { "accounts.txt", ["baseline", "--accounts-file", "{file}", "--region", "eu-west-1"], ExitCodes.Usage, "--accounts-file: {file} line 2: '12345' is not a 12-digit AWS account id." },
        { "settings.json", ["requests", "list", "--settings", "{file}"], ExitCodes.Usage, "--settings: {file} is not valid JSON" },
        { "settings.json", ["requests", "approve", "SG-ABCDEF12", "--reason", "r", "--settings", "{file}"], ExitCodes.Usage, "--settings: {file} is not valid JSON" },
        { "settings.json", ["access", "list", "--settings", "{file}"], ExitCodes.Usage, "--settings: {file} is not valid JSON" },
        { "approved.json", ["plan", "{sample}", "--approved", "{file}"], ExitCodes.Usage, "--approved: {file} is not JSON" },
        { "policy.yaml", ["policy", "validate", "--rules", "{file}"], ExitCodes.Failed, "" },
        { "event.json", ["plan", "{file}"], ExitCodes.Failed, "" },
        { "event.json", ["policy", "test", "{file}", "--rules", "{policy}"], ExitCodes.Failed, "" },
    };

    [Theory]
    [MemberData(nameof(MalformedFiles))]
    public async Task MalformedInputFile_ExitsAsDocumented_NamingTheFile(string name, string[] args, int expected, string message)
    {
        Settings(UnreachableStorage());
        var file = Path.Combine(Path.GetTempPath(), $"sgbridge-{Guid.NewGuid():N}-{name}");
        await File.WriteAllTextAsync(file, name == "accounts.txt" ? "111111111111\n12345\n" : "rules: [ { name: x, when: ");
        try
        {
            var expanded = args.Select(a => a.Replace("{file}", file, StringComparison.Ordinal)
                .Replace("{sample}", RepoRoot.Sample("modify-one-rule.json"), StringComparison.Ordinal)
                .Replace("{policy}", RepoRoot.Sample("policy.yaml"), StringComparison.Ordinal)).ToArray();

            var (exit, output, error) = await RunAsync(InstantBound, expanded);

            Assert.True(exit == expected, output + error);
            if (message.Length > 0)
            {
                Assert.Contains(message.Replace("{file}", file, StringComparison.Ordinal), error.Split('\n')[0], StringComparison.Ordinal);
            }
            else
            {
                Assert.True(output.Contains("not valid", StringComparison.Ordinal) || output.Contains("Rejected", StringComparison.Ordinal) || output.Contains("rejected", StringComparison.Ordinal), output);
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task UnknownHint_NamesTheWholeCommandPath()
    {
        // It said "See: sgbridge test --help" (no such command).
        var (exit, _, error) = await RunAsync(InstantBound, "policy", "test", RepoRoot.Sample("authorize-ssh-from-internet.json"));

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("See: sgbridge policy test --help", error, StringComparison.Ordinal);
    }
}
