using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SgBridge.Tests.Infrastructure;

/// <summary>
/// The optional private network (main.bicep privateNetworking, from SGBRIDGE_PRIVATE_NETWORK; default off): on, storage
/// and Key Vault refuse public network access and get private endpoints (blob, queue, table, vault) with their DNS
/// zones in a new VNet, and the Flex Consumption app integrates with its delegated subnet; off, none of it is deployed
/// and both stay public as before. Rendered from the built template: each value's chain (parameter → module parameter →
/// property) is followed for true and for false.
/// </summary>
public sealed partial class PrivateNetworkTemplateTests(BicepTemplateFixture fixture) : IClassFixture<BicepTemplateFixture>
{
    private static Dictionary<string, string?> Environment(string? privateNetwork) => new()
    {
        ["SLACK_BOT_TOKEN"] = "xoxb-test",
        ["SLACK_SIGNING_SECRET"] = "test-signing-secret",
        ["SLACK_APPROVERS_CHANNEL"] = "C0TESTAPPR",
        ["SLACK_MONITORING_CHANNEL"] = "C0TESTMONI",
        ["SLACK_APPROVER_USER_IDS"] = "U0TESTONE",
        ["POLICY_ALLOWED_ACCOUNTS"] = "123456789012",
        ["SGBRIDGE_REGIONS"] = "eu-west-1",
        ["ALERT_EMAIL_ADDRESS"] = "secops@example.com",
        ["SGBRIDGE_PRIVATE_NETWORK"] = privateNetwork,
    };

    [Theory]
    [InlineData(null, false)]
    [InlineData("false", false)]
    [InlineData("true", true)]
    public async Task BuildParams_PrivateNetwork_ComesFromTheEnvironment_DefaultOff(string? value, bool expected)
    {
        var build = await BicepCli.RunAsync(["build-params", "bicep/main.bicepparam", "--stdout"], Environment(value));

        Assert.True(build.ExitCode == 0, build.ToString());
        var parameters = JsonNode.Parse((string)JsonNode.Parse(build.StandardOutput)!["parametersJson"]!)!["parameters"]!;
        Assert.Equal(expected, (bool)parameters["privateNetworking"]!["value"]!);
        Assert.False((bool)fixture.Template["parameters"]!["privateNetworking"]!["defaultValue"]!);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Template_StorageAndKeyVault_PublicOnlyWhenThePrivateNetworkIsOff(bool privateNetworking)
    {
        var main = new Dictionary<string, bool> { ["privateNetworking"] = privateNetworking };
        foreach (var (module, type) in new[] { ("storage", "Microsoft.Storage/storageAccounts"), ("keyVault", "Microsoft.KeyVault/vaults") })
        {
            var passed = Evaluate((string)fixture.Module(module)["properties"]!["parameters"]!["publicNetworkAccess"]!["value"]!, main);
            var inner = new Dictionary<string, bool> { ["publicNetworkAccess"] = Assert.IsType<bool>(passed) };
            var resource = BicepTemplateFixture.Resources(fixture.ModuleTemplate(module)).Single(r => (string?)r.Resource["type"] == type).Resource;
            Assert.Equal(privateNetworking ? "Disabled" : "Enabled", Evaluate((string)resource["properties"]!["publicNetworkAccess"]!, inner));
            Assert.Equal(privateNetworking ? "Deny" : "Allow", Evaluate((string)resource["properties"]!["networkAcls"]!["defaultAction"]!, inner));
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Template_NetworkAndVnetIntegration_DeployedOnlyWhenOn(bool privateNetworking)
    {
        var main = new Dictionary<string, bool> { ["privateNetworking"] = privateNetworking };
        Assert.Equal(privateNetworking, Evaluate((string)fixture.Module("network")["condition"]!, main));

        // The app's subnet: the network module's output when on, none when off.
        var subnet = (string)fixture.Module("functionApp")["properties"]!["parameters"]!["virtualNetworkSubnetId"]!;
        var match = IfCreateObject().Match(subnet);
        Assert.True(match.Success, subnet);
        Assert.Equal("privateNetworking", match.Groups["p"].Value);
        Assert.Equal(privateNetworking ? "reference('network').outputs.appSubnetId.value" : "''", privateNetworking ? match.Groups["then"].Value : match.Groups["else"].Value);
        var site = BicepTemplateFixture.Resources(fixture.ModuleTemplate("functionApp")).Single(r => (string?)r.Resource["type"] == "Microsoft.Web/sites").Resource;
        Assert.Equal("[if(not(empty(parameters('virtualNetworkSubnetId'))), parameters('virtualNetworkSubnetId'), null())]", (string?)site["properties"]!["virtualNetworkSubnetId"]);
    }

    [Fact]
    public void NetworkModule_PrivateEndpointsForBlobQueueTableAndVault_WithTheirZones_AndAFlexDelegatedSubnet()
    {
        var network = fixture.ModuleTemplate("network");
        var endpoints = network["variables"]!["endpoints"]!.AsArray();
        Assert.Equal(["blob", "queue", "table", "vault"], endpoints.Select(e => (string?)e!["name"]));
        Assert.Equal(
            ["[format('privatelink.blob.{0}', environment().suffixes.storage)]", "[format('privatelink.queue.{0}', environment().suffixes.storage)]",
             "[format('privatelink.table.{0}', environment().suffixes.storage)]", "privatelink.vaultcore.azure.net"],
            endpoints.Select(e => (string?)e!["zone"]));
        Assert.Equal([false, false, false, true], endpoints.Select(e => (bool)e!["vault"]!));

        var resources = BicepTemplateFixture.Resources(network).Select(r => r.Resource).ToList();
        var pe = resources.Single(r => (string?)r["type"] == "Microsoft.Network/privateEndpoints");
        var connection = pe["properties"]!["privateLinkServiceConnections"]![0]!["properties"]!;
        Assert.Equal("[if(variables('endpoints')[copyIndex()].vault, parameters('keyVaultId'), parameters('storageAccountId'))]", (string?)connection["privateLinkServiceId"]);
        Assert.Equal("[variables('endpoints')[copyIndex()].name]", (string?)connection["groupIds"]![0]);
        Assert.Single(resources, r => (string?)r["type"] == "Microsoft.Network/privateEndpoints/privateDnsZoneGroups");
        Assert.Single(resources, r => (string?)r["type"] == "Microsoft.Network/privateDnsZones/virtualNetworkLinks");

        var vnet = resources.Single(r => (string?)r["type"] == "Microsoft.Network/virtualNetworks");
        var app = vnet["properties"]!["subnets"]!.AsArray().Single(s => (string?)s!["name"] == "[variables('appSubnetName')]")!;
        Assert.Equal("Microsoft.App/environments", (string?)app["properties"]!["delegations"]![0]!["properties"]!["serviceName"]);

        // The main template passes the real storage account and vault.
        var parameters = fixture.Module("network")["properties"]!["parameters"]!;
        Assert.Equal("[reference('storage').outputs.resourceId.value]", (string?)parameters["storageAccountId"]!["value"]);
        Assert.Equal("[reference('keyVault').outputs.resourceId.value]", (string?)parameters["keyVaultId"]!["value"]);
    }

    /// <summary>
    /// The ARM expressions these switches compile to, evaluated for given boolean parameters: <c>[parameters('p')]</c>,
    /// <c>[not(parameters('p'))]</c> and <c>[if(parameters('p'), 'a', 'b')]</c>. Anything else fails the test (a change in
    /// the template's shape must be looked at, not passed).
    /// </summary>
    private static object Evaluate(string expression, IReadOnlyDictionary<string, bool> parameters)
    {
        if (Parameter().Match(expression) is { Success: true } p)
        {
            return parameters[p.Groups["p"].Value];
        }
        if (Not().Match(expression) is { Success: true } n)
        {
            return !parameters[n.Groups["p"].Value];
        }
        if (IfStrings().Match(expression) is { Success: true } i)
        {
            return parameters[i.Groups["p"].Value] ? i.Groups["then"].Value : i.Groups["else"].Value;
        }
        throw new Xunit.Sdk.XunitException($"not a switch expression: {expression}");
    }

    [GeneratedRegex(@"^\[parameters\('(?<p>\w+)'\)\]$")]
    private static partial Regex Parameter();

    [GeneratedRegex(@"^\[not\(parameters\('(?<p>\w+)'\)\)\]$")]
    private static partial Regex Not();

    [GeneratedRegex(@"^\[if\(parameters\('(?<p>\w+)'\), '(?<then>[^']*)', '(?<else>[^']*)'\)\]$")]
    private static partial Regex IfStrings();

    [GeneratedRegex(@"^\[if\(parameters\('(?<p>\w+)'\), createObject\('value', (?<then>.+)\), createObject\('value', (?<else>.+)\)\)\]$")]
    private static partial Regex IfCreateObject();
}
