using System.Text.Json.Nodes;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
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

    [Fact]
    public void Single_PendingRequest_GetsOneApproveButtonPerDuration_AndDeny()
    {
        var r = Pending(1);
        var m = ApprovalMessageBuilder.ForApprovers(r, null, null).WithAccessChoices([r], Defaults);

        var ids = Buttons(m).Select(b => (string)b["action_id"]!).ToList();
        Assert.Equal(Defaults.Select(d => ApprovalDurationActions.ActionId(ActionIds.ApproveFor, d.Label, r.Id)).Append(ActionIds.For(ActionIds.Deny, r.Id)), ids);
        Assert.All(Buttons(m), b => Assert.Equal(r.Id, (string)b["value"]!));
        Assert.Equal(["Approve 1h", "Approve 8h", "Approve 24h", "Approve 7d", "Approve permanently", "Deny"], Buttons(m).Select(b => (string)b["text"]!["text"]!));
        Assert.True(ids.Distinct().Count() == ids.Count);
    }

    [Fact]
    public void RiskyApproval_KeepsItsConfirmationOnEveryDuration()
    {
        var change = TestData.Change(ChangeKind.Add, eventId: "risky") with { Rules = [TestData.Tcp(22, "0.0.0.0/0")] };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, Now);
        r.MarkReverted(new CallOutcome("x", true), Now);

        var m = ApprovalMessageBuilder.ForApprovers(r, null, null).WithAccessChoices([r], Defaults);

        Assert.All(Buttons(m).Where(b => ((string)b["action_id"]!).StartsWith(ActionIds.ApproveFor, StringComparison.Ordinal)), b => Assert.NotNull(b["confirm"]));
    }

    [Fact]
    public void Batch_GetsApproveAllPerDuration_AndFitsSlackLimits()
    {
        var batch = Enumerable.Range(1, 30).Select(Pending).ToList();

        var m = ApprovalMessageBuilder.ForApprovers(batch, null, null).WithAccessChoices(batch, Defaults);

        Assert.Contains(Buttons(m), b => (string)b["action_id"]! == ApprovalDurationActions.ActionId(ActionIds.ApproveAllFor, "8h", batch[0].Id));
        Assert.DoesNotContain(Buttons(m), b => ActionIds.Matches((string)b["action_id"]!, ActionIds.Approve) || ActionIds.Matches((string)b["action_id"]!, ActionIds.ApproveAll));
        Assert.True(m.Blocks.Count <= SlackLimits.BlocksPerMessage);
        Assert.All(m.Blocks.OfType<JsonObject>().Where(b => (string?)b["type"] == "actions"), b => Assert.True(b["elements"]!.AsArray().Count <= 25));
        Assert.All(Buttons(m), b => Assert.True(((string)b["action_id"]!).Length <= SlackLimits.ActionId));
        Assert.All(Buttons(m), b => Assert.True(((string)b["text"]!["text"]!).Length <= SlackLimits.ButtonText));
    }

    [Fact]
    public void Applied_TimeBound_ShowsUntilWhen_AndRevoke_PermanentShowsNoRevoke()
    {
        var timed = Applied(1, TimeSpan.FromHours(8));
        var permanent = Applied(2, null);

        var m = ApprovalMessageBuilder.ForApprovers(timed, null, null).WithAccessChoices([timed], Defaults);
        var p = ApprovalMessageBuilder.ForApprovers(permanent, null, null).WithAccessChoices([permanent], Defaults);

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
        Assert.Equal(text, ApprovalMessageBuilder.FormatDuration(TimeSpan.FromMinutes(minutes)));
    }

    [Fact]
    public void AccessEnded_ShowsHowItEnded_WithoutButtons()
    {
        var expired = Applied(1, TimeSpan.FromHours(1));
        expired.EndAccess(AccessEndReason.Expired, null, Now.AddHours(1));
        var revoked = Applied(2, TimeSpan.FromHours(8));
        revoked.EndAccess(AccessEndReason.Revoked, "UAPPROVER2", Now.AddMinutes(5));

        var e = ApprovalMessageBuilder.ForApprovers(expired, null, null).WithAccessChoices([expired], Defaults);
        var r = ApprovalMessageBuilder.ForApprovers(revoked, null, null).WithAccessChoices([revoked], Defaults);

        Assert.Empty(Buttons(e));
        Assert.Contains("for 1h; access ended", e.Blocks.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("access ended", e.Text, StringComparison.Ordinal);
        var context = r.Blocks.OfType<JsonObject>().Last(b => (string?)b["type"] == "context").ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        Assert.Contains("revoked early by <@UAPPROVER2>", context, StringComparison.Ordinal);
    }
}
