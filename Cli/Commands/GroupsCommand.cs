using System.CommandLine;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Storage;

namespace SgBridge.Cli.Commands;

/// <summary>
/// <c>sgbridge groups show|diff</c>: one security group's approved state (the groups table) beside its live rules
/// (DescribeSecurityGroups through the member role), and the difference a sweep would act on. Reads only.
/// </summary>
public sealed class GroupsCommand : ICliVerb
{
    private const string ShowDetails = """
        Prints one group's approved state (each rule with where its approval came from: onboarding, a request, an
        exempt change; when a time-bound approval ends) and its live rules in AWS, each marked: = approved and live,
        + live but not approved, - approved but missing, ~ changed. Inbound only unless Policy__PoliceEgress.
        Needs the Storage and Aws settings (the member role is assumed as the app does).
        Exit code: 0 shown, 2 the group has no approved state and does not exist, 1 bad arguments, 3 settings, storage or AWS.

        Examples:
          sgbridge groups show --account 111111111111 --region eu-west-1 --group sg-0123456789abcdef0 --settings FunctionApp/local.settings.json
        """;

    private const string DiffDetails = """
        The difference between one group's approved state and its live rules, as the sweep computes it (the same
        GroupDifference): rules not approved, approved rules missing, rules changed under the same id. Nothing is changed:
        `sgbridge reconcile --account … --region …` acts on it.
        Exit code: 0 no difference, 2 differences (or no approved state), 1 bad arguments, 3 settings, storage or AWS.

        Examples:
          sgbridge groups diff --account 111111111111 --region eu-west-1 --group sg-0123456789abcdef0 --json
        """;

    public Command Create(CliContext context)
    {
        var groups = new VerbCommand("groups", "One group's approved state beside its live rules (`groups show`), and their difference (`groups diff`).", ShowDetails + "\n\n" + DiffDetails);
        groups.Subcommands.Add(Create(context, "show", "Prints a group's approved state and its live rules, each marked.", ShowDetails, diff: false));
        groups.Subcommands.Add(Create(context, "diff", "Prints how a group's live rules differ from its approved state (exit 2 when they do).", DiffDetails, diff: true));
        return groups;
    }

    private static Command Create(CliContext context, string name, string summary, string details, bool diff)
    {
        var account = new Option<string>("--account") { Description = "The AWS account id (12 digits).", Required = true, HelpName = "id" };
        var region = new Option<string>("--region") { Description = "The AWS region.", Required = true, HelpName = "name" };
        var group = new Option<string>("--group") { Description = "The security group id (sg-…).", Required = true, HelpName = "sg-id" };
        var json = new Option<bool>("--json") { Description = "Print one sgbridge/v1 JSON document." };
        var command = new VerbCommand(name, summary, details) { account, region, group, json };
        var settings = CliSettings.AddTo(command, context);
        VerbAction.Set(command, context, async (p, ct) =>
        {
            var accountId = FilterArguments.Account(p.GetRequiredValue(account)) ?? throw new CliUsageException("--account: empty.");
            var regionName = p.GetRequiredValue(region).Trim();
            AccountRegionArguments.RequireRegion(regionName);
            var groupId = p.GetRequiredValue(group).Trim();
            if (!groupId.StartsWith("sg-", StringComparison.Ordinal) || groupId.Length < 4 || !groupId[3..].All(char.IsAsciiLetterOrDigit))
            {
                throw new CliUsageException($"--group: '{groupId}' is not a security group id (sg-…).");
            }
            await using var services = settings.Load(p);
            var policeEgress = services.Get<IOptions<PolicyOptions>>().Value.PoliceEgress;
            ApprovedGroup? approved = null;
            if (await CliStorage.TableExistsAsync(services.Get<TableServiceClient>(), services.Get<IOptions<StorageOptions>>().Value.GroupsTable, ct).ConfigureAwait(false))
            {
                approved = (await services.Get<IGroupStateStore>().GetAsync(accountId, regionName, groupId, ct).ConfigureAwait(false))?.Value;
            }
            var client = await services.Get<ISecurityGroupClientFactory>().CreateAsync(accountId, regionName, ct).ConfigureAwait(false);
            var live = await client.DescribeGroupAsync(groupId, null, ct).ConfigureAwait(false);
            var verb = CliJson.VerbPath(p);
            if (approved is null && live is null)
            {
                var error = new CliError("not-found", $"{groupId} has no approved state and does not exist in {accountId} {regionName}.", "check the group id, account and region.", ExitCodes.Failed);
                await context.Error.WriteLineAsync(error.Line(verb)).ConfigureAwait(false);
                if (p.GetValue(json))
                {
                    await context.Out.WriteLineAsync(CliJson.Error(verb, error)).ConfigureAwait(false);
                }
                return ExitCodes.Failed;
            }
            IReadOnlyList<SecurityGroupRule> liveRules = live is null ? [] : policeEgress ? [.. live.IngressRules, .. live.EgressRules] : live.IngressRules;
            var approvedRules = approved is null ? [] : approved.Rules.Where(r => policeEgress || !r.Rule.Egress).ToArray();
            var difference = GroupDifference.Compute(approvedRules.Select(r => r.Rule).ToArray(), liveRules);
            var exit = diff && (approved is null || !difference.IsEmpty) ? ExitCodes.Failed : ExitCodes.Success;
            if (p.GetValue(json))
            {
                await context.Out.WriteLineAsync(CliJson.Document(verb, exit, new
                {
                    Account = accountId,
                    Region = regionName,
                    Group = groupId,
                    GroupName = live?.GroupName ?? approved?.GroupName,
                    Exists = live is not null,
                    Onboarded = approved is not null,
                    Approved = diff ? null : approvedRules.Select(r => new { Rule = r.Rule.Describe(), r.Rule.RuleId, Origin = r.Origin.ToString(), r.RequestId, ApprovedAt = RequestView.Time(r.ApprovedAt), ExpiresAt = RequestView.Time(r.ExpiresAt) }),
                    Live = diff ? null : liveRules.Select(r => new { Rule = r.Describe(), r.RuleId }),
                    Differences = difference.Items.Select(i => new { Kind = i.Kind.ToString(), Description = i.Describe() }),
                }, RequestView.Json)).ConfigureAwait(false);
                return exit;
            }
            var o = context.Out;
            var groupName = live?.GroupName ?? approved?.GroupName;
            var heading = groupId + (groupName is null ? "" : $" ({groupName})") + $" in {accountId} {regionName}" + (policeEgress ? "" : " (inbound rules; Policy__PoliceEgress is off)");
            await o.WriteLineAsync(heading).ConfigureAwait(false);
            if (approved is null)
            {
                await o.WriteLineAsync("  No approved state: the group was never onboarded (`sgbridge baseline --account … --region …`).").ConfigureAwait(false);
            }
            if (live is null)
            {
                await o.WriteLineAsync("  Not found in AWS: the group was deleted (its approved state is left for the sweep to settle).").ConfigureAwait(false);
            }
            if (!diff)
            {
                await o.WriteLineAsync().ConfigureAwait(false);
                await o.WriteLineAsync($"Approved ({approvedRules.Length})").ConfigureAwait(false);
                foreach (var r in approvedRules)
                {
                    var mark = difference.Items.Any(i => i.Approved == r.Rule) ? (difference.Items.First(i => i.Approved == r.Rule).Kind == DifferenceKind.Missing ? "-" : "~") : "=";
                    await o.WriteLineAsync($"  {mark} {r.Rule.Describe()}{(r.Rule.RuleId is null ? "" : $" [{r.Rule.RuleId}]")}  ({Origin(r)})").ConfigureAwait(false);
                }
                await o.WriteLineAsync().ConfigureAwait(false);
                await o.WriteLineAsync($"Live ({liveRules.Count})").ConfigureAwait(false);
                foreach (var r in liveRules)
                {
                    var item = difference.Items.FirstOrDefault(i => i.Live == r);
                    var mark = item is null ? "=" : item.Kind == DifferenceKind.Unapproved ? "+" : "~";
                    await o.WriteLineAsync($"  {mark} {r.Describe()}{(r.RuleId is null ? "" : $" [{r.RuleId}]")}").ConfigureAwait(false);
                }
                await o.WriteLineAsync().ConfigureAwait(false);
            }
            if (difference.IsEmpty)
            {
                await o.WriteLineAsync(approved is null ? "No approved state to compare with." : "No difference: the live group matches its approved state.").ConfigureAwait(false);
            }
            else
            {
                await o.WriteLineAsync($"{difference.Items.Count} difference(s) (a sweep acts on them; `sgbridge reconcile --dry-run` shows the fleet):").ConfigureAwait(false);
                foreach (var item in difference.Items)
                {
                    await o.WriteLineAsync("  " + item.Describe()).ConfigureAwait(false);
                }
            }
            return exit;
        });
        return command;
    }

    private static string Origin(ApprovedRule r) =>
        r.Origin + (r.RequestId is null ? "" : $" {r.RequestId}") + $", {RequestView.Time(r.ApprovedAt)}" + (r.ExpiresAt is { } until ? $", until {RequestView.Time(until)}" : "");
}
