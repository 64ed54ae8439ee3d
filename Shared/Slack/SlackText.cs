using System.Text;

namespace SgBridge.Shared.Slack;

/// <summary>
/// The one text budget helper: every piece of user- or call-derived text that goes to Slack is escaped and fitted here.
/// Escaping turns Slack's control characters (<c>&amp; &lt; &gt;</c>) into entities, so free text can never ping
/// (<c>&lt;!channel&gt;</c>) or link, and replaces the mrkdwn markers (<c>* _ ~ `</c>) with look-alikes
/// (∗ ˍ ∼ ˋ), because mrkdwn has no escape character. Fitting cuts on a line boundary and says how many lines were
/// left out; a single line that is too long is cut where no entity (<c>&amp;amp;</c>), link/mention (<c>&lt;…&gt;</c>)
/// or code span is split.
/// </summary>
public static class SlackText
{
    public const string Ellipsis = "…";

    /// <summary>Escapes free text for mrkdwn (and for the top-level text, which Slack parses for mentions too).</summary>
    public static string Escape(string? s)
    {
        if (string.IsNullOrEmpty(s))
        {
            return "";
        }
        var sb = new StringBuilder(s.Length + 8);
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '*' => "∗",
                '_' => "ˍ",
                '~' => "∼",
                '`' => "ˋ",
                _ => c.ToString(),
            });
        }
        return sb.ToString();
    }

    /// <summary>An identifier in a code span: mrkdwn markers mean nothing there, entities and backticks still do.</summary>
    public static string Code(string? s) =>
        s is null ? "-" : "`" + s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal).Replace("`", "ˋ", StringComparison.Ordinal) + "`";

    /// <summary>Plain text (headers, buttons, dialogs) within <paramref name="max"/>: Slack renders it as is.</summary>
    public static string Plain(string? s, int max)
    {
        s ??= "";
        if (s.Length <= max)
        {
            return s;
        }
        var cut = max - Ellipsis.Length;
        if (cut > 0 && char.IsHighSurrogate(s[cut - 1]))
        {
            cut--;
        }
        return s[..Math.Max(cut, 0)] + Ellipsis;
    }

    /// <summary>
    /// Cuts mrkdwn to at most <paramref name="max"/> characters, ending in "…", never inside an entity, a
    /// <c>&lt;…&gt;</c> token or a code span (the cut moves back before it).
    /// </summary>
    public static string Truncate(string? s, int max)
    {
        s ??= "";
        if (s.Length <= max)
        {
            return s;
        }
        var limit = max - Ellipsis.Length;
        var safe = 0;
        var i = 0;
        while (i < s.Length && i <= limit)
        {
            safe = i;
            var end = i switch
            {
                _ when s[i] == '&' && s.IndexOf(';', i) is var semi and > 0 && semi - i <= 8 => semi + 1,
                _ when s[i] == '<' && s.IndexOf('>', i) is var gt and > 0 => gt + 1,
                _ when s[i] == '`' && s.IndexOf('`', i + 1) is var close and > 0 => close + 1,
                _ when char.IsHighSurrogate(s[i]) && i + 1 < s.Length => i + 2,
                _ => i + 1,
            };
            if (end > limit)
            {
                break;
            }
            i = end;
            safe = i;
        }
        return s[..safe].TrimEnd() + Ellipsis;
    }

    /// <summary>
    /// Joins <paramref name="lines"/> under <paramref name="title"/> within <paramref name="max"/> characters, cutting on a
    /// line boundary; when lines are left out, the last line is "…and K more" plus <paramref name="seeRest"/>.
    /// </summary>
    public static string Lines(string? title, IReadOnlyList<string> lines, int max, string? seeRest = null)
    {
        var sb = new StringBuilder();
        if (!string.IsNullOrEmpty(title))
        {
            sb.Append(Truncate(title, max));
        }
        // Room for the tail whatever K is.
        var tail = More(lines.Count, seeRest);
        var budget = max - tail.Length - 1;
        var shown = 0;
        foreach (var line in lines)
        {
            var sep = sb.Length == 0 ? 0 : 1;
            var remaining = lines.Count - shown - 1;
            var room = (remaining == 0 ? max : budget) - sb.Length - sep;
            var fitted = line.Length <= room ? line : shown == 0 && room > 40 ? Truncate(line, room) : null;
            if (fitted is null)
            {
                break;
            }
            if (sep == 1)
            {
                sb.Append('\n');
            }
            sb.Append(fitted);
            shown++;
        }
        if (shown < lines.Count)
        {
            if (sb.Length > 0)
            {
                sb.Append('\n');
            }
            sb.Append(More(lines.Count - shown, seeRest));
        }
        return sb.ToString();
    }

    private static string More(int count, string? seeRest) =>
        $"{Ellipsis}and {count} more" + (string.IsNullOrEmpty(seeRest) ? "" : $" ({seeRest})");
}
