using Azure.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Intake;
using SgBridge.Shared.Options;
using SgBridge.Shared.Aws;
using SgBridge.Tests.Aws;
using SgBridge.Tests.Integration;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SgBridge.Tests.Cli;

/// <summary>
/// `sgbridge doctor` with the app's real services: Azurite for storage, moto for STS and EC2 (the real AWS SDK), a
/// WireMock stub for the Slack Web API, and a stub for the one broken AWS answer per check that moto cannot give.
/// The Entra token is the only part replaced (there is no Entra ID in a test): moto accepts any web identity token.
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class DoctorCommandTests : IClassFixture<MotoFixture>, IAsyncLifetime
{
    private const string Token = "xoxb-test";
    private readonly AzuriteFixture _azurite;
    private readonly MotoFixture _moto;
    private readonly WireMockServer _slack = WireMockServer.Start();
    private readonly WireMockServer _aws = WireMockServer.Start();
    private readonly CliRunner _cli = new();

    public DoctorCommandTests(AzuriteFixture azurite, MotoFixture moto)
    {
        _azurite = azurite;
        _moto = moto;
        var e = _cli.Environment;
        e["Storage__ConnectionString"] = azurite.ConnectionString;
        e["Storage__RequestsTable"] = azurite.UniqueTableName("docreq");
        e["Storage__GroupsTable"] = azurite.UniqueTableName("docgrp");
        e["Policy__AllowedAccounts"] = "111111111111, 222222222222";
        e["Aws__RoleArnPattern"] = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole";
        e["Aws__WebIdentityAudience"] = "api://sgbridge-aws";
        e["Aws__StsEndpoint"] = moto.Url;
        e["Aws__Ec2Endpoint"] = moto.Url;
        e["Aws__MaxErrorRetry"] = "0";
        e["Slack__BotToken"] = Token;
        e["Slack__SigningSecret"] = "signing-secret";
        e["Slack__ApproversChannel"] = "C0APPROVERS";
        e["Slack__MonitoringChannel"] = "C0MONITOR";
        e["Slack__ApproverUserIds"] = "U0ALICE";
        e["Slack__BaseUrl"] = _slack.Url + "/api/";
        _cli.ConfigureServices = s => s.AddSingleton<IWebIdentityTokenSource>(new StaticTokenSource());
        SlackAnswers("""{"ok":true,"url":"https://acme.slack.com/","team":"Acme","user":"sgbridge","team_id":"T0ACME","user_id":"U0BOT","bot_id":"B0BOT"}""",
            Member("C0APPROVERS", "sg-approvals", true), Member("C0MONITOR", "sg-monitoring", true));
    }

    /// <summary>A healthy deployment has a heartbeat from two minutes ago (the intake's own store writes it).</summary>
    public Task InitializeAsync() => BeatAsync(CliRunner.Now - TimeSpan.FromMinutes(2));

    public Task DisposeAsync()
    {
        _slack.Stop();
        _aws.Stop();
        return Task.CompletedTask;
    }

    private const string CommandsUrl = "https://func-sgbridge-prod.azurewebsites.net/api/slack/commands";

    /// <summary>Records a heartbeat as the intake does (TableHeartbeatStore), received at <paramref name="at"/>.</summary>
    private Task BeatAsync(DateTimeOffset at) =>
        new TableHeartbeatStore(_azurite.CreateTableServiceClient(), Options.Create(new StorageOptions { GroupsTable = _cli.Environment["Storage__GroupsTable"]! }))
            .WriteAsync(new HeartbeatBeat("beat-1", at - TimeSpan.FromSeconds(3), "333333333333", "arn:aws:events:eu-west-1:333333333333:rule/sgbridge-heartbeat", at), CancellationToken.None);

    /// <summary>A Slack app manifest as Slack exports it (JSON), with the slash command's URL.</summary>
    private static string Manifest(string? url)
    {
        var path = Path.Combine(Path.GetTempPath(), $"sgbridge-manifest-{Guid.NewGuid():N}.json");
        var commands = url is null ? "[]" : "[{\"command\":\"/sgbridge\",\"url\":\"" + url + "\",\"description\":\"SgBridge\"}]";
        File.WriteAllText(path, "{\"display_information\":{\"name\":\"SgBridge\"},\"features\":{\"slash_commands\":" + commands + "}}");
        return path;
    }

    private static string Member(string id, string name, bool member) =>
        "{\"ok\":true,\"channel\":{\"id\":\"" + id + "\",\"name\":\"" + name + "\",\"is_channel\":true,\"is_member\":" + (member ? "true" : "false") + "}}";

    /// <summary>Slack answers only requests carrying the bot token; conversations.info per channel id.</summary>
    private void SlackAnswers(string authTest, string approvers, string monitoring)
    {
        _slack.Reset();
        Respond("auth.test", null, authTest);
        Respond("conversations.info", "C0APPROVERS", approvers);
        Respond("conversations.info", "C0MONITOR", monitoring);
    }

    private void Respond(string method, string? channel, string body)
    {
        var request = Request.Create().WithPath("/api/" + method).UsingPost().WithHeader("Authorization", "Bearer " + Token);
        if (channel is not null)
        {
            request = request.WithBody(new WildcardMatcher("*channel=" + channel + "*"));
        }
        _slack.Given(request).RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(body));
    }

    /// <summary>The AWS stub answers every call with this status and XML error.</summary>
    private void AwsError(int status, string xml) =>
        _aws.Given(Request.Create().UsingPost()).RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "text/xml").WithBody(xml));

    private static string[] Lines(string output, char mark) => output.Split('\n').Where(l => l.StartsWith(mark)).Select(l => l.TrimEnd('\r')).ToArray();

    [MotoFact]
    public async Task Doctor_HealthyDeployment_PassesEveryCheck()
    {
        var (exit, output, error) = await _cli.RunAsync("doctor", "--region", "eu-west-1,us-east-1", "--commands-url", CommandsUrl, "--slack-manifest", Manifest(CommandsUrl));

        Assert.True(exit == 0, output + error);
        Assert.Empty(Lines(output, '✗'));
        Assert.Empty(Lines(output, '–'));
        foreach (var expected in new[]
        {
            "✓ settings Policy: valid", "✓ settings Processing: valid", "✓ settings Storage: valid", "✓ settings Aws: valid", "✓ settings Slack: valid",
            $"✓ storage table {_cli.Environment["Storage__RequestsTable"]}: reachable with the connection string; not created yet",
            "✓ storage queue sgbridge-changes:", "✓ storage queue sgbridge-effects:",
            "✓ sts account 111111111111: assumed arn:aws:iam::111111111111:role/SgBridgeExecutionRole (sts:AssumeRoleWithWebIdentity)",
            "✓ sts account 222222222222: assumed arn:aws:iam::222222222222:role/SgBridgeExecutionRole",
            "✓ ec2 111111111111 eu-west-1: DescribeSecurityGroups and DescribeSecurityGroupRules answered",
            "✓ ec2 111111111111 us-east-1:", "✓ ec2 222222222222 eu-west-1:", "✓ ec2 222222222222 us-east-1:",
            "✓ slack auth.test: the bot token is valid: bot @sgbridge (U0BOT) in team Acme.",
            "✓ slack ApproversChannel C0APPROVERS: #sg-approvals: the bot is a member.",
            "✓ slack MonitoringChannel C0MONITOR: #sg-monitoring: the bot is a member.",
            $"✓ slack /sgbridge URL: Slack sends /sgbridge to {CommandsUrl}, the deployment's SLACK_COMMANDS_URL",
              "✓ heartbeat last: received 2026-11-29T11:58:00Z", "(2 min ago, from arn:aws:events:eu-west-1:333333333333:rule/sgbridge-heartbeat, delivered 3 s after it was sent).",
            "All 20 checks passed.",
        })
        {
            Assert.True(output.Contains(expected, StringComparison.Ordinal), $"missing: {expected}\n{output}");
        }
    }

    [MotoFact]
    public async Task Doctor_WithoutRegion_ChecksEc2InTheStsRegion_AndReadsAnExistingTable()
    {
        _cli.Environment["Aws__StsRegion"] = "eu-central-1";
        await _azurite.CreateTableServiceClient().CreateTableAsync(_cli.Environment["Storage__RequestsTable"]);

        var (exit, output, _) = await _cli.RunAsync("doctor");

        Assert.Equal(0, exit);
        Assert.Contains("✓ ec2 111111111111 eu-central-1:", output, StringComparison.Ordinal);
        Assert.DoesNotContain("us-east-1", output, StringComparison.Ordinal);
        Assert.Contains($"✓ storage table {_cli.Environment["Storage__RequestsTable"]}: exists and can be read", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_BadSettings_NamesEachSetting_AndSkipsWhatDependsOnThem()
    {
        _cli.Environment.Remove("Aws__WebIdentityAudience");
        _cli.Environment["Policy__AllowedAccounts"] = "111111111111,prod";
        _cli.Environment.Remove("Slack__ApproverUserIds");

        var (exit, output, _) = await _cli.RunAsync("doctor");

        Assert.Equal(2, exit);
        Assert.Contains("✗ settings Aws__WebIdentityAudience: Aws:WebIdentityAudience is required when Aws:AuthMode is WebIdentity", output, StringComparison.Ordinal);
        Assert.Contains("✗ settings Policy__AllowedAccounts: Policy:AllowedAccounts has 'prod', which is not a 12-digit AWS account id.", output, StringComparison.Ordinal);
        Assert.Contains("✗ settings Slack__ApproverUserIds: Slack:ApproverUserIds or Slack:ApproverUserGroupIds must list at least one approver.", output, StringComparison.Ordinal);
        Assert.Contains("    fix: set Aws__WebIdentityAudience in the app settings", output, StringComparison.Ordinal);
        Assert.Contains("✓ settings Storage: valid", output, StringComparison.Ordinal);
        Assert.Contains("– sts accounts: skipped: the Policy or Aws settings are not valid", output, StringComparison.Ordinal);
        Assert.Contains("– ec2 read: skipped", output, StringComparison.Ordinal);
        // Slack's token still works and is still checked.
        Assert.Contains("✓ slack auth.test:", output, StringComparison.Ordinal);
        Assert.Contains("3 check(s) failed.", output, StringComparison.Ordinal); // the heartbeat is fresh
    }

    [Fact]
    public async Task Doctor_MissingStorageSettings_NamesThem()
    {
        _cli.Environment.Remove("Storage__ConnectionString");

        var (exit, output, _) = await _cli.RunAsync("doctor");

        Assert.Equal(2, exit);
        Assert.Contains("✗ settings Storage__ConnectionString: Set exactly one of Storage:ConnectionString (Azurite locally) or Storage:AccountName", output, StringComparison.Ordinal);
        Assert.Contains("– storage access: skipped", output, StringComparison.Ordinal);
    }

    [MotoFact]
    public async Task Doctor_WrongStorageKey_FailsEachStorageCheckWithTheFix()
    {
        _cli.Environment["Storage__ConnectionString"] = _azurite.ConnectionString.Replace(
            SgBridge.Emulators.Azurite.AccountKey, Convert.ToBase64String(new byte[64]), StringComparison.Ordinal);

        var (exit, output, _) = await _cli.RunAsync("doctor");

        Assert.Equal(2, exit);
        var failed = Lines(output, '✗');
        Assert.Equal(5, failed.Length); // 2 tables, 2 queues (changes, effects), the heartbeat's row
        Assert.All(failed, l => Assert.Contains("Azure Storage answered 403", l, StringComparison.Ordinal));
        Assert.Contains($"✗ storage table {_cli.Environment["Storage__RequestsTable"]}: Azure Storage answered 403", output, StringComparison.Ordinal);
        Assert.Contains("✗ storage queue sgbridge-changes: Azure Storage answered 403", output, StringComparison.Ordinal);
        Assert.Contains("fix: the account key in Storage__ConnectionString is wrong or rotated", output, StringComparison.Ordinal);
        Assert.Contains("✓ sts account 111111111111", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_RoleThatDoesNotTrustTheBridge_FailsStsWithTheFix_AndSkipsEc2()
    {
        _cli.Environment["Aws__StsEndpoint"] = _aws.Url;
        AwsError(403, """
            <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <Error><Type>Sender</Type><Code>AccessDenied</Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message></Error>
              <RequestId>req-1</RequestId>
            </ErrorResponse>
            """);

        var (exit, output, _) = await _cli.RunAsync("doctor");

        Assert.Equal(2, exit);
        Assert.Contains("✗ sts account 111111111111: AWS answered 403 AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity", output, StringComparison.Ordinal);
        Assert.Contains("✗ sts account 222222222222: AWS answered 403 AccessDenied", output, StringComparison.Ordinal);
        Assert.Contains("fix: the role arn:aws:iam::111111111111:role/SgBridgeExecutionRole is missing in 111111111111 or its trust policy does not admit the bridge", output, StringComparison.Ordinal);
        Assert.Contains("its aud condition is api://sgbridge-aws", output, StringComparison.Ordinal);
        Assert.Contains("– ec2 read: skipped: no account's role could be assumed", output, StringComparison.Ordinal);
        Assert.Contains("2 check(s) failed.", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_NoEntraToken_SaysSoWithTheFix()
    {
        _cli.ConfigureServices = s => s.AddSingleton<IWebIdentityTokenSource>(new ThrowingTokenSource());

        var (exit, output, _) = await _cli.RunAsync("doctor");

        Assert.Equal(2, exit);
        Assert.Contains("✗ sts account 111111111111: CredentialUnavailableException: no managed identity here", output, StringComparison.Ordinal);
        Assert.Contains("fix: no Entra token for api://sgbridge-aws", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_AllowedAccountsWildcard_SkipsStsWithANote()
    {
        _cli.Environment["Policy__AllowedAccounts"] = "*";

        var (_, output, _) = await _cli.RunAsync("doctor");

        Assert.Contains("– sts accounts: skipped: Policy:AllowedAccounts is '*', so there is no list of accounts to try.", output, StringComparison.Ordinal);
        Assert.Contains("fix: to check member roles, run doctor with Policy__AllowedAccounts=<the accounts to check>.", output, StringComparison.Ordinal);
        Assert.DoesNotContain("✓ sts", output, StringComparison.Ordinal);
        Assert.DoesNotContain("✗ sts", output, StringComparison.Ordinal);
    }

    [MotoFact]
    public async Task Doctor_RoleWithoutEc2Read_FailsEc2WithTheFix()
    {
        _cli.Environment["Aws__Ec2Endpoint"] = _aws.Url;
        AwsError(403, "<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>req-2</RequestID></Response>");

        var (exit, output, _) = await _cli.RunAsync("doctor", "--region", "eu-west-1");

        Assert.Equal(2, exit);
        Assert.Contains("✓ sts account 111111111111", output, StringComparison.Ordinal);
        Assert.Contains("✗ ec2 111111111111 eu-west-1: AWS answered 403 UnauthorizedOperation: You are not authorized to perform this operation.", output, StringComparison.Ordinal);
        Assert.Contains("fix: the member role in 111111111111 needs ec2:DescribeSecurityGroups and ec2:DescribeSecurityGroupRules", output, StringComparison.Ordinal);
        Assert.Contains("2 check(s) failed.", output, StringComparison.Ordinal);
    }

    [MotoFact]
    public async Task Doctor_InvalidBotToken_FailsAuthTest_AndSkipsTheChannels()
    {
        SlackAnswers("""{"ok":false,"error":"invalid_auth"}""", Member("C0APPROVERS", "a", true), Member("C0MONITOR", "m", true));

        var (exit, output, _) = await _cli.RunAsync("doctor", "--region", "eu-west-1");

        Assert.Equal(2, exit);
        Assert.Contains("✗ slack auth.test: Slack answered invalid_auth.", output, StringComparison.Ordinal);
        Assert.Contains("fix: Slack__BotToken must be the app's Bot User OAuth Token (xoxb-…)", output, StringComparison.Ordinal);
        Assert.Contains("– slack channels: skipped: auth.test did not pass", output, StringComparison.Ordinal);
        Assert.Single(Lines(output, '✗'));
    }

    [MotoFact]
    public async Task Doctor_BotNotInAChannel_FailsThatChannelWithTheInvite()
    {
        SlackAnswers("""{"ok":true,"team":"Acme","user":"sgbridge","user_id":"U0BOT"}""",
            Member("C0APPROVERS", "sg-approvals", false), """{"ok":false,"error":"not_in_channel"}""");

        var (exit, output, _) = await _cli.RunAsync("doctor", "--region", "eu-west-1");

        Assert.Equal(2, exit);
        Assert.Contains("✗ slack ApproversChannel C0APPROVERS: #sg-approvals: the bot is not a member, so it cannot post there.", output, StringComparison.Ordinal);
        Assert.Contains("✗ slack MonitoringChannel C0MONITOR: C0MONITOR: Slack answered not_in_channel.", output, StringComparison.Ordinal);
        Assert.Contains("fix: /invite @sgbridge in it", output, StringComparison.Ordinal);
        Assert.Equal(2, Lines(output, '✗').Length);
    }

    [MotoFact]
    public async Task Doctor_ChannelNotFound_And_MissingScope_AreToldApart()
    {
        SlackAnswers("""{"ok":true,"team":"Acme","user":"sgbridge","user_id":"U0BOT"}""",
            """{"ok":false,"error":"channel_not_found"}""", """{"ok":false,"error":"missing_scope","needed":"channels:read","provided":"chat:write"}""");

        var (exit, output, _) = await _cli.RunAsync("doctor", "--region", "eu-west-1");

        Assert.Equal(2, exit);
        Assert.Contains("✗ slack ApproversChannel C0APPROVERS: Slack answered channel_not_found", output, StringComparison.Ordinal);
        Assert.Contains("fix: Slack__ApproversChannel takes the channel id (C…", output, StringComparison.Ordinal);
        Assert.Contains("! slack MonitoringChannel C0MONITOR: cannot tell: conversations.info needs channels:read", output, StringComparison.Ordinal);
        Assert.Single(Lines(output, '✗'));
    }

    [MotoFact]
    public async Task Doctor_SlackUnreachable_SaysSoWithTheNetworkFix()
    {
        _cli.Environment["Slack__BaseUrl"] = $"http://127.0.0.1:{SgBridge.Emulators.ChildProcess.FreePort()}/api/";

        var (exit, output, _) = await _cli.RunAsync("doctor", "--region", "eu-west-1");

        Assert.Equal(2, exit);
        Assert.Contains("✗ slack auth.test: cannot reach it:", output, StringComparison.Ordinal);
        Assert.Contains("fix: check Slack__BaseUrl (default https://slack.com/api/) and the network path to Slack.", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--region", "EU-WEST-1")]
    [InlineData("--region", "mars")]
    public async Task Doctor_BadRegion_ExitsOne(string option, string value)
    {
        var (exit, _, error) = await _cli.RunAsync("doctor", option, value);
        Assert.Equal(1, exit);
        Assert.StartsWith($"sgbridge doctor: --region: '{value}' is not an AWS region", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_NoHeartbeatEver_FailsWithTheStepThatSendsIt()
    {
        _cli.Environment["Storage__GroupsTable"] = _azurite.UniqueTableName("docnobeat");

        var (exit, output, error) = await _cli.RunAsync("doctor");

        Assert.Equal(2, exit);
        Assert.Contains("✗ heartbeat last: never received: no heartbeat has reached the intake", output, StringComparison.Ordinal);
        Assert.Contains("    fix: deploy aws-bootstrap/sgbridge-central-bus.yaml with the intake's function key (docs/deploy.md step 5)", output, StringComparison.Ordinal);
        Assert.Empty(error);
    }

    [Theory]
    [InlineData(5, 11, true)]   // two intervals are 10 minutes: 11 is stale
    [InlineData(5, 9, false)]
    [InlineData(15, 25, false)] // the central stack's pHeartbeatMinutes=15: 25 minutes is within two intervals
    public async Task Doctor_Heartbeat_FailsWhenOlderThanTwoIntervals(int interval, int ageMinutes, bool stale)
    {
        await BeatAsync(CliRunner.Now - TimeSpan.FromMinutes(ageMinutes));

        var (_, output, _) = await _cli.RunAsync("doctor", "--heartbeat-minutes", interval.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var line = Assert.Single(Lines(output, stale ? '✗' : '✓'), l => l.Contains("heartbeat last:", StringComparison.Ordinal));
        Assert.Contains($"({ageMinutes} min ago", line, StringComparison.Ordinal);
        Assert.Equal(stale, line.Contains($"older than two heartbeat intervals ({2 * interval} min), the delivery path is broken.", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("0", "sgbridge doctor: --heartbeat-minutes: 0 is not between 1 and 1440 (pHeartbeatMinutes of the central bus stack).")]
    [InlineData("abc", "abc")]
    public async Task Doctor_BadHeartbeatMinutes_ExitsOne_WithoutAStackTrace(string value, string message)
    {
        var (exit, output, error) = await _cli.RunAsync("doctor", "--heartbeat-minutes", value);

        Assert.Equal(1, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output + error, StringComparison.Ordinal);
        Assert.DoesNotContain("✓ settings", output, StringComparison.Ordinal); // nothing was checked
    }

    [Fact]
    public async Task Doctor_MissingManifestFile_ExitsOne_OneLine()
    {
        var (exit, output, error) = await _cli.RunAsync("doctor", "--slack-manifest", "no-such-manifest.json");

        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.Equal(["sgbridge doctor: --slack-manifest: no such file: no-such-manifest.json", "See: sgbridge doctor --help"], error.Trim().Split('\n').Select(l => l.TrimEnd('\r')));
    }

    [Fact]
    public async Task Doctor_ManifestThatIsNotJson_ExitsOne_OneLine()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sgbridge-manifest-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(path, "display_information:\n  name: SgBridge\n");

        var (exit, _, error) = await _cli.RunAsync("doctor", "--commands-url", CommandsUrl, "--slack-manifest", path);

        Assert.Equal(1, exit);
        Assert.StartsWith($"sgbridge doctor: --slack-manifest: {path} cannot be read as the Slack app manifest (JSON, from App Manifest → JSON):", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_SlackSendsTheCommandElsewhere_FailsWithBothUrlsAndTheStep()
    {
        var (exit, output, _) = await _cli.RunAsync("doctor", "--commands-url", CommandsUrl, "--slack-manifest", Manifest("https://REPLACE-WITH-FUNCTION-APP.azurewebsites.net/api/slack/commands"));

        Assert.Equal(2, exit);
        Assert.Contains($"✗ slack /sgbridge URL: Slack sends /sgbridge to https://REPLACE-WITH-FUNCTION-APP.azurewebsites.net/api/slack/commands; the deployment answers at {CommandsUrl}.", output, StringComparison.Ordinal);
        Assert.Contains($"    fix: in the Slack app: Slash Commands → /sgbridge → Request URL = {CommandsUrl}, then save (docs/deploy.md step 4).", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_ManifestWithoutTheCommand_Fails()
    {
        var (exit, output, _) = await _cli.RunAsync("doctor", "--commands-url", CommandsUrl, "--slack-manifest", Manifest(null));

        Assert.Equal(2, exit);
        Assert.Contains("✗ slack /sgbridge URL: the Slack app's manifest (", output, StringComparison.Ordinal);
        Assert.Contains("has no /sgbridge command (features.slash_commands).", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_CommandsUrlFromTheDeploymentsOutput_WrongPath_Fails()
    {
        _cli.Environment["SLACK_COMMANDS_URL"] = "https://func-sgbridge-prod.azurewebsites.net/api/slack/interactions";

        var (exit, output, _) = await _cli.RunAsync("doctor");

        Assert.Equal(2, exit);
        Assert.Contains("✗ slack /sgbridge URL: the deployment's slash-command URL https://func-sgbridge-prod.azurewebsites.net/api/slack/interactions is not https://<app>/api/slack/commands.", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_CommandsUrlUnknown_IsSkippedWithWhereToFindIt()
    {
        var (_, output, _) = await _cli.RunAsync("doctor");

        Assert.Contains("– slack /sgbridge URL: skipped: the deployment's slash-command URL is not known.", output, StringComparison.Ordinal);
        Assert.Contains("fix: pass --commands-url <SLACK_COMMANDS_URL>", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(401, '!')]
    [InlineData(404, '✗')]
    public async Task Doctor_WithoutManifest_ProbesTheDeploymentsEndpoint_AndSaysSlacksSideWasNotChecked(int status, char mark)
    {
        // The deployment's endpoint: the bridge answers an unsigned slash command with 401; anything else is not the bridge.
        _aws.Given(Request.Create().WithPath("/api/slack/commands").UsingPost()).RespondWith(Response.Create().WithStatusCode(status));

        var (exit, output, _) = await _cli.RunAsync("doctor", "--commands-url", _aws.Url + "/api/slack/commands");

        var line = Assert.Single(Lines(output, mark), l => l.Contains("slack /sgbridge URL:", StringComparison.Ordinal));
        if (status == 401)
        {
            Assert.Contains($"the deployment answers at {_aws.Url}/api/slack/commands (401 to an unsigned request: it checks Slack's signature); what Slack sends /sgbridge to was not checked", line, StringComparison.Ordinal);
            Assert.Contains("fix: to check what Slack holds, export the app's manifest", output, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("answered 404 to an unsigned request, not 401", line, StringComparison.Ordinal);
            Assert.Equal(2, exit);
        }
    }

    [Fact]
    public void CommandsPath_IsTheAppsRoute()
    {
        Assert.Equal("/api/" + SgBridge.FunctionApp.Routes.SlackCommands, SgBridge.Cli.Commands.DoctorDelivery.CommandsPath);
    }

    private sealed class ThrowingTokenSource : IWebIdentityTokenSource
    {
        public Task<string> GetTokenAsync(CancellationToken cancellationToken) => throw new CredentialUnavailableException("no managed identity here");
    }
}
