using System.Text.Json.Nodes;
using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Slack.Requests;

/// <summary>Block and callback ids of the request and reason modals (the block id keys each field's error).</summary>
public static class RequestBlocks
{
    public const string RequestCallback = "sgbridge_request";

    public const string Account = "account";
    public const string Region = "region";
    public const string Group = "group";
    public const string Direction = "direction";
    public const string Protocol = "protocol";
    public const string Ports = "ports";
    public const string Source = "source";
    public const string Description = "description";
    public const string Duration = "duration";
    public const string Reason = "reason";

    /// <summary>The one action id of every input element (the block id tells them apart).</summary>
    public const string Value = "value";

    public static IReadOnlyList<string> Protocols { get; } = ["tcp", "udp", "icmp", "icmpv6", "all"];
}

/// <summary>The Block Kit views of requests from Slack: the request modal and its confirmation.</summary>
public static class RequestModal
{
    /// <summary>The request modal. <paramref name="accounts"/> null: accounts are typed (every account is allowed).</summary>
    public static JsonObject Request(IReadOnlyList<(string Id, string? Alias)>? accounts, IReadOnlyList<string>? regions, bool egress,
        IReadOnlyList<(string Token, TimeSpan? Duration)> durations, string sealedMetadata)
    {
        var blocks = new JsonArray
        {
            ApprovalMessageBuilder.Section("Ask for a security group rule. Approvers decide in Slack; once approved, SgBridge adds the rule for you — no console rights needed."),
            accounts is { Count: > 0 and <= SlackLimits.SelectOptions }
                ? Input(RequestBlocks.Account, "AWS account", Select("Choose an account", accounts.Select(a => (a.Alias is null ? a.Id : $"{a.Alias} ({a.Id})", a.Id))))
                : Input(RequestBlocks.Account, "AWS account", Text("12-digit account id or alias")),
            regions is { Count: > 0 and <= SlackLimits.SelectOptions }
                ? Input(RequestBlocks.Region, "Region", Select("Choose a region", regions.Select(r => (r, r))))
                : Input(RequestBlocks.Region, "Region", Text("e.g. eu-west-1")),
            Input(RequestBlocks.Group, "Security group", Text("sg-0123456789abcdef0 or the group's name"), hint: "A name is looked up in the default VPC; use the id for other VPCs."),
        };
        if (egress)
        {
            blocks.Add(Input(RequestBlocks.Direction, "Direction", Select("Inbound or outbound", [("Inbound (ingress)", "ingress"), ("Outbound (egress)", "egress")]), initial: ("Inbound (ingress)", "ingress")));
        }
        blocks.Add(Input(RequestBlocks.Protocol, "Protocol", Select("Protocol", RequestBlocks.Protocols.Select(p => (p == "all" ? "All traffic" : p.ToUpperInvariant(), p))), initial: ("TCP", "tcp")));
        blocks.Add(Input(RequestBlocks.Ports, "Ports", Text("22 or 8000-8100 (ICMP: type or type:code)"), optional: true, hint: "Required for TCP and UDP; leave empty for all traffic."));
        blocks.Add(Input(RequestBlocks.Source, egress ? "Source (inbound) or destination (outbound)" : "Source", Text("10.0.0.0/8, 2001:db8::/32, pl-0123abcd or sg-0123abcd")));
        blocks.Add(Input(RequestBlocks.Description, "Rule description", Text("Shown on the rule in AWS", maxLength: 255), optional: true));
        var durationOptions = durations.Select(d => (Label(d.Duration), d.Token)).ToList();
        blocks.Add(Input(RequestBlocks.Duration, "For how long", Select("Duration", durationOptions), initial: durationOptions.Count > 0 ? durationOptions[0] : null));
        blocks.Add(Input(RequestBlocks.Reason, "Why do you need it?", Text("Ticket, purpose, who asked", multiline: true, maxLength: 1000)));
        return Modal("SgBridge request", blocks, (RequestBlocks.RequestCallback, "Ask approvers", sealedMetadata));
    }

    /// <summary>What the modal shows after a request is opened (response_action: update).</summary>
    public static JsonObject Opened(ChangeRequest request, bool existing) => Modal("SgBridge request",
    [
        ApprovalMessageBuilder.Section($":inbox_tray: Request *{request.Id}* {(existing ? "was already opened" : "is open")}: {SlackText.Escape(SlackText.Plain(ApprovalMessageBuilder.RuleWords(request.Rules[0]), 300))} on "
            + $"{SlackText.Code(request.GroupId)} ({SlackText.Code(request.AccountId)}, {SlackText.Escape(request.Region)}).\n"
            + "The approvers have been asked; the bridge sends you their decision in a direct message. Nothing changes in AWS until a request is approved."),
    ]);

    public static string Label(TimeSpan? duration) => duration switch
    {
        null => "Permanently",
        { TotalDays: >= 1 and var days } when days % 1 == 0 => $"{days:0} day(s)",
        { TotalHours: >= 1 and var hours } when hours % 1 == 0 => $"{hours:0} hour(s)",
        { } d => $"{d.TotalMinutes:0} minute(s)",
    };

    /// <summary>A modal; with <paramref name="form"/>, a form submitted under its callback id with its sealed private_metadata (<see cref="ModalSeal"/>).</summary>
    internal static JsonObject Modal(string title, JsonArray blocks, (string CallbackId, string Submit, string SealedMetadata)? form = null) =>
        ApprovalMessageBuilder.Json(("type", "modal"), ("title", Plain(title)), ("close", Plain(form is null ? "Done" : "Cancel")), ("blocks", blocks),
            ("callback_id", form?.CallbackId), ("private_metadata", form?.SealedMetadata), ("submit", form is { } f ? Plain(f.Submit) : null));

    internal static JsonObject Input(string blockId, string label, JsonObject element, bool optional = false, string? hint = null, (string Text, string Value)? initial = null)
    {
        if (initial is { } i && element["type"]?.GetValue<string>() == "static_select")
        {
            element["initial_option"] = ApprovalMessageBuilder.Option(i.Text, i.Value);
        }
        return ApprovalMessageBuilder.Json(("type", "input"), ("block_id", blockId), ("label", Plain(label)), ("optional", optional), ("element", element),
            ("hint", hint is null ? null : Plain(hint)));
    }

    internal static JsonObject Text(string? placeholder, bool multiline = false, int? maxLength = null) =>
        ApprovalMessageBuilder.Json(("type", "plain_text_input"), ("action_id", RequestBlocks.Value), ("multiline", multiline),
            ("placeholder", placeholder is null ? null : Plain(placeholder)), ("max_length", maxLength));

    private static JsonObject Select(string placeholder, IEnumerable<(string Text, string Value)> options) =>
        ApprovalMessageBuilder.Select(RequestBlocks.Value, placeholder, options);

    /// <summary>Titles, labels, hints, placeholders and options: plain text within the shortest of their limits that applies (75).</summary>
    private static JsonObject Plain(string text) => ApprovalMessageBuilder.PlainText(text, SlackLimits.OptionText);
}
