using Amazon.EC2;
using Amazon.EC2.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SgBridge.FunctionApp.Functions;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Faults;
using SgBridge.Tests.Integration;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using static SgBridge.Tests.EndToEnd.PipelineHarness;

namespace SgBridge.Tests.EndToEnd;

/// <summary>
/// An approver ends time-bound access early while the account's member role cannot be assumed (the StackSet instance
/// was removed, the account left the OU): on the local composition (the function classes as the host calls them,
/// Azurite, the AWS SDK against moto behind a WireMock STS that answers AccessDenied for the account on demand).
/// The early revoke must behave like the sweep and the expiry timer: a skipped account (its state, one warning a
/// day), the access recorded as not ended in AWS yet, no failure alert and never a poison message; and AWS follows
/// once the role is back.
/// </summary>
[Collection(PipelineCollection.Name)]
[Trait("Category", "Integration")]
public sealed class EarlyRevokeMissingRoleTests(AzuriteFixture azurite, MotoFixture moto) : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private PipelineHarness _h = null!;
    private WireMockServer _sts = null!;
    private AmazonEC2Client _ec2 = null!;

    public async Task InitializeAsync()
    {
        if (!MotoFixture.IsAvailable)
        {
            return;
        }
        // STS goes through this proxy; RefuseRole() makes it answer as AWS does when the member role is gone.
        _sts = WireMockServer.Start();
        _sts.Given(Request.Create().UsingAnyMethod()).AtPriority(10).RespondWith(Response.Create().WithProxy(moto.Url));
        _h = await PipelineHarness.StartAsync(azurite, moto, new Dictionary<string, string?>
        {
            ["Approvals:ExpiryTable"] = azurite.UniqueTableName("exp"),
            ["Aws:StsEndpoint"] = _sts.Url,
        }, _time);
        await _h.ResetQueuesAsync();
        _ec2 = await _h.PersonEc2Async();
    }

    public async Task DisposeAsync()
    {
        _ec2?.Dispose();
        if (_h is not null)
        {
            await _h.DisposeAsync();
        }
        _sts?.Stop();
        _sts?.Dispose();
    }

    private void RefuseRole() =>
        _sts.Given(Request.Create().UsingPost().WithBody(new WildcardMatcher($"*{_h.Account}*")))
            .WithGuid(RefusalId)
            .AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(403).WithHeader("Content-Type", "text/xml").WithBody("""
                <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
                  <Error><Type>Sender</Type><Code>AccessDenied</Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message></Error>
                  <RequestId>req-1</RequestId>
                </ErrorResponse>
                """));

    private static readonly Guid RefusalId = Guid.Parse("6d1f0c2e-3b7a-4e0f-9a51-0c6b8e2f4a11");

    private async Task<string[]> PortsAsync(string group) =>
        (await IngressAsync(_ec2, group)).Select(r => $"{r.FromPort} {r.CidrIpv4}").Order(StringComparer.Ordinal).ToArray();

    private async Task<ChangeRequest> RequestAsync(string id) => (await _h.Requests.GetAsync(id, CancellationToken.None))!.Value;

    private Task<List<AccessExpiryEntry>> RowsAsync() =>
        _h.Services.GetRequiredService<IAccessExpiryIndex>().ListAllAsync(CancellationToken.None).ToListAsync().AsTask();

    private int SkipWarnings() =>
        _h.SlackCalls("chat.postMessage").Count(p => (string?)p["channel"] == MonitoringChannel && ((string?)p["text"] ?? "").Contains($"Account {_h.Account} skipped", StringComparison.Ordinal));

    [MotoFact]
    public async Task EarlyRevoke_MemberRoleMissing_IsASkippedAccount_AccessNotEndedYet_NoPoison_ThenAwsFollowsWhenTheRoleIsBack()
    {
        using var failures = new FailureCounter(_h.Services.GetRequiredService<BridgeTelemetry>());
        // An onboarded group; a person adds 22; reverted; approved for 8 hours and applied.
        var group = await CreateGroupAsync(_ec2, "rv-" + Guid.NewGuid().ToString("N")[..6]);
        await AuthorizeAsync(group, 443, "10.1.0.0/16");
        await _h.OnboardAsync();
        var ruleId = await AuthorizeAsync(group, 22, "10.9.0.0/16");
        var evt = Events.Authorize(_h.Account, PipelineHarness.Region, Events.Sso(_h.Account), group, 22, "10.9.0.0/16", "debug", ruleId);
        Assert.Equal(202, (await _h.PostEventAsync(evt)).Status);
        Assert.Equal(0, await _h.PumpAsync());
        var id = RequestId.For((string)evt["detail"]!["eventID"]!);
        Assert.Equal(200, await _h.ClickAsync(ApprovalDurationActions.ActionId(ActionIds.ApproveFor, "8h", id), id));
        Assert.Equal(0, await _h.PumpAsync());
        Assert.Equal(RequestStatus.Applied, (await RequestAsync(id)).Status);
        Assert.Contains("22 10.9.0.0/16", await PortsAsync(group));

        // The member role goes; two hours later (the cached role credentials have run out) an approver revokes early.
        RefuseRole();
        _time.Advance(TimeSpan.FromHours(2));
        var message = await _h.ApproverMessageAsync(id);
        var click = SlackSigning.ClickBody(ActionIds.For(ActionIds.RevokeAccess, id), id, Approver, message?.Channel ?? ApproversChannel, message?.Ts ?? "1001.000100");
        Assert.Equal(200, (await _h.PostSlackAsync(SgBridge.FunctionApp.Routes.SlackInteractions, click, at: _time.GetUtcNow().ToUnixTimeSeconds())).Status);
        Assert.Equal(RequestStatus.AccessEnded, (await RequestAsync(id)).Status);
        Assert.Equal(0, await _h.PumpAsync()); // nothing poisoned: the effects queue completed
        Assert.Equal(0, await _h.QueueLengthAsync(QueueNames.Poison(QueueNames.Effects)));
        Assert.Equal(0, await _h.QueueLengthAsync(QueueNames.Poison(QueueNames.Reconcile)));

        // The access is out of the approved state but still live in AWS, and that is recorded, not lost:
        Assert.Contains("22 10.9.0.0/16", await PortsAsync(group));
        var row = Assert.Single(await RowsAsync(), e => e.RequestId == id && e.Kind == AccessEndKind.Revoke);
        Assert.Equal(1, row.Attempts);
        Assert.True(row.DueAt > _time.GetUtcNow(), "the revoke waits for the sweep interval, not the next minute");
        var known = await _h.Services.GetRequiredService<IKnownAccountStore>().GetAsync(_h.Account, CancellationToken.None);
        Assert.Equal(AccountSkips.RoleNotDeployed, known?.Skip?.Reason);
        Assert.Equal(1, SkipWarnings());
        // The skip is an account state (account_skipped, once), not the Sev-1 "access not ended" failure.
        Assert.Equal(0, failures.Count("access_expiry"));
        Assert.Equal(1, failures.Count("account_skipped"));
        // The request's monitoring thread says why AWS has not followed yet, once.
        Assert.Single(_h.SlackCalls("chat.postMessage"), p => (string?)p["channel"] == MonitoringChannel
            && ((string?)p["text"] ?? "").Contains(AccountSkips.RoleNotDeployed, StringComparison.Ordinal)
            && ((string?)p["text"] ?? "").Contains(id, StringComparison.Ordinal));

        // The CLI shows it: `sgbridge access list` (the revoke not ended, why) and `sgbridge accounts` (the skip).
        var cli = new SgBridge.Tests.Cli.CliRunner();
        var storage = _h.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SgBridge.Shared.Options.StorageOptions>>().Value;
        cli.Environment["Storage__ConnectionString"] = azurite.ConnectionString;
        cli.Environment["Storage__RequestsTable"] = storage.RequestsTable;
        cli.Environment["Storage__GroupsTable"] = storage.GroupsTable;
        cli.Environment["Approvals__ExpiryTable"] = _h.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SgBridge.Shared.Options.ApprovalsOptions>>().Value.ExpiryTable;
        cli.Environment["Policy__AllowedAccounts"] = _h.Account;
        var (accessExit, accessOut, accessErr) = await cli.RunAsync("access", "list");
        Assert.True(accessExit == 2, accessOut + accessErr);
        Assert.Contains($"Revoked, not yet ended in AWS: {id} {_h.Account} {PipelineHarness.Region} {group} (skipped: {AccountSkips.RoleNotDeployed};", accessOut, StringComparison.Ordinal);
        var (_, accountsOut, _) = await cli.RunAsync("accounts");
        Assert.Contains($"{_h.Account}  skipped: {AccountSkips.RoleNotDeployed}", accountsOut, StringComparison.Ordinal);

        // The timer, minute after minute, while the role is missing: no retry storm, no second warning today.
        for (var i = 0; i < 3; i++)
        {
            _time.Advance(TimeSpan.FromMinutes(1));
            await _h.Bridge.RunAsync(nameof(ExpireAccess));
            Assert.Equal(0, await _h.PumpAsync());
        }
        Assert.Equal(1, SkipWarnings());
        Assert.Equal(0, failures.Count("access_expiry"));
        Assert.Contains("22 10.9.0.0/16", await PortsAsync(group));

        // The role is back: at the next try the revoke reaches AWS and the row goes.
        _sts.DeleteMapping(RefusalId);
        _time.Advance(TimeSpan.FromMinutes(15));
        await _h.Bridge.RunAsync(nameof(ExpireAccess));
        Assert.Equal(0, await _h.PumpAsync());
        Assert.Equal(["443 10.1.0.0/16"], await PortsAsync(group));
        Assert.DoesNotContain(await RowsAsync(), e => e.RequestId == id && e.Kind == AccessEndKind.Revoke);
        Assert.Equal((RequestStatus.AccessEnded, AccessEndReason.Revoked), ((await RequestAsync(id)).Status, (await RequestAsync(id)).AccessEndReason));
    }

    private async Task<string> AuthorizeAsync(string group, int port, string cidr) =>
        (await _ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = group,
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = port, ToPort = port, Ipv4Ranges = [new IpRange { CidrIp = cidr, Description = "x" }] }],
        })).SecurityGroupRules.Single().SecurityGroupRuleId;
}
