using System.Diagnostics;
using System.Text.Json;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SgBridge.Cli;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Aws;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Integration;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SgBridge.Tests.Cli;

/// <summary>
/// `baseline` and `reconcile` over a fleet, on Azurite and moto: a dry run writes nothing (no table, no row, no queue
/// message, no Slack call, no EC2 write: counted at Azurite, the queue sender, the Slack stub and moto); a failed
/// account (its role missing, or STS refusing the credentials) is reported in the summary table while the others
/// are done, and the exit code says so at the end. STS goes through a stub that refuses the roles of 222222222222
/// (AccessDenied) and 333333333333 (InvalidIdentityToken) and hands every other call to moto.
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class FleetCommandTests : IClassFixture<MotoFixture>, IDisposable
{
    private const string Good = "111111111111";
    private const string NoRole = "222222222222";
    private const string BadCredentials = "333333333333";
    private readonly AzuriteFixture _azurite;
    private readonly MotoFixture _moto;
    private readonly WireMockServer _sts = WireMockServer.Start();
    private readonly WireMockServer _slack = WireMockServer.Start();
    private readonly RecordingQueue _queue = new();
    private readonly CliRunner _cli = new();
    private readonly string _groupsTable;
    private readonly string _requestsTable;

    public FleetCommandTests(AzuriteFixture azurite, MotoFixture moto)
    {
        _azurite = azurite;
        _moto = moto;
        _groupsTable = azurite.UniqueTableName("fleetgrp");
        _requestsTable = azurite.UniqueTableName("fleetreq");
        var e = _cli.Environment;
        e["Storage__ConnectionString"] = azurite.ConnectionString;
        e["Storage__RequestsTable"] = _requestsTable;
        e["Storage__GroupsTable"] = _groupsTable;
        e["Policy__AllowedAccounts"] = $"{Good},{NoRole},{BadCredentials}";
        e["Aws__RoleArnPattern"] = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole";
        e["Aws__WebIdentityAudience"] = "api://sgbridge-aws";
        e["Aws__StsEndpoint"] = _sts.Url;
        e["Aws__Ec2Endpoint"] = moto.Url;
        e["Slack__BotToken"] = "xoxb-test";
        e["Slack__SigningSecret"] = "signing-secret";
        e["Slack__ApproversChannel"] = "C0APPROVERS";
        e["Slack__MonitoringChannel"] = "C0MONITOR";
        e["Slack__ApproverUserIds"] = "U0ALICE";
        e["Slack__BaseUrl"] = _slack.Url + "/api/";
        _slack.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("""{"ok":true,"ts":"1.1","channel":"C0MONITOR"}"""));
        StsRefuses(NoRole, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity");
        StsRefuses(BadCredentials, "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider");
        if (MotoFixture.IsAvailable)
        {
            _sts.Given(Request.Create().UsingAnyMethod()).AtPriority(10).RespondWith(Response.Create().WithProxy(moto.Url));
        }
        _cli.ConfigureServices = s =>
        {
            s.AddSingleton<IWebIdentityTokenSource>(new StaticTokenSource());
            s.Replace(ServiceDescriptor.Singleton<IQueueSender>(_queue));
        };
    }

    public void Dispose()
    {
        _sts.Stop();
        _slack.Stop();
    }

    private void StsRefuses(string account, string code, string message) =>
        _sts.Given(Request.Create().UsingPost().WithBody(new WildcardMatcher($"*{account}*"))).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(400).WithHeader("Content-Type", "text/xml").WithBody(
                $"<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"));

    /// <summary>An EC2 client of moto in <paramref name="account"/> (moto keys its state by the assumed role's account).</summary>
    private async Task<AmazonEC2Client> Ec2Async(string account, string region)
    {
        using var sts = new AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials(), new AmazonSecurityTokenServiceConfig { ServiceURL = _moto.Url, AuthenticationRegion = "us-east-1" });
        var assumed = await sts.AssumeRoleWithWebIdentityAsync(new AssumeRoleWithWebIdentityRequest
        {
            RoleArn = $"arn:aws:iam::{account}:role/SgBridgeExecutionRole",
            RoleSessionName = "test-setup",
            WebIdentityToken = "token",
        });
        var c = assumed.Credentials;
        return new AmazonEC2Client(new SessionAWSCredentials(c.AccessKeyId, c.SecretAccessKey, c.SessionToken), new AmazonEC2Config { ServiceURL = _moto.Url, AuthenticationRegion = region });
    }

    private static async Task<string> GroupWithRuleAsync(AmazonEC2Client ec2, string name, int port)
    {
        var group = await ec2.CreateSecurityGroupAsync(new CreateSecurityGroupRequest { GroupName = name, Description = "fleet test" });
        await AuthorizeAsync(ec2, group.GroupId, port);
        return group.GroupId;
    }

    private static Task AuthorizeAsync(AmazonEC2Client ec2, string groupId, int port) =>
        ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = groupId,
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = port, ToPort = port, Ipv4Ranges = [new IpRange { CidrIp = "0.0.0.0/0" }] }],
        });

    private static async Task<int> IngressRulesAsync(AmazonEC2Client ec2, string groupId) =>
        (await ec2.DescribeSecurityGroupRulesAsync(new DescribeSecurityGroupRulesRequest { Filters = [new Filter("group-id", [groupId])] }))
        .SecurityGroupRules.Count(r => r.IsEgress != true);

    private async Task<bool> TableExistsAsync(string name)
    {
        await foreach (var _ in _azurite.CreateTableServiceClient().QueryAsync(t => t.Name == name))
        {
            return true;
        }
        return false;
    }

    private async Task<List<(string Key, string ETag)>> RowsAsync(string table)
    {
        var rows = new List<(string, string)>();
        await foreach (var row in _azurite.CreateTableServiceClient().GetTableClient(table).QueryAsync<TableEntity>())
        {
            rows.Add((row.PartitionKey + "/" + row.RowKey, row.ETag.ToString()));
        }
        return rows;
    }

    private static void AssertNoStackFrame(string output) =>
        Assert.DoesNotContain(output.Split('\n'), CliErrors.LooksLikeStackFrame);

    [MotoFact]
    public async Task BaselineDryRun_SaysWhatWouldBeRecorded_AndWritesNothing_ThenBaselineRecordsIt()
    {
        const string region = "eu-west-2";
        using var ec2 = await Ec2Async(Good, region);
        var groupId = await GroupWithRuleAsync(ec2, "web-" + Guid.NewGuid().ToString("N")[..8], 22);

        var (exit, output, error) = await _cli.RunAsync("baseline", "--dry-run", "--account", Good, "--region", region);

        Assert.True(exit == ExitCodes.Success, output + error);
        Assert.Contains($"would record {groupId}", output, StringComparison.Ordinal);
        Assert.Contains("TCP 22 from 0.0.0.0/0", output, StringComparison.Ordinal);
        Assert.Contains("Baseline dry run: 1 of 1 account × region pair(s) read, 0 failed; nothing written.", output, StringComparison.Ordinal);
        Assert.Contains($"[1/1] {Good} {region}: ok", error, StringComparison.Ordinal);
        Assert.False(await TableExistsAsync(_groupsTable));
        Assert.False(await TableExistsAsync(_requestsTable));
        Assert.Empty(_queue.Sent);
        Assert.Empty(_queue.Delayed);
        Assert.Empty(_slack.LogEntries);

        // The same command without --dry-run does record (the checks above can fail).
        var (realExit, real, realError) = await _cli.RunAsync("baseline", "--account", Good, "--region", region);
        Assert.True(realExit == ExitCodes.Success, real + realError);
        Assert.True(await TableExistsAsync(_groupsTable));
        Assert.NotEmpty(await RowsAsync(_groupsTable));
    }

    [MotoFact]
    public async Task ReconcileDryRun_ListsTheDrift_AndWritesNothing_WhileReportOnlyRecordsIt()
    {
        const string region = "eu-west-3";
        using var ec2 = await Ec2Async(Good, region);
        var groupId = await GroupWithRuleAsync(ec2, "db-" + Guid.NewGuid().ToString("N")[..8], 5432);
        var (baselineExit, baseline, baselineError) = await _cli.RunAsync("baseline", "--account", Good, "--region", region);
        Assert.True(baselineExit == 0, baseline + baselineError);
        await AuthorizeAsync(ec2, groupId, 3389); // drift: no event explains it
        var before = await RowsAsync(_groupsTable);
        _slack.ResetLogEntries();

        var (exit, output, error) = await _cli.RunAsync("reconcile", "--dry-run", "--account", Good, "--region", region);

        Assert.True(exit == ExitCodes.Failed, output + error); // 2: differences found
        Assert.Contains($"{groupId}", output, StringComparison.Ordinal);
        Assert.Contains("3389", output, StringComparison.Ordinal);
        Assert.Contains("nothing written", output, StringComparison.Ordinal);
        Assert.Equal(before, await RowsAsync(_groupsTable));
        Assert.False(await TableExistsAsync(_requestsTable));
        Assert.Empty(_queue.Sent);
        Assert.Empty(_queue.Delayed);
        Assert.Empty(_slack.LogEntries);
        Assert.Equal(2, await IngressRulesAsync(ec2, groupId)); // the drift is still there: no EC2 write

        var (reportExit, report, reportError) = await _cli.RunAsync("reconcile", "--report-only", "--account", Good, "--region", region);
        Assert.True(reportExit == ExitCodes.Failed, report + reportError);
        Assert.True(await TableExistsAsync(_requestsTable)); // --report-only records: it is not a dry run
        Assert.Equal(2, await IngressRulesAsync(ec2, groupId));
    }

    [MotoFact]
    public async Task Baseline_GoesOnPastAMissingRoleAndRefusedCredentials_AndExitsFourWithTheTable()
    {
        const string region = "eu-central-1";
        using var ec2 = await Ec2Async(Good, region);
        await GroupWithRuleAsync(ec2, "app-" + Guid.NewGuid().ToString("N")[..8], 443);
        var accounts = Path.Combine(Path.GetTempPath(), $"sgbridge-accounts-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(accounts, $"# the fleet\n{NoRole}\n{Good}  # prod\n\n{BadCredentials}\n");
        try
        {
            var watch = Stopwatch.StartNew();
            var (exit, output, error) = await _cli.RunAsync("baseline", "--dry-run", "--accounts-file", accounts, "--region", region, "--parallel", "2");
            watch.Stop();

            Assert.True(exit == ExitCodes.PartlyFailed, output + error);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
            AssertNoStackFrame(output + error);
            var table = output.Split('\n').SkipWhile(l => !l.StartsWith("ACCOUNT", StringComparison.Ordinal)).ToArray();
            Assert.Contains(table, l => l.StartsWith($"{Good}  {region}", StringComparison.Ordinal) && l.Contains(" ok ", StringComparison.Ordinal));
            Assert.Contains(table, l => l.StartsWith($"{NoRole}  {region}", StringComparison.Ordinal) && l.Contains("FAILED", StringComparison.Ordinal)
                && l.Contains("cannot be assumed in account 222222222222", StringComparison.Ordinal));
            Assert.Contains(table, l => l.StartsWith($"{BadCredentials}  {region}", StringComparison.Ordinal) && l.Contains("FAILED", StringComparison.Ordinal));
            Assert.Contains("fix: deploy aws-bootstrap/sgbridge-member-role.yaml", output, StringComparison.Ordinal);
            Assert.Contains("1 of 3 account × region pair(s) read, 2 failed", output, StringComparison.Ordinal);
            Assert.Equal(3, error.Split('\n').Count(l => l.StartsWith('[')));

            var (jsonExit, json, _) = await _cli.RunAsync("baseline", "--dry-run", "--accounts-file", accounts, "--region", region, "--json");
            Assert.Equal(ExitCodes.PartlyFailed, jsonExit);
            var doc = JsonDocument.Parse(json).RootElement;
            Assert.Equal("sgbridge/v1", doc.GetProperty("schema").GetString());
            Assert.False(doc.GetProperty("ok").GetBoolean());
            Assert.Equal(2, doc.GetProperty("failed").GetInt32());
            var failed = doc.GetProperty("results").EnumerateArray().Single(r => r.GetProperty("account").GetString() == NoRole);
            Assert.Equal("aws-role", failed.GetProperty("error").GetProperty("kind").GetString());
        }
        finally
        {
            File.Delete(accounts);
        }
    }
}
