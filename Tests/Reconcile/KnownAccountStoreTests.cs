using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Reconcile;

/// <summary>The known-accounts partition and the onboarding results on Azurite: what the sweep and the CLI read.</summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class KnownAccountStoreTests(AzuriteFixture azurite)
{
    private static readonly DateTimeOffset Monday = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    private readonly IOptions<StorageOptions> _options = Microsoft.Extensions.Options.Options.Create(new StorageOptions
    {
        ConnectionString = azurite.ConnectionString,
        GroupsTable = azurite.UniqueTableName("groups"),
    });

    private TableKnownAccountStore Store() => new(azurite.CreateTableServiceClient(), _options);

    [Fact]
    public async Task Note_IsIdempotent_AndKeepsWhatFirstMadeTheAccountKnown()
    {
        await Store().NoteAsync("111111111111", "baseline", Monday, default);
        await Store().NoteAsync("111111111111", "first sight", Monday.AddDays(1), default);
        await Store().NoteAsync("222222222222", "first sight", Monday, default);

        var accounts = (await Store().ListAsync(default)).OrderBy(a => a.AccountId, StringComparer.Ordinal).ToArray();
        Assert.Equal(["111111111111", "222222222222"], accounts.Select(a => a.AccountId));
        Assert.Equal(("baseline", Monday), (accounts[0].Source, accounts[0].FirstSeen));
    }

    [Fact]
    public async Task RecordSkip_WarnsOncePerAccountPerDay_AcrossRegionsAndWorkers()
    {
        var store = Store();
        Assert.True(await store.RecordSkipAsync("111111111111", "eu-west-1", "role not deployed", Monday, default));
        Assert.False(await store.RecordSkipAsync("111111111111", "us-east-1", "role not deployed", Monday.AddMinutes(1), default));
        Assert.False(await Store().RecordSkipAsync("111111111111", "eu-west-1", "role not deployed", Monday.AddHours(5), default)); // another instance
        Assert.True(await store.RecordSkipAsync("111111111111", "eu-west-1", "role not deployed", Monday.AddDays(1), default));

        var skip = (await store.GetAsync("111111111111", default))!.Skip!;
        Assert.Equal(("role not deployed", Monday, Monday.AddDays(1)), (skip.Reason, skip.Since, skip.LastSeen));
        Assert.Equal(["eu-west-1", "us-east-1"], skip.Regions);
    }

    [Fact]
    public async Task RecordSkip_ConcurrentRegions_OneWarning()
    {
        var store = Store();
        var warnings = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            Store().RecordSkipAsync("333333333333", $"eu-west-{i + 1}", "role not deployed", Monday, default)));

        Assert.Equal(1, warnings.Count(w => w));
        Assert.Equal(4, (await store.GetAsync("333333333333", default))!.Skip!.Regions.Count);
    }

    [Fact]
    public async Task ClearSkip_KeepsTheAccountKnown_AndForget_RemovesIt()
    {
        var store = Store();
        await store.NoteAsync("111111111111", "baseline", Monday, default);
        await store.RecordSkipAsync("111111111111", "eu-west-1", "role not deployed", Monday, default);

        await store.ClearSkipAsync("111111111111", default);
        var account = await store.GetAsync("111111111111", default);
        Assert.Equal(("baseline", (AccountSkip?)null), (account!.Source, account.Skip));

        Assert.True(await store.ForgetAsync("111111111111", default));
        Assert.False(await store.ForgetAsync("111111111111", default));
        Assert.Empty(await store.ListAsync(default));
    }

    [Fact]
    public async Task KnownAccountsAndResults_DoNotShowUpAsApprovedStates()
    {
        var service = azurite.CreateTableServiceClient();
        var groups = new TableGroupStateStore(service, _options);
        await groups.AddOrGetAsync(ApprovedGroup.Create("111111111111", "eu-west-1", "sg-1", "web", "vpc-1", [], ApprovalOrigin.Baseline, Monday), default);
        await Store().NoteAsync("111111111111", "baseline", Monday, default);
        await new BaselineResults(service, _options).RecordAsync(new BaselineResult("111111111111", "eu-west-1", Monday, 1, 1, 0, 0, 0, [], null), default);

        var listed = new List<ApprovedGroup>();
        await foreach (var g in groups.ListAsync("111111111111", "eu-west-1", default))
        {
            listed.Add(g);
        }

        Assert.Equal("sg-1", Assert.Single(listed).GroupId);
        Assert.Single(await new BaselineResults(service, _options).ListAsync(default));
    }

    [Fact]
    public async Task BaselineResults_KeepEveryRiskyCount_AndTheLastRunPerAccountAndRegion()
    {
        var results = new BaselineResults(azurite.CreateTableServiceClient(), _options);
        var lines = Enumerable.Range(0, BaselineResult.MaxRiskyLines).Select(i => $"sg-{i}: tcp 22 from 0.0.0.0/0 — ssh open to the internet").ToArray();
        await results.RecordAsync(new BaselineResult("111111111111", "eu-west-1", Monday, 5, 5, 0, 9, 250, lines, null), default);
        await results.RecordAsync(BaselineResult.SkippedFor("222222222222", "eu-west-1", "role not deployed", Monday), default);
        var first = (await results.ListAsync(default)).Single(r => r.AccountId == "111111111111");
        Assert.Equal((250, BaselineResult.MaxRiskyLines), (first.RiskyCount, first.RiskyRules.Count));
        await results.RecordAsync(new BaselineResult("111111111111", "eu-west-1", Monday.AddHours(1), 5, 0, 5, 0, 0, [], null), default);

        var stored = (await results.ListAsync(default)).OrderBy(r => r.AccountId, StringComparer.Ordinal).ToArray();
        Assert.Equal((5, 0, 5), (stored[0].Groups, stored[0].Recorded, stored[0].LeftAlone));
        Assert.Equal("222222222222 eu-west-1: skipped (role not deployed)", stored[1].Describe());
    }
}
