using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Reconcile;

/// <summary>
/// The stored outcome of onboarding one account and region, read back by the CLI. <paramref name="Skipped"/>: why it
/// did not run; <paramref name="RiskyRules"/>: at most <see cref="MaxRiskyLines"/> risky rules accepted.
/// </summary>
public sealed record BaselineResult(string AccountId, string Region, DateTimeOffset At, int Groups, int Recorded, int LeftAlone, int Rules,
    int RiskyCount, IReadOnlyList<string> RiskyRules, string? Skipped)
{
    /// <summary>The most risky-rule lines a result keeps.</summary>
    public const int MaxRiskyLines = 100;

    public static BaselineResult From(BaselineSummary s, DateTimeOffset at) =>
        new(s.AccountId, s.Region, at, s.Groups, s.Recorded, s.LeftAlone, s.Rules, s.Risky.Count,
            s.Risky.Take(MaxRiskyLines).Select(Line).ToArray(), null);

    public static BaselineResult SkippedFor(string accountId, string region, string reason, DateTimeOffset at) =>
        new(accountId, region, at, 0, 0, 0, 0, 0, [], reason);

    public static string Line(RiskyRule r) => $"{r.GroupId} ({r.GroupName}): {r.Rule.Describe()} — {r.Risk}";

    public string Describe() => Skipped is { } why
        ? $"{AccountId} {Region}: skipped ({why})"
        : $"{AccountId} {Region}: {Groups} group(s), {Recorded} recorded ({Rules} rules), {LeftAlone} already had an approved state, {RiskyCount} risky rule(s) accepted";
}

/// <summary>Onboarding outcomes, one row per account and region (the last run wins).</summary>
public interface IBaselineResultStore
{
    Task RecordAsync(BaselineResult result, CancellationToken cancellationToken);

    /// <summary>Every stored outcome, by account and region (one single-partition query).</summary>
    Task<IReadOnlyList<BaselineResult>> ListAsync(CancellationToken cancellationToken);
}
