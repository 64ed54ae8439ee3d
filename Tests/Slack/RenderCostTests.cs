using System.Diagnostics;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Local.Slack;
using SgBridge.Shared.Slack;
using Xunit.Abstractions;

namespace SgBridge.Tests.Slack;

/// <summary>What rendering the approvers' message of 400-rule batches costs (printed), and that each such message is valid.</summary>
[Collection(SlackPayloadMatrix.Collection)]
public class RenderCostTests(ITestOutputHelper output)
{
    [Fact]
    public void ApproversMessage_400RuleBatches_RenderTime_IsPrinted()
    {
        var durations = ApprovalsOptions.ParseDurations(ApprovalsOptions.DefaultDurations);
        foreach (var size in new[] { 1, 5, 10, 20 })
        {
            var batch = Enumerable.Range(0, size).Select(i => SlackPayloadMatrix.Request(i, ChangeKind.Add, 400, RequestStatus.Pending)).ToList();
            ApprovalMessageBuilder.ForApprovers(batch, null, null).WithAccessChoices(batch, durations); // warm-up
            const int runs = 3;
            var plain = Stopwatch.StartNew();
            for (var i = 0; i < runs; i++)
            {
                ApprovalMessageBuilder.ForApprovers(batch, null, null).WithAccessChoices(batch, durations);
            }
            plain.Stop();
            var withRadius = Stopwatch.StartNew();
            SlackMessage? message = null;
            for (var i = 0; i < runs; i++)
            {
                message = ApprovalMessageBuilder.WithBlastRadius(ApprovalMessageBuilder.ForApprovers(batch, null, null), batch, SlackPayloadMatrix.HugeRadius).WithAccessChoices(batch, durations);
            }
            withRadius.Stop();
            Assert.Empty(SlackPayloadValidator.Check(message!.Text, message.Blocks));
            output.WriteLine($"{size} x 400 rules: {plain.Elapsed.TotalMilliseconds / runs:F1} ms without the blast radius, "
                + $"{withRadius.Elapsed.TotalMilliseconds / runs:F1} ms with 3,000 interfaces (ForApprovers, WithBlastRadius, WithAccessChoices)");
        }
    }
}
