using System.Diagnostics;
using System.Text.Json;
using Amazon.EC2.Model;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using SgBridge.FunctionApp.Functions;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;
using SgBridge.Tests.EndToEnd;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Telemetry;

/// <summary>
/// One trace per request across the queue, on the local host: EventBridge's POST (no traceparent) reaches the intake
/// route, which queues the change through the real StorageQueueSender into Azurite; the message is received from
/// Azurite and handed to the host's RevertChange trigger (which reverts in moto through the real AWS SDK), and its
/// effects are run by the host's PerformEffects trigger (real Slack client, stub server). The inbound request's span,
/// the intake's, the revert's, Slack's and the HTTP calls to EC2 and Slack all carry one trace id.
/// </summary>
[Collection(PipelineCollection.Name)]
[Trait("Category", "Integration")]
public sealed class TracePropagationTests(AzuriteFixture azurite, MotoFixture moto)
{
    [MotoFact]
    public async Task IntakeToRevertToSlack_IsOneTrace()
    {
        // The queue path (Intake:RevertInline=false): the trace must cross the changes queue.
        await using var h = await PipelineHarness.StartAsync(azurite, moto, new Dictionary<string, string?> { ["Intake:RevertInline"] = "false" });
        await h.ResetQueuesAsync();
        using var ec2 = await h.PersonEc2Async();
        var group = await PipelineHarness.CreateGroupAsync(ec2, "trace-" + Guid.NewGuid().ToString("N")[..6]);
        var ruleId = (await ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = group,
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = 22, ToPort = 22, Ipv4Ranges = [new IpRange { CidrIp = "0.0.0.0/0", Description = "ssh" }] }],
        })).SecurityGroupRules.Single().SecurityGroupRuleId;
        var evt = EndToEnd.Events.Authorize(h.Account, PipelineHarness.Region, EndToEnd.Events.Sso(h.Account), group, 22, "0.0.0.0/0", "ssh", ruleId);
        using var collected = new ActivityCollector(BridgeTelemetry.Name, "System.Net.Http");
        var queues = new QueueServiceClient(azurite.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

        // Intake: no ambient activity, so the intake's span starts the trace.
        Assert.Null(Activity.Current);
        var (status, _) = await h.PostEventAsync(evt);
        Assert.Equal(202, status);
        var intake = Assert.Single(collected.Stopped, a => a.OperationName == IntakeTrace.Operation && (string?)a.GetTagItem(TelemetryTags.EventId) == (string)evt["detail"]!["eventID"]!);

        // The message as stored in Azurite carries the intake span's traceparent.
        var change = await ReceiveOneAsync(queues, QueueNames.Changes);
        using (var stored = JsonDocument.Parse(change.MessageText))
        {
            Assert.Equal(intake.Id, stored.RootElement.GetProperty("traceparent").GetString());
        }

        // Revert worker: the host's trigger, given the message as stored.
        await h.Bridge.RunAsync(nameof(RevertChange), change.MessageText);
        await queues.GetQueueClient(QueueNames.Changes).DeleteMessageAsync(change.MessageId, change.PopReceipt);
        Assert.DoesNotContain(await PipelineHarness.IngressAsync(ec2, group), r => r.FromPort == 22);

        // Slack: every effect the revert queued, run by the host's trigger.
        var notified = (await h.Bridge.DrainAsync([QueueNames.Effects])).Handled;
        Assert.True(notified > 0, "The revert queued no notification.");
        Assert.NotEmpty(h.SlackCalls("chat.postMessage"));

        var trace = collected.Stopped.Where(a => a.TraceId == intake.TraceId).ToList();
        var revert = Assert.Single(trace, a => a.OperationName == nameof(RevertChange));
        Assert.Equal(intake.SpanId, revert.ParentSpanId);
        Assert.Equal(ActivityKind.Consumer, revert.Kind);
        Assert.Equal(intake.GetTagItem(TelemetryTags.RequestId), revert.GetTagItem(TelemetryTags.RequestId));
        var slack = trace.Where(a => a.OperationName == nameof(PerformEffects)).ToList();
        Assert.Equal(notified, slack.Count);
        Assert.All(slack, s => Assert.Equal(intake.GetTagItem(TelemetryTags.RequestId), s.GetTagItem(TelemetryTags.RequestId)));

        // Dependency spans: the AWS SDK's EC2 calls to moto and the Slack client's calls, HttpClient under both.
        var http = trace.Where(a => a.Source.Name == "System.Net.Http").ToList();
        var motoPort = new Uri(moto.Url).Port;
        var slackPort = new Uri(h.Slack.Url!).Port;
        Assert.Contains(http, a => Equals(a.GetTagItem("server.port"), motoPort) && a.ParentSpanId == revert.SpanId);
        Assert.Contains(http, a => Equals(a.GetTagItem("server.port"), slackPort) && slack.Any(s => s.SpanId == a.ParentSpanId));

        // Nothing else in the trace but these spans: the inbound request (the host's span, as in Azure) started it.
        var root = intake.Parent is { } server ? server : intake;
        Assert.Equal(default, root.ParentSpanId);
        Assert.Equal(intake.TraceId, root.TraceId);
    }

    private static async Task<QueueMessage> ReceiveOneAsync(QueueServiceClient queues, string name)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var received = (await queues.GetQueueClient(name).ReceiveMessagesAsync(1, TimeSpan.FromSeconds(30))).Value;
            if (received.Length == 1)
            {
                return received[0];
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"No message in {name}.");
    }
}
