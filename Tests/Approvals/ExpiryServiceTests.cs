using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Tests.Fakes;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Approvals;

public class ExpiryServiceTests
{
    private readonly InMemoryRequestStore _requests = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));

    private ExpiryService Service(TimeSpan expiry) =>
        new(_requests, new RequestLifecycle(_requests, new RecordingQueue(), new SgBridge.Shared.Telemetry.BridgeTelemetry(), NullLogger<RequestLifecycle>.Instance), O.Create(new ProcessingOptions { PendingExpiry = expiry }), _time, NullLogger<ExpiryService>.Instance);

    private async Task<ChangeRequest> PendingAsync()
    {
        var change = TestData.Change(ChangeKind.Add, eventId: Guid.NewGuid().ToString());
        var r = ChangeRequest.Open(RequestId.For(change.EventId), change, _time.GetUtcNow());
        r.MarkReverted(new CallOutcome("revoke", true), _time.GetUtcNow());
        await _requests.AddOrGetAsync(r, default);
        return r;
    }

    [Fact]
    public async Task ExpireStaleAsync_ExpiresOnlyOldPendingRequests_AndTellsSlack()
    {
        var old = await PendingAsync();
        _time.Advance(TimeSpan.FromDays(6));
        var recent = await PendingAsync();
        _time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(1));

        Assert.Equal(1, await Service(TimeSpan.FromDays(7)).ExpireStaleAsync(default));

        Assert.Equal(RequestStatus.Expired, (await _requests.GetAsync(old.Id, default))!.Value.Status);
        Assert.Equal(RequestStatus.Pending, (await _requests.GetAsync(recent.Id, default))!.Value.Status);
        Assert.Equal([(old.Id, RequestStatus.Expired)], _requests.Rendered.Where(r => r.Status == RequestStatus.Expired));
    }

    [Fact]
    public async Task ExpireStaleAsync_LeavesDecidedRequestsAlone()
    {
        var r = await PendingAsync();
        var s = (await _requests.GetAsync(r.Id, default))!;
        s.Value.Approve("UA", "a", _time.GetUtcNow());
        await _requests.ReplaceAsync(s.Value, s.ETag, default);
        _time.Advance(TimeSpan.FromDays(30));

        Assert.Equal(0, await Service(TimeSpan.FromDays(7)).ExpireStaleAsync(default));
        Assert.Equal(RequestStatus.Approved, (await _requests.GetAsync(r.Id, default))!.Value.Status);
    }

    [Fact]
    public async Task ExpireStaleAsync_ZeroDisablesExpiry()
    {
        await PendingAsync();
        _time.Advance(TimeSpan.FromDays(365));
        Assert.Equal(0, await Service(TimeSpan.Zero).ExpireStaleAsync(default));
    }
}
