using System.Text.Json.Nodes;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Slack;

/// <summary>What one user's Home tab shows: the requests waiting for them as an approver and their own; both newest first.</summary>
public sealed record HomeContent(
    string UserId,
    bool IsApprover,
    IReadOnlyList<ChangeRequest> Waiting,
    IReadOnlyList<ChangeRequest> Mine,
    IReadOnlyList<ApprovalDuration> Durations,
    IReadOnlyDictionary<string, string> Aliases,
    DateTimeOffset Now);

public static partial class ApprovalMessageBuilder
{
    public const string HomeCallback = "sgbridge_home";

    /// <summary>The blocks a Home view always keeps for its headers, "and N more" lines and footer (of Slack's 100).</summary>
    private const int HomeFixedBlocks = 10;

    /// <summary>The most blocks the requester's part takes when approvals wait too (the rest goes to the approvals).</summary>
    private const int HomeMineShare = 30;

    /// <summary>The text of one waiting request on the Home tab (its head, rules and flags): the full message has the rest.</summary>
    private const int HomeRequestText = 600;

    /// <summary>The Home tab: requests waiting for the user (with their choices), then the user's own; the rest is counted.</summary>
    public static JsonObject Home(HomeContent content)
    {
        var available = SlackLimits.BlocksPerView - HomeFixedBlocks;
        var waiting = content.Waiting.Select(r => (JsonNode)Section(HomeWaitingText(r, content.Aliases.GetValueOrDefault(r.AccountId)))).Zip(
            content.Waiting.Select(r => (JsonNode)Controls(r, content.Durations, compact: true, shortConfirm: false))).ToList();
        var mine = content.Mine.Select(r => HomeMine(r, content)).ToList();
        var mineNeed = mine.Sum(m => m.Count);
        var waitingShown = Math.Min(content.Waiting.Count, (available - Math.Min(mineNeed, HomeMineShare)) / 2);
        var mineShown = FitMine(mine, available - waitingShown * 2);
        while (true)
        {
            var blocks = HomeBlocks(content, waiting, waitingShown, mine, mineShown);
            // Slack documents no total for a view: kept within the message budget, cutting waiting requests first.
            if (TextLength(blocks) <= SlackLimits.TotalBlockText || (waitingShown == 0 && mineShown == 0))
            {
                return new JsonObject { ["type"] = "home", ["callback_id"] = HomeCallback, ["blocks"] = blocks };
            }
            if (waitingShown > 0)
            {
                waitingShown = waitingShown * 3 / 4;
            }
            else
            {
                mineShown = mineShown * 3 / 4;
            }
        }
    }

    private static int FitMine(List<List<JsonObject>> mine, int budget)
    {
        var shown = 0;
        foreach (var blocks in mine)
        {
            if (blocks.Count > budget)
            {
                break;
            }
            budget -= blocks.Count;
            shown++;
        }
        return shown;
    }

    private static JsonArray HomeBlocks(HomeContent content, List<(JsonNode Text, JsonNode Controls)> waiting, int waitingShown, List<List<JsonObject>> mine, int mineShown)
    {
        var blocks = new JsonArray
        {
            Header("🛡️ SgBridge · security group changes"),
            Context($"Updated {When(content.Now)}. This tab follows each request as it changes; opening it again always shows the latest."),
        };
        if (content.IsApprover || content.Waiting.Count > 0)
        {
            blocks.Add(Header($"Waiting for you ({content.Waiting.Count})"));
            if (content.Waiting.Count == 0)
            {
                blocks.Add(Context("Nothing waits for your decision."));
            }
            foreach (var (text, controls) in waiting.Take(waitingShown))
            {
                blocks.Add(text.DeepClone());
                blocks.Add(controls.DeepClone());
            }
            if (content.Waiting.Count > waitingShown)
            {
                blocks.Add(Section(MoreLine(content.Waiting.Skip(waitingShown).ToList(), "waiting: decide them in the approvers' channel, or here once these are decided")));
            }
            blocks.Add(new JsonObject { ["type"] = "divider" });
        }
        blocks.Add(Header($"Your requests ({content.Mine.Count})"));
        if (content.Mine.Count == 0)
        {
            blocks.Add(Context("You have no request waiting and no live time-bound access."));
        }
        foreach (var block in mine.Take(mineShown).SelectMany(m => m))
        {
            blocks.Add(block.DeepClone());
        }
        if (content.Mine.Count > mineShown)
        {
            blocks.Add(Section(MoreLine(content.Mine.Skip(mineShown).ToList(), "yours")));
        }
        blocks.Add(Context("Every change was reverted at once (or, asked for in Slack, changes nothing) until an approver approves it. "
            + "Full details: `sgbridge requests show ID`."));
        return blocks;
    }

    /// <summary>A waiting request on the Home tab: risk first, who, where, when, then its rules and flags (cut with a pointer to the rest).</summary>
    private static string HomeWaitingText(ChangeRequest r, string? alias)
    {
        var head = $"{StatusEmoji(r)} *{r.Id}* · {RequesterWords(r.Requester, null)} {Intent(r, plain: false)}\n"
            + $"{AccountField(r, alias)} · {SlackText.Code(SlackText.Plain(r.Region, 40))} · asked {When(r.EventTime)}";
        var riskiest = Riskiest(r);
        var lines = RuleLines(r).Concat(Flags(r).Where(f => f != riskiest).Select(f => ":warning: " + SlackText.Escape(f))).ToList();
        if (r.ExtendsRequestId is not null)
        {
            lines.Insert(0, ExtensionWords(r));
        }
        return SlackText.Lines(SlackText.Truncate(head, HomeRequestText / 2), lines, HomeRequestText, $"`sgbridge requests show {r.Id}`");
    }

    /// <summary>One of the user's own requests: its line and, for live time-bound access, Extend and Revoke.</summary>
    private static List<JsonObject> HomeMine(ChangeRequest r, HomeContent content)
    {
        var line = $"{StatusEmoji(r)} *{r.Id}* · {Intent(r, plain: false)} · {SlackText.Code(r.AccountId)} · _{StatusLine(r)}_";
        var blocks = new List<JsonObject> { Section(SlackText.Truncate(line, HomeRequestText)) };
        if (r.Status == RequestStatus.Applied && r.AccessUntil is { } until && until > content.Now && r.CanEndAccess)
        {
            blocks.Add(Actions("sgbridge_home_access:" + r.Id,
                Button(ActionIds.For(ActionIds.ExtendAccess, r.Id), r.Id, $"Ask to extend {r.Id}", "primary"),
                RevokeButton(r, $"Revoke access {r.Id}", $"Give up {r.Id} now?")));
        }
        return blocks;
    }

    private static string MoreLine(IReadOnlyList<ChangeRequest> rest, string what) =>
        SlackText.Truncate($"{SlackText.Ellipsis}and {rest.Count} more {what}: {string.Join(", ", rest.Take(30).Select(r => r.Id))}"
            + (rest.Count > 30 ? ", …" : ""), SlackLimits.SectionText);
}
