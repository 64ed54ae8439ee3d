using Azure.Storage.Queues;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Cli;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Faults;

/// <summary>`sgbridge redrive` on Azurite: poison messages go back to their queue, byte for byte, and leave the poison queue.</summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RedriveCommandTests(AzuriteFixture azurite)
{
    private readonly CliRunner _cli = new() { Environment = { ["Storage__ConnectionString"] = azurite.ConnectionString } };
    private readonly CancellationToken _ct = new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token;

    // The app's encoding: the Functions host decodes base64, and so does the redrive's client.
    private QueueClient Queue(string name) => azurite.CreateQueueServiceClient(QueueMessageEncoding.Base64).GetQueueClient(name);

    private async Task<(QueueClient Main, QueueClient Poison)> FreshAsync(string main)
    {
        var (m, p) = (Queue(main), Queue(QueueNames.Poison(main)));
        foreach (var q in new[] { m, p })
        {
            await q.CreateIfNotExistsAsync(cancellationToken: _ct);
            await q.ClearMessagesAsync(_ct);
        }
        return (m, p);
    }

    private async Task<List<string>> DrainAsync(QueueClient q)
    {
        var texts = new List<string>();
        while ((await q.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(1), _ct)).Value is { Length: > 0 } batch)
        {
            foreach (var m in batch)
            {
                texts.Add(m.Body.ToString());
                await q.DeleteMessageAsync(m.MessageId, m.PopReceipt, _ct);
            }
        }
        return texts;
    }

    [Fact]
    public async Task Redrive_DryRun_CountsAndListsIds_MovesNothing()
    {
        var (main, poison) = await FreshAsync(QueueNames.Effects);
        var sent = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            sent.Add((await poison.SendMessageAsync($"{{\"requestId\":\"SG-000000{i}\"}}", _ct)).Value.MessageId);
        }

        var (exit, output, _) = await _cli.RunAsync("redrive", "--queue", QueueNames.Effects, "--dry-run");

        Assert.Equal(0, exit);
        Assert.Contains("sgbridge-effects-poison: 3 message(s)", output, StringComparison.Ordinal);
        Assert.All(sent, id => Assert.Contains(id, output, StringComparison.Ordinal));
        Assert.Equal(3, (await poison.GetPropertiesAsync(_ct)).Value.ApproximateMessagesCount);
        Assert.Equal(0, (await main.GetPropertiesAsync(_ct)).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task Redrive_MovesEveryMessageBackUnchanged_AndEmptiesThePoisonQueue()
    {
        var (main, poison) = await FreshAsync(QueueNames.Changes);
        var texts = Enumerable.Range(0, 40).Select(i => $"{{\"eventId\":\"e-{i}\",\"note\":\"ünïcode {i}\"}}").ToList();
        foreach (var t in texts)
        {
            await poison.SendMessageAsync(t, _ct);
        }

        var (exit, output, _) = await _cli.RunAsync("redrive", "--queue", "sgbridge-changes-poison");

        Assert.Equal(0, exit);
        Assert.Contains("40 message(s) moved", output, StringComparison.Ordinal);
        Assert.Equal(texts.Order(StringComparer.Ordinal), (await DrainAsync(main)).Order(StringComparer.Ordinal));
        Assert.Empty(await DrainAsync(poison));
    }

    [Fact]
    public async Task Redrive_UnknownQueue_IsAUsageError()
    {
        var (exit, _, error) = await _cli.RunAsync("redrive", "--queue", "sgbridge-secrets");

        Assert.Equal(1, exit);
        Assert.Contains("Unknown queue", error, StringComparison.Ordinal);
    }
}
