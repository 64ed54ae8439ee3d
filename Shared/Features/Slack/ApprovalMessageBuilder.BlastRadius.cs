using System.Text.Json.Nodes;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Slack;

public static partial class ApprovalMessageBuilder
{
    /// <summary>The most resources the blast radius section names; the rest are counted.</summary>
    internal const int MaxResourcesShown = 12;

    /// <summary>
    /// The approvers' message with a "Blast radius" section: the group's network interfaces, what they belong to and, in
    /// front, every rule that would open an internet-reachable resource to the internet; or why it is unavailable.
    /// </summary>
    public static SlackMessage WithBlastRadius(SlackMessage message, IReadOnlyList<ChangeRequest> batch, BlastRadius radius) =>
        message.View is { } view ? Render(view with { Radius = radius }) : message;

    /// <summary>Adds the section at <paramref name="before"/> (null: before the first actions), else a line in the last context.</summary>
    private static void AddBlastRadius(JsonArray blocks, RequestView v, int? before)
    {
        if (v.Radius is not { } radius || !v.Approvers)
        {
            return;
        }
        var room = SlackLimits.TotalBlockText - TextLength(blocks) - 10;
        var text = BlastRadiusText(v.Batch, radius, Math.Min(SlackLimits.SectionText, room));
        if (text.Length > 0 && blocks.Count < SlackLimits.BlocksPerMessage)
        {
            var at = before ?? blocks.Select((b, i) => (b, i)).FirstOrDefault(x => x.b?["type"]?.GetValue<string>() == "actions", (null, blocks.Count)).i;
            blocks.Insert(at, Section(text));
            return;
        }
        var line = BlastRadiusLine(v.Batch, radius) + " · ";
        if (blocks[^1]?["type"]?.GetValue<string>() == "context" && blocks[^1]!["elements"]![0]!["text"] is JsonValue last
            && line.Length <= room && last.GetValue<string>().Length + line.Length <= SlackLimits.SectionText)
        {
            blocks[^1]!["elements"]![0]!["text"] = line + last.GetValue<string>();
        }
    }

    /// <summary>The section text within <paramref name="budget"/> characters ("" when not even one line fits).</summary>
    internal static string BlastRadiusText(IReadOnlyList<ChangeRequest> batch, BlastRadius radius, int budget)
    {
        if (budget < 80)
        {
            return "";
        }
        if (!radius.IsAvailable)
        {
            return SlackText.Truncate($":grey_question: *Blast radius unavailable:* {SlackText.Escape(SlackText.Plain(radius.Unavailable, 300))}", budget);
        }
        var lines = new List<string>();
        foreach (var request in batch)
        {
            foreach (var (rule, exposed) in radius.Exposure(request))
            {
                var names = string.Join(", ", exposed.Take(5).Select(r => SlackText.Code(SlackText.Plain(r.Name, 80)) + (r.PublicIp is { } ip ? $" ({SlackText.Escape(ip)})" : "")));
                lines.Add($":rotating_light: *Internet exposure:* {SlackText.Escape(RuleWords(rule))} ({SlackText.Escape(rule.Source.Value)}) would reach "
                    + $"{exposed.Count} internet-reachable resource{(exposed.Count == 1 ? "" : "s")}: {names}{(exposed.Count > 5 ? $" and {exposed.Count - 5} more" : "")}");
            }
        }
        if (radius.Interfaces.Count == 0)
        {
            lines.Add("_No network interface uses this group: approving exposes nothing today._");
        }
        foreach (var r in radius.Resources.Take(MaxResourcesShown))
        {
            lines.Add($"• {KindWords(r.Kind)} {SlackText.Code(SlackText.Plain(r.Name, 100))}"
                + (r.PublicIp is { } ip ? $" — public IP {SlackText.Escape(ip)}" : "")
                + (r.HasIpv6 ? " — IPv6" : ""));
        }
        if (radius.Resources.Count > MaxResourcesShown)
        {
            lines.Add($"{SlackText.Ellipsis}and {radius.Resources.Count - MaxResourcesShown} more");
        }
        var title = $":dart: *Blast radius:* {radius.Interfaces.Count} network interface{(radius.Interfaces.Count == 1 ? "" : "s")}, "
            + $"{radius.Resources.Count(r => r.PublicIpv4)} with a public IP";
        var text = SlackText.Lines(title, lines, budget, $"`aws ec2 describe-network-interfaces --filters Name=group-id,Values={radius.GroupId}`");
        return text.Length <= budget ? text : SlackText.Truncate(title, budget);
    }

    /// <summary>One line, for a message with no block left.</summary>
    internal static string BlastRadiusLine(IReadOnlyList<ChangeRequest> batch, BlastRadius radius) =>
        !radius.IsAvailable
            ? $"Blast radius unavailable: {SlackText.Escape(SlackText.Plain(radius.Unavailable, 120))}"
            : $"Blast radius: {radius.Interfaces.Count} interface{(radius.Interfaces.Count == 1 ? "" : "s")}, {radius.Resources.Count(r => r.PublicIpv4)} public"
              + (batch.Any(r => radius.Exposure(r).Count > 0) ? " · :rotating_light: internet exposure" : "");

    /// <summary>The loud monitoring message for a break-glass approval: someone approved their own change.</summary>
    public static string BreakGlassNotice(ChangeRequest r, string approverSlackUserId, string? accountAlias) =>
        TopLevel($":rotating_light::rotating_light: *BREAK-GLASS* {Mention(approverSlackUserId)} approved *their own* change {SlackText.Code(r.Id)}"
            + $"{GrantWords(r)}: {(r.Kind == ChangeKind.Remove ? "the removal of " : "")}{AccessPhrase(r)} in {SlackText.Code(AccountPlain(r, accountAlias))}, {SlackText.Code(SlackText.Plain(r.Region, 40))}. "
            + "No second person approved it. Review it now: `sgbridge requests show " + r.Id + "`", escape: false);

    private static string KindWords(ProtectedKind kind) => kind switch
    {
        ProtectedKind.Instance => "Instance",
        ProtectedKind.LoadBalancer => "Load balancer",
        ProtectedKind.Database => "Database",
        ProtectedKind.Cache => "Cache",
        ProtectedKind.Lambda => "Lambda",
        ProtectedKind.Container => "Container",
        ProtectedKind.NatGateway => "NAT gateway",
        ProtectedKind.VpcEndpoint => "VPC endpoint",
        ProtectedKind.FileSystem => "File system",
        ProtectedKind.OtherService => "AWS service",
        _ => "Unattached interface",
    };
}
