using System.Text.RegularExpressions;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Slack;

/// <summary>
/// The top-level <c>text</c> of a message with blocks (its notification, and what a client without blocks shows) follows
/// the blocks' hygiene: escaped, one line, no Slack token (mention, link, date), no code span, and no look-alike
/// substitution — identifiers read exactly as AWS wrote them.
/// </summary>
[Collection(SlackPayloadMatrix.Collection)]
public partial class NotificationTextTests
{
    private static readonly DateTimeOffset T = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// The characters the blocks' escaping substitutes for * _ ~ (which AWS identifiers hold): none may appear where the
    /// input had none. (A backtick, which no identifier holds, is shown as ˋ so data cannot open a code span.)
    /// </summary>
    private static readonly char[] LookAlikes = ['∗', 'ˍ', '∼'];

    private static ChangeRequest Pending(Requester requester, string? groupName = null)
    {
        var change = TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString(), requester) with { Rules = [TestData.Tcp(22, "0.0.0.0/0")], GroupName = groupName };
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, T);
        r.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress", true), T);
        return r;
    }

    [Fact]
    public void ApproversMessage_NotificationText_KeepsTheSsoRoleNameExactly_AndCannotMention()
    {
        var r = Pending(TestData.SsoUser(), groupName: "web_tier <!channel> *prod*");

        var text = ApprovalMessageBuilder.ForApprovers([r], "acme_prod", null).Text;

        Assert.Contains("AWSReservedSSO_Admin_0123456789abcdef", text, StringComparison.Ordinal);
        Assert.Contains("web_tier &lt;!channel&gt; *prod*", text, StringComparison.Ordinal);
        Assert.DoesNotContain('<', text);
        Assert.True(text.IndexOfAny(LookAlikes) < 0, text);
    }

    [Fact]
    public void BatchAndCompact_NotificationTexts_HaveNoLookAlikes()
    {
        var batch = new[] { Pending(TestData.SsoUser(), "db_main"), Pending(TestData.SsoUser(), "db_main") };

        foreach (var text in new[] { ApprovalMessageBuilder.ForApprovers(batch, null, null).Text, ApprovalMessageBuilder.Compact(batch, null, true, "msg_too_long").Text })
        {
            Assert.Contains("AWSReservedSSO_Admin_0123456789abcdef", text, StringComparison.Ordinal);
            Assert.True(text.IndexOfAny(LookAlikes) < 0, text);
        }
    }

    [Fact]
    public void DirectMessages_NotificationText_HasNoTokensOrCodeSpans()
    {
        var r = Pending(TestData.SsoUser(), "web");
        r.Approve("U0BOSS", "boss", T, TimeSpan.FromHours(8));
        r.MarkApplied(new CallOutcome("ec2:AuthorizeSecurityGroupIngress", true), T);

        var granted = ApprovalMessageBuilder.AccessGranted(r).Text;
        var (asked, _) = ReasonMessages.Ask(Pending(TestData.SsoUser(), "web_tier"));

        foreach (var text in new[] { granted, asked })
        {
            Assert.DoesNotContain('<', text);
            Assert.DoesNotContain('`', text);
        }
        Assert.Contains("until 2026-11-24 20:00 UTC", granted, StringComparison.Ordinal); // the date token's words
        Assert.Contains("web_tier", asked, StringComparison.Ordinal);
    }

    /// <summary>Over the whole payload matrix: every message with blocks has a notification text free of tokens, code spans and look-alikes.</summary>
    [Fact]
    public void EveryMessageWithBlocks_OverTheMatrix_HasAPlainNotificationText()
    {
        var bad = SlackPayloadMatrix.All()
            .Where(p => p.Blocks is not null && p.View is null)
            .Where(p => p.Text.Contains('<', StringComparison.Ordinal) || p.Text.IndexOfAny(LookAlikes) >= 0 || CodeSpan().IsMatch(p.Text) || p.Text.Contains('\n', StringComparison.Ordinal))
            .Select(p => $"{p.Kind} {p.Label}: {p.Text[..Math.Min(200, p.Text.Length)]}")
            .Take(5)
            .ToList();

        Assert.True(bad.Count == 0, string.Join("\n", bad));
    }

    [GeneratedRegex("`[^`]+`")]
    private static partial Regex CodeSpan();
}
