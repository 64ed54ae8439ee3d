using SgBridge.Shared.Approvals;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Approvals;

/// <summary>
/// An extension approved just before the original grant expires, racing the expiry tick. Was: access was never
/// interrupted, but in 7 of 20 runs the original request was marked AccessEnded and "Access ended" was told to the
/// requester and monitoring (the tick decided "still approved?" from the approved state it had read before the
/// extension's apply wrote it). Now, at every interleaving of the extension's apply with the tick's steps: the rule never
/// leaves AWS, the original is not ended and nothing says "ended"; access ends once, when the extension runs out.
/// The interleavings are exact (a hook at the tick's describe, between its approved-state write and its decision), not timed.
/// </summary>
public class AccessExtensionRaceTests
{
    public enum When
    {
        /// <summary>The extension's apply finished before the tick.</summary>
        AppliedBeforeTheTick,
        /// <summary>The apply runs inside the tick, after its approved-state write and before it decides (the stale-read window).</summary>
        AppliedInsideTheTick,
        /// <summary>The apply runs after the tick.</summary>
        AppliedAfterTheTick,
    }

    private readonly Bridge _b = new();

    public AccessExtensionRaceTests() => _b.Slack.UsersByEmail["alice@example.com"] = "UREQ";

    /// <summary>An onboarded group; a person's SSH add, reverted, approved for one hour by an approver and applied.</summary>
    private static async Task<ChangeRequest> GrantedForAnHourAsync(Bridge b)
    {
        b.Ec2.AddExisting(TestData.Tcp(443, "10.0.0.0/8", "https"));
        await b.OnboardAsync();
        var added = b.Ec2.AddExisting(TestData.Tcp(22, "10.0.0.0/8", "ssh"));
        var change = TestData.Change(ChangeKind.Add, Guid.NewGuid().ToString()) with { Rules = [added] };
        await b.Processor().ProcessAsync(change, 1, default);
        var id = b.Request(change).Id;
        await b.DrainEffectsAsync();
        await b.Lifecycle().ChangeAsync(id, r => { r.Approve("UA", "ann", b.Time.GetUtcNow(), TimeSpan.FromHours(1)); return true; }, default);
        Assert.Equal(RequestStatus.Applied, await b.TimeBoundApplier().ApplyAsync(id, 1, default));
        await b.DrainEffectsAsync();
        return (await b.Requests.GetAsync(id, default))!.Value;
    }

    /// <summary>The requester asks for more time (the extension as the click opens it), and an approver approves it for 8 h <paramref name="before"/> the expiry.</summary>
    private static async Task<string> ExtensionApprovedAsync(Bridge b, ChangeRequest original, TimeSpan before)
    {
        b.Time.Advance(original.AccessUntil!.Value - before - b.Time.GetUtcNow());
        var id = AccessDecisionService.ExtensionIdOf(original)!;
        await b.Lifecycle().OpenAsync(ChangeRequest.OpenExtension(id, original, b.Time.GetUtcNow()), default);
        await b.Lifecycle().ChangeAsync(id, r => { r.Approve("UA", "ann", b.Time.GetUtcNow(), TimeSpan.FromHours(8)); return true; }, default);
        b.Time.Advance(before);
        return id;
    }

    private static bool InAws(Bridge b) => b.Ec2.Rules.Any(r => r.Description == "ssh");

    private static bool RevokedInAws(Bridge b) => b.Ec2.Writes.Any(w => w is RevokeIngressByIds or RevokeIngressByRules);

    private static IReadOnlyList<EffectKind> EndNoticesOf(Bridge b, string requestId) =>
        b.Requests.Raised.Where(r => r.Id == requestId && r.Kind is EffectKind.AccessEndedNotice or EffectKind.AccessEndedDm).Select(r => r.Kind).ToList();

    private static async Task ApplyAsync(Bridge b, string extensionId) =>
        Assert.Equal(RequestStatus.Applied, await b.TimeBoundApplier().ApplyAsync(extensionId, 1, default));

    [Theory]
    [InlineData(When.AppliedBeforeTheTick)]
    [InlineData(When.AppliedInsideTheTick)]
    [InlineData(When.AppliedAfterTheTick)]
    public async Task ExtensionApprovedJustBeforeExpiry_AccessNeverInterrupted_OriginalNotEnded_NothingToldEnded(When when)
    {
        var original = await GrantedForAnHourAsync(_b);
        var extension = await ExtensionApprovedAsync(_b, original, TimeSpan.FromSeconds(1));
        _b.Ec2.Writes.Clear();

        if (when == When.AppliedBeforeTheTick)
        {
            await ApplyAsync(_b, extension);
        }
        var applied = false;
        if (when == When.AppliedInsideTheTick)
        {
            _b.Ec2.BeforeNextDescribeRules = async () => { await ApplyAsync(_b, extension); applied = true; };
        }
        await _b.AccessExpiry().ExpireDueAsync(default);
        _b.Ec2.BeforeNextDescribeRules = null;
        if (!applied && when != When.AppliedBeforeTheTick)
        {
            await ApplyAsync(_b, extension); // the tick left the access alone without reaching its describe
        }
        await _b.DrainEffectsAsync();
        _b.Time.Advance(TimeSpan.FromMinutes(1)); // the next tick, after the apply
        await _b.AccessExpiry().ExpireDueAsync(default);
        await _b.DrainEffectsAsync();

        Assert.True(InAws(_b));
        Assert.False(RevokedInAws(_b));
        Assert.Equal(RequestStatus.Applied, (await _b.Requests.GetAsync(original.Id, default))!.Value.Status);
        Assert.Empty(EndNoticesOf(_b, original.Id));
        Assert.Equal(RequestStatus.Applied, (await _b.Requests.GetAsync(extension, default))!.Value.Status);

        // The access ends once, when the extension runs out.
        _b.Time.Advance(TimeSpan.FromHours(8));
        await _b.AccessExpiry().ExpireDueAsync(default);
        await _b.DrainEffectsAsync();
        Assert.False(InAws(_b));
        Assert.Equal(RequestStatus.AccessEnded, (await _b.Requests.GetAsync(extension, default))!.Value.Status);
        Assert.Empty(_b.Expiries.All);
        // Told once: the extension's end says "Access ended"; the original's end (its access carried on by the extension
        // until now) is recorded without a second notice. Was: both told, two "Access ended" DMs for one access.
        Assert.Equal(RequestStatus.AccessEnded, (await _b.Requests.GetAsync(original.Id, default))!.Value.Status);
        Assert.Empty(EndNoticesOf(_b, original.Id));
        Assert.Equal([EffectKind.AccessEndedNotice, EffectKind.AccessEndedDm], EndNoticesOf(_b, extension));
    }

    /// <summary>
    /// An extension approved after the tick had looked for one (so after the expiry) and applied inside the tick: the
    /// tick's decision reads the approved state again, so the access the extension holds on is not told as ended.
    /// </summary>
    [Fact]
    public async Task ExtensionApprovedAndAppliedInsideTheTick_TheTickReadsTheApprovedStateAgain_OriginalNotEnded()
    {
        var original = await GrantedForAnHourAsync(_b);
        _b.Time.Advance(original.AccessUntil!.Value - _b.Time.GetUtcNow());
        var id = AccessDecisionService.ExtensionIdOf(original)!;
        await _b.Lifecycle().OpenAsync(ChangeRequest.OpenExtension(id, original, _b.Time.GetUtcNow()), default);
        _b.Ec2.Writes.Clear();
        _b.Ec2.BeforeNextDescribeRules = async () =>
        {
            await _b.Lifecycle().ChangeAsync(id, r => { r.Approve("UA", "ann", _b.Time.GetUtcNow(), TimeSpan.FromHours(8)); return true; }, default);
            await ApplyAsync(_b, id);
        };

        await _b.AccessExpiry().ExpireDueAsync(default);
        await _b.DrainEffectsAsync();

        Assert.Null(_b.Ec2.BeforeNextDescribeRules); // the interleaving happened
        Assert.True(InAws(_b));
        Assert.False(RevokedInAws(_b));
        Assert.Equal(RequestStatus.Applied, (await _b.Requests.GetAsync(original.Id, default))!.Value.Status);
        Assert.Empty(EndNoticesOf(_b, original.Id));
    }

    /// <summary>The same race run concurrently (the tick and the apply on two threads), 20 times: no run ends the original.</summary>
    [Fact]
    public async Task ExtensionApprovedJustBeforeExpiry_RacingTheTickConcurrently_20Runs_NoneEndsTheOriginal()
    {
        var ended = 0;
        var interrupted = 0;
        for (var run = 0; run < 20; run++)
        {
            var b = new Bridge();
            b.Slack.UsersByEmail["alice@example.com"] = "UREQ";
            var original = await GrantedForAnHourAsync(b);
            var extension = await ExtensionApprovedAsync(b, original, TimeSpan.FromMilliseconds(1));
            b.Ec2.Writes.Clear();

            await Task.WhenAll(
                Task.Run(() => b.AccessExpiry().ExpireDueAsync(default)),
                Task.Run(() => ApplyAsync(b, extension)));
            await b.DrainEffectsAsync();
            b.Time.Advance(TimeSpan.FromMinutes(1));
            await b.AccessExpiry().ExpireDueAsync(default);
            await b.DrainEffectsAsync();

            ended += (await b.Requests.GetAsync(original.Id, default))!.Value.Status == RequestStatus.AccessEnded || EndNoticesOf(b, original.Id).Count > 0 ? 1 : 0;
            interrupted += RevokedInAws(b) || !InAws(b) ? 1 : 0;
        }

        Assert.Equal((0, 0), (ended, interrupted));
    }
}
