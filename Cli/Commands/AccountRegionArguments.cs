using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Options;
using AwsRegions = SgBridge.Shared.Events.AwsRegions;
using SgBridge.Shared.Options;
using SgBridge.Shared.Reconcile;

namespace SgBridge.Cli.Commands;

/// <summary>
/// The options of the verbs that walk a fleet (baseline, reconcile): which accounts and regions, how many at once, and
/// how long one account × region may take. Accounts default to Policy:AllowedAccounts, regions to Reconcile:Regions.
/// </summary>
internal sealed class AccountRegionArguments
{
    public Option<string[]> Accounts { get; } = new("--account")
    {
        Description = "An AWS account id (repeatable, or comma separated), or * for every account the bridge knows (`sgbridge accounts`). Default: every id in Policy:AllowedAccounts (with Policy:AllowedAccounts=*, every known account).",
        HelpName = "id",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string?> AccountsFile { get; } = new("--accounts-file")
    {
        Description = "A file of account ids, one per line ('#' starts a comment), added to --account.",
        HelpName = "file",
    };

    public Option<string[]> Regions { get; } = new("--region")
    {
        Description = "An AWS region (repeatable, or comma separated). Default: Reconcile:Regions.",
        HelpName = "name",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<int> Parallel { get; } = new("--parallel")
    {
        Description = $"How many account × region pairs run at once (1–{FleetRunner.MaxParallel}). Each pair is its own EC2 rate bucket (account and region), so this bounds the calls per bucket to one describe at a time.",
        DefaultValueFactory = _ => FleetRunner.DefaultParallel,
        HelpName = "n",
    };

    public Option<int> Timeout { get; } = new("--timeout")
    {
        Description = "Seconds one account × region may take before it is counted as failed (the others go on).",
        DefaultValueFactory = _ => (int)FleetRunner.DefaultTimeout.TotalSeconds,
        HelpName = "seconds",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Accounts);
        command.Options.Add(AccountsFile);
        command.Options.Add(Regions);
        command.Options.Add(Parallel);
        command.Options.Add(Timeout);
    }

    /// <summary>The command line's accounts and regions, checked before anything is read: a bad id, a bad region or a bad file is a usage error.</summary>
    public (IReadOnlyList<string> Accounts, IReadOnlyList<string> Regions, bool EveryKnown) Given(ParseResult parse)
    {
        var accounts = Split(parse.GetValue(Accounts)).ToList();
        if (parse.GetValue(AccountsFile) is { } file)
        {
            accounts.AddRange(ReadAccountsFile(file));
        }
        var everyKnown = accounts.RemoveAll(a => a == PolicyOptions.EveryAccount) > 0;
        foreach (var account in accounts)
        {
            _ = FilterArguments.Account(account) ?? throw new CliUsageException("--account: empty.");
        }
        var regions = Split(parse.GetValue(Regions)).ToArray();
        foreach (var region in regions)
        {
            RequireRegion(region);
        }
        var parallel = parse.GetValue(Parallel);
        if (parallel is < 1 or > FleetRunner.MaxParallel)
        {
            throw new CliUsageException($"--parallel: {parallel.ToString(CultureInfo.InvariantCulture)} is not between 1 and {FleetRunner.MaxParallel}.");
        }
        if (parse.GetValue(Timeout) < 1)
        {
            throw new CliUsageException("--timeout: give a number of seconds, at least 1.");
        }
        return (accounts.Distinct(StringComparer.Ordinal).ToArray(), regions.Distinct(StringComparer.Ordinal).ToArray(), everyKnown);
    }

    /// <summary>What <see cref="Given"/> left out, from the settings; every account must be allowed.</summary>
    /// <summary>
    /// <c>*</c> (given, or Policy:AllowedAccounts=* with no account given) stands for every account the bridge knows: the
    /// known-accounts partition (<c>~accounts</c>) of the groups table, which events, onboarding and the sweep fill.
    /// </summary>
    public async Task<(IReadOnlyList<string> Accounts, IReadOnlyList<string> Regions)> ResolveAsync(ParseResult parse, CliServices services, CancellationToken cancellationToken)
    {
        var (given, givenRegions, everyKnown) = Given(parse);
        var policy = services.Get<IOptions<PolicyOptions>>().Value;
        var reconcile = services.Get<IOptions<ReconcileOptions>>().Value;
        var listed = policy.AllowedAccountSet.Where(x => x.Length == 12 && x.All(char.IsAsciiDigit)).Order(StringComparer.Ordinal).ToArray();
        IReadOnlyList<string> accounts = given.Count > 0 || everyKnown ? given : listed;
        if (everyKnown || (given.Count == 0 && policy.AllowedAccountSet.Contains(PolicyOptions.EveryAccount)))
        {
            var known = (await services.Get<IKnownAccountStore>().ListAsync(cancellationToken).ConfigureAwait(false))
                .Select(a => a.AccountId).Where(policy.AllowsAccount).Order(StringComparer.Ordinal);
            accounts = accounts.Concat(known).Distinct(StringComparer.Ordinal).ToArray();
            if (accounts.Count == 0)
            {
                throw new CliUsageException("*: the bridge knows no account yet (it learns them from events, onboarding and sweeps; `sgbridge accounts` lists them). Pass --account or --accounts-file.");
            }
        }
        IReadOnlyList<string> regions = givenRegions.Count > 0 ? givenRegions : reconcile.RegionList.ToArray();
        foreach (var account in accounts.Where(x => !policy.AllowsAccount(x)))
        {
            throw new CliUsageException($"Account {account} is not in Policy:AllowedAccounts.");
        }
        if (accounts.Count == 0)
        {
            throw new CliUsageException("No account: pass --account or --accounts-file, or list account ids in Policy:AllowedAccounts.");
        }
        foreach (var region in regions)
        {
            RequireRegion(region, "Reconcile:Regions");
        }
        if (regions.Count == 0)
        {
            throw new CliUsageException("No region: pass --region, or set Reconcile:Regions.");
        }
        return (accounts, regions);
    }

    public FleetRunner Runner(ParseResult parse, CliContext context) =>
        new(context, parse.GetValue(Parallel), TimeSpan.FromSeconds(parse.GetValue(Timeout))) { ShowProgress = context.IsTerminal && !CliJson.Requested(parse) };

    /// <summary>A usage error for a region AWS does not have, with the nearest real one.</summary>
    public static void RequireRegion(string region, string option = "--region")
    {
        if (AwsRegions.IsKnown(region))
        {
            return;
        }
        var nearest = AwsRegions.All.MinBy(r => Distance(r, region.ToLowerInvariant()));
        throw new CliUsageException($"{option}: '{region}' is not an AWS region" + (nearest is not null && Distance(nearest, region.ToLowerInvariant()) <= 3 ? $" (did you mean {nearest}?)." : " (e.g. eu-west-1)."));
    }

    private static IEnumerable<string> Split(string[]? values) =>
        (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static IEnumerable<string> ReadAccountsFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliUsageException($"--accounts-file: no such file: {path}");
        }
        var n = 0;
        foreach (var raw in File.ReadLines(path))
        {
            n++;
            var line = (raw.IndexOf('#', StringComparison.Ordinal) is var hash and >= 0 ? raw[..hash] : raw).Trim();
            if (line.Length == 0)
            {
                continue;
            }
            foreach (var id in line.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            {
                yield return id.Length == 12 && id.All(char.IsAsciiDigit)
                    ? id
                    : throw new CliUsageException($"--accounts-file: {path} line {n}: '{id}' is not a 12-digit AWS account id.");
            }
        }
    }

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
        }
        return d[a.Length, b.Length];
    }
}
