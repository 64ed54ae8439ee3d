using SgBridge.Cli;

namespace SgBridge.Tests.Cli;

/// <summary>How every verb reads the function app's settings: local.settings.json Values, then environment variables.</summary>
public sealed class CliSettingsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sgbridge-settings-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string json)
    {
        var path = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void BuildConfiguration_LocalSettingsValues_AcceptBothKeyForms()
    {
        var file = Write("""
            {
              "IsEncrypted": false,
              "Values": {
                "FUNCTIONS_WORKER_RUNTIME": "dotnet-isolated",
                "Storage__ConnectionString": "UseDevelopmentStorage=true",
                "Storage:RequestsTable": "Requests2",
                "Policy__ExemptServiceLinkedRoles": false,
                "Processing__MaxDequeueCount": 7
              }
            }
            """);

        var configuration = CliSettings.BuildConfiguration(new Dictionary<string, string?>(), file);

        Assert.Equal("UseDevelopmentStorage=true", configuration["Storage:ConnectionString"]);
        Assert.Equal("Requests2", configuration["Storage:RequestsTable"]);
        Assert.Equal("false", configuration["Policy:ExemptServiceLinkedRoles"]);
        Assert.Equal("7", configuration["Processing:MaxDequeueCount"]);
        Assert.Equal("dotnet-isolated", configuration["FUNCTIONS_WORKER_RUNTIME"]);
    }

    [Fact]
    public void BuildConfiguration_EnvironmentVariables_OverrideTheFile()
    {
        var file = Write("""{ "Values": { "Storage__RequestsTable": "FromFile", "Slack__BotToken": "xoxb-file" } }""");
        var environment = new Dictionary<string, string?> { ["Storage__RequestsTable"] = "FromEnvironment", ["Aws__StsRegion"] = "eu-west-1" };

        var configuration = CliSettings.BuildConfiguration(environment, file);

        Assert.Equal("FromEnvironment", configuration["Storage:RequestsTable"]);
        Assert.Equal("xoxb-file", configuration["Slack:BotToken"]);
        Assert.Equal("eu-west-1", configuration["Aws:StsRegion"]);
    }

    [Fact]
    public void BuildConfiguration_WithoutAFile_ReadsTheEnvironmentOnly()
    {
        var configuration = CliSettings.BuildConfiguration(new Dictionary<string, string?> { ["Policy__AllowedAccounts"] = "111111111111" }, null);
        Assert.Equal("111111111111", configuration["Policy:AllowedAccounts"]);
    }

    [Theory]
    [InlineData("""{ "Values": 3 }""", "no \"Values\" object")]
    [InlineData("""[1, 2]""", "no \"Values\" object")]
    [InlineData("""{ "Values": { "a": """, "is not valid JSON")]
    [InlineData("""{ "IsEncrypted": true, "Values": { "Storage__ConnectionString": "AQAAANCMnd8BFdERjHoAwE..." } }""", "is encrypted")]
    public void ReadLocalSettings_NotAFunctionsSettingsFile_IsAUsageErrorSayingWhy(string json, string expected)
    {
        var ex = Assert.Throws<CliUsageException>(() => CliSettings.ReadLocalSettings(Write(json)));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLocalSettings_MissingFile_IsAUsageError()
    {
        var ex = Assert.Throws<CliUsageException>(() => CliSettings.ReadLocalSettings(Path.Combine(_dir, "nope.json")));
        Assert.Contains("no such file", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadLocalSettings_TheShippedExample_Reads()
    {
        var values = CliSettings.ReadLocalSettings(Path.Combine(Fakes.RepoRoot.Path, "FunctionApp", "local.settings.example.json"))
            .ToDictionary(v => v.Key, v => v.Value);
        Assert.Equal("UseDevelopmentStorage=true", values["Storage:ConnectionString"]);
        Assert.Equal("arn:aws:iam::{accountId}:role/SgBridgeExecutionRole", values["Aws:RoleArnPattern"]);
    }

    [Theory]
    [InlineData("Slack__BotToken", "Slack:BotToken")]
    [InlineData("Storage:ConnectionString", "Storage:ConnectionString")]
    [InlineData("AzureWebJobsStorage", "AzureWebJobsStorage")]
    public void ToConfigurationKey_MapsDoubleUnderscores(string key, string expected) =>
        Assert.Equal(expected, CliSettings.ToConfigurationKey(key));
}
