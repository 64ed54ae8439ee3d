using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace SgBridge.Shared.Options;

/// <summary>One choice an approver has: how long an approval lasts (<see cref="Length"/> null: permanently).</summary>
public sealed record ApprovalDuration(string Label, TimeSpan? Length)
{
    public const string PermanentLabel = "permanent";

    public bool IsPermanent => Length is null;

    /// <summary>The button's words: "1h", "7d", "permanently".</summary>
    public string Words => IsPermanent ? "permanently" : Label;

    /// <summary>The one duration formatter: "1h", "90m", "7d", the shortest exact form (a part-minute rounds up).</summary>
    public static string Format(TimeSpan d) =>
        d.TotalDays >= 1 && d.Ticks % TimeSpan.TicksPerDay == 0 ? $"{d.TotalDays:0}d"
        : d.TotalHours >= 1 && d.Ticks % TimeSpan.TicksPerHour == 0 ? $"{d.TotalHours:0}h"
        : $"{Math.Ceiling(d.TotalMinutes):0}m";
}

/// <summary>Time-bound approvals: the choices of the approver message and of the /sgbridge modal, and the expiry timer's settings.</summary>
public sealed class ApprovalsOptions : IValidatableObject
{
    public const string SectionName = "Approvals";

    public const string DefaultDurations = "1h,8h,24h,7d,permanent";

    /// <summary>A Block Kit actions block holds at most 25 elements; each duration is one Approve button and Deny takes one more.</summary>
    public const int MaxDurations = 24;

    /// <summary>The longest time-bound approval: beyond a year, approve permanently.</summary>
    public static readonly TimeSpan MaxLength = TimeSpan.FromDays(366);

    /// <summary>Comma-separated, shortest first: a whole number with a unit m, h, d or w, or "permanent" (last; case and spaces
    /// ignored); empty: the default.</summary>
    public string Durations { get; set; } = DefaultDurations;

    /// <summary>The table holding one row per pending expiry, keyed by due time (the expiry timer's index).</summary>
    [Required]
    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,62}$", ErrorMessage = "Approvals:ExpiryTable must be a valid table name (a letter, then 2-62 letters or digits).")]
    public string ExpiryTable { get; set; } = "AccessExpiries";

    /// <summary>How many due expiries one timer tick handles at most (the rest wait for the next tick).</summary>
    [Range(1, 1000, ErrorMessage = "Approvals:ExpiryBatchSize must be between 1 and 1000.")]
    public int ExpiryBatchSize { get; set; } = 100;

    public IReadOnlyList<ApprovalDuration> GetChoices() => ParseDurations(Durations);

    /// <summary>The configured choice with this label (exactly as configured, case-insensitive), or null: not offered.</summary>
    public ApprovalDuration? Find(string? label) =>
        label is null ? null : GetChoices().FirstOrDefault(c => string.Equals(c.Label, label, StringComparison.OrdinalIgnoreCase));

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        try
        {
            _ = ParseDurations(Durations);
            return [];
        }
        catch (FormatException ex)
        {
            return [new ValidationResult(ex.Message, [nameof(Durations)])];
        }
    }

    /// <summary>The one parser of Approvals:Durations; throws <see cref="FormatException"/> naming the setting and the bad entry.</summary>
    public static IReadOnlyList<ApprovalDuration> ParseDurations(string? value)
    {
        var items = SettingList.Parse(value) is { Count: > 0 } listed ? listed : SettingList.Parse(DefaultDurations);
        if (items.Count > MaxDurations)
        {
            throw new FormatException($"Approvals:Durations lists {items.Count} durations; at most {MaxDurations} fit in a Slack actions block (25 elements, one is Deny).");
        }
        var parsed = new List<ApprovalDuration>();
        foreach (var item in items)
        {
            var length = ParseLength(item);
            if (parsed.Count > 0 && parsed[^1].IsPermanent)
            {
                throw new FormatException($"Approvals:Durations: \"{parsed[^1].Label}\" must come last (after \"{item}\").");
            }
            if (parsed.FirstOrDefault(p => p.Length == length) is { } same)
            {
                throw new FormatException($"Approvals:Durations: \"{item}\" duplicates \"{same.Label}\".");
            }
            if (length is { } l && parsed.LastOrDefault() is { Length: { } previous } prev && l < previous)
            {
                throw new FormatException($"Approvals:Durations must be in increasing order: \"{item}\" comes after \"{prev.Label}\".");
            }
            parsed.Add(new ApprovalDuration(length is null ? ApprovalDuration.PermanentLabel : item.ToLowerInvariant(), length));
        }
        return parsed;
    }

    /// <summary>The one duration parser (also of policy rules): a whole number with a unit m, h, d or w (any case), 1m to
    /// <see cref="MaxLength"/>; null for "permanent". Throws <see cref="FormatException"/> saying what is wrong.</summary>
    public static TimeSpan? ParseLength(string item)
    {
        if (string.Equals(item, ApprovalDuration.PermanentLabel, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var unit = char.ToLowerInvariant(item[^1]);
        var digits = item[..^1];
        if (digits.Length == 0 || digits.Length > 6 || !digits.All(char.IsAsciiDigit)
            || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            throw new FormatException($"Approvals:Durations: \"{item}\" is not a duration: write a whole number and a unit (m, h, d or w), e.g. 8h, or \"permanent\".");
        }
        TimeSpan length = unit switch
        {
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            'd' => TimeSpan.FromDays(n),
            'w' => TimeSpan.FromDays(7L * n),
            _ => throw new FormatException($"Approvals:Durations: \"{item}\" has the unit '{item[^1]}'; use m, h, d or w (or \"permanent\")."),
        };
        if (length < TimeSpan.FromMinutes(1))
        {
            throw new FormatException($"Approvals:Durations: \"{item}\" is zero; an approval lasts at least 1m.");
        }
        if (length > MaxLength)
        {
            throw new FormatException($"Approvals:Durations: \"{item}\" is longer than {MaxLength.TotalDays:0} days; use \"permanent\" instead.");
        }
        return length;
    }
}
