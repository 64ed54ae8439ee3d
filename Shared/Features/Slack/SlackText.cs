using System.Text;
using System.Text.RegularExpressions;

namespace SgBridge.Shared.Slack;

/// <summary>
/// Every piece of outside text that goes to Slack is escaped and fitted here. <c>&amp; &lt; &gt;</c> become entities, so
/// free text can never ping or link; mrkdwn markers (<c>* _ ~ `</c>) become look-alikes (∗ ˍ ∼ ˋ), as mrkdwn has no
/// escape character. Cuts never split an entity, a <c>&lt;…&gt;</c> token or a code span.
/// </summary>
public static class SlackText
{
    public const string Ellipsis = "…";

    /// <summary>Escapes free text for mrkdwn (and for the top-level text, which Slack parses for mentions too).</summary>
    public static string Escape(string? s) => string.IsNullOrEmpty(s) ? "" : Escape(s, markers: true);

    /// <summary>An identifier in a code span, pasteable as is (markers mean nothing there); entities, backticks, breaks and invisibles made safe.</summary>
    public static string Code(string? s) =>
        s is null ? "-" : "`" + Escape(OneLine(s), markers: false).Replace("`", "ˋ", StringComparison.Ordinal) + "`";

    /// <summary>
    /// Free text as one quoted line: escaped, line breaks collapsed to " ⏎ ", cut to <paramref name="max"/>, between “ and ”.
    /// It cannot start a line of its own, so it cannot imitate the bridge's status lines or quotes.
    /// </summary>
    public static string Quote(string? s, int max) => "“" + Escape(Plain(OneLine(s ?? ""), max)) + "”";

    /// <summary>Line breaks, tabs and other control characters collapsed to " ⏎ " (runs of them to one).</summary>
    public static string OneLine(string s)
    {
        var sb = new StringBuilder(s.Length);
        var broke = false;
        foreach (var c in s)
        {
            if (char.IsControl(c) || c is '\u2028' or '\u2029')
            {
                if (!broke)
                {
                    sb.Append(c is '\t' ? " " : " ⏎ ");
                }
                broke = c is not '\t';
                continue;
            }
            broke = false;
            sb.Append(c);
        }
        return sb.ToString();
    }

    /// <summary>Bidirectional controls and zero-width characters: they can reorder or hide what an approver reads, so they are shown as tags.</summary>
    public static bool IsInvisible(char c) =>
        c is (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u200E' or '\u200F'
            or (>= '\u200B' and <= '\u200D') or '\u2060' or '\uFEFF';

    private static string Visible(char c) => $"[U+{(int)c:X4}]";

    private static string Escape(string s, bool markers)
    {
        if (!s.Any(c => c is '&' or '<' or '>' || (markers && c is '*' or '_' or '~' or '`') || IsInvisible(c)))
        {
            return s;
        }
        var sb = new StringBuilder(s.Length + 16);
        foreach (var c in s)
        {
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '*' when markers: sb.Append('∗'); break;
                case '_' when markers: sb.Append('ˍ'); break;
                case '~' when markers: sb.Append('∼'); break;
                case '`' when markers: sb.Append('ˋ'); break;
                case var v when IsInvisible(v): sb.Append(Visible(v)); break;
                default: sb.Append(c); break;
            }
        }
        return sb.ToString();
    }

    /// <summary>
    /// The top-level <c>text</c> of a message with blocks, from plain words: escaped, one line, no code spans, and no other
    /// look-alikes (identifiers such as <c>AWSReservedSSO_Admin_…</c> stay exactly as AWS wrote them).
    /// </summary>
    public static string Notification(string? s, int max) =>
        Truncate(Escape(OneLine(s ?? ""), markers: false).Replace("`", "ˋ", StringComparison.Ordinal), max);

    /// <summary>
    /// The top-level <c>text</c> from the bridge's own mrkdwn: tokens become their words (a mention "@U…", which pings
    /// nobody), code spans lose their backticks, and nothing that could mention or link is left.
    /// </summary>
    public static string Fallback(string mrkdwn, int max)
    {
        var text = Regex.Replace(mrkdwn, @"<([^<>|]*)\|([^<>]*)>", "$2", RegexOptions.None, TimeSpan.FromSeconds(1));
        text = Regex.Replace(text, "<@([A-Z0-9]+)>", "@$1", RegexOptions.None, TimeSpan.FromSeconds(1));
        text = Regex.Replace(text, "`([^`]*)`", "$1", RegexOptions.None, TimeSpan.FromSeconds(1));
        text = text.Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
        return Truncate(OneLine(text), max);
    }

    /// <summary>Plain text (headers, buttons, dialogs) within <paramref name="max"/>: Slack renders it as is; invisible characters are shown as tags.</summary>
    public static string Plain(string? s, int max)
    {
        s ??= "";
        if (s.Any(IsInvisible))
        {
            s = string.Concat(s.Select(c => IsInvisible(c) ? Visible(c) : c.ToString()));
        }
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

    /// <summary>Cuts mrkdwn to <paramref name="max"/> characters ending in "…", never inside an entity, a token or a code span.</summary>
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

    /// <summary>Joins <paramref name="lines"/> under <paramref name="title"/> within <paramref name="max"/>; what is cut is counted ("…and K more").</summary>
    public static string Lines(string? title, IReadOnlyList<string> lines, int max, string? seeRest = null)
    {
        var sb = new StringBuilder(string.IsNullOrEmpty(title) ? "" : Truncate(title, max));
        // Room for the tail whatever K is; the last line needs none.
        var budget = max - More(lines.Count, seeRest).Length - 1;
        var shown = 0;
        foreach (var line in lines)
        {
            var room = (shown == lines.Count - 1 ? max : budget) - sb.Length - (sb.Length == 0 ? 0 : 1);
            var fitted = line.Length <= room ? line : shown == 0 && room > 40 ? Truncate(line, room) : null;
            if (fitted is null)
            {
                break;
            }
            sb.Append(sb.Length == 0 ? "" : "\n").Append(fitted);
            shown++;
        }
        if (shown < lines.Count)
        {
            sb.Append(sb.Length == 0 ? "" : "\n").Append(More(lines.Count - shown, seeRest));
        }
        return sb.ToString();
    }

    private static string More(int count, string? seeRest) =>
        $"{Ellipsis}and {count} more" + (string.IsNullOrEmpty(seeRest) ? "" : $" ({seeRest})");
}
