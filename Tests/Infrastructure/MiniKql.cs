using System.Globalization;
using System.Text.RegularExpressions;

namespace SgBridge.Tests.Infrastructure;

/// <summary>
/// Executes the small subset of KQL the silence alert uses — a table, then <c>| where column == "value"</c> clauses
/// joined by <c>and</c> — over in-memory rows, so a test runs the alert's own query text against a fixture. Any other
/// operator throws: a query that grows beyond the subset fails its test instead of being evaluated wrongly.
/// </summary>
internal static partial class MiniKql
{
    public static IReadOnlyList<Dictionary<string, object?>> Run(string query, IReadOnlyDictionary<string, IReadOnlyList<Dictionary<string, object?>>> tables)
    {
        var stages = query.Split('|', StringSplitOptions.TrimEntries);
        IEnumerable<Dictionary<string, object?>> rows = tables.TryGetValue(stages[0], out var table)
            ? table
            : throw new NotSupportedException($"Unknown table '{stages[0]}'.");
        foreach (var stage in stages.Skip(1))
        {
            var where = Where().Match(stage);
            if (!where.Success)
            {
                throw new NotSupportedException($"MiniKql does not run '{stage}'.");
            }
            foreach (var condition in where.Groups["conditions"].Value.Split(" and ", StringSplitOptions.TrimEntries))
            {
                var eq = Equal().Match(condition);
                if (!eq.Success)
                {
                    throw new NotSupportedException($"MiniKql does not run the condition '{condition}'.");
                }
                var (column, value) = (eq.Groups["column"].Value, eq.Groups["value"].Value);
                rows = rows.Where(r => r.TryGetValue(column, out var v) && string.Equals(Convert.ToString(v, CultureInfo.InvariantCulture), value, StringComparison.Ordinal)).ToList();
            }
        }
        return rows.ToList();
    }

    /// <summary>A log alert's comparison of the aggregated value with its threshold.</summary>
    public static bool Breaches(double value, string op, double threshold) => op switch
    {
        "GreaterThan" => value > threshold,
        "GreaterThanOrEqual" => value >= threshold,
        "LessThan" => value < threshold,
        "LessThanOrEqual" => value <= threshold,
        "Equal" => Math.Abs(value - threshold) < double.Epsilon,
        _ => throw new NotSupportedException(op),
    };

    [GeneratedRegex(@"^where\s+(?<conditions>.+)$", RegexOptions.None, 1000)]
    private static partial Regex Where();

    [GeneratedRegex(@"^(?<column>\w+)\s*==\s*""(?<value>[^""]*)""$", RegexOptions.None, 1000)]
    private static partial Regex Equal();
}
