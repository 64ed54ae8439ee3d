using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace SgBridge.Shared.Slack;

/// <summary>
/// Checks a Slack payload (top-level text and blocks) against every limit in <see cref="SlackLimits"/> and against
/// the escaping rules: no broadcast mention, no broken entity, no unbalanced code span. One validator for every kind
/// of payload the bridge sends; the WireMock Slack stub refuses what it flags.
/// </summary>
public static partial class SlackPayloadValidator
{
    /// <summary>Every violation found; empty when Slack would take the payload.</summary>
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
        if (blocks.Count > SlackLimits.BlocksPerMessage)
        {
            errors.Add($"{blocks.Count} blocks > {SlackLimits.BlocksPerMessage}");
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
                    foreach (var button in block["elements"]!.AsArray().OfType<JsonObject>())
                    {
                        PlainText(errors, "button text", button["text"], SlackLimits.ButtonText);
                        Limit(errors, "button value", (string?)button["value"] ?? "", SlackLimits.ButtonValue);
                        var actionId = (string?)button["action_id"] ?? "";
                        Limit(errors, "action_id", actionId, SlackLimits.ActionId);
                        if (!actionIds.Add(actionId))
                        {
                            errors.Add($"action_id {actionId} is not unique");
                        }
                        if (button["confirm"] is JsonObject confirm)
                        {
                            PlainText(errors, "confirm title", confirm["title"], SlackLimits.ConfirmTitle);
                            PlainText(errors, "confirm text", confirm["text"], SlackLimits.ConfirmText);
                            PlainText(errors, "confirm button", confirm["confirm"], SlackLimits.ConfirmButton);
                            PlainText(errors, "confirm deny", confirm["deny"], SlackLimits.ConfirmButton);
                        }
                    }
                    break;
                default:
                    errors.Add($"unexpected block type {type}");
                    break;
            }
        }
        var total = ApprovalMessageBuilderTotal(blocks);
        if (total > totalBlockText)
        {
            errors.Add($"block text totals {total} > {totalBlockText}");
        }
        return errors;
    }

    /// <summary>All text in blocks: every string under a "text" key.</summary>
    public static int ApprovalMessageBuilderTotal(JsonNode? node) => node switch
    {
        JsonObject o => o.Sum(p => p.Key == "text" && p.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s.Length : ApprovalMessageBuilderTotal(p.Value)),
        JsonArray a => a.Sum(ApprovalMessageBuilderTotal),
        _ => 0,
    };

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
