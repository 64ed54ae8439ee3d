using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Reconcile;

/// <summary>A rule accepted by onboarding that deserves a second look.</summary>
public sealed record RiskyRule(string GroupId, string? GroupName, SecurityGroupRule Rule, string Risk);

public sealed record BaselineSummary(string AccountId, string Region, int Groups, int Recorded, int LeftAlone, int Rules, IReadOnlyList<RiskyRule> Risky);

/// <summary>
/// Onboarding: records every group's current rules in an account and region as approved. A group with an approved
/// state is left alone unless <c>force</c>; throttling escapes after the SDK's retries, so the queue tries again.
/// </summary>
public sealed partial class BaselineService(
    IGroupStateStore groups,
    ISecurityGroupClientFactory aws,
    IOptions<PolicyOptions> policy,
    TimeProvider time,
    ILogger<BaselineService> logger)
{
    private readonly bool _policeEgress = policy.Value.PoliceEgress;

    public async Task<BaselineSummary> BaselineAsync(string accountId, string region, bool force, CancellationToken cancellationToken)
    {
        var client = await aws.CreateAsync(accountId, region, cancellationToken);
        var described = await client.DescribeRegionAsync(cancellationToken);
        int recorded = 0, leftAlone = 0, rules = 0;
        var risky = new List<RiskyRule>();
        foreach (var group in described)
        {
            IReadOnlyList<SecurityGroupRule> approved = _policeEgress ? [.. group.IngressRules, .. group.EgressRules] : group.IngressRules;
            var state = ApprovedGroup.Create(accountId, region, group.GroupId, group.GroupName, group.VpcId, approved, ApprovalOrigin.Baseline, time.GetUtcNow());
            if (force)
            {
                await groups.UpsertAsync(state, cancellationToken);
            }
            else if (!(await groups.AddOrGetAsync(state, cancellationToken)).Created)
            {
                leftAlone++;
                continue;
            }
            recorded++;
            rules += approved.Count;
            risky.AddRange(Risky(approved).Select(x => new RiskyRule(group.GroupId, group.GroupName, x.Rule, x.Risk)));
        }
        LogBaseline(logger, accountId, region, described.Count, recorded, leftAlone, rules, risky.Count);
        return new BaselineSummary(accountId, region, described.Count, recorded, leftAlone, rules, risky);
    }

    /// <summary>The rules open to the world (<see cref="RiskAssessor.WorldOpenRisk"/>), with why.</summary>
    public static IReadOnlyList<(SecurityGroupRule Rule, string Risk)> Risky(IEnumerable<SecurityGroupRule> rules) =>
        rules.Select(r => (Rule: r, Risk: RiskAssessor.WorldOpenRisk(r))).Where(x => x.Risk is not null).Select(x => (x.Rule, x.Risk!))
            .ToArray();

    [LoggerMessage(801, LogLevel.Warning, "Baseline of {AccountId}/{Region}: {Groups} groups, {Recorded} recorded as approved ({Rules} rules), {LeftAlone} left alone, {Risky} risky rules accepted")]
    private static partial void LogBaseline(ILogger logger, string accountId, string region, int groups, int recorded, int leftAlone, int rules, int risky);
}
