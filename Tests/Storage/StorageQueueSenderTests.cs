using System.Text;
using Azure;
using Azure.Storage.Queues;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Storage;

[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class StorageQueueSenderTests(AzuriteFixture azurite)
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(1));
    private CancellationToken Ct => _timeout.Token;

    private StorageQueueSender CreateSender() => new(azurite.CreateQueueServiceClient(QueueMessageEncoding.Base64));

    /// <summary>The message text exactly as stored (no decoding by the client).</summary>
    private async Task<string[]> ReceiveRawAsync(string queueName)
    {
        var messages = await azurite.CreateQueueServiceClient().GetQueueClient(queueName).ReceiveMessagesAsync(32, cancellationToken: Ct);
        return messages.Value.Select(m => m.Body.ToString()).ToArray();
    }

    /// <summary>A message whose JSON (a string literal) is exactly <paramref name="bytes"/> bytes of UTF-8.</summary>
    private static string PayloadOf(int bytes) => new('a', bytes - 2);

    [Fact]
    public async Task Send_Request_StoresBase64OfBridgeJson()
    {
        var queue = azurite.UniqueQueueName("changes");
        var request = StorageSamples.FullRequest("SG-QUEUE001");

        await CreateSender().SendAsync(queue, request, Ct);

        var text = Assert.Single(await ReceiveRawAsync(queue));
        var json = Encoding.UTF8.GetString(Convert.FromBase64String(text));
        Assert.Equal(BridgeJson.Serialize(request), json);
        Assert.Equal("SG-QUEUE001", BridgeJson.Deserialize<ChangeRequest>(json).Id);
    }

    [Fact]
    public async Task Send_NonAsciiText_RoundTripsThroughBase64()
    {
        var queue = azurite.UniqueQueueName("notifications");

        await CreateSender().SendAsync(queue, new { note = "Zürich ✓" }, Ct);

        var text = Assert.Single(await ReceiveRawAsync(queue));
        using var json = System.Text.Json.JsonDocument.Parse(Convert.FromBase64String(text));
        Assert.Equal("Zürich ✓", json.RootElement.GetProperty("note").GetString());
    }

    [Fact]
    public async Task Send_LargestPayloadThatFits_IsAccepted()
    {
        var queue = azurite.UniqueQueueName("limit");
        Assert.Equal(StorageQueueSender.MaxEncodedMessageLength, StorageQueueSender.EncodedLength(StorageQueueSender.MaxPayloadBytes));

        await CreateSender().SendAsync(queue, PayloadOf(StorageQueueSender.MaxPayloadBytes), Ct);

        var text = Assert.Single(await ReceiveRawAsync(queue));
        Assert.Equal(65_536, text.Length);
    }

    [Fact]
    public async Task Send_OverTheLimit_IsCompressed_AndDecodesToTheSameMessage()
    {
        // A revoke of 400 rules: far more JSON than one queue message holds, but rule JSON compresses well.
        var queue = azurite.UniqueQueueName("big");
        var change = new SecurityGroupChange
        {
            EventId = "e-400", EventName = "RevokeSecurityGroupIngress", EventTime = DateTimeOffset.UnixEpoch, AccountId = "111111111111",
            Region = "eu-west-1", GroupId = "sg-0123456789abcdef0", Kind = ChangeKind.Remove,
            Requester = new Requester(PrincipalType.IamUser, "arn:aws:iam::111111111111:user/bob", "111111111111", "AIDA", "bob", null, null, null, null, null),
            Rules = Enumerable.Range(0, 400).Select(i => new SecurityGroupRule("tcp", 1000 + i, 1000 + i,
                RuleSource.Ipv4($"10.{i / 250}.{i % 250}.0/24"), $"service {i} owned by team {i % 17}", $"sgr-{i:x17}")).ToArray(),
        };
        Assert.True(BridgeJson.Serialize(change).Length > StorageQueueSender.MaxPayloadBytes);

        await CreateSender().SendAsync(queue, change, Ct);

        var text = Encoding.ASCII.GetString(Convert.FromBase64String(Assert.Single(await ReceiveRawAsync(queue))));
        Assert.StartsWith("gz:", text, StringComparison.Ordinal);
        Assert.Equal(BridgeJson.Serialize(change), BridgeJson.Serialize(QueuePayload.Decode<SecurityGroupChange>(text)));
    }

    [Fact]
    public async Task Send_TooLargeEvenCompressed_ThrowsQueueMessageTooLargeAndSendsNothing()
    {
        var queue = azurite.UniqueQueueName("limit");
        var sender = CreateSender();
        await sender.SendAsync(queue, "first", Ct);
        // Random text barely compresses: 120 KB of it stays far above the limit.
        var incompressible = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(90_000));

        var ex = await Assert.ThrowsAsync<QueueMessageTooLargeException>(() => sender.SendAsync(queue, incompressible, Ct));

        Assert.Equal(queue, ex.QueueName);
        Assert.True(ex.PayloadBytes > StorageQueueSender.MaxPayloadBytes);
        Assert.Contains("too large", ex.Message, StringComparison.Ordinal);
        Assert.Single(await ReceiveRawAsync(queue));
    }

    [Fact]
    public void Decode_PlainJson_IsReadAsIs() =>
        Assert.Equal(42, QueuePayload.Decode<int>("42"));

    [Fact]
    public async Task Service_RejectsTextOverSixtyFourKiB_WhichIsWhyTheSenderChecks()
    {
        // Measures the limit the sender enforces: 65,536 characters of message text pass, 65,537 do not.
        var queue = azurite.CreateQueueServiceClient().GetQueueClient(azurite.UniqueQueueName("raw"));
        await queue.CreateIfNotExistsAsync(cancellationToken: Ct);

        await queue.SendMessageAsync(new string('A', 65_536), Ct);
        var ex = await Assert.ThrowsAsync<RequestFailedException>(() => queue.SendMessageAsync(new string('A', 65_537), Ct));

        Assert.Equal(413, ex.Status);
    }

    [Fact]
    public async Task Send_ManyConcurrentToNewQueues_CreatesEachQueueOnceAndDeliversAll()
    {
        var sender = CreateSender();
        var queues = new[] { azurite.UniqueQueueName("a"), azurite.UniqueQueueName("b") };

        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => sender.SendAsync(queues[i % 2], i, Ct)));

        foreach (var queue in queues)
        {
            var values = (await ReceiveRawAsync(queue)).Select(t => int.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(t)), System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(10, values.Count());
        }
    }
}
