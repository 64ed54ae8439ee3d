using Amazon.EC2;
using Amazon.EC2.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SgBridge.FunctionApp.Functions;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Integration;
using static SgBridge.Tests.EndToEnd.PipelineHarness;

namespace SgBridge.Tests.EndToEnd;

/// <summary>
/// No timer scans the requests table (issue 20, item 8): every timer function, fired as the host fires it on real parts
/// (Azurite, moto, the Slack stub, a FakeTimeProvider), finds what is due among a history of requests that are not,
/// and every read it sends to the requests table is a point read or a RowKey range of one partition of an index
/// (<c>PartitionKey eq 'requests-N' and RowKey ge 'pending|' and RowKey lt …</c>) — recorded on the bridge's real Table
/// client (<see cref="TableRequestLog"/>): the shape of the queries, not a count of operations.
/// </summary>
[Collection(PipelineCollection.Name)]
[Trait("Category", "Integration")]
public sealed class TimerScanTests(AzuriteFixture azurite, MotoFixture moto) : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private PipelineHarness _h = null!;
    private AmazonEC2Client _ec2 = null!;

    public async Task InitializeAsync()
    {
        if (!MotoFixture.IsAvailable)
        {
            return;
        }
        _h = await PipelineHarness.StartAsync(azurite, moto, new Dictionary<string, string?>
        {
            ["Approvals:ExpiryTable"] = azurite.UniqueTableName("exp"),
            ["Policy:AllowedAccounts"] = "*",
        }, _time);
        await _h.ResetQueuesAsync();
        _ec2 = await _h.PersonEc2Async();
    }

    public async Task DisposeAsync()
    {
        _ec2?.Dispose();
        if (_h is not null)
        {
            await _h.DisposeAsync();
        }
    }

    private string RequestsTable => _h.Settings["Storage:RequestsTable"]!;

    private async Task<ChangeRequest?> RequestAsync(string id) => (await _h.Requests.GetAsync(id, CancellationToken.None))?.Value;

    /// <summary>Fires timer function <typeparamref name="T"/> as the host would, and returns the table reads it sent.</summary>
    private async Task<IReadOnlyList<TableRequest>> FireAsync<T>(Func<T, Task> run)
        where T : class
    {
        _h.TableRequests.Clear();
        await run(ActivatorUtilities.CreateInstance<T>(_h.Services));
        return _h.TableRequests.Requests.Where(r => r.Method == "GET").ToList();
    }

    /// <summary>The reads are point reads or, on the requests table, RowKey ranges of one partition of an index; nowhere a scan.</summary>
    private void AssertNoScan(string timer, IReadOnlyList<TableRequest> reads, string? indexPrefix)
    {
        Assert.All(reads, r => Assert.False(r.IsScan, $"{timer} scanned a table: {r}"));
        var onRequests = reads.Where(r => r.Resource.StartsWith(RequestsTable + "(", StringComparison.Ordinal)).ToList();
        foreach (var query in onRequests.Where(r => r.IsQuery))
        {
            Assert.True(indexPrefix is not null, $"{timer} queried the requests table: {query}");
            Assert.Matches(@$"^PartitionKey eq 'requests-[0-7]' and RowKey ge '{System.Text.RegularExpressions.Regex.Escape(indexPrefix!)}' and RowKey lt '{System.Text.RegularExpressions.Regex.Escape(indexPrefix!.TrimEnd('|'))}[^']*'( and .*)?$", query.Filter);
        }
        if (indexPrefix is not null)
        {
            // One range per requests partition (all eight, whatever the history holds).
            Assert.Equal(TableRequestStore.Partitions, onRequests.Count(r => r.IsQuery));
        }
    }

    /// <summary>A request of the history: created at <paramref name="at"/>, reverted, denied or exempt, its effects done (nothing for any timer).</summary>
    private async Task SeedHistoryAsync(string id, DateTimeOffset at, bool denied)
    {
        var change = new SecurityGroupChange
        {
            EventId = "evt-" + id,
            EventName = "AuthorizeSecurityGroupIngress",
            EventTime = at,
            AccountId = _h.Account,
            Region = PipelineHarness.Region,
            GroupId = "sg-0history00000000",
            Kind = ChangeKind.Add,
            Rules = [new SgBridge.Shared.Domain.SecurityGroupRule("tcp", 22, 22, RuleSource.Ipv4("10.0.0.0/8"), "history")],
            Requester = new Requester(SgBridge.Shared.Domain.PrincipalType.AssumedRole, $"arn:aws:sts::{_h.Account}:assumed-role/Dev/alice", _h.Account, "AROAHISTORY:alice", "alice", "alice", null, null, null, null),
        };
        var request = denied ? ChangeRequest.Open(id, change, at) : ChangeRequest.RecordExempt(id, change, "history", at);
        if (denied)
        {
            request.MarkReverted(new CallOutcome("RevokeSecurityGroupIngress", true), at);
            request.Deny("UAPPROVER2", "Bob", at.AddMinutes(1));
        }
        request.ClearEffects(request.Effects.Select(e => e.Id).ToArray());
        Assert.True((await _h.Requests.AddOrGetAsync(request, CancellationToken.None)).Created);
    }

    private async Task<string> RevertedAsync(string group, int port)
    {
        var rule = (await _ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = group,
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = port, ToPort = port, Ipv4Ranges = [new IpRange { CidrIp = "10.9.0.0/16" }] }],
        })).SecurityGroupRules.Single().SecurityGroupRuleId;
        var evt = Events.Authorize(_h.Account, PipelineHarness.Region, Events.Sso(_h.Account), group, port, "10.9.0.0/16", $"svc {port}", rule);
        Assert.Equal(202, (await _h.PostEventAsync(evt)).Status);
        Assert.Equal(0, await _h.PumpAsync());
        var id = RequestId.For((string)evt["detail"]!["eventID"]!);
        Assert.Equal(RequestStatus.Pending, (await RequestAsync(id))!.Status);
        return id;
    }

    [MotoFact]
    public async Task EveryTimer_FindsWhatIsDue_AndReadsTheRequestsTableOnlyByPointOrIndexRange()
    {
        var group = await CreateGroupAsync(_ec2, "timers-" + Guid.NewGuid().ToString("N")[..6]);
        await _h.OnboardAsync();
        var t0 = _time.GetUtcNow();
        // History the timers must not touch: denied and exempt requests, their effects done, spread over the partitions.
        var history = Enumerable.Range(0, 24).Select(i => $"SG-{(char)('A' + i)}HIST{i:D4}").ToList();
        for (var i = 0; i < history.Count; i++)
        {
            await SeedHistoryAsync(history[i], t0, denied: i % 2 == 0);
        }
        // Live requests: one left undecided, one approved for an hour.
        var undecided = await RevertedAsync(group, 9101);
        var timeBound = await RevertedAsync(group, 9102);
        Assert.Equal(200, await _h.ClickAsync(ApprovalDurationActions.ActionId(ActionIds.ApproveFor, "1h", timeBound), timeBound));
        Assert.Equal(0, await _h.PumpAsync());
        Assert.Equal(RequestStatus.Applied, (await RequestAsync(timeBound))!.Status);

        // ExpireAccess, 2 h later: the time-bound access ends (its index is its own table; the request is a point read).
        _time.Advance(TimeSpan.FromHours(2));
        var reads = await FireAsync<ExpireAccess>(f => f.RunAsync(null!, CancellationToken.None));
        Assert.Equal(0, await _h.PumpAsync());
        Assert.Equal(RequestStatus.AccessEnded, (await RequestAsync(timeBound))!.Status);
        AssertNoScan(nameof(ExpireAccess), reads, indexPrefix: null);

        // SweepForDrift at its boundary: the known-accounts partition, then the account's approved states.
        reads = await FireAsync<SweepForDrift>(f => f.RunAsync(null!, CancellationToken.None));
        Assert.True(await _h.QueueLengthAsync(QueueNames.Reconcile) >= 1, "the sweep queued no work for the known account");
        AssertNoScan(nameof(SweepForDrift), reads, indexPrefix: null);

        // ExpireStaleRequests, past the pending expiry: the undecided request expires, nothing else changes.
        _time.Advance(TimeSpan.FromDays(7));
        reads = await FireAsync<ExpireStaleRequests>(f => f.RunAsync(null!, CancellationToken.None));
        Assert.Equal(RequestStatus.Expired, (await RequestAsync(undecided))!.Status);
        AssertNoScan(nameof(ExpireStaleRequests), reads, TableRequestStore.PendingPrefix);

        // CatchUpEffects, with the expiry's effects not yet performed (their nudge is still on the queue): it reads the effects index only.
        _time.Advance(TimeSpan.FromMinutes(5));
        reads = await FireAsync<CatchUpEffects>(f => f.RunAsync(null!, CancellationToken.None));
        AssertNoScan(nameof(CatchUpEffects), reads, "due|");
        Assert.Equal(0, await _h.PumpAsync());
        Assert.Empty((await RequestAsync(undecided))!.Effects);

        // PurgeOldRequests, past the retention: every final request goes, history and live ones alike; a request made
        // since stays (it is not final yet).
        _time.Advance(TimeSpan.FromDays(400));
        var recent = await RevertedAsync(group, 9103);
        reads = await FireAsync<PurgeOldRequests>(f => f.RunAsync(null!, CancellationToken.None));
        foreach (var id in history.Append(undecided).Append(timeBound))
        {
            Assert.Null(await RequestAsync(id));
        }
        Assert.Equal(RequestStatus.Pending, (await RequestAsync(recent))!.Status);
        AssertNoScan(nameof(PurgeOldRequests), reads, TableRequestStore.FinalPrefix);

        // And what is left in the requests table is the recent request with its own index rows: nothing orphaned.
        var left = new List<string>();
        await foreach (var e in new Azure.Data.Tables.TableClient(azurite.ConnectionString, RequestsTable).QueryAsync<Azure.Data.Tables.TableEntity>(select: ["RowKey"]))
        {
            left.Add(e.RowKey);
        }
        Assert.All(left, k => Assert.EndsWith(recent, k, StringComparison.Ordinal));
    }
}
