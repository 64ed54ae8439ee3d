using System.Globalization;
using System.Text.RegularExpressions;
using SgBridge.Shared.Domain;

namespace SgBridge.Cli.Commands;

/// <summary>Parses the filter values verbs share; a bad value is a <see cref="CliUsageException"/> naming the option.</summary>
internal static partial class FilterArguments
{
    /// <summary>"7d", "12h", "30m", "2w" before <paramref name="now"/>, or a date ("2026-11-01", UTC midnight) or a time with offset.</summary>
    public static DateTimeOffset Since(string text, DateTimeOffset now, string option = "--since")
    {
        var value = text.Trim();
        if (Duration().Match(value) is { Success: true } m)
        {
            var n = int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
            return m.Groups["unit"].Value switch
            {
                "m" => now.AddMinutes(-n),
                "h" => now.AddHours(-n),
                "d" => now.AddDays(-n),
                _ => now.AddDays(-7 * n),
            };
        }
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at))
        {
            return at;
        }
        throw new CliUsageException($"{option}: '{text}' is neither a duration (30m, 12h, 7d, 2w) nor a date (2026-11-01, 2026-11-01T08:00:00Z).");
    }

    /// <summary>One status or several, comma separated, case-insensitive.</summary>
    public static IReadOnlyCollection<RequestStatus> Statuses(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return [];
        }
        var statuses = new List<RequestStatus>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Enum.TryParse<RequestStatus>(part, ignoreCase: true, out var status) || !Enum.IsDefined(status) || int.TryParse(part, out _))
            {
                throw new CliUsageException($"--status: '{part}' is not a status. Use one of: {string.Join(", ", Enum.GetNames<RequestStatus>())}.");
            }
            statuses.Add(status);
        }
        return statuses;
    }

    public static string? Account(string? text)
    {
        if (text is null)
        {
            return null;
        }
        var value = text.Trim();
        return AccountId().IsMatch(value) ? value : throw new CliUsageException($"--account: '{text}' is not a 12-digit AWS account id.");
    }

    [GeneratedRegex("^(?<n>[0-9]{1,6})(?<unit>[mhdw])$")]
    private static partial Regex Duration();

    [GeneratedRegex("^[0-9]{12}$")]
    private static partial Regex AccountId();
}
