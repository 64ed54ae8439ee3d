using System.CommandLine;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;

namespace SgBridge.Cli.Commands;

/// <summary>The --account and --region options of the verbs that walk accounts and regions, defaulting to the app's settings.</summary>
internal sealed class AccountRegionArguments
{
    public Option<string[]> Accounts { get; } = new("--account")
    {
        Description = "An AWS account id (repeatable). Default: every id in Policy:AllowedAccounts.",
        HelpName = "id",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string[]> Regions { get; } = new("--region")
    {
        Description = "An AWS region (repeatable). Default: Reconcile:Regions.",
        HelpName = "name",
        AllowMultipleArgumentsPerToken = false,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Accounts);
        command.Options.Add(Regions);
    }

    public (IReadOnlyList<string> Accounts, IReadOnlyList<string> Regions) Resolve(ParseResult parse, CliServices services)
    {
        var policy = services.Get<IOptions<PolicyOptions>>().Value;
        var reconcile = services.Get<IOptions<ReconcileOptions>>().Value;
        IReadOnlyList<string> accounts = parse.GetValue(Accounts) is { Length: > 0 } a
            ? a
            : policy.AllowedAccountSet.Where(x => x.Length == 12 && x.All(char.IsAsciiDigit)).Order(StringComparer.Ordinal).ToArray();
        IReadOnlyList<string> regions = parse.GetValue(Regions) is { Length: > 0 } r ? r : reconcile.RegionList.ToArray();
        foreach (var account in accounts.Where(x => !policy.AllowsAccount(x)))
        {
            throw new CliUsageException($"Account {account} is not in Policy:AllowedAccounts.");
        }
        if (accounts.Count == 0)
        {
            throw new CliUsageException("No account: pass --account, or list account ids in Policy:AllowedAccounts.");
        }
        if (regions.Count == 0)
        {
            throw new CliUsageException("No region: pass --region, or set Reconcile:Regions.");
        }
        return (accounts, regions);
    }
}
