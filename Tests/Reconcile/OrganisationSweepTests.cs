using Amazon.EC2;
using Amazon.EC2.Model;
using Microsoft.Extensions.DependencyInjection;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Storage;
using SgBridge.Tests.EndToEnd;
using SgBridge.Tests.Integration;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SgBridge.Tests.Reconcile;

/// <summary>
/// Policy:AllowedAccounts=* as an organisation runs it, on real parts (the function classes as the host calls them,
/// Azurite, the AWS SDK against moto): the operator onboards by queue message only, the sweep covers the accounts the
/// bridge knows and reverts drift there, and an account without its member role is a recorded skip, never a poison message.
/// </summary>
[Collection(PipelineCollection.Name)]
[Trait("Category", "Integration")]
public sealed class OrganisationSweepTests(AzuriteFixture azurite, MotoFixture moto) : IAsyncLifetime
{
    private const string Region = PipelineHarness.Region;
    private const string Orphan = "999999999990"; // an account of the organisation without the member role
    private PipelineHarness _h = null!;
    private WireMockServer? _sts;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_h is not null)
        {
            await _h.DisposeAsync();
        }
        _sts?.Stop();
        _sts?.Dispose();
    }

    private async Task StartAsync(bool withOrphan = false)
    {
        var overrides = new Dictionary<string, string?> { ["Policy:AllowedAccounts"] = "*" };
        if (withOrphan)
        {
            // STS as AWS answers it for an account where the role is missing; every other call goes to moto.
            _sts = WireMockServer.Start();
            _sts.Given(Request.Create().UsingPost().WithBody(new WildcardMatcher($"*{Orphan}*")))
                .AtPriority(1)
                .RespondWith(Response.Create().WithStatusCode(403).WithHeader("Content-Type", "text/xml").WithBody("""
                    <ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
                      <Error><Type>Sender</Type><Code>AccessDenied</Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message></Error>
                      <RequestId>req-1</RequestId>
                    </ErrorResponse>
                    """));
            _sts.Given(Request.Create().UsingAnyMethod()).AtPriority(10).RespondWith(Response.Create().WithProxy(moto.Url));
            overrides["Aws:StsEndpoint"] = _sts.Url;
        }
        _h = await PipelineHarness.StartAsync(azurite, moto, overrides);
        await _h.ResetQueuesAsync();
    }

    private T Get<T>() where T : notnull => _h.Services.GetRequiredService<T>();

    [MotoFact]
    public async Task EveryAccountAllowed_OperatorOnboardsByQueue_ThenTheSweepFindsAndRevertsDrift()
    {
        await StartAsync();
        using var ec2 = await _h.PersonEc2Async();
        var group = await PipelineHarness.CreateGroupAsync(ec2, "web-" + Guid.NewGuid().ToString("N")[..8]);
        await AddAsync(ec2, group, 443, "10.0.0.0/8");
        await AddAsync(ec2, group, 22, "0.0.0.0/0"); // already there at onboarding: accepted, and reported as risky

        // The operator: one queue message per account × region, nothing else (no AWS role, no table write).
        Assert.Equal(1, await Get<OperatorJobs>().EnqueueBaselineAsync([_h.Account], [Region], force: false, default));
        Assert.Equal(0, await _h.PumpAsync());

        var result = Assert.Single(await Get<IBaselineResultStore>().ListAsync(default), r => r.AccountId == _h.Account);
        Assert.Equal((result.Groups, 1), (result.Recorded, result.RiskyCount)); // moto adds the VPCs' default groups
        Assert.Contains(_h.SlackCalls("chat.postMessage"), m => ((string?)m["text"] ?? "").Contains($"Onboarding (baseline) {_h.Account}", StringComparison.Ordinal));
        Assert.Contains(await Get<IKnownAccountStore>().ListAsync(default), a => a.AccountId == _h.Account);

        // Drift that no event reports; the sweep's timer covers the known account.
        await AddAsync(ec2, group, 3389, "0.0.0.0/0");
        await _h.SweepTimerAsync();
        Assert.Equal(0, await _h.PumpAsync());

        var ingress = (await PipelineHarness.IngressAsync(ec2, group)).Select(r => $"{r.FromPort} {r.CidrIpv4}").Order(StringComparer.Ordinal);
        Assert.Equal(["22 0.0.0.0/0", "443 10.0.0.0/8"], ingress);
    }

    [MotoFact]
    public async Task EveryAccountAllowed_AccountWithoutTheRole_IsASkippedState_NotAPoisonMessage()
    {
        await StartAsync(withOrphan: true);
        using var ec2 = await _h.PersonEc2Async();
        var group = await PipelineHarness.CreateGroupAsync(ec2, "app-" + Guid.NewGuid().ToString("N")[..8]);

        await Get<OperatorJobs>().EnqueueBaselineAsync([_h.Account, Orphan], [Region], force: false, default);
        Assert.Equal(0, await _h.PumpAsync());
        for (var tick = 0; tick < 3; tick++)
        {
            await _h.SweepTimerAsync();
            Assert.Equal(0, await _h.PumpAsync());
        }

        Assert.Equal(0, await _h.QueueLengthAsync(QueueNames.Poison(QueueNames.Reconcile)));
        var orphan = Assert.Single(await Get<IKnownAccountStore>().ListAsync(default), a => a.AccountId == Orphan);
        Assert.Equal(AccountSkips.RoleNotDeployed, orphan.Skip?.Reason);
        Assert.Null(Assert.Single(await Get<IKnownAccountStore>().ListAsync(default), a => a.AccountId == _h.Account).Skip);
        var results = await Get<IBaselineResultStore>().ListAsync(default);
        Assert.Equal(AccountSkips.RoleNotDeployed, Assert.Single(results, r => r.AccountId == Orphan).Skipped);
        Assert.Null(Assert.Single(results, r => r.AccountId == _h.Account).Skipped);
        // One warning for the day, whatever the number of sweeps.
        Assert.Single(_h.SlackCalls("chat.postMessage"), m => ((string?)m["text"] ?? "").Contains($"Account {Orphan} skipped", StringComparison.Ordinal));
        Assert.NotNull(group);
    }

    private static Task AddAsync(AmazonEC2Client ec2, string groupId, int port, string cidr) =>
        ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = groupId,
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = port, ToPort = port, Ipv4Ranges = [new IpRange { CidrIp = cidr }] }],
        });
}
