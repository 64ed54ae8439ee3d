using Azure.Storage.Queues;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Cli;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Operations;

/// <summary>
/// docs/deploy.md step 7's commands as the operator runs them, with exactly the settings the doc exports (storage and
/// the allow-list; no AWS, no Slack): the jobs land on sgbridge-reconcile as the worker reads them.
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class OperatorCommandTests(AzuriteFixture azurite)
{
    private readonly CliRunner _cli = new();

    private async Task<List<ReconcileMessage>> DrainAsync()
    {
        var queue = new QueueClient(azurite.ConnectionString, QueueNames.Reconcile, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        await queue.CreateIfNotExistsAsync();
        var jobs = new List<ReconcileMessage>();
        while ((await queue.ReceiveMessagesAsync(32)).Value is { Length: > 0 } batch)
        {
            foreach (var m in batch)
            {
                jobs.Add(QueuePayload.Decode<ReconcileMessage>(m.Body.ToString()));
                await queue.DeleteMessageAsync(m.MessageId, m.PopReceipt);
            }
        }
        return jobs;
    }

    [Fact]
    public async Task BaselineAndReportOnlyReconcile_Enqueue_NeedOnlyStorageAndTheAllowList()
    {
        await DrainAsync();
        _cli.Environment["Storage__ConnectionString"] = azurite.ConnectionString;
        _cli.Environment["Policy__AllowedAccounts"] = "*";

        var (baselineExit, baselineOut, baselineErr) = await _cli.RunAsync("baseline", "--enqueue", "--account", "111122223333", "--account", "444455556666", "--region", "us-east-1", "--region", "eu-west-1");
        var (reconcileExit, reconcileOut, reconcileErr) = await _cli.RunAsync("reconcile", "--enqueue", "--report-only", "--account", "111122223333", "--region", "us-east-1");

        Assert.True(baselineExit == 0, baselineErr);
        Assert.True(reconcileExit == 0, reconcileErr);
        Assert.Contains("Queued 4 onboarding job(s)", baselineOut, StringComparison.Ordinal);
        Assert.Contains("Queued 1 report-only sweep job(s)", reconcileOut, StringComparison.Ordinal);
        var jobs = await DrainAsync();
        Assert.Equal(4, jobs.Count(j => j is BaselineRegion { Force: false }));
        Assert.Equal(("111122223333", "us-east-1"), jobs.Where(j => j is SweepRegion { ReportOnly: true }).Select(j => (j.AccountId, j.Region)).Single());
    }
}
