using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json.Nodes;
using SgBridge.FunctionApp;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;

namespace SgBridge.Tests.Infrastructure;

/// <summary>bicep/ builds and lints clean offline, and the ARM it produces carries what the code reads.</summary>
public sealed class BicepTemplateTests(BicepTemplateFixture fixture) : IClassFixture<BicepTemplateFixture>
{
    private static readonly string[] SlackSettings =
    [
        "Slack__BotToken", "Slack__SigningSecret", "Slack__ApproversChannel", "Slack__MonitoringChannel",
        "Slack__ApproverUserIds", "Slack__ApproverUserGroupIds",
    ];

    /// <summary>Settings the code needs in Azure beyond the options' [Required] properties (conditional or host-level).</summary>
    private static readonly string[] AzureSettings =
    [
        "Storage__AccountName", "Storage__ClientId", "Storage__RequestsTable", "Storage__GroupsTable", "Storage__SlackTable",
        "Aws__RoleArnPattern", "Aws__AuthMode", "Aws__WebIdentityAudience", "Aws__ManagedIdentityClientId", "Aws__ExternalId",
        "Policy__AllowedAccounts", "Policy__ExemptPrincipalArns", "Policy__ExemptServiceLinkedRoles", "Policy__AccountAliases", "Policy__PoliceEgress",
        "Reconcile__Regions", "Reconcile__Mode", "Reconcile__UnknownGroups",
        "AzureWebJobsStorage__accountName", "AzureWebJobsStorage__credential", "AzureWebJobsStorage__clientId",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
    ];

    public static TheoryData<string> BicepFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(RepoPaths.Combine("bicep"), "*.bicep", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(RepoPaths.Root, file).Replace('\\', '/'));
        }

        return data;
    }

    [Fact]
    public void Build_MainBicep_SucceedsWithoutDiagnostics()
    {
        Assert.True(fixture.Build.ExitCode == 0, fixture.Build.ToString());
        Assert.True(string.IsNullOrWhiteSpace(fixture.Build.StandardError), fixture.Build.StandardError);
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public async Task Lint_BicepFile_ReportsNothing(string file)
    {
        var result = await BicepCli.RunAsync(["lint", file]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(string.IsNullOrWhiteSpace(result.StandardError + result.StandardOutput), result.ToString());
    }

    /// <summary>What main.bicepparam reads from the environment without a default (Slack approvers: one of two).</summary>
    private static Dictionary<string, string?> DeploymentEnvironment() => new()
    {
        ["SLACK_BOT_TOKEN"] = "xoxb-test",
        ["SLACK_SIGNING_SECRET"] = "test-signing-secret",
        ["SLACK_APPROVERS_CHANNEL"] = "C0TESTAPPR",
        ["SLACK_MONITORING_CHANNEL"] = "C0TESTMONI",
        ["SLACK_APPROVER_USER_IDS"] = "U0TESTONE, U0TESTTWO",
        ["SLACK_APPROVER_USER_GROUP_IDS"] = "",
        ["POLICY_ALLOWED_ACCOUNTS"] = "123456789012,210987654321",
        ["POLICY_ACCOUNT_ALIASES"] = """{"123456789012":"prod"}""",
        ["SGBRIDGE_REGIONS"] = "us-east-1, eu-west-1",
        ["SGBRIDGE_OPERATOR_PRINCIPAL_ID"] = null,
        ["SGBRIDGE_OPERATOR_PRINCIPAL_TYPE"] = null,
        ["ALERT_EMAIL_ADDRESS"] = "secops@example.com",
        ["ALERT_WEBHOOK_URI"] = null,
    };

    [Fact]
    public async Task BuildParams_ExampleParameterFile_SucceedsWithoutDiagnostics()
    {
        var environment = DeploymentEnvironment();

        var build = await BicepCli.RunAsync(["build-params", "bicep/main.bicepparam", "--stdout"], environment);
        var lint = await BicepCli.RunAsync(["lint", "bicep/main.bicepparam"], environment);

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.True(string.IsNullOrWhiteSpace(build.StandardError), build.StandardError);
        Assert.True(lint.ExitCode == 0 && string.IsNullOrWhiteSpace(lint.StandardError + lint.StandardOutput), lint.ToString());

        // The lists are split and trimmed; nothing comes from the file itself.
        var parameters = JsonNode.Parse((string)JsonNode.Parse(build.StandardOutput)!["parametersJson"]!)!["parameters"]!;
        Assert.Equal(["U0TESTONE", "U0TESTTWO"], StringArray(parameters["slackApproverUserIds"]!["value"]));
        Assert.Empty(StringArray(parameters["slackApproverUserGroupIds"]!["value"]));
        Assert.Equal(["123456789012", "210987654321"], StringArray(parameters["policyAllowedAccounts"]!["value"]));
        Assert.Equal("prod", (string?)parameters["policyAccountAliases"]!["value"]!["123456789012"]);
        Assert.Equal("C0TESTAPPR", (string?)parameters["slackApproversChannel"]!["value"]);
    }

    [Theory]
    [InlineData("SLACK_APPROVERS_CHANNEL")]
    [InlineData("SLACK_MONITORING_CHANNEL")]
    [InlineData("POLICY_ALLOWED_ACCOUNTS")]
    [InlineData("SLACK_BOT_TOKEN")]
    [InlineData("SLACK_SIGNING_SECRET")]
    [InlineData("ALERT_EMAIL_ADDRESS")]
    [InlineData("SGBRIDGE_REGIONS")]
    public async Task BuildParams_WithoutAnAccountOrWorkspaceValue_Fails(string unset)
    {
        var environment = DeploymentEnvironment();
        environment[unset] = null;

        var build = await BicepCli.RunAsync(["build-params", "bicep/main.bicepparam", "--stdout"], environment);

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains(unset, build.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildParams_WithoutAnyApprover_FailsNamingBothVariables()
    {
        var environment = DeploymentEnvironment();
        environment["SLACK_APPROVER_USER_IDS"] = " , ";
        environment["SLACK_APPROVER_USER_GROUP_IDS"] = "";

        var build = await BicepCli.RunAsync(["build-params", "bicep/main.bicepparam", "--stdout"], environment);

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains("SLACK_APPROVER_USER_IDS", build.StandardError, StringComparison.Ordinal);
        Assert.Contains("SLACK_APPROVER_USER_GROUP_IDS", build.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildParams_GroupApproversOnly_Succeeds()
    {
        var environment = DeploymentEnvironment();
        environment["SLACK_APPROVER_USER_IDS"] = "";
        environment["SLACK_APPROVER_USER_GROUP_IDS"] = "S0TESTGRP";

        var build = await BicepCli.RunAsync(["build-params", "bicep/main.bicepparam", "--stdout"], environment);

        Assert.True(build.ExitCode == 0, build.ToString());
    }

    [Fact]
    public void ParameterFile_Text_HoldsNoSlackIdOrAccountId()
    {
        // Example IDs in the file would deploy as they are; they belong in the environment.
        var text = RepoPaths.ReadText("bicep", "main.bicepparam");
        var code = string.Join('\n', text.Split('\n').Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)));

        Assert.DoesNotMatch(@"'[CGDUWS][A-Z0-9]{8,}'", code);
        Assert.DoesNotMatch(@"\b[0-9]{12}\b", code);
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void Source_BicepFile_UsesLocalModulesOnly(string file)
    {
        var text = RepoPaths.ReadText(file);

        Assert.DoesNotContain("'br:", text, StringComparison.Ordinal);
        Assert.DoesNotContain("'br/", text, StringComparison.Ordinal);
        Assert.DoesNotContain("'ts:", text, StringComparison.Ordinal);
        Assert.DoesNotContain("extension ", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Parameters_EveryTemplate_DescribedAsRequiredOrOptional()
    {
        var undescribed = fixture.AllTemplates()
            .SelectMany(t => (t.Template["parameters"]?.AsObject() ?? []).Select(p => (t.Name, Param: p.Key, Description: (string?)p.Value!["metadata"]?["description"])))
            .Where(p => p.Description is null || !(p.Description.StartsWith("Required. ", StringComparison.Ordinal) || p.Description.StartsWith("Optional. ", StringComparison.Ordinal)))
            .Select(p => $"{p.Name}: {p.Param}")
            .ToList();

        Assert.Empty(undescribed);
    }

    [Fact]
    public void AppSettings_RequiredOptionsWithoutDefault_AreAllSet()
    {
        var settings = AppSettings();
        var required = RequiredOptionSettings().ToList();

        Assert.NotEmpty(required);
        Assert.All(required, name => Assert.True(settings.ContainsKey(name), $"app setting {name} is missing"));
    }

    [Fact]
    public void AppSettings_SlackAwsStoragePolicyAndHost_AreAllSet()
    {
        var settings = AppSettings();

        Assert.All(SlackSettings.Concat(AzureSettings), name => Assert.True(settings.ContainsKey(name), $"app setting {name} is missing"));
        Assert.Equal("managedidentity", (string?)settings["AzureWebJobsStorage__credential"]);
    }

    [Fact]
    public void AppSettings_FlexConsumption_OmitsSettingsFlexRejects()
    {
        var settings = AppSettings();

        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", settings.Select(s => s.Key));
        Assert.DoesNotContain("FUNCTIONS_EXTENSION_VERSION", settings.Select(s => s.Key));
        Assert.DoesNotContain("WEBSITE_RUN_FROM_PACKAGE", settings.Select(s => s.Key));
        Assert.DoesNotContain("AzureWebJobsStorage", settings.Select(s => s.Key));
    }

    [Theory]
    [InlineData("Slack__BotToken")]
    [InlineData("Slack__SigningSecret")]
    public void AppSettings_SlackSecret_IsKeyVaultReference(string name)
    {
        var value = (string?)AppSettings()[name];

        Assert.NotNull(value);
        Assert.StartsWith("[format('@Microsoft.KeyVault(SecretUri={0})', ", value, StringComparison.Ordinal);
        Assert.Contains("reference('keyVault').outputs.", value, StringComparison.Ordinal);
    }

    [Fact]
    public void AppSettings_NoValue_ReadsASecureParameter()
    {
        var secureParameters = (fixture.Template["parameters"]?.AsObject() ?? [])
            .Where(p => (string?)p.Value!["type"] == "securestring")
            .Select(p => $"parameters('{p.Key}')")
            .ToList();

        Assert.Equal(["parameters('alertWebhookUri')", "parameters('slackBotToken')", "parameters('slackSigningSecret')"], secureParameters.Order(StringComparer.Ordinal));
        var settingsJson = AppSettings().ToJsonString();
        Assert.All(secureParameters, p => Assert.DoesNotContain(p, settingsJson, StringComparison.Ordinal));
    }

    [Fact]
    public void FunctionApp_Site_IsFlexConsumptionWithUserAssignedIdentity()
    {
        var template = fixture.ModuleTemplate("functionApp");
        var plan = Resource(template, "Microsoft.Web/serverfarms");
        var site = Resource(template, "Microsoft.Web/sites");
        var properties = site["properties"]!;

        Assert.Equal("FC1", (string?)plan["sku"]!["name"]);
        Assert.Equal("FlexConsumption", (string?)plan["sku"]!["tier"]);
        Assert.Equal("UserAssigned", (string?)site["identity"]!["type"]);
        Assert.Equal("[parameters('identityResourceId')]", (string?)properties["keyVaultReferenceIdentity"]);
        Assert.True((bool?)properties["httpsOnly"]);
        Assert.Equal("[parameters('runtimeName')]", (string?)properties["functionAppConfig"]!["runtime"]!["name"]);
        Assert.Equal(["dotnet-isolated"], template["parameters"]!["runtimeName"]!["allowedValues"]!.AsArray().Select(v => (string?)v));
        Assert.Equal("UserAssignedIdentity", (string?)properties["functionAppConfig"]!["deployment"]!["storage"]!["authentication"]!["type"]);
    }

    [Fact]
    public void FunctionApp_Runtime_IsDotNetTenOnlyTheFrameworkTheAppTargets()
    {
        var template = fixture.ModuleTemplate("functionApp");
        var version = template["parameters"]!["runtimeVersion"]!;
        var targetFramework = System.Xml.Linq.XDocument.Load(RepoPaths.Combine("Directory.Build.props"))
            .Descendants("TargetFramework").Single().Value;

        Assert.Equal("[parameters('runtimeVersion')]", (string?)Resource(template, "Microsoft.Web/sites")["properties"]!["functionAppConfig"]!["runtime"]!["version"]);
        Assert.Equal(["10.0"], version["allowedValues"]!.AsArray().Select(v => (string?)v));
        Assert.Equal("10.0", (string?)version["defaultValue"]);
        Assert.Equal($"net{(string?)version["defaultValue"]}", targetFramework);
        Assert.Null(fixture.Module("functionApp")["properties"]!["parameters"]!["runtimeVersion"]);
        Assert.Null(fixture.Template["parameters"]!["functionAppRuntimeVersion"]);
    }

    [Fact]
    public void FunctionApp_AlwaysReady_KeepsOneHttpInstanceWarmByDefault()
    {
        var template = fixture.ModuleTemplate("functionApp");
        var scale = Resource(template, "Microsoft.Web/sites")["properties"]!["functionAppConfig"]!["scaleAndConcurrency"]!;
        var alwaysReady = (string?)scale["alwaysReady"];

        Assert.Equal(1, (int?)fixture.Template["parameters"]!["alwaysReadyHttpInstanceCount"]!["defaultValue"]);
        Assert.Equal("[parameters('alwaysReadyHttpInstanceCount')]", (string?)fixture.Module("functionApp")["properties"]!["parameters"]!["alwaysReadyHttpInstanceCount"]!["value"]);
        Assert.Equal(
            "[if(greater(parameters('alwaysReadyHttpInstanceCount'), 0), createArray(createObject('name', 'http', 'instanceCount', parameters('alwaysReadyHttpInstanceCount'))), createArray())]",
            alwaysReady);
    }

    [Fact]
    public void FunctionApp_HttpConcurrency_IsSetExplicitlyTo16ByDefault()
    {
        var template = fixture.ModuleTemplate("functionApp");
        var http = Resource(template, "Microsoft.Web/sites")["properties"]!["functionAppConfig"]!["scaleAndConcurrency"]!["triggers"]!["http"]!;
        var parameter = fixture.Template["parameters"]!["httpPerInstanceConcurrency"]!;

        Assert.Equal("[parameters('httpPerInstanceConcurrency')]", (string?)http["perInstanceConcurrency"]);
        Assert.Equal(16, (int?)parameter["defaultValue"]);
        Assert.Equal(1, (int?)parameter["minValue"]);
        Assert.Equal(1000, (int?)parameter["maxValue"]);
        Assert.Equal("[parameters('httpPerInstanceConcurrency')]", (string?)fixture.Module("functionApp")["properties"]!["parameters"]!["httpPerInstanceConcurrency"]!["value"]);
    }

    [Fact]
    public void AwsAudience_Default_IsTheTenantScopedUriEverywhere()
    {
        var bicepDefault = (string?)fixture.Template["parameters"]!["awsWebIdentityAudience"]!["defaultValue"];
        var script = RepoPaths.ReadText("scripts", "create-aws-federation-app.sh");
        var role = RepoPaths.ReadText("aws-bootstrap", "sgbridge-member-role.yaml");

        Assert.Equal("[format('api://{0}/sgbridge-aws', tenant().tenantId)]", bicepDefault);
        Assert.Contains("identifier_uri=\"${1:-api://${tenant_id}/sgbridge-aws}\"", script, StringComparison.Ordinal);
        Assert.Contains("- !Sub api://${pEntraTenantId}/sgbridge-aws", role, StringComparison.Ordinal);
        Assert.DoesNotContain("param awsWebIdentityAudience", RepoPaths.ReadText("bicep", "main.bicepparam"), StringComparison.Ordinal);
    }

    [Fact]
    public void Storage_Queues_AreExactlyQueueNamesAndTheirPoisonQueues()
    {
        var queues = typeof(QueueNames).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToList();
        var expected = queues.Concat(queues.Select(QueueNames.Poison)).ToHashSet(StringComparer.Ordinal);

        var storage = fixture.Module("storage");
        var actual = StringArray(BicepTemplateFixture.ResolveVariable(fixture.Template, storage["properties"]!["parameters"]!["queueNames"]!["value"]));

        Assert.Equal(3, queues.Count);
        Assert.Equal(expected.Order(StringComparer.Ordinal), actual.Order(StringComparer.Ordinal));
        Assert.Contains(Resources(fixture.ModuleTemplate("storage")), r => (string?)r["type"] == "Microsoft.Storage/storageAccounts/queueServices/queues");
    }

    [Fact]
    public void Storage_Tables_AreTheOptionsDefaults()
    {
        var defaults = new StorageOptions();
        var storage = fixture.Module("storage");
        var tables = (storage["properties"]!["parameters"]!["tableNames"]!["value"]!.AsArray())
            .Select(t => (string?)BicepTemplateFixture.ResolveVariable(fixture.Template, t))
            .ToList();
        var settings = AppSettings();

        var expiries = new SgBridge.Shared.Options.ApprovalsOptions().ExpiryTable;
        Assert.Equal([defaults.RequestsTable, defaults.GroupsTable, defaults.SlackTable, expiries], tables);
        Assert.Equal(expiries, (string?)BicepTemplateFixture.ResolveVariable(fixture.Template, settings["Approvals__ExpiryTable"]));
        Assert.Equal(defaults.SlackTable, (string?)BicepTemplateFixture.ResolveVariable(fixture.Template, settings["Storage__SlackTable"]));
        Assert.Equal(defaults.RequestsTable, (string?)BicepTemplateFixture.ResolveVariable(fixture.Template, settings["Storage__RequestsTable"]));
        Assert.Equal(defaults.GroupsTable, (string?)BicepTemplateFixture.ResolveVariable(fixture.Template, settings["Storage__GroupsTable"]));
        Assert.Contains(Resources(fixture.ModuleTemplate("storage")), r => (string?)r["type"] == "Microsoft.Storage/storageAccounts/tableServices/tables");
    }

    [Fact]
    public void Storage_Account_DisablesSharedKeyAndPublicBlobAccess()
    {
        var account = Resource(fixture.ModuleTemplate("storage"), "Microsoft.Storage/storageAccounts")["properties"]!;

        Assert.False((bool?)account["allowSharedKeyAccess"]);
        Assert.False((bool?)account["allowBlobPublicAccess"]);
        Assert.Equal("TLS1_2", (string?)account["minimumTlsVersion"]);
        Assert.True((bool?)account["supportsHttpsTrafficOnly"]);
    }

    [Fact]
    public void KeyVault_Vault_UsesRbacSoftDeleteAndPurgeProtection()
    {
        var template = fixture.ModuleTemplate("keyVault");
        var vault = Resource(template, "Microsoft.KeyVault/vaults")["properties"]!;
        var secrets = Resources(template).Where(r => (string?)r["type"] == "Microsoft.KeyVault/vaults/secrets").ToList();

        Assert.True((bool?)vault["enableRbacAuthorization"]);
        Assert.True((bool?)vault["enableSoftDelete"]);
        Assert.True((bool?)vault["enablePurgeProtection"]);
        Assert.Equal(2, secrets.Count);
    }

    [Fact]
    public void RoleAssignments_Names_AreGuidOfScopePrincipalAndRole()
    {
        var assignments = Resources(fixture.ModuleTemplate("rbac"))
            .Where(r => (string?)r["type"] == "Microsoft.Authorization/roleAssignments")
            .ToList();
        var app = assignments.Where(a => a["condition"] is null).ToList();
        var operatorRoles = assignments.Where(a => a["condition"] is not null).ToList();

        Assert.Equal((5, 2), (app.Count, operatorRoles.Count));
        Assert.All(assignments, a =>
        {
            var name = (string)a["name"]!;
            var principal = a["condition"] is null ? "principalId" : "operatorPrincipalId";
            Assert.StartsWith("[guid(", name, StringComparison.Ordinal);
            Assert.Contains($"parameters('{principal}')", name, StringComparison.Ordinal);
            Assert.Contains("variables('roles')", name, StringComparison.Ordinal);
            Assert.Equal($"[parameters('{principal}')]", (string?)a["properties"]!["principalId"]);
        });
    }

    [Fact]
    public void RoleAssignments_Roles_AreTheFiveTheAppNeeds_AndTheOperatorsTwo()
    {
        var roles = fixture.ModuleTemplate("rbac")["variables"]!["roles"]!.AsObject()
            .Select(r => (string)r.Value!)
            .Order(StringComparer.Ordinal);

        Assert.Equal(
            new[]
            {
                "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", // Storage Table Data Contributor
                "3913510d-42f4-4e42-8a64-420c390055eb", // Monitoring Metrics Publisher
                "4633458b-17de-408a-b874-0445c86b69e6", // Key Vault Secrets User
                "76199698-9eea-4c19-bc75-cec21354c6b6", // Storage Table Data Reader (operator)
                "974c5e8b-45b9-4653-ba55-5f855dd0fb88", // Storage Queue Data Contributor
                "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", // Storage Blob Data Owner
                "c6a89b2d-59bc-44d0-9896-0f6e12d7b80a", // Storage Queue Data Message Sender (operator)
            }.Order(StringComparer.Ordinal),
            roles);
    }

    [Fact]
    public void Outputs_Main_ExposeUrlsIdentityTenantAndIssuer()
    {
        var outputs = fixture.Template["outputs"]!.AsObject();

        Assert.Contains($"/api/{Routes.AwsEvents}", (string?)outputs["INTAKE_URL"]!["value"], StringComparison.Ordinal);
        Assert.Contains($"/api/{Routes.SlackInteractions}", (string?)outputs["SLACK_INTERACTIVITY_URL"]!["value"], StringComparison.Ordinal);
        Assert.Contains("https://sts.windows.net/", (string?)outputs["OIDC_ISSUER_URL"]!["value"], StringComparison.Ordinal);
        Assert.Contains("clientId", (string?)outputs["MANAGED_IDENTITY_CLIENT_ID"]!["value"], StringComparison.Ordinal);
        Assert.Contains("principalId", (string?)outputs["MANAGED_IDENTITY_PRINCIPAL_ID"]!["value"], StringComparison.Ordinal);
        Assert.True(outputs.ContainsKey("AZURE_TENANT_ID"));
    }

    [Fact]
    public void HostJson_Queues_PollFastAndPoisonAfterFiveTries()
    {
        var host = JsonNode.Parse(RepoPaths.ReadText("host.json"))!;
        var queues = host["extensions"]!["queues"]!;

        Assert.Equal("2.0", (string?)host["version"]);
        Assert.Equal("api", (string?)host["extensions"]!["http"]!["routePrefix"]);
        Assert.Equal("00:00:02", (string?)queues["maxPollingInterval"]);
        Assert.Equal(5, (int?)queues["maxDequeueCount"]);
        Assert.InRange((int)queues["batchSize"]!, 1, 32);
    }

    private JsonObject AppSettings() =>
        fixture.Module("functionApp")["properties"]!["parameters"]!["appSettings"]!["value"]!.AsObject();

    /// <summary>Section__Property for each [Required] property of an options class whose default leaves it empty.</summary>
    private static IEnumerable<string> RequiredOptionSettings()
    {
        var optionTypes = SgBridge.Tests.Architecture.SharedAssemblies.Types()
            .Where(t => t is { IsClass: true, IsAbstract: false } && t.Name.EndsWith("Options", StringComparison.Ordinal))
            .Select(t => (Type: t, Section: t.GetField("SectionName", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() as string))
            .Where(t => t.Section is not null);

        foreach (var (type, section) in optionTypes)
        {
            var defaults = Activator.CreateInstance(type);
            foreach (var property in type.GetProperties().Where(p => p.GetCustomAttribute<RequiredAttribute>() is not null))
            {
                if (property.GetValue(defaults) is null or "")
                {
                    yield return $"{section}__{property.Name}";
                }
            }
        }
    }

    private static IEnumerable<JsonObject> Resources(JsonObject template) => BicepTemplateFixture.Resources(template).Select(r => r.Resource);

    private static JsonObject Resource(JsonObject template, string type) => Resources(template).Single(r => (string?)r["type"] == type && r["existing"] is null);

    private static List<string> StringArray(JsonNode? node) => node!.AsArray().Select(n => (string)n!).ToList();
}
