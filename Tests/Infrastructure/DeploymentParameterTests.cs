using System.Text.Json.Nodes;

namespace SgBridge.Tests.Infrastructure;

/// <summary>
/// What main.bicepparam refuses at `bicep build-params` (so at every `azd provision` / `az deployment`), before an app
/// could start with it, and the one region list and the optional operator it passes on.
/// </summary>
public sealed class DeploymentParameterTests(BicepTemplateFixture fixture) : IClassFixture<BicepTemplateFixture>
{
    private static Dictionary<string, string?> Environment() => new()
    {
        ["SLACK_BOT_TOKEN"] = "xoxb-test",
        ["SLACK_SIGNING_SECRET"] = "test-signing-secret",
        ["SLACK_APPROVERS_CHANNEL"] = "C0TESTAPPR",
        ["SLACK_MONITORING_CHANNEL"] = "C0TESTMONI",
        ["SLACK_APPROVER_USER_IDS"] = "U0TESTONE",
        ["SLACK_APPROVER_USER_GROUP_IDS"] = null,
        ["POLICY_ALLOWED_ACCOUNTS"] = "123456789012",
        ["POLICY_ACCOUNT_ALIASES"] = null,
        ["SGBRIDGE_REGIONS"] = "eu-west-1",
        ["SGBRIDGE_OPERATOR_PRINCIPAL_ID"] = null,
        ["SGBRIDGE_OPERATOR_PRINCIPAL_TYPE"] = null,
        ["ALERT_EMAIL_ADDRESS"] = "secops@example.com",
        ["ALERT_WEBHOOK_URI"] = null,
    };

    private static async Task<(BicepResult Build, JsonNode? Parameters)> BuildParamsAsync(Dictionary<string, string?> environment)
    {
        var build = await BicepCli.RunAsync(["build-params", "bicep/main.bicepparam", "--stdout"], environment);
        return (build, build.ExitCode == 0 ? JsonNode.Parse((string)JsonNode.Parse(build.StandardOutput)!["parametersJson"]!)!["parameters"] : null);
    }

    [Theory]
    [InlineData("1234", "'1234', which is not a 12-digit AWS account ID")]
    [InlineData("123456789012,12345678901a", "'12345678901a', which is not a 12-digit AWS account ID")]
    [InlineData("1234567890123", "'1234567890123', which is not a 12-digit AWS account ID")]
    [InlineData("*,123456789012", "mixes * with account IDs")]
    public async Task BuildParams_AllowedAccountThatIsNotAnAccountId_FailsNamingIt(string value, string message)
    {
        var environment = Environment();
        environment["POLICY_ALLOWED_ACCOUNTS"] = value;

        var (build, _) = await BuildParamsAsync(environment);

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains("POLICY_ALLOWED_ACCOUNTS", build.StandardError, StringComparison.Ordinal);
        Assert.Contains(message, build.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("*", new[] { "*" })]
    [InlineData(" 123456789012 , 012345678901 ", new[] { "123456789012", "012345678901" })]
    public async Task BuildParams_AccountIdsOrEveryAccount_PassAsTheyAre(string value, string[] expected)
    {
        var environment = Environment();
        environment["POLICY_ALLOWED_ACCOUNTS"] = value;

        var (build, parameters) = await BuildParamsAsync(environment);

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Equal(expected, parameters!["policyAllowedAccounts"]!["value"]!.AsArray().Select(v => (string?)v));
    }

    [Fact]
    public async Task BuildParams_Regions_OneListForTheSweep()
    {
        var environment = Environment();
        environment["SGBRIDGE_REGIONS"] = "us-east-1, eu-west-1,,";

        var (build, parameters) = await BuildParamsAsync(environment);

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Equal(["us-east-1", "eu-west-1"], parameters!["reconcileRegions"]!["value"]!.AsArray().Select(v => (string?)v));
        // main.bicep hands exactly that list to the app: Reconcile__Regions = join(reconcileRegions, ',').
        var settings = fixture.Module("functionApp")["properties"]!["parameters"]!["appSettings"]!["value"]!;
        Assert.Equal("[join(parameters('reconcileRegions'), ',')]", (string?)settings["Reconcile__Regions"]);
        Assert.Equal(1, (int?)fixture.Template["parameters"]!["reconcileRegions"]!["minLength"]);
    }

    [Theory]
    [InlineData("EU-west-1")]
    [InlineData("euwest1")]
    [InlineData("eu-west")]
    public async Task BuildParams_RegionThatIsNotARegionName_Fails(string region)
    {
        var environment = Environment();
        environment["SGBRIDGE_REGIONS"] = "us-east-1," + region;

        var (build, _) = await BuildParamsAsync(environment);

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains($"SGBRIDGE_REGIONS has '{region}'", build.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildParams_Operator_IsPassedToTheRoleAssignments()
    {
        var environment = Environment();
        environment["SGBRIDGE_OPERATOR_PRINCIPAL_ID"] = "00000000-0000-0000-0000-00000000abcd";
        environment["SGBRIDGE_OPERATOR_PRINCIPAL_TYPE"] = "Group";

        var (build, parameters) = await BuildParamsAsync(environment);

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Equal("00000000-0000-0000-0000-00000000abcd", (string?)parameters!["operatorPrincipalId"]!["value"]);
        Assert.Equal("Group", (string?)parameters["operatorPrincipalType"]!["value"]);
        var rbac = fixture.Module("rbac")["properties"]!["parameters"]!;
        Assert.Equal("[parameters('operatorPrincipalId')]", (string?)rbac["operatorPrincipalId"]!["value"]);
    }

    [Fact]
    public void Rbac_Operator_GetsQueueSendAndTableRead_OnlyWhenNamed()
    {
        var operatorRoles = BicepTemplateFixture.Resources(fixture.ModuleTemplate("rbac"))
            .Select(r => r.Resource)
            .Where(r => (string?)r["type"] == "Microsoft.Authorization/roleAssignments" && r["condition"] is not null)
            .ToList();
        var roles = fixture.ModuleTemplate("rbac")["variables"]!["roles"]!;

        Assert.Equal(2, operatorRoles.Count);
        Assert.All(operatorRoles, r => Assert.Equal("[not(empty(parameters('operatorPrincipalId')))]", (string?)r["condition"]));
        var granted = operatorRoles.Select(r => (string)r["properties"]!["roleDefinitionId"]!)
            .Select(id => id.Contains("storageQueueDataMessageSender", StringComparison.Ordinal) ? (string?)roles["storageQueueDataMessageSender"]
                : id.Contains("storageTableDataReader", StringComparison.Ordinal) ? (string?)roles["storageTableDataReader"] : id)
            .Order(StringComparer.Ordinal);
        // Storage Table Data Reader, Storage Queue Data Message Sender: no delete, no table write, nothing in AWS.
        Assert.Equal(["76199698-9eea-4c19-bc75-cec21354c6b6", "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a"], granted);
    }
}
