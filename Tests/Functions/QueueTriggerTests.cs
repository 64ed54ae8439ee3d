using Azure.Storage.Queues.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SgBridge.FunctionApp.Functions;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Functions;

/// <summary>The revert trigger reads both message forms the sender writes: plain JSON and compressed.</summary>
public class QueueTriggerTests
{
    [Theory]
    [InlineData(5)]
    [InlineData(400)]
    public async Task RevertChange_ReadsTheMessageTheSenderWrote(int rules)
    {
        var requests = new InMemoryRequestStore();
        var ec2 = new FakeSecurityGroupClient();
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var existing = Enumerable.Range(0, rules).Select(i => ec2.AddExisting(new SecurityGroupRule("tcp", 1000 + i, 1000 + i, RuleSource.Ipv4($"10.{i / 250}.{i % 250}.0/24"), $"service {i}"))).ToArray();
        var change = TestData.Change(ChangeKind.Add) with { Rules = existing };
        var text = System.Text.Encoding.ASCII.GetString(QueuePayload.Encode(change, StorageQueueSender.MaxPayloadBytes));
        var bridge = new Bridge { Ec2 = ec2 };
        requests = bridge.Requests;

        // The function class as the host builds it: from the composed graph.
        await ActivatorUtilities.CreateInstance<RevertChange>(bridge.Services()).RunAsync(QueuesModelFactory.QueueMessage("id", "pop", text, 1), default);

        Assert.Equal(rules > 100, text.StartsWith("gz:", StringComparison.Ordinal));
        Assert.Empty(ec2.Rules);
        Assert.Equal(rules, Assert.Single(requests.All).Rules.Count);
    }
}
