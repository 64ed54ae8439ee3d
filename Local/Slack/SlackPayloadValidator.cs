using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SgBridge.Shared.Slack;

namespace SgBridge.Local.Slack;

/// <summary>
/// Checks a Slack payload against every limit in <see cref="SlackLimits"/> and against the escaping rules: no broadcast
/// mention, no broken entity, no unbalanced code span, no token the bridge does not make. One validator for every kind
/// of payload the bridge sends or publishes — messages, updates, replies, ephemerals and DMs (<see cref="Check"/>),
/// modals and Home tab views (<see cref="CheckView"/>); the local Slack and the tests' WireMock Slack stub refuse what
/// it flags, and the local approvers' page shows why Slack would refuse one.
/// </summary>
public static partial class SlackPayloadValidator
{
    /// <summary>Every violation found in a message (top-level text and blocks); empty when Slack would take it.</summary>
    public static IReadOnlyList<string> Check(string? text, JsonArray? blocks, int totalBlockText = SlackLimits.TotalBlockText)
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(text))
        {
            errors.Add("top-level text is empty");
        }
        else
        {
            Limit(errors, "top-level text", text, SlackLimits.TopLevelText);
            Mrkdwn(errors, "top-level text", text);
        }
        if (blocks is null)
        {
            return errors;
        }
        Blocks(errors, blocks, SlackLimits.BlocksPerMessage, inputs: false);
        var total = ApprovalMessageBuilder.TextLength(blocks);
        if (total > totalBlockText)
        {
            errors.Add($"block text totals {total} > {totalBlockText}");
        }
        return errors;
    }

    /// <summary>Every violation found in a view (a modal, or a Home tab published with views.publish).</summary>
    public static IReadOnlyList<string> CheckView(JsonObject? view)
    {
        var errors = new List<string>();
        if (view is null)
        {
            return ["the view is missing"];
        }
        var type = (string?)view["type"];
        if (type is not ("modal" or "home"))
        {
            errors.Add($"view type {type} is neither modal nor home");
        }
        if (type == "modal")
        {
            PlainText(errors, "modal title", view["title"], SlackLimits.ViewTitle);
            foreach (var key in new[] { "submit", "close" })
            {
                if (view[key] is { } button)
                {
                    PlainText(errors, "modal " + key, button, SlackLimits.ViewTitle);
                }
            }
        }
        Limit(errors, "private_metadata", (string?)view["private_metadata"] ?? "", SlackLimits.PrivateMetadata);
        Limit(errors, "callback_id", (string?)view["callback_id"] ?? "", SlackLimits.CallbackId);
        if (view["blocks"] is not JsonArray blocks)
        {
            errors.Add("the view has no blocks");
            return errors;
        }
        Blocks(errors, blocks, SlackLimits.BlocksPerView, inputs: true);
        return errors;
    }

    private static void Blocks(List<string> errors, JsonArray blocks, int maxBlocks, bool inputs)
    {
        if (blocks.Count > maxBlocks)
        {
            errors.Add($"{blocks.Count} blocks > {maxBlocks}");
        }
        var blockIds = new HashSet<string>(StringComparer.Ordinal);
        var actionIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var block in blocks.OfType<JsonObject>())
        {
            var type = (string?)block["type"];
            if ((string?)block["block_id"] is { } blockId)
            {
                Limit(errors, "block_id", blockId, SlackLimits.BlockId);
                if (!blockIds.Add(blockId))
                {
                    errors.Add($"block_id {blockId} is not unique");
                }
            }
            switch (type)
            {
                case "header":
                    PlainText(errors, "header", block["text"], SlackLimits.HeaderText);
                    break;
                case "divider":
                    break;
                case "section":
                    if (block["text"] is { } st)
                    {
                        TextObject(errors, "section text", st, SlackLimits.SectionText);
                    }
                    if (block["fields"] is JsonArray fields)
                    {
                        if (fields.Count > SlackLimits.Fields)
                        {
                            errors.Add($"{fields.Count} fields > {SlackLimits.Fields}");
                        }
                        foreach (var f in fields)
                        {
                            TextObject(errors, "field", f, SlackLimits.FieldText);
                        }
                    }
                    if (block["text"] is null && block["fields"] is null)
                    {
                        errors.Add("section without text or fields");
                    }
                    if (block["accessory"] is JsonObject accessory)
                    {
                        Element(errors, accessory, actionIds);
                    }
                    break;
                case "context":
                    var elements = block["elements"]!.AsArray();
                    if (elements.Count is 0 or > SlackLimits.ContextElements)
                    {
                        errors.Add($"context with {elements.Count} elements");
                    }
                    foreach (var e in elements)
                    {
                        TextObject(errors, "context element", e, SlackLimits.SectionText);
                    }
                    break;
                case "actions":
                    var actions = block["elements"]!.AsArray();
                    if (actions.Count is 0 or > SlackLimits.ActionsElements)
                    {
                        errors.Add($"actions with {actions.Count} elements");
                    }
                    foreach (var element in actions.OfType<JsonObject>())
                    {
                        Element(errors, element, actionIds);
                    }
                    break;
                case "input" when inputs:
                    PlainText(errors, "input label", block["label"], SlackLimits.InputLabel);
                    if (block["hint"] is { } hint)
                    {
                        PlainText(errors, "input hint", hint, SlackLimits.InputLabel);
                    }
                    if (block["element"] is JsonObject input)
                    {
                        Element(errors, input, actionIds);
                    }
                    else
                    {
                        errors.Add("input without an element");
                    }
                    break;
                default:
                    errors.Add($"unexpected block type {type}");
                    break;
            }
        }
    }

    /// <summary>An interactive element: a button, a select or an overflow menu, a text input; its confirmation if any.</summary>
    private static void Element(List<string> errors, JsonObject element, HashSet<string> actionIds)
    {
        var type = (string?)element["type"];
        var actionId = (string?)element["action_id"] ?? "";
        Limit(errors, "action_id", actionId, SlackLimits.ActionId);
        if (actionId.Length > 0 && !actionIds.Add(actionId))
        {
            errors.Add($"action_id {actionId} is not unique");
        }
        switch (type)
        {
            case "button":
                PlainText(errors, "button text", element["text"], SlackLimits.ButtonText);
                Limit(errors, "button value", (string?)element["value"] ?? "", SlackLimits.ButtonValue);
                break;
            case "static_select":
            case "overflow":
                if (type == "static_select")
                {
                    PlainText(errors, "select placeholder", element["placeholder"], SlackLimits.Placeholder);
                }
                var options = element["options"] as JsonArray ?? [];
                var (min, max) = type == "overflow" ? (SlackLimits.OverflowOptionsMin, SlackLimits.OverflowOptionsMax) : (1, SlackLimits.SelectOptions);
                if (options.Count < min || options.Count > max)
                {
                    errors.Add($"{type} with {options.Count} options (allowed {min}–{max})");
                }
                var values = new HashSet<string>(StringComparer.Ordinal);
                foreach (var option in options.OfType<JsonObject>())
                {
                    PlainText(errors, "option text", option["text"], SlackLimits.OptionText);
                    var value = (string?)option["value"] ?? "";
                    Limit(errors, "option value", value, SlackLimits.OptionValue);
                    if (value.Length == 0 || !values.Add(value))
                    {
                        errors.Add($"option value '{value}' is empty or not unique");
                    }
                }
                break;
            case "plain_text_input":
                break;
            default:
                errors.Add($"unexpected element type {type}");
                break;
        }
        if (element["confirm"] is JsonObject confirm)
        {
            PlainText(errors, "confirm title", confirm["title"], SlackLimits.ConfirmTitle);
            PlainText(errors, "confirm text", confirm["text"], SlackLimits.ConfirmText);
            PlainText(errors, "confirm button", confirm["confirm"], SlackLimits.ConfirmButton);
            PlainText(errors, "confirm deny", confirm["deny"], SlackLimits.ConfirmButton);
        }
    }

    private static void TextObject(List<string> errors, string what, JsonNode? node, int max)
    {
        var type = (string?)node?["type"];
        var text = (string?)node?["text"] ?? "";
        if (text.Length == 0)
        {
            errors.Add($"{what} is empty");
        }
        Limit(errors, what, text, max);
        if (type == "mrkdwn")
        {
            Mrkdwn(errors, what, text);
        }
        else if (type != "plain_text")
        {
            errors.Add($"{what} has type {type}");
        }
    }

    private static void PlainText(List<string> errors, string what, JsonNode? node, int max)
    {
        if ((string?)node?["type"] != "plain_text")
        {
            errors.Add($"{what} is not plain_text");
        }
        var text = (string?)node?["text"] ?? "";
        if (text.Length == 0)
        {
            errors.Add($"{what} is empty");
        }
        Limit(errors, what, text, max);
    }

    private static void Limit(List<string> errors, string what, string value, int max)
    {
        if (value.Length > max)
        {
            errors.Add($"{what} has {value.Length} characters > {max}");
        }
    }

    /// <summary>Escaping: no broadcast or user-made link, every &amp; an entity, code spans balanced.</summary>
    private static void Mrkdwn(List<string> errors, string what, string text)
    {
        if (Broadcast().IsMatch(text))
        {
            errors.Add($"{what} pings a channel");
        }
        if (BrokenEntity().IsMatch(text))
        {
            errors.Add($"{what} has a broken entity");
        }
        if (text.Count(c => c == '`') % 2 != 0)
        {
            errors.Add($"{what} has an unbalanced code span");
        }
        foreach (Match token in Token().Matches(text))
        {
            var t = token.Value;
            if (!(t.StartsWith("<@U", StringComparison.Ordinal) || t.StartsWith("<@W", StringComparison.Ordinal)
                || t.StartsWith("<!date^", StringComparison.Ordinal) || t.StartsWith("<https://", StringComparison.Ordinal)))
            {
                errors.Add($"{what} has a token the bridge does not make: {t[..Math.Min(t.Length, 40)]}");
            }
        }
    }

    [GeneratedRegex("<!(channel|here|everyone)")]
    private static partial Regex Broadcast();

    [GeneratedRegex("&(?!(amp|lt|gt);)")]
    private static partial Regex BrokenEntity();

    [GeneratedRegex("<[^>]*>")]
    private static partial Regex Token();
}
