using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Storage;

/// <summary>Approved states and leases on real Azurite: ETag conditions, single-partition listing, lease contention and expiry.</summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class TableGroupStateStoreTests(AzuriteFixture azurite)
{
    private const string Account = "111122223333";
    private const string Region = "eu-west-1";
    private static readonly DateTimeOffset T = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);
    private readonly TableGroupStateStore _store = new(azurite.CreateTableServiceClient(),
        Microsoft.Extensions.Options.Options.Create(new StorageOptions { ConnectionString = azurite.ConnectionString, GroupsTable = azurite.UniqueTableName("groups") }));
    private readonly CancellationToken _ct = new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token;

    private static ApprovedGroup Group(string id, params SecurityGroupRule[] rules) =>
        ApprovedGroup.Create(Account, Region, id, "web", "vpc-1", rules, ApprovalOrigin.Baseline, T);

    private static SecurityGroupRule Tcp(int port) => new("tcp", port, port, RuleSource.Ipv4("10.0.0.0/8"), "d", $"sgr-{port:x17}");

    [Fact]
    public async Task AddOrGet_RoundTrips_AndNeverOverwrites()
    {
        var (first, created) = await _store.AddOrGetAsync(Group("sg-00000000000000001", Tcp(22)), _ct);
        var (second, createdAgain) = await _store.AddOrGetAsync(Group("sg-00000000000000001", Tcp(443)), _ct);

        Assert.True(created);
        Assert.False(createdAgain);
        Assert.Equal(first.ETag, second.ETag);
        Assert.Equal([Tcp(22)], second.Value.RuleSet);
    }

    [Fact]
    public async Task Replace_WithAStaleETag_IsAConflict_AndTheUpdatePrimitiveReapplies()
    {
        var (stored, _) = await _store.AddOrGetAsync(Group("sg-00000000000000002", Tcp(22)), _ct);
        await _store.ReplaceAsync(stored.Value, stored.ETag, _ct);

        await Assert.ThrowsAsync<ConcurrencyConflictException>(() => _store.ReplaceAsync(stored.Value, stored.ETag, _ct));

        var change = ChangeRequest.Open("SG-APPLY0001", new SecurityGroupChange
        {
            EventId = "e", EventName = "AuthorizeSecurityGroupIngress", EventTime = T, AccountId = Account, Region = Region,
            GroupId = "sg-00000000000000002", Kind = ChangeKind.Add, Rules = [Tcp(8080)], Requester = new Requester(PrincipalType.IamUser, "arn:aws:iam::111122223333:user/u", Account, null, "u", null, null, null, null, null),
        }, T);
        var applied = await _store.UpdateAsync(Account, Region, "sg-00000000000000002", g => g.ApplyRequest(change, T), _ct);
        var again = await _store.UpdateAsync(Account, Region, "sg-00000000000000002", g => g.ApplyRequest(change, T), _ct);

        Assert.True(applied!.Value.Written);
        Assert.False(again!.Value.Written); // the same approval written twice changes nothing
        Assert.Equal(2, (await _store.GetAsync(Account, Region, "sg-00000000000000002", _ct))!.Value.Rules.Count);
    }

    [Fact]
    public async Task List_ReturnsTheApprovedStatesOfOnePartition_NotLeasesNorOtherRegions()
    {
        await _store.AddOrGetAsync(Group("sg-00000000000000003"), _ct);
        await _store.AddOrGetAsync(Group("sg-00000000000000004"), _ct);
        await _store.AddOrGetAsync(ApprovedGroup.Create(Account, "us-east-1", "sg-00000000000000005", null, null, [], ApprovalOrigin.Baseline, T), _ct);
        Assert.NotNull(await _store.TryAcquireLeaseAsync(Account, Region, "sg-00000000000000003", "w1", T, TimeSpan.FromSeconds(60), _ct));

        var listed = new List<string>();
        await foreach (var g in _store.ListAsync(Account, Region, _ct))
        {
            listed.Add(g.GroupId);
        }

        Assert.Equal(["sg-00000000000000003", "sg-00000000000000004"], listed.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Lease_IsExclusiveUntilReleasedOrExpired()
    {
        const string g = "sg-00000000000000006";
        var first = await _store.TryAcquireLeaseAsync(Account, Region, g, "w1", T, TimeSpan.FromSeconds(60), _ct);
        Assert.NotNull(first);
        Assert.Null(await _store.TryAcquireLeaseAsync(Account, Region, g, "w2", T.AddSeconds(30), TimeSpan.FromSeconds(60), _ct));

        // The holder died: after the lease lapses another worker takes it; the old holder's release then changes nothing.
        var second = await _store.TryAcquireLeaseAsync(Account, Region, g, "w2", T.AddSeconds(61), TimeSpan.FromSeconds(60), _ct);
        Assert.NotNull(second);
        await _store.ReleaseLeaseAsync(first!, _ct);
        Assert.Null(await _store.TryAcquireLeaseAsync(Account, Region, g, "w3", T.AddSeconds(62), TimeSpan.FromSeconds(60), _ct));

        await _store.ReleaseLeaseAsync(second!, _ct);
        Assert.NotNull(await _store.TryAcquireLeaseAsync(Account, Region, g, "w3", T.AddSeconds(63), TimeSpan.FromSeconds(60), _ct));
    }

    [Fact]
    public async Task Lease_UnderContention_ExactlyOneOfManyWins()
    {
        const string g = "sg-00000000000000007";
        var attempts = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            Task.Run(() => _store.TryAcquireLeaseAsync(Account, Region, g, $"w{i}", T, TimeSpan.FromSeconds(60), _ct))));

        Assert.Single(attempts, a => a is not null);
    }

    /// <summary>The lease write reaches Azurite and takes effect; its answer is held back (a slow table, a starved client).</summary>
    private sealed class LateLeaseAnswer(TimeSpan delay) : Azure.Core.Pipeline.HttpPipelinePolicy
    {
        public override async ValueTask ProcessAsync(Azure.Core.HttpMessage message, ReadOnlyMemory<Azure.Core.Pipeline.HttpPipelinePolicy> pipeline)
        {
            await ProcessNextAsync(message, pipeline);
            if (message.Request.Method == Azure.Core.RequestMethod.Post)
            {
                await Task.Delay(delay, message.CancellationToken);
            }
        }

        public override void Process(Azure.Core.HttpMessage message, ReadOnlyMemory<Azure.Core.Pipeline.HttpPipelinePolicy> pipeline) => ProcessNext(message, pipeline);
    }

    [Fact]
    public async Task Lease_WrittenButAnsweredPastTheReadTimeout_IsAnOutage_AndIsReleasedWhenItsAnswerComes()
    {
        // Before: the caller gave up at Storage:GroupReadTimeout, the lease had landed all the same, and the group's next
        // events found it held for its whole duration (60 s): refused as busy on a merely slow table.
        const string g = "sg-00000000000000008";
        var table = azurite.UniqueTableName("groups");
        var slowOptions = new Azure.Data.Tables.TableClientOptions();
        slowOptions.AddPolicy(new LateLeaseAnswer(TimeSpan.FromSeconds(2)), Azure.Core.HttpPipelinePosition.PerCall);
        var options = Microsoft.Extensions.Options.Options.Create(new StorageOptions
        {
            ConnectionString = azurite.ConnectionString, GroupsTable = table, GroupReadTimeout = TimeSpan.FromMilliseconds(300),
        });
        var slow = new TableGroupStateStore(new Azure.Data.Tables.TableServiceClient(azurite.ConnectionString, slowOptions), options);
        var prompt = new TableGroupStateStore(azurite.CreateTableServiceClient(), Microsoft.Extensions.Options.Options.Create(new StorageOptions
        {
            ConnectionString = azurite.ConnectionString, GroupsTable = table, GroupReadTimeout = TimeSpan.FromSeconds(30),
        }));
        await prompt.AddOrGetAsync(Group(g), _ct); // the table exists: the lease is one insert

        var outage = await Assert.ThrowsAsync<StorageUnavailableException>(() =>
            slow.TryAcquireLeaseAsync(Account, Region, g, "w1", T, TimeSpan.FromSeconds(60), _ct));
        Assert.Contains("Storage:GroupReadTimeout", outage.Message, StringComparison.Ordinal);
        Assert.Null(await prompt.TryAcquireLeaseAsync(Account, Region, g, "w2", T, TimeSpan.FromSeconds(60), _ct)); // it did land

        // Once the late answer is in, its owner lets it go: another worker takes the group well within the lease's 60 s.
        GroupLease? next = null;
        for (var waited = 0; next is null && waited < 100; waited++)
        {
            await Task.Delay(100, _ct);
            next = await prompt.TryAcquireLeaseAsync(Account, Region, g, "w2", T, TimeSpan.FromSeconds(60), _ct);
        }
        Assert.NotNull(next);
    }
}
