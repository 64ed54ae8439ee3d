using System.Text.Json;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Microsoft.Extensions.DependencyInjection;
using SgBridge.Cli;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Aws;
using SgBridge.Tests.Integration;
using Spectre.Console;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Cli;

/// <summary>
/// The audit verbs on Azurite and moto: Slack permalinks in `requests show` and `export` (from the stored channel and
/// ts), `access list` (live time-bound access, checked against the expiry index), `groups show|diff` (approved state
/// recorded by `baseline`, drift made in moto), `*` as the accounts the bridge knows, the fleet's progress bar on a
/// terminal only, and shell completion through the suggest directive.
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class AuditCommandTests : IClassFixture<MotoFixture>
{
    private readonly AzuriteFixture _azurite;
    private readonly MotoFixture _moto;
    private readonly string _requests;
    private readonly string _groups;
    private readonly string _slack;
    private readonly string _expiries;
    private readonly string _account = Random.Shared.NextInt64(100_000_000_000, 999_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
    private readonly CliRunner _cli = new() { ConfigureServices = s => s.AddSingleton<IWebIdentityTokenSource>(new StaticTokenSource()) };
    private readonly CancellationToken _ct = new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token;

    public AuditCommandTests(AzuriteFixture azurite, MotoFixture moto)
    {
        _azurite = azurite;
        _moto = moto;
        _requests = azurite.UniqueTableName("audreq");
        _groups = azurite.UniqueTableName("audgrp");
        _slack = azurite.UniqueTableName("audslack");
        _expiries = azurite.UniqueTableName("audexp");
        var e = _cli.Environment;
        e["Storage__ConnectionString"] = azurite.ConnectionString;
        e["Storage__RequestsTable"] = _requests;
        e["Storage__GroupsTable"] = _groups;
        e["Storage__SlackTable"] = _slack;
        e["Approvals__ExpiryTable"] = _expiries;
        e["Policy__AllowedAccounts"] = _account;
        e["Aws__RoleArnPattern"] = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole";
        e["Aws__WebIdentityAudience"] = "api://sgbridge-aws";
        e["Aws__StsEndpoint"] = moto.Url;
        e["Aws__Ec2Endpoint"] = moto.Url;
        e["Reconcile__Regions"] = "eu-west-1";
        // A sweep's services need the Slack settings; nothing here calls Slack (a refused port would fail the verb).
        e["Slack__BotToken"] = "xoxb-test";
        e["Slack__SigningSecret"] = "signing-secret";
        e["Slack__ApproversChannel"] = "C0APPROVERS";
        e["Slack__MonitoringChannel"] = "C0MONITOR";
        e["Slack__ApproverUserIds"] = "U0ALICE";
        e["Slack__BaseUrl"] = $"http://127.0.0.1:{SgBridge.Emulators.ChildProcess.FreePort()}/api/";
    }

    private StorageOptions Storage => new() { ConnectionString = _azurite.ConnectionString, RequestsTable = _requests, GroupsTable = _groups, SlackTable = _slack };

    private TableRequestStore Requests() => new(_azurite.CreateTableServiceClient(), O.Create(Storage));

    private static ChangeRequest Pending(string id, DateTimeOffset at)
    {
        var r = ChangeRequest.Open(id, RequestsCommandTests.Sample("authorize-ssh-from-internet.json", "evt-" + id), at);
        r.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress", true), at);
        return r;
    }

    private async Task ShowInSlackAsync(ChangeRequest r, string approversTs, string monitoringTs)
    {
        var threads = new TableSlackThreadStore(_azurite.CreateTableServiceClient(), O.Create(Storage));
        var home = SlackRows.HomeOf(r);
        var thread = SlackThread.Start(home, r.Id, SlackRows.BatchKey(r), CliRunner.Now) with
        {
            Home = home, ApproverMessage = new SlackMessageRef("C0APPROVERS", approversTs), MonitoringMessage = new SlackMessageRef("C0MONITOR", monitoringTs),
        };
        await threads.WriteAsync(SlackRows.Thread(home, r.Id), thread, null, _ct);
        await threads.WriteAsync(SlackRows.Member(home, r.Id), new ThreadMembership(r.Id), null, _ct);
    }

    [Fact]
    public async Task RequestsShowAndExport_GiveTheSlackPermalinks_BuiltFromTheStoredChannelAndTs()
    {
        var shown = Pending("SG-ADTNK001", CliRunner.Now.AddHours(-2));
        var never = Pending("SG-ADTNK002", CliRunner.Now.AddHours(-1));
        await Requests().AddOrGetAsync(shown, _ct);
        await Requests().AddOrGetAsync(never, _ct);
        await ShowInSlackAsync(shown, "1764417600.000100", "1764417601.000200");
        _cli.Environment["Cli__SlackWorkspaceUrl"] = "https://acme.slack.com/";

        var (exit, output, error) = await _cli.RunAsync("requests", "show", "SG-ADTNK001", "--json");
        Assert.True(exit == 0, error);
        var slack = JsonDocument.Parse(output).RootElement.GetProperty("request").GetProperty("slack");
        Assert.Equal("https://acme.slack.com/archives/C0APPROVERS/p1764417600000100", slack.GetProperty("approversPermalink").GetString());
        Assert.Equal("https://acme.slack.com/archives/C0MONITOR/p1764417601000200", slack.GetProperty("monitoringPermalink").GetString());
        Assert.Equal("C0APPROVERS/1764417600.000100", slack.GetProperty("approversMessage").GetString());

        var (_, text, _) = await _cli.RunAsync("requests", "show", "SG-ADTNK001");
        Assert.Contains("  Approvers  https://acme.slack.com/archives/C0APPROVERS/p1764417600000100", text, StringComparison.Ordinal);

        var (exportExit, csv, exportError) = await _cli.RunAsync("export", "--since", "1d", "--format", "csv");
        Assert.True(exportExit == 0, exportError);
        var lines = csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith(",decisionReason,slackMessage,slackPermalink,slackMonitoringPermalink", lines[0], StringComparison.Ordinal);
        Assert.EndsWith(",C0APPROVERS/1764417600.000100,https://acme.slack.com/archives/C0APPROVERS/p1764417600000100,https://acme.slack.com/archives/C0MONITOR/p1764417601000200", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("SG-ADTNK002,", lines[2], StringComparison.Ordinal);
        Assert.EndsWith(",,,,", lines[2], StringComparison.Ordinal); // never posted: no links

        // Without a workspace URL: the channel and ts, no permalink (no Slack call is made to find one).
        _cli.Environment.Remove("Cli__SlackWorkspaceUrl");
        var (_, jsonl, _) = await _cli.RunAsync("export", "--since", "1d");
        var record = JsonDocument.Parse(jsonl.Split('\n')[0]).RootElement;
        Assert.Equal("C0APPROVERS/1764417600.000100", record.GetProperty("slackMessage").GetString());
        Assert.Equal(JsonValueKind.Null, record.GetProperty("slackPermalink").ValueKind);
    }

    [Fact]
    public async Task AccessList_ShowsLiveTimeBoundAccess_AndFlagsAGrantTheTimerWillNotEnd()
    {
        var scheduled = Pending("SG-ADTACC01", CliRunner.Now.AddHours(-3));
        scheduled.Approve("U0BOB", "Bob", CliRunner.Now.AddHours(-2), TimeSpan.FromHours(8));
        scheduled.MarkApplied(new CallOutcome("ec2:AuthorizeSecurityGroupIngress", true), CliRunner.Now.AddHours(-2));
        var permanent = Pending("SG-ADTACC02", CliRunner.Now.AddHours(-3));
        permanent.Approve("U0BOB", "Bob", CliRunner.Now.AddHours(-2));
        permanent.MarkApplied(new CallOutcome("ec2:AuthorizeSecurityGroupIngress", true), CliRunner.Now.AddHours(-2));
        foreach (var r in new[] { scheduled, permanent })
        {
            await Requests().AddOrGetAsync(r, _ct);
        }
        var index = new TableAccessExpiryIndex(_azurite.CreateTableServiceClient(), O.Create(new ApprovalsOptions { ExpiryTable = _expiries }));
        await index.AddAsync(new AccessExpiryEntry(scheduled.AccessUntil!.Value, scheduled.Id, scheduled.AccountId, scheduled.Region, scheduled.GroupId!), _ct);

        var (exit, output, error) = await _cli.RunAsync("access", "list");
        Assert.True(exit == 0, error + output);
        Assert.Contains("SG-ADTACC01  2026-11-29T18:00:00Z  6h0m", output, StringComparison.Ordinal);
        Assert.Contains("U0BOB", output, StringComparison.Ordinal);
        Assert.Contains("scheduled", output, StringComparison.Ordinal);
        Assert.DoesNotContain("SG-ADTACC02", output, StringComparison.Ordinal); // permanent: not time-bound
        Assert.Contains("1 grant(s) live.", output, StringComparison.Ordinal);

        // A grant with no expiry row: the timer would never end it.
        var orphan = Pending("SG-ADTACC03", CliRunner.Now.AddHours(-1));
        orphan.Approve("U0BOB", "Bob", CliRunner.Now.AddMinutes(-30), TimeSpan.FromHours(1));
        orphan.MarkApplied(new CallOutcome("ec2:AuthorizeSecurityGroupIngress", true), CliRunner.Now.AddMinutes(-30));
        await Requests().AddOrGetAsync(orphan, _ct);

        var (flagged, json, _) = await _cli.RunAsync("access", "list", "--json");
        Assert.Equal(ExitCodes.Failed, flagged);
        var access = JsonDocument.Parse(json).RootElement.GetProperty("access").EnumerateArray().ToArray();
        Assert.Equal(["SG-ADTACC03", "SG-ADTACC01"], access.Select(a => a.GetProperty("id").GetString()));
        Assert.False(access[0].GetProperty("expiryScheduled").GetBoolean());
        Assert.Equal(1800, access[0].GetProperty("secondsLeft").GetInt64());
        Assert.True(access[1].GetProperty("expiryScheduled").GetBoolean());
    }

    private async Task<AmazonEC2Client> Ec2Async(string region)
    {
        using var sts = new AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials(), new AmazonSecurityTokenServiceConfig { ServiceURL = _moto.Url, AuthenticationRegion = "us-east-1" });
        var assumed = await sts.AssumeRoleWithWebIdentityAsync(new AssumeRoleWithWebIdentityRequest
        {
            RoleArn = $"arn:aws:iam::{_account}:role/SgBridgeExecutionRole",
            RoleSessionName = "test-setup",
            WebIdentityToken = "token",
        });
        var c = assumed.Credentials;
        return new AmazonEC2Client(new SessionAWSCredentials(c.AccessKeyId, c.SecretAccessKey, c.SessionToken), new AmazonEC2Config { ServiceURL = _moto.Url, AuthenticationRegion = region });
    }

    private static Task AuthorizeAsync(AmazonEC2Client ec2, string groupId, int port, string cidr) =>
        ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = groupId,
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = port, ToPort = port, Ipv4Ranges = [new IpRange { CidrIp = cidr }] }],
        });

    [MotoFact]
    public async Task GroupsShowAndDiff_ApprovedStateFromBaseline_BesideTheLiveGroupWithDrift()
    {
        using var ec2 = await Ec2Async("eu-west-1");
        var group = (await ec2.CreateSecurityGroupAsync(new CreateSecurityGroupRequest { GroupName = "audit-" + Guid.NewGuid().ToString("N")[..8], Description = "audit test" })).GroupId;
        await AuthorizeAsync(ec2, group, 443, "10.0.0.0/8");
        Assert.Equal(0, (await _cli.RunAsync("baseline", "--account", _account, "--region", "eu-west-1")).Exit);

        var (same, clean, _) = await _cli.RunAsync("groups", "diff", "--account", _account, "--region", "eu-west-1", "--group", group);
        Assert.True(same == 0, clean);
        Assert.Contains("No difference: the live group matches its approved state.", clean, StringComparison.Ordinal);

        await AuthorizeAsync(ec2, group, 22, "0.0.0.0/0"); // drift: nobody approved it

        var (exit, output, error) = await _cli.RunAsync("groups", "show", "--account", _account, "--region", "eu-west-1", "--group", group);
        Assert.True(exit == 0, error + output);
        Assert.Contains("Approved (1)", output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^  = TCP 443 from 10\.0\.0\.0/8.*\(Baseline, ", output);
        Assert.Contains("Live (2)", output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^  \+ TCP 22 from 0\.0\.0\.0/0", output);

        var (diff, json, _) = await _cli.RunAsync("groups", "diff", "--account", _account, "--region", "eu-west-1", "--group", group, "--json");
        Assert.Equal(ExitCodes.Failed, diff);
        var doc = JsonDocument.Parse(json).RootElement;
        Assert.Equal(("sgbridge/v1", "groups diff", true, true), (doc.GetProperty("schema").GetString(), doc.GetProperty("verb").GetString(), doc.GetProperty("exists").GetBoolean(), doc.GetProperty("onboarded").GetBoolean()));
        var item = Assert.Single(doc.GetProperty("differences").EnumerateArray());
        Assert.Equal("Unapproved", item.GetProperty("kind").GetString());
        Assert.StartsWith("not approved: TCP 22 from 0.0.0.0/0", item.GetProperty("description").GetString(), StringComparison.Ordinal);

        var (missing, _, missingError) = await _cli.RunAsync("groups", "show", "--account", _account, "--region", "eu-west-1", "--group", "sg-0000000000000dead");
        Assert.Equal(ExitCodes.Failed, missing);
        Assert.StartsWith("sgbridge groups show: sg-0000000000000dead has no approved state and does not exist", missingError, StringComparison.Ordinal);
    }

    [MotoFact]
    public async Task Star_IsEveryAccountTheBridgeKnows()
    {
        _cli.Environment["Policy__AllowedAccounts"] = "*";
        var (none, _, noneError) = await _cli.RunAsync("baseline", "--dry-run", "--account", "*", "--region", "eu-west-1");
        Assert.Equal(ExitCodes.Usage, none);
        Assert.Contains("*: the bridge knows no account yet", noneError, StringComparison.Ordinal);

        await new TableKnownAccountStore(_azurite.CreateTableServiceClient(), O.Create(Storage)).NoteAsync(_account, "event", CliRunner.Now, _ct);

        var (exit, output, error) = await _cli.RunAsync("reconcile", "--dry-run", "--region", "eu-west-1", "--json");
        Assert.True(exit is 0 or 2, error + output);
        var results = JsonDocument.Parse(output).RootElement.GetProperty("results").EnumerateArray().ToArray();
        Assert.Equal([_account], results.Select(r => r.GetProperty("account").GetString()));
        Assert.NotEqual("failed", results[0].GetProperty("result").GetString());
    }

    [MotoFact]
    public async Task FleetProgress_IsABarOnATerminal_AndLinesOtherwise_NeverWithJson()
    {
        var terminal = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.Yes, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.Yes, Out = new AnsiConsoleOutput(terminal) });
        var cli = new CliRunner { IsTerminal = true, Terminal = console, ConfigureServices = _cli.ConfigureServices };
        foreach (var (k, v) in _cli.Environment)
        {
            cli.Environment[k] = v;
        }

        var (exit, output, error) = await cli.RunAsync("baseline", "--dry-run", "--account", _account, "--region", "eu-west-1,us-east-1");
        Assert.True(exit == 0, error + output);
        Assert.Contains("2/2 done, 0 failed", terminal.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("[1/2]", error, StringComparison.Ordinal);
        Assert.DoesNotContain("done, 0 failed", output, StringComparison.Ordinal); // stdout holds the result only

        terminal.GetStringBuilder().Clear();
        var (jsonExit, json, _) = await cli.RunAsync("baseline", "--dry-run", "--account", _account, "--region", "eu-west-1", "--json");
        Assert.Equal(0, jsonExit);
        Assert.Equal("", terminal.ToString());
        Assert.Equal("sgbridge/v1", JsonDocument.Parse(json).RootElement.GetProperty("schema").GetString());

        var (_, _, piped) = await _cli.RunAsync("baseline", "--dry-run", "--account", _account, "--region", "eu-west-1"); // not a terminal
        Assert.Contains($"[1/1] {_account} eu-west-1: ok", piped, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bash", "complete -o default -F _sgbridge_complete sgbridge")]
    [InlineData("zsh", "compdef _sgbridge sgbridge")]
    [InlineData("pwsh", "Register-ArgumentCompleter -Native -CommandName sgbridge")]
    public async Task Completion_PrintsTheShellsScript(string shell, string expected)
    {
        var (exit, output, _) = await _cli.RunAsync("completion", shell);
        Assert.Equal(0, exit);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.Contains("[suggest:", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sgbridge requests ap", "approve")]
    [InlineData("sgbridge gr", "groups")]
    [InlineData("sgbridge export --format ", "csv")]
    [InlineData("sgbridge completion ", "pwsh")]
    public async Task SuggestDirective_CompletesWhatTheScriptsAskFor(string line, string expected)
    {
        var (exit, output, _) = await _cli.RunAsync($"[suggest:{line.Length}]", line);
        Assert.Equal(0, exit);
        Assert.Contains(expected, output.Split('\n').Select(l => l.Trim()));
    }

    [Fact]
    public async Task UnknownShell_IsAUsageError()
    {
        var (exit, _, error) = await _cli.RunAsync("completion", "fish");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("fish", error, StringComparison.Ordinal);
    }
}
