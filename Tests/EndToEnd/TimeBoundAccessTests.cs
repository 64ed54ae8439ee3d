using Amazon.EC2;
using Amazon.EC2.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SgBridge.FunctionApp.Functions;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Integration;
using static SgBridge.Tests.EndToEnd.PipelineHarness;

namespace SgBridge.Tests.EndToEnd;

/// <summary>
/// Time-bound approvals on real parts (Azurite, moto, the Slack stub, the function classes as the host calls them,
/// the clock a FakeTimeProvider): approve for 1h → applied → expiry timer → revoked in AWS; early revoke; extend
/// approved and denied; a timer that missed hours catches up.
/// </summary>
[Collection(PipelineCollection.Name)]
[Trait("Category", "Integration")]
public sealed class TimeBoundAccessTests(AzuriteFixture azurite, MotoFixture moto, Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
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
        _h = await PipelineHarness.StartAsync(azurite, moto, new Dictionary<string, string?> { ["Approvals:ExpiryTable"] = azurite.UniqueTableName("exp") }, _time);
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

    private Task ExpireAccessTimerAsync() => _h.Bridge.RunAsync(nameof(ExpireAccess));

    private async Task<ChangeRequest> RequestAsync(string id) => (await _h.Requests.GetAsync(id, CancellationToken.None))!.Value;

    private async Task<string[]> PortsAsync(string group) =>
        (await IngressAsync(_ec2, group)).Select(r => $"{r.FromPort} {r.CidrIpv4}").Order(StringComparer.Ordinal).ToArray();

    private async Task<IReadOnlyList<ApprovedRule>> ApprovedAsync(string group) =>
        (await _h.Services.GetRequiredService<IGroupStateStore>().GetAsync(_h.Account, PipelineHarness.Region, group, CancellationToken.None))!.Value.Rules;

    /// <summary>An onboarded group with 443; a person adds 22; the bridge reverts it; an approver approves it for <paramref name="duration"/>.</summary>
    private async Task<(string Group, ChangeRequest Request)> ApprovedForAsync(string duration, string? group = null, int port = 22)
    {
        if (group is null)
        {
            group = await CreateGroupAsync(_ec2, "tb-" + Guid.NewGuid().ToString("N")[..6]);
            await AuthorizeAsync(group, 443);
            await _h.OnboardAsync();
        }
        var ruleId = await AuthorizeAsync(group, port);
        var evt = Events.Authorize(_h.Account, PipelineHarness.Region, Events.Sso(_h.Account), group, port, "10.9.0.0/16", "debug", ruleId);
        Assert.Equal(202, (await _h.PostEventAsync(evt)).Status);
        Assert.Equal(0, await _h.PumpAsync());
        var id = RequestId.For((string)evt["detail"]!["eventID"]!);
        Assert.Equal(RequestStatus.Pending, (await RequestAsync(id)).Status);
        Assert.DoesNotContain($"{port} 10.9.0.0/16", await PortsAsync(group));

        // The approvers' message shows it (posted, or updated when the change joined a batch on the same group).
        var approverMessage = _h.SlackCalls("chat.postMessage").Concat(_h.SlackCalls("chat.update"))
            .Last(p => (string?)p["channel"] == ApproversChannel && p.ToJsonString().Contains(id, StringComparison.Ordinal));
        Assert.Contains(ApprovalDurationActions.ActionId(ActionIds.ApproveFor, duration, id), approverMessage.ToJsonString(), StringComparison.Ordinal);

        Assert.Equal(200, await _h.ClickAsync(ApprovalDurationActions.ActionId(ActionIds.ApproveFor, duration, id), id));
        Assert.Equal(0, await _h.PumpAsync());
        var applied = await RequestAsync(id);
        Assert.Equal(RequestStatus.Applied, applied.Status);
        Assert.Contains($"{port} 10.9.0.0/16", await PortsAsync(group));
        return (group, applied);
    }

    private async Task<string> AuthorizeAsync(string group, int port) =>
        (await _ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = group,
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = port, ToPort = port, Ipv4Ranges = [new IpRange { CidrIp = port == 443 ? "10.1.0.0/16" : "10.9.0.0/16", Description = "x" }] }],
        })).SecurityGroupRules.Single().SecurityGroupRuleId;

    [MotoFact]
    public async Task ApprovedForOneHour_IsRevokedInAwsWhenTheTimerPassesItsExpiry_AndPeopleAreTold()
    {
        var (group, request) = await ApprovedForAsync("1h");
        Assert.Equal(request.DecidedAt!.Value.AddHours(1), (await ApprovedAsync(group)).Single(r => r.Rule.FromPort == 22).ExpiresAt);
        Assert.Contains(_h.SlackCalls("chat.postMessage"), p => (string?)p["channel"] == "UREQUESTER" && p.ToJsonString().Contains(ActionIds.ExtendAccess, StringComparison.Ordinal));

        _time.Advance(TimeSpan.FromMinutes(59));
        await ExpireAccessTimerAsync();
        Assert.Contains("22 10.9.0.0/16", await PortsAsync(group));

        _time.Advance(TimeSpan.FromMinutes(2));
        await ExpireAccessTimerAsync();
        Assert.Equal(0, await _h.PumpAsync());

        Assert.Equal(["443 10.1.0.0/16"], await PortsAsync(group));
        Assert.DoesNotContain(await ApprovedAsync(group), r => r.Rule.FromPort == 22);
        var ended = await RequestAsync(request.Id);
        Assert.Equal((RequestStatus.AccessEnded, AccessEndReason.Expired), (ended.Status, ended.AccessEndReason));
        var posts = _h.SlackCalls("chat.postMessage");
        Assert.Contains(posts, p => (string?)p["channel"] == MonitoringChannel && p["thread_ts"] is not null && ((string)p["text"]!).Contains($"Access of {request.Id} ended", StringComparison.Ordinal));
        Assert.Contains(posts, p => (string?)p["channel"] == "UREQUESTER" && ((string)p["text"]!).Contains($"Access of {request.Id} ended", StringComparison.Ordinal));
        Assert.Empty(await _h.Services.GetRequiredService<IAccessExpiryIndex>().ListAllAsync(CancellationToken.None).ToListAsync());
    }

    [MotoFact]
    public async Task MissedTimer_AppDownForHours_OneTickCatchesUpEveryOverdueExpiry()
    {
        var (group, first) = await ApprovedForAsync("1h");
        var (_, second) = await ApprovedForAsync("8h", group, 3389);
        var (_, third) = await ApprovedForAsync("7d", group, 5432);

        _time.Advance(TimeSpan.FromHours(10)); // no tick ran
        await ExpireAccessTimerAsync();
        Assert.Equal(0, await _h.PumpAsync());

        Assert.Equal(["443 10.1.0.0/16", "5432 10.9.0.0/16"], await PortsAsync(group));
        Assert.Equal([RequestStatus.AccessEnded, RequestStatus.AccessEnded, RequestStatus.Applied],
            [(await RequestAsync(first.Id)).Status, (await RequestAsync(second.Id)).Status, (await RequestAsync(third.Id)).Status]);
    }

    [MotoFact]
    public async Task EarlyRevoke_ByAnApprover_TakesTheRuleOut_AndTheTimerRevokesIt_ForgedAndDuplicateClicksChangeNothing()
    {
        var (group, request) = await ApprovedForAsync("8h");
        var revoke = ActionIds.For(ActionIds.RevokeAccess, request.Id);
        Assert.Contains(revoke, _h.SlackCalls("chat.update").Last(p => (string?)p["channel"] == ApproversChannel).ToJsonString(), StringComparison.Ordinal);

        Assert.Equal(200, await _h.ClickAsync(revoke, request.Id, user: "UMALLORY"));
        Assert.Equal(401, await _h.ClickAsync(revoke, request.Id, secret: "not-the-signing-secret"));
        Assert.Equal(RequestStatus.Applied, (await RequestAsync(request.Id)).Status);
        Assert.Contains(await ApprovedAsync(group), r => r.Rule.FromPort == 22);

        Assert.Equal(200, await _h.ClickAsync(revoke, request.Id));
        Assert.Equal(200, await _h.ClickAsync(revoke, request.Id)); // a double click
        var revoked = await RequestAsync(request.Id);
        Assert.Equal((RequestStatus.AccessEnded, AccessEndReason.Revoked, Approver), (revoked.Status, revoked.AccessEndReason, revoked.AccessEndedBy));
        Assert.DoesNotContain(await ApprovedAsync(group), r => r.Rule.FromPort == 22);

        await ExpireAccessTimerAsync();
        Assert.Equal(0, await _h.PumpAsync());

        Assert.Equal(["443 10.1.0.0/16"], await PortsAsync(group));
        Assert.Single(_h.SlackCalls("chat.postMessage"), p => (string?)p["channel"] == MonitoringChannel && ((string)p["text"]!).Contains($"Access of {request.Id} revoked early", StringComparison.Ordinal));
    }

    [MotoFact]
    public async Task EarlyRevoke_AwsFollowsOffTheEffectsQueue_WithoutTheTimer()
    {
        var (group, request) = await ApprovedForAsync("1h");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(200, await _h.ClickAsync(ActionIds.For(ActionIds.RevokeAccess, request.Id), request.Id));
        var clicked = clock.Elapsed;
        Assert.Contains("22 10.9.0.0/16", await PortsAsync(group)); // the click makes no AWS call
        Assert.Equal(1, await _h.QueueLengthAsync(QueueNames.Effects)); // the click's one nudge: EndAccessNow and the notices

        Assert.Equal(0, await _h.PumpAsync()); // the effects queue drained; the clock not moved, the timer not run

        Assert.Equal(["443 10.1.0.0/16"], await PortsAsync(group));
        // Click answered, then gone from AWS (in the host add up to maxPollingInterval, 2 s, for the queue pickup).
        output.WriteLine($"early revoke: click answered in {clicked.TotalMilliseconds:0} ms, rule gone from moto {clock.Elapsed.TotalMilliseconds:0} ms after the click");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the revoke took {clock.Elapsed}");
        var revoked = await RequestAsync(request.Id);
        Assert.Equal((RequestStatus.AccessEnded, AccessEndReason.Revoked), (revoked.Status, revoked.AccessEndReason));
        var rows = await _h.Services.GetRequiredService<IAccessExpiryIndex>().ListAllAsync(CancellationToken.None).ToListAsync();
        Assert.DoesNotContain(rows, e => e.Kind == AccessEndKind.Revoke);
        Assert.Single(_h.SlackCalls("chat.postMessage"), p => (string?)p["channel"] == MonitoringChannel && ((string)p["text"]!).Contains($"Access of {request.Id} revoked early", StringComparison.Ordinal));

        // The timer's next tick finds nothing left to do: no second notice.
        await ExpireAccessTimerAsync();
        Assert.Equal(0, await _h.PumpAsync());
        Assert.Single(_h.SlackCalls("chat.postMessage"), p => (string?)p["channel"] == MonitoringChannel && ((string)p["text"]!).Contains($"Access of {request.Id} revoked early", StringComparison.Ordinal));
    }

    [MotoFact]
    public async Task Extend_Approved_MovesTheExpiry_TheRuleOutlivesTheFirstHour()
    {
        var (group, request) = await ApprovedForAsync("1h");
        var extend = ActionIds.For(ActionIds.ExtendAccess, request.Id);

        Assert.Equal(200, await _h.ClickAsync(extend, request.Id, user: Approver)); // not the requester: refused
        Assert.Equal(200, await _h.ClickAsync(extend, request.Id, user: "UREQUESTER"));
        Assert.Equal(200, await _h.ClickAsync(extend, request.Id, user: "UREQUESTER")); // a double click: one request
        Assert.Equal(0, await _h.PumpAsync());
        var extension = await RequestAsync(RequestId.For($"extend:{request.Id}:{request.AccessUntil!.Value.UtcTicks}"));
        Assert.Equal((RequestStatus.Pending, request.Id), (extension.Status, extension.ExtendsRequestId));

        Assert.Equal(200, await _h.ClickAsync(ApprovalDurationActions.ActionId(ActionIds.ApproveFor, "8h", extension.Id), extension.Id));
        Assert.Equal(0, await _h.PumpAsync());
        Assert.Equal(RequestStatus.Applied, (await RequestAsync(extension.Id)).Status);

        _time.Advance(TimeSpan.FromMinutes(61));
        await ExpireAccessTimerAsync();
        Assert.Contains("22 10.9.0.0/16", await PortsAsync(group));

        _time.Advance(TimeSpan.FromHours(8));
        await ExpireAccessTimerAsync();
        Assert.Equal(0, await _h.PumpAsync());
        Assert.Equal(["443 10.1.0.0/16"], await PortsAsync(group));
        Assert.Equal(RequestStatus.AccessEnded, (await RequestAsync(extension.Id)).Status);
    }

    [MotoFact]
    public async Task Extend_Denied_LeavesTheExpiry()
    {
        var (group, request) = await ApprovedForAsync("1h");
        Assert.Equal(200, await _h.ClickAsync(ActionIds.For(ActionIds.ExtendAccess, request.Id), request.Id, user: "UREQUESTER"));
        Assert.Equal(0, await _h.PumpAsync());
        var extensionId = RequestId.For($"extend:{request.Id}:{request.AccessUntil!.Value.UtcTicks}");

        Assert.Equal(200, await _h.ClickAsync(ActionIds.For(ActionIds.Deny, extensionId), extensionId));
        Assert.Equal(0, await _h.PumpAsync());
        Assert.Equal(RequestStatus.Denied, (await RequestAsync(extensionId)).Status);

        _time.Advance(TimeSpan.FromMinutes(61));
        await ExpireAccessTimerAsync();
        Assert.Equal(0, await _h.PumpAsync());

        Assert.Equal(["443 10.1.0.0/16"], await PortsAsync(group));
        Assert.Equal(RequestStatus.AccessEnded, (await RequestAsync(request.Id)).Status);
    }
}
