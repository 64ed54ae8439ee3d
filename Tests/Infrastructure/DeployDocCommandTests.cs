using System.Text.RegularExpressions;
using SgBridge.Tests.Cli;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Infrastructure;

/// <summary>
/// Every command line of docs/deploy.md's bash blocks is either run here or listed with the specific reason it cannot
/// run here (a cloud account, a tenant, a live queue) and what is checked instead: a line added to the doc without
/// either fails. The `sgbridge` lines run as written (in-process, on Azurite) with the settings the doc exports, the
/// storage account's name replaced by the emulator's connection string (the only substitution), and exit as the doc
/// says; the scripts run against a stand-in `az` in <see cref="IntakeFunctionKeyScriptTests"/>.
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed partial class DeployDocCommandTests(AzuriteFixture azurite)
{
    private const string Cloud = "needs a real Azure subscription / AWS organization; ";

    /// <summary>Lines that cannot run here (no cloud, no tenant), each with why and what the tests check instead.</summary>
    private static readonly Dictionary<string, string> NotRunHere = new(StringComparer.Ordinal)
    {
        ["export SLACK_BOT_TOKEN=xoxb-... SLACK_SIGNING_SECRET=..."] = "placeholders for the Slack app's secrets; main.bicepparam reads them (DeploymentParameterTests builds it with such an environment)",
        ["export SLACK_APPROVERS_CHANNEL=C... SLACK_MONITORING_CHANNEL=C..."] = "placeholders; read by main.bicepparam (DeploymentParameterTests)",
        ["export SLACK_APPROVER_USER_IDS=U...,U..."] = "placeholders; read by main.bicepparam, which refuses none (DeploymentParameterTests)",
        ["scripts/create-aws-federation-app.sh"] = Cloud + "it registers an Entra application with `az ad app create`; its default URI is checked against the Bicep and CloudFormation defaults (BicepTemplateTests.AwsAudience_Default_IsTheTenantScopedUriEverywhere)",
        ["export POLICY_ALLOWED_ACCOUNTS='*'"] = "an environment value; main.bicepparam's check of it runs in DeploymentParameterTests",
        ["export SGBRIDGE_REGIONS=us-east-1,eu-west-1"] = "an environment value; DeploymentParameterTests.BuildParams_Regions_OneListForTheSweep",
        ["export SGBRIDGE_OPERATOR_PRINCIPAL_ID=$(az ad signed-in-user show --query id -o tsv)"] = Cloud + "`az ad` needs a signed-in Entra user; the value's use is DeploymentParameterTests.BuildParams_Operator_IsPassedToTheRoleAssignments",
        ["export POLICY_ACCOUNT_ALIASES='{\"111122223333\":\"prod\"}'"] = "an environment value read by main.bicepparam (json())",
        ["export ALERT_EMAIL_ADDRESS=secops@example.com"] = "an environment value read by main.bicepparam",
        ["azd env new sgbridge-prod && azd env set AZURE_LOCATION swedencentral"] = Cloud + "azd cannot be installed here (no internet); azure.yaml and main.bicepparam are what it reads",
        ["for v in SLACK_BOT_TOKEN SLACK_SIGNING_SECRET SLACK_APPROVERS_CHANNEL SLACK_MONITORING_CHANNEL SLACK_APPROVER_USER_IDS POLICY_ALLOWED_ACCOUNTS SGBRIDGE_REGIONS SGBRIDGE_OPERATOR_PRINCIPAL_ID ALERT_EMAIL_ADDRESS; do azd env set \"$v\" \"${!v}\"; done"] = Cloud + "azd env set needs azd; the names are main.bicepparam's readEnvironmentVariable names (DeploymentParameterTests)",
        ["azd up"] = Cloud + "it provisions bicep/main.bicep (built and linted by BicepTemplateTests) and deploys ./FunctionApp (the Functions host cannot run here)",
        ["export AZURE_ENV_NAME=sgbridge-prod AZURE_LOCATION=swedencentral"] = "an environment value read by main.bicepparam (defaults when unset)",
        ["az deployment sub create --name sgbridge --location \"$AZURE_LOCATION\" --template-file bicep/main.bicep --parameters bicep/main.bicepparam"] = Cloud + "the template and the parameter file it names are built by BicepTemplateFixture and `bicep build-params` (DeploymentParameterTests, PrivateNetworkTemplateTests)",
        ["export AZURE_RESOURCE_GROUP=<AZURE_RESOURCE_GROUP> AZURE_FUNCTION_APP_NAME=<AZURE_FUNCTION_APP_NAME>"] = "placeholders for deployment outputs (BicepTemplateTests checks the outputs exist)",
        ["FUNCTION_KEY=$(scripts/intake-function-key.sh create)"] = "runs against a stand-in az: IntakeFunctionKeyScriptTests.Create_WithoutName_SetsAKeyOnTheIntakeFunctionAndPrintsOnlyItsValue",
        ["aws cloudformation deploy --stack-name sgbridge-central-bus --region eu-west-1 --template-file aws-bootstrap/sgbridge-central-bus.yaml --capabilities CAPABILITY_IAM --parameter-overrides pOrganizationId=o-xxxxxxxxxx pIntakeUrl=<INTAKE_URL> pFunctionKey=\"$FUNCTION_KEY\" pAlarmTopicArn=arn:aws:sns:eu-west-1:<account-id>:<topic>"] = Cloud + "the template is linted (CfnLintTests) and checked (OrganizationEventBusTests); DeployDocTests checks every override is a parameter",
        ["aws cloudformation describe-stacks --stack-name sgbridge-central-bus --region eu-west-1 --query \"Stacks[0].Outputs[?OutputKey=='oCentralEventBusArn'].OutputValue\" --output text"] = Cloud + "reads a deployed stack; the output oCentralEventBusArn is checked to exist (OrganizationEventBusTests)",
        ["aws s3 cp aws-bootstrap/sgbridge-member-role.yaml   s3://<bucket>/sgbridge/"] = Cloud + "uploads to the organisation's bucket; the file is linted (CfnLintTests)",
        ["aws s3 cp aws-bootstrap/sgbridge-member-events.yaml s3://<bucket>/sgbridge/"] = Cloud + "uploads to the organisation's bucket; the file is linted (CfnLintTests)",
        ["aws cloudformation deploy --stack-name sgbridge --template-file aws-bootstrap/sgbridge-main.yaml --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM CAPABILITY_AUTO_EXPAND --parameter-overrides pOrganizationalUnitIds=r-xxxx pRoleRegion=us-east-1 pEventRegions=us-east-1,eu-west-1 pMemberRoleTemplateUrl=https://<bucket>.s3.amazonaws.com/sgbridge/sgbridge-member-role.yaml pMemberEventsTemplateUrl=https://<bucket>.s3.amazonaws.com/sgbridge/sgbridge-member-events.yaml pEntraTenantId=<AZURE_TENANT_ID> pManagedIdentityPrincipalId=<MANAGED_IDENTITY_PRINCIPAL_ID> pCentralEventBusArn=<oCentralEventBusArn> pEventRegions=\"$SGBRIDGE_REGIONS\" pCallAs=SELF"] = Cloud + "StackSets need an organization's management account; the template is linted (CfnLintTests), its StackSets checked (CloudFormationTemplateTests), the member role's OIDC custom resource run on moto (OidcProviderHandlerTests)",
        ["aws cloudformation deploy --region eu-west-1 --stack-name sgbridge-member-events --template-file aws-bootstrap/sgbridge-member-events.yaml --capabilities CAPABILITY_IAM --parameter-overrides pCentralEventBusArn=<oCentralEventBusArn>"] = Cloud + "the template is linted (CfnLintTests) and its forwarding rule checked (OrganizationEventBusTests)",
        ["aws sqs receive-message --queue-url <oDeadLetterQueueUrl> --max-number-of-messages 10 --query \"Messages[].Body\" --output text | jq -r '\"\\(.account) \\(.region)\"' | sort -u"] = Cloud + "reads the central account's dead-letter queue; what follows it (reconcile --enqueue per pair) runs here",
        ["aws sqs purge-queue --queue-url <oDeadLetterQueueUrl>"] = Cloud + "purges the central account's dead-letter queue",
        ["new=$(scripts/intake-function-key.sh create)"] = "runs against a stand-in az: IntakeFunctionKeyScriptTests.Create_WithoutName_SetsAKeyOnTheIntakeFunctionAndPrintsOnlyItsValue",
        ["aws cloudformation deploy --stack-name sgbridge-central-bus --region eu-west-1 --template-file aws-bootstrap/sgbridge-central-bus.yaml --capabilities CAPABILITY_IAM --parameter-overrides pFunctionKey=\"$new\""] = Cloud + "a stack update in the central account; the template is linted (CfnLintTests)",
        ["scripts/intake-function-key.sh list"] = "runs against a stand-in az: IntakeFunctionKeyScriptTests.List_PrintsKeyNamesOnly",
        ["scripts/intake-function-key.sh delete eventbridge-<old>"] = "runs against a stand-in az: IntakeFunctionKeyScriptTests.Delete_WithName_DeletesThatKeyOfTheIntakeFunction",
    };

    /// <summary>The exit code the doc gives each `sgbridge` line, on a deployment that has just been set up (no heartbeat yet).</summary>
    private static readonly Dictionary<string, int> Exits = new(StringComparer.Ordinal)
    {
        ["sgbridge accounts"] = 2, // step 8: "Exit 2 says what is missing" — here, no heartbeat has arrived
    };

    /// <summary>The environment lines the doc exports before its `sgbridge` lines (the operator's settings).</summary>
    private const string OperatorSettings = "export Storage__AccountName=<AZURE_STORAGE_ACCOUNT_NAME> Policy__AllowedAccounts=\"$POLICY_ALLOWED_ACCOUNTS\"";

    public static TheoryData<string> SgbridgeLines() => new(Commands().Where(c => c.StartsWith("sgbridge ", StringComparison.Ordinal) || c == "sgbridge").Distinct(StringComparer.Ordinal));

    [Fact]
    public void EveryCommand_IsRunHere_OrListedWithItsReason()
    {
        var commands = Commands().ToList();
        Assert.Contains(OperatorSettings, commands);
        var unaccounted = commands.Where(c => !c.StartsWith("sgbridge", StringComparison.Ordinal) && c != OperatorSettings && !NotRunHere.ContainsKey(c)).ToList();
        Assert.True(unaccounted.Count == 0, "docs/deploy.md shows commands no test runs and no reason covers:\n" + string.Join('\n', unaccounted));
        var stale = NotRunHere.Keys.Where(k => !commands.Contains(k)).ToList();
        Assert.True(stale.Count == 0, "reasons for commands docs/deploy.md no longer shows:\n" + string.Join('\n', stale));
        Assert.All(NotRunHere.Values, reason => Assert.True(reason.Length > 20, reason));
        // Every az/azd/aws line is one of them: none is silently treated as run.
        Assert.All(commands.Where(c => CloudTool().IsMatch(c)), c => Assert.True(NotRunHere.ContainsKey(c), c));
    }

    [Fact]
    public void ReasonsNamingATest_NameOneThatExists()
    {
        var tests = typeof(DeployDocCommandTests).Assembly.GetTypes().Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var methods = typeof(DeployDocCommandTests).Assembly.GetTypes().SelectMany(t => t.GetMethods()).Select(m => $"{m.DeclaringType!.Name}.{m.Name}").ToHashSet(StringComparer.Ordinal);
        foreach (Match m in NotRunHere.Values.SelectMany(v => TestName().Matches(v)))
        {
            Assert.True(tests.Contains(m.Value) || methods.Contains(m.Value), $"a reason names {m.Value}, which is no test here");
        }
    }

    [Theory]
    [MemberData(nameof(SgbridgeLines))]
    public async Task SgbridgeLine_RunsAsWritten_WithTheSettingsTheDocExports(string line)
    {
        var cli = new CliRunner();
        // The doc's Storage__AccountName (with `az login`) is the emulator here; the allow-list is the doc's '*'.
        cli.Environment["Storage__ConnectionString"] = azurite.ConnectionString;
        cli.Environment["Storage__RequestsTable"] = azurite.UniqueTableName("deployreq");
        cli.Environment["Storage__GroupsTable"] = azurite.UniqueTableName("deploygrp");
        cli.Environment["Policy__AllowedAccounts"] = "*";
        var args = Arguments(line.Replace("<account>", "111122223333", StringComparison.Ordinal).Replace("<region>", "us-east-1", StringComparison.Ordinal));

        var (exit, output, error) = await cli.RunAsync(args.Skip(1).ToArray());

        Assert.True(exit == Exits.GetValueOrDefault(line, 0), $"{line}: exit {exit}\n{output}\n{error}");
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
    }

    /// <summary>The command lines of the doc's bash blocks: continuations joined, comments dropped.</summary>
    internal static IEnumerable<string> Commands()
    {
        var doc = RepoPaths.ReadText("docs", "deploy.md").ReplaceLineEndings("\n");
        foreach (Match block in BashBlock().Matches(doc))
        {
            var current = "";
            foreach (var raw in block.Groups[1].Value.Split('\n'))
            {
                var line = raw.TrimEnd();
                if (line.EndsWith('\\'))
                {
                    current += line[..^1].Trim() + " ";
                    continue;
                }
                current += line.Trim();
                var command = TrailingComment().Replace(current, "").Trim();
                current = "";
                if (command.Length > 0 && !command.StartsWith('#'))
                {
                    yield return command;
                }
            }
        }
    }

    private static List<string> Arguments(string line) => Regex.Matches(line, "\"[^\"]*\"|'[^']*'|\\S+").Select(m => m.Value.Trim('"', '\'')).ToList();

    [GeneratedRegex(@"```bash\n(.*?)```", RegexOptions.Singleline, 1000)]
    private static partial Regex BashBlock();

    [GeneratedRegex(@"\s+#\s.*$", RegexOptions.None, 1000)]
    private static partial Regex TrailingComment();

    [GeneratedRegex(@"(^|[\s(|&;])(az|azd|aws|func)\s", RegexOptions.None, 1000)]
    private static partial Regex CloudTool();

    [GeneratedRegex(@"\b[A-Z]\w+Tests(\.\w+)?\b", RegexOptions.None, 1000)]
    private static partial Regex TestName();
}
