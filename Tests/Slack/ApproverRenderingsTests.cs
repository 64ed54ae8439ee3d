using System.Text.Json.Nodes;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Local.Slack;
using SgBridge.Shared.Slack;
using SgBridge.Tests.Fakes;
using Xunit.Abstractions;

namespace SgBridge.Tests.Slack;

/// <summary>
/// Three real cases as an approver reads them (the blocks' text in order, buttons and selects by their labels): a risky
/// single change, a batch, an extension. Printed, and written to $SGBRIDGE_RENDERINGS when set.
/// </summary>
public class ApproverRenderingsTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset T = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    private static ChangeRequest Pending(string eventId, params SecurityGroupRule[] rules)
    {
        var change = TestData.Change(ChangeKind.Add, eventId, TestData.SsoUser()) with { Rules = rules, GroupName = "prod-db" };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, T);
        r.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress", true), T);
        return r;
    }

    /// <summary>The message as plain lines: each block's text, each element's label (a select with its options).</summary>
    public static string Plain(SlackMessage m)
    {
        var lines = new List<string> { "[notification] " + m.Text };
        foreach (var block in m.Blocks.OfType<JsonObject>())
        {
            if (block["text"]?["text"] is { } text)
            {
                lines.Add((string)text!);
            }
            foreach (var field in (block["fields"] as JsonArray ?? []).OfType<JsonObject>())
            {
                lines.Add("  " + ((string?)field["text"])?.Replace("\n", " ", StringComparison.Ordinal));
            }
            foreach (var element in (block["elements"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var label = element["text"] is JsonObject t ? (string?)t["text"] : (string?)element["placeholder"]?["text"] ?? (string?)element["text"];
                var options = element["options"] is JsonArray o ? " {" + string.Join(" | ", o.Select(x => (string?)x!["text"]!["text"])) + "}" : "";
                var confirm = element["confirm"] is JsonObject c ? $" (confirm: {(string?)c["text"]!["text"]})" : "";
                lines.Add($"  [{(string?)element["type"]}] {label}{options}{confirm}");
            }
        }
        return string.Join("\n", lines);
    }

    [Fact]
    public void ThreeRealCases_AsAnApproverReadsThem()
    {
        var durations = ApprovalsOptions.ParseDurations(ApprovalsOptions.DefaultDurations);
        var risky = Pending("e-risky", TestData.Tcp(22, "0.0.0.0/0", "vendor debug"), TestData.Tcp(443, "10.0.0.0/8", "https"));
        var single = ApprovalMessageBuilder.ForApprovers([risky], "acme-prod", "UALICE").WithAccessChoices([risky], durations);
        var batch = new[] { Pending("e-b1", TestData.Tcp(5432, "10.1.0.0/16", "app")), Pending("e-b2", TestData.Tcp(3389, "0.0.0.0/0")), Pending("e-b3", TestData.Tcp(443, "0.0.0.0/0", "web")) };
        var batchMessage = ApprovalMessageBuilder.ForApprovers(batch, "acme-prod", "UALICE").WithAccessChoices(batch, durations);
        var original = Pending("e-orig", TestData.Tcp(443, "10.0.0.0/8", "https"));
        original.Approve("U0BOSS", "boss", T, TimeSpan.FromHours(8));
        original.MarkApplied(new CallOutcome("ec2:AuthorizeSecurityGroupIngress", true), T);
        var extension = ChangeRequest.OpenExtension("SG-EXTEND01", original, T.AddHours(7));
        var extensionMessage = ApprovalMessageBuilder.ForApprovers([extension], "acme-prod", "UALICE").WithAccessChoices([extension], durations);

        var text = string.Join("\n\n", new[] { ("A risky single change", single), ("A batch of three", batchMessage), ("An extension", extensionMessage) }
            .Select(c => $"=== {c.Item1} ===\n{Plain(c.Item2)}"));
        output.WriteLine(text);
        if (Environment.GetEnvironmentVariable("SGBRIDGE_RENDERINGS") is { Length: > 0 } path)
        {
            File.WriteAllText(path, text);
        }

        // Risk first: the riskiest flag on the first line and a distinct header; the extension names the original and its end.
        Assert.StartsWith("🚨 Risky", (string)single.Blocks[0]!["text"]!["text"]!, StringComparison.Ordinal);
        Assert.Contains("SSH (22)", (string)single.Blocks[1]!["text"]!["text"]!, StringComparison.Ordinal);
        Assert.Contains(original.Id, Plain(extensionMessage), StringComparison.Ordinal);
        Assert.All(new[] { single, batchMessage, extensionMessage }, m => Assert.Empty(SlackPayloadValidator.Check(m.Text, m.Blocks)));
    }
}
