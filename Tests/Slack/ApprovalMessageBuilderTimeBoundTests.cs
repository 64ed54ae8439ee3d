using System.Text.Json.Nodes;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Local.Slack;
using SgBridge.Shared.Slack;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Slack;

public class ApprovalMessageBuilderTimeBoundTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly IReadOnlyList<ApprovalDuration> Defaults = ApprovalsOptions.ParseDurations(ApprovalsOptions.DefaultDurations);

    private static ChangeRequest Pending(int n)
    {
        var change = TestData.Change(ChangeKind.Add, eventId: "evt-" + n) with { Rules = [TestData.Tcp(1000 + n, "10.0.0.0/8")] };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, Now);
        r.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress", true), Now);
        return r;
    }

    private static ChangeRequest Applied(int n, TimeSpan? duration)
    {
        var r = Pending(n);
        r.Approve("UAPPROVER1", "ann", Now, duration);
        r.MarkApplied(new CallOutcome("ec2:AuthorizeSecurityGroupIngress", true), Now);
        return r;
    }

    private static List<JsonObject> Buttons(SlackMessage m) =>
        m.Blocks.OfType<JsonObject>().Where(b => (string?)b["type"] == "actions").SelectMany(b => b["elements"]!.AsArray().OfType<JsonObject>()).ToList();

    private static List<JsonObject> Elements(SlackMessage m) =>
        m.Blocks.OfType<JsonObject>().Where(b => (string?)b["type"] == "actions").SelectMany(b => b["elements"]!.AsArray().OfType<JsonObject>()).ToList();

    private static ChangeRequest Risky(string eventId, ChangeKind kind = ChangeKind.Add)
    {
        var change = TestData.Change(kind, eventId: eventId) with { Rules = [TestData.Tcp(22, "0.0.0.0/0")] };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, Now);
        r.MarkReverted(new CallOutcome("x", true), Now);
        return r;
    }

    [Fact]
    public void Single_PendingRequest_GetsOneDurationSelect_AndDeny()
    {
        var r = Pending(1);
        var m = ApprovalMessageBuilder.ForApprovers([r], null, null).WithAccessChoices([r], Defaults);

        var elements = Elements(m);
        Assert.Equal(2, elements.Count);
        var select = elements[0];
        Assert.Equal(("static_select", ActionIds.For(ActionIds.ApproveFor, r.Id)), ((string)select["type"]!, (string)select["action_id"]!));
        var options = select["options"]!.AsArray().OfType<JsonObject>().ToList();
        Assert.Equal(Defaults.Select(d => ApprovalDurationActions.ActionId(ActionIds.ApproveFor, d.Label, r.Id)), options.Select(o => (string)o["value"]!));
        Assert.Equal(["for 1h", "for 8h", "for 24h", "for 7d", "permanently"], options.Select(o => (string)o["text"]!["text"]!));
        Assert.Equal((ActionIds.For(ActionIds.Deny, r.Id), r.Id), ((string)elements[1]["action_id"]!, (string)elements[1]["value"]!));
        Assert.Null(select["confirm"]);
    }

    [Fact]
    public void RiskyApproval_HasOneConfirmation_OnTheSelect_NamingTheChosenDuration()
    {
        var r = Risky("risky");

        var m = ApprovalMessageBuilder.ForApprovers([r], null, null).WithAccessChoices([r], Defaults);

        var confirms = m.Blocks.ToJsonString().Split("\"confirm\":{\"title\"").Length - 1;
        Assert.Equal(1, confirms);
        var text = (string)Elements(m)[0]["confirm"]!["text"]!["text"]!;
        Assert.StartsWith($"Approve {r.Id} for the duration you picked? It opens risky access: SSH (22) open to the internet (0.0.0.0/0)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void OneDurationOffered_IsOneButtonNamingIt_AndItsConfirmationNamesIt()
    {
        var r = Risky("risky-8h");

        var m = ApprovalMessageBuilder.ForApprovers([r], null, null).WithAccessChoices([r], ApprovalsOptions.ParseDurations("8h"));

        var approve = Elements(m)[0];
        Assert.Equal(("button", ApprovalDurationActions.ActionId(ActionIds.ApproveFor, "8h", r.Id), "Approve 8h"), ((string)approve["type"]!, (string)approve["action_id"]!, (string)approve["text"]!["text"]!));
        Assert.StartsWith($"Approve {r.Id} for 8h? It opens risky access", (string)approve["confirm"]!["text"]!["text"]!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ApprovalsOptions.DefaultDurations, "sgbridge_approve")]
    [InlineData("1h,8h", "sgbridge_approve_for:1h")]
    public void Removal_OffersNoDuration(string setting, string prefix)
    {
        var change = TestData.Change(ChangeKind.Remove, eventId: "removal") with { Rules = [TestData.Tcp(22, "10.0.0.0/8")] };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, Now);
        r.MarkReverted(new CallOutcome("x", true), Now);

        var m = ApprovalMessageBuilder.ForApprovers([r], null, null).WithAccessChoices([r], ApprovalsOptions.ParseDurations(setting));

        var approve = Elements(m)[0];
        Assert.Equal(("button", prefix + ":" + r.Id, "Approve"), ((string)approve["type"]!, (string)approve["action_id"]!, (string)approve["text"]!["text"]!));
        Assert.DoesNotContain("static_select", m.Blocks.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Batch_WithRemovals_ApproveAllSaysTheDurationDoesNotBindThem()
    {
        var removal = TestData.Change(ChangeKind.Remove, eventId: "removal-b") with { Rules = [TestData.Tcp(80, "10.0.0.0/8")] };
        var r = ChangeRequest.Open(RequestId.For(removal.EventId), removal, Now);
        r.MarkReverted(new CallOutcome("x", true), Now);
        var batch = new List<ChangeRequest> { Pending(1), r, Pending(2) };

        var m = ApprovalMessageBuilder.ForApprovers(batch, null, null).WithAccessChoices(batch, Defaults);

        var all = Elements(m).Single(e => ((string)e["action_id"]!).StartsWith(ActionIds.ApproveAllFor, StringComparison.Ordinal));
        Assert.Equal("static_select", (string)all["type"]!);
        Assert.Equal("2 change(s) are approved for the duration you picked; 1 removal(s) take effect for good. Each is applied exactly as requested.", (string)all["confirm"]!["text"]!["text"]!);
        Assert.Contains("the 1 removal(s) take access away for good", m.Blocks.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }), StringComparison.Ordinal);
        Assert.Equal("button", (string)Elements(m).Single(e => (string)e["action_id"]! == ActionIds.For(ActionIds.Approve, r.Id))["type"]!);
    }

    [Fact]
    public void Batch_GetsApproveAllSelect_AndFitsSlackLimits()
    {
        var batch = Enumerable.Range(1, 30).Select(Pending).ToList();

        var m = ApprovalMessageBuilder.ForApprovers(batch, null, null).WithAccessChoices(batch, Defaults);

        var all = Elements(m).Single(e => (string)e["action_id"]! == ActionIds.For(ActionIds.ApproveAllFor, batch[0].Id));
        Assert.Contains(all["options"]!.AsArray(), o => (string)o!["value"]! == ApprovalDurationActions.ActionId(ActionIds.ApproveAllFor, "8h", batch[0].Id));
        Assert.DoesNotContain(Elements(m), b => ActionIds.Matches((string)b["action_id"]!, ActionIds.Approve) || ActionIds.Matches((string)b["action_id"]!, ActionIds.ApproveAll));
        Assert.Empty(SlackPayloadValidator.Check(m.Text, m.Blocks));
    }

    [Fact]
    public void Applied_TimeBound_ShowsUntilWhen_AndRevoke_PermanentShowsNoRevoke()
    {
        var timed = Applied(1, TimeSpan.FromHours(8));
        var permanent = Applied(2, null);

        var m = ApprovalMessageBuilder.ForApprovers([timed], null, null).WithAccessChoices([timed], Defaults);
        var p = ApprovalMessageBuilder.ForApprovers([permanent], null, null).WithAccessChoices([permanent], Defaults);

        var revoke = Assert.Single(Buttons(m));
        Assert.Equal((ActionIds.For(ActionIds.RevokeAccess, timed.Id), timed.Id), ((string)revoke["action_id"]!, (string)revoke["value"]!));
        Assert.Contains("access for 8h", m.Blocks.ToJsonString(), StringComparison.Ordinal);
        Assert.Empty(Buttons(p));
    }

    [Theory]
    [InlineData(60, "1h")]
    [InlineData(90, "90m")]
    [InlineData(1440, "1d")]
    [InlineData(10080, "7d")]
    public void FormatDuration_IsTheShortestExactForm(int minutes, string text)
    {
        Assert.Equal(text, ApprovalDuration.Format(TimeSpan.FromMinutes(minutes)));
    }

    [Fact]
    public void AccessEnded_ShowsHowItEnded_WithoutButtons()
    {
        var expired = Applied(1, TimeSpan.FromHours(1));
        expired.EndAccess(AccessEndReason.Expired, null, Now.AddHours(1));
        var revoked = Applied(2, TimeSpan.FromHours(8));
        revoked.EndAccess(AccessEndReason.Revoked, "UAPPROVER2", Now.AddMinutes(5));

        var e = ApprovalMessageBuilder.ForApprovers([expired], null, null).WithAccessChoices([expired], Defaults);
        var r = ApprovalMessageBuilder.ForApprovers([revoked], null, null).WithAccessChoices([revoked], Defaults);

        Assert.Empty(Buttons(e));
        Assert.Contains("for 1h; access ended", e.Blocks.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("access ended", e.Text, StringComparison.Ordinal);
        var context = r.Blocks.OfType<JsonObject>().Last(b => (string?)b["type"] == "context").ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        Assert.Contains("revoked early by <@UAPPROVER2>", context, StringComparison.Ordinal);
    }
}
