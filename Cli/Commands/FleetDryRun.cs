using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Storage;

namespace SgBridge.Cli.Commands;

/// <summary>
/// The dry runs of <c>baseline</c> and <c>reconcile</c>: describe the groups in AWS, read their approved states, compare,
/// and say what a real run would do. Reads only: no table write, no queue message, no Slack call, no EC2 write.
/// </summary>
internal static class FleetDryRun
{
    /// <summary>What <c>baseline</c> would record in one account and region.</summary>
    public static async Task<FleetOutcome> BaselineAsync(CliServices services, string account, string region, bool force, CancellationToken ct)
    {
        var policeEgress = services.Get<IOptions<PolicyOptions>>().Value.PoliceEgress;
        var (live, approved) = await ReadAsync(services, account, region, ct).ConfigureAwait(false);
        int record = 0, leftAlone = 0, rules = 0;
        var details = new List<string>();
        foreach (var group in live)
        {
            if (approved.ContainsKey(group.GroupId) && !force)
            {
                leftAlone++;
                continue;
            }
            IReadOnlyList<SecurityGroupRule> accepted = policeEgress ? [.. group.IngressRules, .. group.EgressRules] : group.IngressRules;
            record++;
            rules += accepted.Count;
            details.Add($"would record {group.GroupId}{(group.GroupName is null ? "" : $" ({group.GroupName})")}: {accepted.Count} rule(s){(approved.ContainsKey(group.GroupId) ? ", replacing its approved state (--force)" : "")}");
            details.AddRange(accepted.Select(r => (Rule: r, Risk: RiskAssessor.WorldOpenRisk(r))).Where(x => x.Risk is not null)
                .Select(x => $"  ! {x.Rule.Describe()} — {x.Risk}"));
        }
        return new FleetOutcome(FleetState.Ok,
            $"dry run: {live.Count} group(s), {record} would be recorded ({rules} rules), {leftAlone} already have an approved state",
            details, new { DryRun = true, Groups = live.Count, WouldRecord = record, Rules = rules, LeftAlone = leftAlone });
    }

    /// <summary>What <c>reconcile</c> would find in one account and region.</summary>
    public static async Task<FleetOutcome> ReconcileAsync(CliServices services, string account, string region, CancellationToken ct)
    {
        var policeEgress = services.Get<IOptions<PolicyOptions>>().Value.PoliceEgress;
        var unknown = services.Get<IOptions<ReconcileOptions>>().Value.UnknownGroups;
        var (live, approved) = await ReadAsync(services, account, region, ct).ConfigureAwait(false);
        int differing = 0, differences = 0, notOnboarded = 0;
        var details = new List<string>();
        var groups = new List<object>();
        foreach (var group in live)
        {
            var rules = policeEgress ? [.. group.IngressRules, .. group.EgressRules] : group.IngressRules;
            var label = group.GroupId + (group.GroupName is null ? "" : $" ({group.GroupName})");
            if (!approved.TryGetValue(group.GroupId, out var state))
            {
                notOnboarded++;
                details.Add($"{label}: no approved state yet; a real run settles it as Reconcile:UnknownGroups says ({unknown})");
                groups.Add(new { group.GroupId, group.GroupName, Onboarded = false, Differences = Array.Empty<string>() });
                continue;
            }
            var difference = GroupDifference.Compute(policeEgress ? state.RuleSet : state.RuleSet.Where(r => !r.Egress).ToArray(), rules);
            if (difference.IsEmpty)
            {
                continue;
            }
            differing++;
            differences += difference.Items.Count;
            details.Add($"{label}: {difference.Items.Count} difference(s)");
            details.AddRange(difference.Items.Select(i => "  " + i.Describe()));
            groups.Add(new { group.GroupId, group.GroupName, Onboarded = true, Differences = difference.Items.Select(i => i.Describe()).ToArray() });
        }
        return new FleetOutcome(differences > 0 ? FleetState.Found : FleetState.Ok,
            $"dry run: {live.Count} group(s), {differing} differ ({differences} difference(s)), {notOnboarded} without an approved state",
            details, new { DryRun = true, Groups = live.Count, GroupsWithDifferences = differing, Differences = differences, NotOnboarded = notOnboarded, Differing = groups });
    }

    private static async Task<(IReadOnlyList<GroupDescription> Live, Dictionary<string, ApprovedGroup> Approved)> ReadAsync(CliServices services, string account, string region, CancellationToken ct)
    {
        var client = await services.Get<ISecurityGroupClientFactory>().CreateAsync(account, region, ct).ConfigureAwait(false);
        var live = await client.DescribeRegionAsync(ct).ConfigureAwait(false);
        var approved = new Dictionary<string, ApprovedGroup>(StringComparer.Ordinal);
        // The store creates a missing table on first use: a dry run reads it only when it exists (none: nothing approved yet).
        if (await CliStorage.TableExistsAsync(services.Get<TableServiceClient>(), services.Get<IOptions<StorageOptions>>().Value.GroupsTable, ct).ConfigureAwait(false))
        {
            await foreach (var g in services.Get<IGroupStateStore>().ListAsync(account, region, ct).ConfigureAwait(false))
            {
                approved[g.GroupId] = g;
            }
        }
        return (live, approved);
    }
}
