using Amazon.EC2;
using Amazon.EC2.Model;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Integration;
using static SgBridge.Tests.EndToEnd.PipelineHarness;

namespace SgBridge.Tests.EndToEnd;

/// <summary>
/// No scans on hot paths: every Table Storage read the event, revert, notification, click and apply paths make is a
/// point read or a query of one partition. Recorded on the bridge's real Table client against Azurite.
/// </summary>
[Collection(PipelineCollection.Name)]
[Trait("Category", "Integration")]
public sealed class HotPathScanTests(AzuriteFixture azurite, MotoFixture moto, Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private PipelineHarness _h = null!;
    private AmazonEC2Client _ec2 = null!;

    public async Task InitializeAsync()
    {
        if (!MotoFixture.IsAvailable)
        {
            return;
        }
        _h = await PipelineHarness.StartAsync(azurite, moto);
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
    }

    [MotoFact]
    public async Task EventRevertNotifyClickApply_OnABurstOfOneGroup_ReadOnlyByPointOrOnePartition()
    {
        var group = await CreateGroupAsync(_ec2, "hot-" + Guid.NewGuid().ToString("N")[..6]);
        await _h.OnboardAsync();
        var events = new List<System.Text.Json.Nodes.JsonObject>();
        foreach (var port in new[] { 9001, 9002 })
        {
            var rule = (await _ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
            {
                GroupId = group,
                IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = port, ToPort = port, Ipv4Ranges = [new IpRange { CidrIp = "10.9.0.0/16" }] }],
            })).SecurityGroupRules.Single().SecurityGroupRuleId;
            events.Add(Events.Authorize(_h.Account, PipelineHarness.Region, Events.Sso(_h.Account), group, port, "10.9.0.0/16", $"svc {port}", rule));
        }
        _h.TableRequests.Clear();

        foreach (var evt in events)
        {
            Assert.Equal(202, (await _h.PostEventAsync(evt)).Status);
        }
        Assert.Equal(0, await _h.PumpAsync());
        // The queue handles a batch's messages concurrently, so either change may have started the batch: its membership row says which.
        var first = (await _h.Requests.GetAsync(RequestId.For((string)events[0]["detail"]!["eventID"]!), CancellationToken.None))!.Value;
        var leadId = (await _h.Threads.GetAsync(SlackRows.Member(SlackRows.HomeOf(first), first.Id), CancellationToken.None))!.Value.LeadId;
        var lead = (await _h.Requests.GetAsync(leadId, CancellationToken.None))!.Value;
        var batch = (await _h.Threads.GetAsync(SlackRows.Thread(SlackRows.HomeOf(lead), lead.Id), CancellationToken.None))!.Value;
        Assert.Equal((2, SlackRows.HomeOf(lead)), (batch.MemberIds.Count, batch.Home)); // the rows are in the home partition
        // One click on a member (request, membership, thread: point reads in the home partition), then "Approve all".
        var member = batch.MemberIds.Single(id => id != lead.Id);
        Assert.Equal(200, await _h.ClickAsync(ActionIds.Approve, member));
        Assert.Equal(200, await _h.ClickAsync(ActionIds.ApproveAll, lead.Id));
        Assert.Equal(0, await _h.PumpAsync());
        Assert.Equal(RequestStatus.Applied, (await _h.Requests.GetAsync(lead.Id, CancellationToken.None))!.Value.Status);

        var reads = _h.TableRequests.Requests.Where(r => r.Method == "GET").ToList();
        Assert.NotEmpty(reads);
        Assert.All(reads, r => Assert.False(r.IsScan, $"Hot path scanned a table: {r}"));
    }

    [MotoFact]
    public async Task TheCheck_SeesAScan_WhenOneIsIssued()
    {
        // The operator's request listing filters on non-key columns (a scan, fine off the hot path): the log must call it one.
        _h.TableRequests.Clear();
        var query = new RequestQuery(_h.Services.GetService(typeof(Azure.Data.Tables.TableServiceClient)) as Azure.Data.Tables.TableServiceClient ?? throw new InvalidOperationException(),
            Microsoft.Extensions.Options.Options.Create(new SgBridge.Shared.Options.StorageOptions { ConnectionString = azurite.ConnectionString, RequestsTable = _h.Settings["Storage:RequestsTable"]! }));
        await query.ListAsync(new RequestFilter { Statuses = [RequestStatus.Pending] }, CancellationToken.None);
        await _h.Threads.GetAsync(SlackRows.Member("home-none", "SG-NONE0000"), CancellationToken.None);

        var scan = Assert.Single(_h.TableRequests.Requests, r => r.IsScan);
        Assert.Contains("Status eq 'Pending'", scan.Filter, StringComparison.Ordinal);
        Assert.Single(_h.TableRequests.Requests, r => r.IsPointRead);
    }

    [MotoFact]
    public async Task ColdInstance_WithItsTablesInPlace_HandlesItsFirstEventWithoutCreatingATable()
    {
        var group = await CreateGroupAsync(_ec2, "cold-" + Guid.NewGuid().ToString("N")[..6]);
        await _h.OnboardAsync();
        async Task<System.Text.Json.Nodes.JsonObject> AddAsync(int port)
        {
            var rule = (await _ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
            {
                GroupId = group,
                IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = port, ToPort = port, Ipv4Ranges = [new IpRange { CidrIp = "10.7.0.0/16" }] }],
            })).SecurityGroupRules.Single().SecurityGroupRuleId;
            return Events.Authorize(_h.Account, PipelineHarness.Region, Events.Sso(_h.Account), group, port, "10.7.0.0/16", $"svc {port}", rule);
        }
        Assert.Equal(202, (await _h.PostEventAsync(await AddAsync(7001))).Status);
        Assert.Equal(0, await _h.PumpAsync());
        var next = await AddAsync(7002);

        // A new instance (fresh DI graph and clients) on the same tables: process start → first event handled and notified.
        var same = new Dictionary<string, string?>
        {
            ["Storage:RequestsTable"] = _h.Settings["Storage:RequestsTable"],
            ["Storage:GroupsTable"] = _h.Settings["Storage:GroupsTable"],
            ["Storage:SlackTable"] = _h.Settings["Storage:SlackTable"],
            ["Policy:AllowedAccounts"] = _h.Account,
        };
        await using var cold = await PipelineHarness.StartAsync(azurite, moto, same);
        Assert.Equal(202, (await cold.PostEventAsync(next)).Status);
        Assert.Equal(0, await cold.PumpAsync());

        var calls = cold.TableRequests.Requests;
        output.WriteLine($"cold instance, first event: {calls.Count} table calls: " + string.Join("; ", calls.GroupBy(c => c.Method + " " + (c.IsPointRead ? "point" : c.Resource.Split('(')[0])).Select(g => $"{g.Key} ×{g.Count()}")));
        Assert.Equal(RequestStatus.Pending, (await cold.Requests.GetAsync(RequestId.For((string)next["detail"]!["eventID"]!), CancellationToken.None))!.Value.Status);
        // Every store creates its table only when an operation finds it missing: with the tables in place, none is created.
        Assert.DoesNotContain(calls, c => c.Method == "POST" && c.Resource == "Tables");
    }

}
