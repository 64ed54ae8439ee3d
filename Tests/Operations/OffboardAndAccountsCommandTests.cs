using Microsoft.Extensions.Options;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Intake;
using SgBridge.Shared.Options;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Cli;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Operations;

/// <summary>`sgbridge accounts` and `sgbridge offboard` on Azurite, run in-process as an operator runs them.</summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class OffboardAndAccountsCommandTests(AzuriteFixture azurite)
{
    private const string Leaving = "111111111111";
    private const string Staying = "222222222222";
    private readonly string _groups = azurite.UniqueTableName("offgroups");
    private readonly string _expiries = azurite.UniqueTableName("offexp");
    private readonly CliRunner _cli = new();

    private IOptions<StorageOptions> Storage() => Options.Create(new StorageOptions { ConnectionString = azurite.ConnectionString, GroupsTable = _groups });

    private void UseAzurite(string allowed = "*")
    {
        _cli.Environment["Storage__ConnectionString"] = azurite.ConnectionString;
        _cli.Environment["Storage__GroupsTable"] = _groups;
        _cli.Environment["Approvals__ExpiryTable"] = _expiries;
        _cli.Environment["Policy__AllowedAccounts"] = allowed;
    }

    private async Task SeedAsync()
    {
        var service = azurite.CreateTableServiceClient();
        var groups = new TableGroupStateStore(service, Storage());
        var known = new TableKnownAccountStore(service, Storage());
        var results = new BaselineResults(service, Storage());
        var expiries = new TableAccessExpiryIndex(service, Options.Create(new ApprovalsOptions { ExpiryTable = _expiries }));
        var now = CliRunner.Now;
        foreach (var account in new[] { Leaving, Staying })
        {
            foreach (var region in new[] { "eu-west-1", "us-east-1" })
            {
                await groups.AddOrGetAsync(ApprovedGroup.Create(account, region, "sg-1", "web", "vpc-1", [], ApprovalOrigin.Baseline, now), default);
                await results.RecordAsync(new BaselineResult(account, region, now, 1, 1, 0, 0, 0, [], null), default);
            }
            await known.NoteAsync(account, "baseline", now, default);
            await expiries.AddAsync(new AccessExpiryEntry(now.AddHours(1), "SG-" + account[..4], account, "eu-west-1", "sg-1"), default);
        }
        await groups.TryAcquireLeaseAsync(Leaving, "eu-west-1", "sg-1", "worker-1", now, TimeSpan.FromMinutes(1), default);
        await known.RecordSkipAsync(Leaving, "eu-west-1", AccountSkips.RoleNotDeployed, now, default);
    }

    [Fact]
    public async Task Offboard_DryRunThenYes_RemovesTheAccountOnly()
    {
        UseAzurite();
        await SeedAsync();

        var (dryExit, dryOut, _) = await _cli.RunAsync("offboard", "--account", Leaving);
        Assert.Equal(0, dryExit);
        Assert.Contains($"Would remove for {Leaving}: 2 approved state(s) (+1 lease row(s)), 1 pending access expiry(ies), 2 onboarding result(s); known account: yes.", dryOut, StringComparison.Ordinal);
        Assert.Contains("Dry run: nothing removed", dryOut, StringComparison.Ordinal);

        var (exit, output, _) = await _cli.RunAsync("offboard", "--account", Leaving, "--yes");
        Assert.Equal(0, exit);
        Assert.Contains($"Removed for {Leaving}: 2 approved state(s)", output, StringComparison.Ordinal);

        var service = azurite.CreateTableServiceClient();
        var groups = new TableGroupStateStore(service, Storage());
        Assert.Null(await groups.GetAsync(Leaving, "eu-west-1", "sg-1", default));
        Assert.NotNull(await groups.GetAsync(Staying, "us-east-1", "sg-1", default));
        Assert.Equal([Staying], (await new TableKnownAccountStore(service, Storage()).ListAsync(default)).Select(a => a.AccountId));
        Assert.All(await new BaselineResults(service, Storage()).ListAsync(default), r => Assert.Equal(Staying, r.AccountId));
        var left = new List<AccessExpiryEntry>();
        await foreach (var e in new TableAccessExpiryIndex(service, Options.Create(new ApprovalsOptions { ExpiryTable = _expiries })).ListAllAsync(default))
        {
            left.Add(e);
        }
        Assert.Equal(Staying, Assert.Single(left).AccountId);

        var (_, again, _) = await _cli.RunAsync("offboard", "--account", Leaving, "--yes");
        Assert.Contains("0 approved state(s) (+0 lease row(s)), 0 pending access expiry(ies), 0 onboarding result(s); known account: no.", again, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Offboard_AccountStillListed_SaysToRemoveItFromTheAllowList()
    {
        UseAzurite($"{Leaving},{Staying}");
        await SeedAsync();

        var (_, output, _) = await _cli.RunAsync("offboard", "--account", Leaving, "--yes");

        Assert.Contains($"POLICY_ALLOWED_ACCOUNTS still lists {Leaving}", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1234")]
    [InlineData("11111111111a")]
    public async Task Offboard_NotAnAccountId_IsAUsageErrorNamingTheOption(string id)
    {
        UseAzurite();

        var (exit, _, error) = await _cli.RunAsync("offboard", "--account", id);

        Assert.Equal(1, exit);
        Assert.Contains("--account", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Accounts_ShowsKnownSkippedAccounts_OnboardingResults_AndTheLastHeartbeat()
    {
        UseAzurite();
        await SeedAsync();
        var service = azurite.CreateTableServiceClient();

        var (exit, output, _) = await _cli.RunAsync("accounts");
        Assert.Equal(2, exit); // an account is skipped, and no heartbeat yet
        Assert.Contains($"{Leaving}  skipped: role not deployed (eu-west-1;", output, StringComparison.Ordinal);
        Assert.Contains($"{Staying}  covered", output, StringComparison.Ordinal);
        Assert.Contains($"{Staying} us-east-1: 1 group(s), 1 recorded", output, StringComparison.Ordinal);
        Assert.Contains("Last heartbeat: never", output, StringComparison.Ordinal);

        await new TableKnownAccountStore(service, Storage()).ClearSkipAsync(Leaving, default);
        var heartbeat = new Heartbeat(new TableHeartbeatStore(service, Storage()), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<Heartbeat>.Instance, new SgBridge.Shared.Telemetry.BridgeTelemetry());
        await heartbeat.RecordAsync("beat-1", CliRunner.Now.AddMinutes(-3), "333333333333", "arn:aws:events:eu-west-1:333333333333:rule/sgbridge-heartbeat", default);

        var (healthy, after, _) = await _cli.RunAsync("accounts");
        Assert.Equal(0, healthy);
        Assert.Contains("Last heartbeat: ", after, StringComparison.Ordinal);
        Assert.DoesNotContain("never", after, StringComparison.Ordinal);
    }
}
