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
public sealed class HotPathScanTests(AzuriteFixture azurite, MotoFixture moto) : IAsyncLifetime
{
    private PipelineHarness _h = null!;
    private AmazonEC2Client _ec2 = null!;

    public async Task InitializeAsync()
    {
        if (!MotoFixture.IsAvailable)
        {
            return;
        }
        _h = new PipelineHarness(azurite, moto);
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
        var lead = (await _h.Requests.GetAsync(RequestId.For((string)events[0]["detail"]!["eventID"]!), CancellationToken.None))!.Value;
        Assert.Equal(2, (await _h.Threads.GetAsync(SlackRows.Thread(lead.Id), CancellationToken.None))!.Value.MemberIds.Count);
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
        await _h.Threads.GetAsync(SlackRows.Member("SG-NONE0000"), CancellationToken.None);

        var scan = Assert.Single(_h.TableRequests.Requests, r => r.IsScan);
        Assert.Contains("Status eq 'Pending'", scan.Filter, StringComparison.Ordinal);
        Assert.Single(_h.TableRequests.Requests, r => r.IsPointRead);
    }
}
