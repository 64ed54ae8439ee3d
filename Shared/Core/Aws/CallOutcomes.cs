using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Aws;

/// <summary>Combines the outcomes of a series of EC2 calls into one (the one place that does).</summary>
public static class CallOutcomes
{
    public static CallOutcome Combine(IReadOnlyList<CallOutcome> outcomes, string whenNone, IReadOnlyList<string>? notes = null)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        if (outcomes.Count == 0)
        {
            return new CallOutcome("none", true, Message: whenNone) { Notes = notes ?? [] };
        }
        var failed = outcomes.FirstOrDefault(o => !o.Succeeded);
        return new CallOutcome(
            string.Join(" + ", outcomes.Select(o => o.Call)),
            failed is null,
            failed?.ErrorCode,
            failed?.Message ?? string.Join(" ", outcomes.Select(o => o.Message).Where(m => !string.IsNullOrEmpty(m))))
        {
            Notes = [.. notes ?? [], .. outcomes.SelectMany(o => o.Notes)],
        };
    }
}
