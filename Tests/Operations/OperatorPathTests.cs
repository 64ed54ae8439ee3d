using Azure.Data.Tables;
using Azure.Data.Tables.Sas;
using Azure.Storage.Queues;
using Azure.Storage.Sas;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Storage;
using SgBridge.Tests.EndToEnd;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Operations;

/// <summary>
/// docs/deploy.md step 7 with only the operator's documented rights (Bicep's operatorPrincipalId: Storage Queue Data
/// Message Sender + Storage Table Data Reader), stood in for on Azurite by two SAS tokens with exactly those powers
/// (queue: add; tables: read): the operator queues the baseline and a report-only reconcile, the app's worker (its
/// own identity, on moto) does the AWS work, and the operator reads the results back.
/// </summary>
[Collection(PipelineCollection.Name)]
[Trait("Category", "Integration")]
public sealed class OperatorPathTests(AzuriteFixture azurite, MotoFixture moto) : IAsyncLifetime
{
    private PipelineHarness _h = null!;

    public async Task InitializeAsync()
    {
        _h = await PipelineHarness.StartAsync(azurite, moto);
        await _h.ResetQueuesAsync();
    }

    public async Task DisposeAsync() => await _h.DisposeAsync();

    /// <summary>Storage Queue Data Message Sender: add messages, nothing else.</summary>
    private QueueServiceClient OperatorQueues()
    {
        var full = new QueueServiceClient(azurite.ConnectionString);
        var sas = full.GenerateAccountSasUri(AccountSasPermissions.Add, DateTimeOffset.UtcNow.AddHours(1), AccountSasResourceTypes.Object);
        return new QueueServiceClient(sas, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
    }

    /// <summary>Storage Table Data Reader: query and read entities, nothing else.</summary>
    private TableServiceClient OperatorTables()
    {
        var full = new TableServiceClient(azurite.ConnectionString);
        var sas = full.GenerateSasUri(TableAccountSasPermissions.Read | TableAccountSasPermissions.List, TableAccountSasResourceTypes.All, DateTimeOffset.UtcNow.AddHours(1));
        return new TableServiceClient(sas);
    }

    private IOptions<StorageOptions> GroupsTable() => Options.Create(new StorageOptions
    {
        ConnectionString = azurite.ConnectionString,
        GroupsTable = _h.Settings["Storage:GroupsTable"]!,
    });

    [MotoFact]
    public async Task Operator_QueuesBaselineAndReportOnlyReconcile_AndReadsTheResults_WithQueueSendAndTableReadOnly()
    {
        using var ec2 = await _h.PersonEc2Async();
        var group = await PipelineHarness.CreateGroupAsync(ec2, "op-" + Guid.NewGuid().ToString("N")[..8]);
        await ec2.AuthorizeSecurityGroupIngressAsync(new Amazon.EC2.Model.AuthorizeSecurityGroupIngressRequest
        {
            GroupId = group,
            IpPermissions = [new Amazon.EC2.Model.IpPermission { IpProtocol = "tcp", FromPort = 22, ToPort = 22, Ipv4Ranges = [new Amazon.EC2.Model.IpRange { CidrIp = "0.0.0.0/0" }] }],
        });
        var operatorJobs = new OperatorJobs(new StorageQueueSender(OperatorQueues()));

        // 1. Baseline, queued by the operator; the worker onboards with the app's identity.
        await operatorJobs.EnqueueBaselineAsync([_h.Account], [PipelineHarness.Region], force: false, default);
        Assert.Equal(0, await _h.PumpAsync());
        var results = await new BaselineResults(OperatorTables(), GroupsTable()).ListAsync(default);
        var result = Assert.Single(results, r => r.AccountId == _h.Account);
        Assert.Equal(1, result.RiskyCount);
        Assert.Contains("0.0.0.0/0", Assert.Single(result.RiskyRules), StringComparison.Ordinal);
        Assert.Contains(await new TableKnownAccountStore(OperatorTables(), GroupsTable()).ListAsync(default), a => a.AccountId == _h.Account);

        // 2. Drift, then a report-only reconcile queued by the operator: reported, nothing in AWS changes.
        await ec2.AuthorizeSecurityGroupIngressAsync(new Amazon.EC2.Model.AuthorizeSecurityGroupIngressRequest
        {
            GroupId = group,
            IpPermissions = [new Amazon.EC2.Model.IpPermission { IpProtocol = "tcp", FromPort = 3389, ToPort = 3389, Ipv4Ranges = [new Amazon.EC2.Model.IpRange { CidrIp = "0.0.0.0/0" }] }],
        });
        await operatorJobs.EnqueueReconcileAsync([_h.Account], [PipelineHarness.Region], reportOnly: true, default);
        Assert.Equal(0, await _h.PumpAsync());
        Assert.Equal(2, (await PipelineHarness.IngressAsync(ec2, group)).Count);
        var requests = new RequestQuery(OperatorTables(), Options.Create(new StorageOptions { ConnectionString = azurite.ConnectionString, RequestsTable = _h.Settings["Storage:RequestsTable"]! }));
        var reported = await requests.ListAsync(new RequestFilter { AccountId = _h.Account }, default);
        Assert.Equal(SgBridge.Shared.Domain.RequestStatus.Reported, Assert.Single(reported).Status);
    }

    [Fact]
    public async Task OperatorRights_StandIns_AreReallyThatNarrow()
    {
        var queue = OperatorQueues().GetQueueClient(QueueNames.Reconcile);
        await new QueueClient(azurite.ConnectionString, QueueNames.Reconcile).CreateIfNotExistsAsync();
        var table = OperatorTables().GetTableClient(_h.Settings["Storage:GroupsTable"]!);
        await new TableClient(azurite.ConnectionString, _h.Settings["Storage:GroupsTable"]!).CreateIfNotExistsAsync();

        await queue.SendMessageAsync("e30=");
        var read = await Assert.ThrowsAsync<Azure.RequestFailedException>(() => queue.ReceiveMessagesAsync());
        var write = await Assert.ThrowsAsync<Azure.RequestFailedException>(() => table.AddEntityAsync(new TableEntity("~accounts", "111111111111")));

        Assert.Equal((403, 403), (read.Status, write.Status));
        await _h.ResetQueuesAsync();
    }
}
