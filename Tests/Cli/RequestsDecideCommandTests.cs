using System.Text;
using System.Text.Json;
using Azure.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SgBridge.Cli;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Shared.Telemetry;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Integration;
using SgBridge.Tests.Slack;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Cli;

/// <summary>
/// `sgbridge requests approve|deny` on Azurite: the decision is the lifecycle's conditional write (a click on the same
/// table races it for real), with a click's checks (Pending, offered durations, not the requester unless break-glass).
/// No Slack settings are given: a verb that touched Slack would fail their validation. The queue sender records what the
/// lifecycle sends (its one nudge).
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RequestsDecideCommandTests
{
    private readonly AzuriteFixture _azurite;
    private readonly string _table;
    private readonly string _slackTable;
    private readonly RecordingQueue _queue = new();
    private readonly CliRunner _cli;
    private readonly CancellationToken _ct = new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token;

    public RequestsDecideCommandTests(AzuriteFixture azurite)
    {
        _azurite = azurite;
        _table = azurite.UniqueTableName("clidecide");
        _slackTable = azurite.UniqueTableName("clidecideslack");
        _cli = new CliRunner { OsUser = "operator@jumphost", ConfigureServices = s => s.Replace(ServiceDescriptor.Singleton<IQueueSender>(_queue)) };
        _cli.Environment["Storage__ConnectionString"] = azurite.ConnectionString;
        _cli.Environment["Storage__RequestsTable"] = _table;
        _cli.Environment["Storage__SlackTable"] = _slackTable;
    }

    private TableRequestStore Store() => new(_azurite.CreateTableServiceClient(), O.Create(new StorageOptions { ConnectionString = _azurite.ConnectionString, RequestsTable = _table }));

    /// <summary>alice@example.com's SSH from the internet, reverted and waiting (or, <paramref name="remove"/>, a removal).</summary>
    private async Task<ChangeRequest> PendingAsync(string id, bool remove = false)
    {
        var change = RequestsCommandTests.Sample(remove ? "revoke-by-permissions.json" : "authorize-ssh-from-internet.json", "evt-" + id);
        var request = ChangeRequest.Open(id, change, CliRunner.Now.AddMinutes(-5));
        request.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress GroupId=sg-0123456789abcdef0", true), CliRunner.Now.AddMinutes(-5));
        Assert.True((await Store().AddOrGetAsync(request, _ct)).Created);
        return request;
    }

    private async Task<ChangeRequest> StoredAsync(string id) => (await Store().GetAsync(id, _ct))!.Value;

    [Fact]
    public async Task Approve_ForAnOfferedDuration_RecordsTheDecisionItsReasonAndEffects_InOneWrite()
    {
        await PendingAsync("SG-DECAPP01");

        var (exit, output, error) = await _cli.RunAsync("requests", "approve", "SG-DECAPP01", "--for", "8h", "--reason", "INC-4711: vendor VPN", "--as", "carol@example.com");

        Assert.True(exit == 0, error);
        var stored = await StoredAsync("SG-DECAPP01");
        Assert.Equal(RequestStatus.Approved, stored.Status);
        Assert.Equal("cli:carol@example.com", stored.DecidedBy);
        Assert.Equal("carol@example.com (--as; run by OS user operator@jumphost, sgbridge CLI)", stored.DecidedByName);
        Assert.Equal("INC-4711: vendor VPN", stored.DecisionReason);
        Assert.Equal((TimeSpan?)TimeSpan.FromHours(8), stored.ApprovedFor);
        Assert.Equal(CliRunner.Now.AddHours(8), stored.AccessUntil);
        // The same effects a click's approval records: the apply and the render of the Slack messages.
        Assert.Contains(stored.Effects, e => e.Kind == EffectKind.Apply);
        Assert.Contains(stored.Effects, e => e.Kind == EffectKind.Render);
        // The CLI sent nothing of its own: the lifecycle's one nudge naming the effects the write raised.
        var (queue, json) = Assert.Single(_queue.Sent);
        Assert.Equal(QueueNames.Effects, queue);
        var nudge = Assert.IsType<NudgeEffects>(BridgeJson.Deserialize<EffectsMessage>(json));
        // It names what this write raised: the apply, the render and the Home tab's refresh (an effect pending from before,
        // e.g. the revert's ask for a reason, is not renamed).
        Assert.Equal(stored.Effects.Where(e => e.Kind is EffectKind.Apply or EffectKind.Render or EffectKind.RefreshHome).Select(e => e.Id).Order(), nudge.EffectIds.Order());
        // What the monitoring thread is told (the Render effect) names the decider and the reason.
        var reply = ApprovalMessageBuilder.OutcomeReply(stored, RequestStatus.Approved);
        Assert.Contains("Approved by cli:carol@example.com", reply, StringComparison.Ordinal);
        Assert.Contains("Reason: “INC-4711: vendor VPN”", reply, StringComparison.Ordinal);
        Assert.Contains("Approved SG-DECAPP01 for 8h (access until 2026-11-29T20:00:00Z) by carol@example.com", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deny_RecordsTheDenialAndReason_NoApply()
    {
        await PendingAsync("SG-DECDNY01");

        var (exit, output, error) = await _cli.RunAsync("requests", "deny", "SG-DECDNY01", "--reason", "no ticket");

        Assert.True(exit == 0, error);
        var stored = await StoredAsync("SG-DECDNY01");
        Assert.Equal((RequestStatus.Denied, "cli:operator@jumphost", "no ticket"), (stored.Status, stored.DecidedBy, stored.DecisionReason));
        Assert.Equal("operator@jumphost (OS user, sgbridge CLI)", stored.DecidedByName);
        Assert.DoesNotContain(stored.Effects, e => e.Kind == EffectKind.Apply);
        Assert.Contains("Denied SG-DECDNY01 by operator@jumphost", output, StringComparison.Ordinal);
        Assert.Contains("Reason: “no ticket”", ApprovalMessageBuilder.OutcomeReply(stored, RequestStatus.Denied), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Approve_NotPending_RefusesClearly_AndChangesNothing()
    {
        await PendingAsync("SG-DECNP001");
        Assert.Equal(0, (await _cli.RunAsync("requests", "deny", "SG-DECNP001", "--reason", "first", "--as", "bob")).Exit);
        var before = await StoredAsync("SG-DECNP001");
        _queue.Sent.Clear();

        var (exit, output, error) = await _cli.RunAsync("requests", "approve", "SG-DECNP001", "--for", "1h", "--reason", "second", "--json");

        Assert.Equal(ExitCodes.Failed, exit);
        Assert.StartsWith("sgbridge requests approve: SG-DECNP001 is Denied, not Pending: nothing changed. It was decided by bob (--as; run by OS user operator@jumphost, sgbridge CLI) at 2026-11-29T12:00:00Z.", error, StringComparison.Ordinal);
        var doc = JsonDocument.Parse(output).RootElement;
        Assert.Equal(("not-pending", 2), (doc.GetProperty("error").GetProperty("kind").GetString(), doc.GetProperty("exit").GetInt32()));
        var after = await StoredAsync("SG-DECNP001");
        Assert.Equal((before.Status, before.DecidedBy, before.DecisionReason, before.UpdatedAt), (after.Status, after.DecidedBy, after.DecisionReason, after.UpdatedAt));
        Assert.Empty(_queue.Sent);
    }

    [Fact]
    public async Task Approve_NoSuchRequest_IsExitTwoNamingTheTable()
    {
        await PendingAsync("SG-DECXX001");
        var (exit, _, error) = await _cli.RunAsync("requests", "approve", "SG-NXSCH001", "--reason", "x");
        Assert.Equal(ExitCodes.Failed, exit);
        Assert.Contains($"no request SG-NXSCH001 in table {_table}", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--as", "alice@example.com")] // the requester's e-mail (their SSO session name)
    [InlineData("--as", "ALICE")] // its local part, any case
    public async Task Approve_ByTheRequester_IsRefused(string option, string name)
    {
        await PendingAsync("SG-DECSEF01");

        var (exit, _, error) = await _cli.RunAsync("requests", "approve", "SG-DECSEF01", "--reason", "mine", option, name);

        Assert.Equal(ExitCodes.Failed, exit);
        Assert.Contains("is the requester of SG-DECSEF01 (alice@example.com via", error, StringComparison.Ordinal);
        Assert.Contains("nobody approves their own change. Fix: ask another approver; break-glass operators are listed in Cli__BreakGlassOperators.", error, StringComparison.Ordinal);
        Assert.Equal(RequestStatus.Pending, (await StoredAsync("SG-DECSEF01")).Status);
        Assert.Empty(_queue.Sent);
    }

    [Fact]
    public async Task Approve_ByTheRequesterAsOsUser_IsRefusedToo()
    {
        await PendingAsync("SG-DECSEF02");
        var cli = new CliRunner { OsUser = "alice@laptop-7", ConfigureServices = _cli.ConfigureServices };
        foreach (var (k, v) in _cli.Environment)
        {
            cli.Environment[k] = v;
        }

        var (exit, _, error) = await cli.RunAsync("requests", "approve", "SG-DECSEF02", "--reason", "mine");

        Assert.Equal(ExitCodes.Failed, exit);
        Assert.Contains("alice@laptop-7 is the requester of SG-DECSEF02", error, StringComparison.Ordinal);
        Assert.Equal(RequestStatus.Pending, (await StoredAsync("SG-DECSEF02")).Status);
    }

    [Fact]
    public async Task Approve_ByTheRequesterOnTheBreakGlassList_IsAllowedAndAnnouncedLoudly()
    {
        await PendingAsync("SG-DECBRK01");
        _cli.Environment["Cli__BreakGlassOperators"] = "oncall, alice@example.com";

        var (exit, output, error) = await _cli.RunAsync("requests", "approve", "SG-DECBRK01", "--reason", "outage, nobody else awake", "--as", "alice@example.com", "--json");

        Assert.True(exit == 0, error);
        var stored = await StoredAsync("SG-DECBRK01");
        Assert.Equal(RequestStatus.Approved, stored.Status);
        var notice = Assert.Single(stored.Effects, e => e.Kind == EffectKind.BreakGlassNotice);
        Assert.Equal("cli:alice@example.com", notice.By);
        // What the monitoring channel(s) are told (the BreakGlassNotice effect): the CLI decider, never a Slack mention token.
        Assert.Contains("*BREAK-GLASS* cli:alice@example.com approved *their own* change", ApprovalMessageBuilder.BreakGlassNotice(stored, notice.By!, null), StringComparison.Ordinal);
        Assert.True(JsonDocument.Parse(output).RootElement.GetProperty("decision").GetProperty("breakGlass").GetBoolean());
    }

    [Fact]
    public async Task Approve_DecidedAsTheEntraUser_WhenTheCliReachesStorageWithEntra()
    {
        await PendingAsync("SG-DECENT01");
        var cli = new CliRunner
        {
            OsUser = "operator@jumphost",
            ConfigureServices = s =>
            {
                s.Replace(ServiceDescriptor.Singleton<IQueueSender>(_queue));
                s.Replace(ServiceDescriptor.Singleton(new EntraOperator(new TokenOf(new { oid = "0000-1111", upn = "dave@example.com" }))));
            },
        };
        foreach (var (k, v) in _cli.Environment)
        {
            cli.Environment[k] = v;
        }

        var (exit, _, error) = await cli.RunAsync("requests", "deny", "SG-DECENT01", "--reason", "not now");

        Assert.True(exit == 0, error);
        var stored = await StoredAsync("SG-DECENT01");
        Assert.Equal(("cli:dave@example.com", "dave@example.com (Entra ID; OS user operator@jumphost, sgbridge CLI)"), (stored.DecidedBy, stored.DecidedByName));
    }

    [Theory]
    [InlineData(new[] { "--for", "3h" }, "--for: '3h' is not offered (Approvals:Durations is 1h,8h)")]
    [InlineData(new string[0], "approving permanently is not offered (Approvals:Durations is 1h,8h): give --for with one of them.")]
    public async Task Approve_ADurationNotOffered_IsRefused(string[] duration, string message)
    {
        await PendingAsync("SG-DECDRN01");
        _cli.Environment["Approvals__Durations"] = "1h,8h";

        var (exit, _, error) = await _cli.RunAsync(["requests", "approve", "SG-DECDRN01", "--reason", "r", "--as", "carol", .. duration]);

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Equal(RequestStatus.Pending, (await StoredAsync("SG-DECDRN01")).Status);
    }

    [Fact]
    public async Task Approve_ARemoval_TakesNoDuration()
    {
        await PendingAsync("SG-DECREM01", remove: true);

        var (refused, _, error) = await _cli.RunAsync("requests", "approve", "SG-DECREM01", "--for", "8h", "--reason", "r", "--as", "carol");
        Assert.Equal(ExitCodes.Usage, refused);
        Assert.Contains("removes access, so it has no duration", error, StringComparison.Ordinal);

        _cli.Environment["Approvals__Durations"] = "1h,8h"; // "permanent" not offered: a removal is still approved (as its plain Approve button)
        var (exit, _, error2) = await _cli.RunAsync("requests", "approve", "SG-DECREM01", "--reason", "r", "--as", "carol");
        Assert.True(exit == 0, error2);
        var stored = await StoredAsync("SG-DECREM01");
        Assert.Equal((RequestStatus.Approved, (TimeSpan?)null), (stored.Status, stored.ApprovedFor));
    }

    [Theory]
    [InlineData(new[] { "requests", "approve", "SG-DECARG01" }, "--reason is required")]
    [InlineData(new[] { "requests", "approve", "SG-DECARG01", "--reason", "  " }, "--reason: give a reason")]
    [InlineData(new[] { "requests", "deny", "SG-DECARG01", "--reason", "r", "--for", "8h" }, "--for")] // deny takes no duration
    [InlineData(new[] { "requests", "approve", "not-an-id", "--reason", "r" }, "is not a request id")]
    public async Task Decide_BadArguments_AreUsageErrors(string[] args, string named)
    {
        await PendingAsync("SG-DECARG01");
        var (exit, _, error) = await _cli.RunAsync(args);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains(named, error, StringComparison.Ordinal);
        Assert.Equal(RequestStatus.Pending, (await StoredAsync("SG-DECARG01")).Status);
    }

    [Fact]
    public async Task Approve_Json_IsTheSgbridgeV1DocumentWithDecisionAndRequest()
    {
        await PendingAsync("SG-DECJSN01");

        var (exit, output, error) = await _cli.RunAsync("requests", "approve", "SG-DECJSN01", "--for", "24h", "--reason", "CHG-1", "--as", "carol", "--json");

        Assert.True(exit == 0, error);
        var doc = JsonDocument.Parse(output).RootElement;
        Assert.Equal(("sgbridge/v1", "requests approve", true, 0), (doc.GetProperty("schema").GetString(), doc.GetProperty("verb").GetString(), doc.GetProperty("ok").GetBoolean(), doc.GetProperty("exit").GetInt32()));
        var decision = doc.GetProperty("decision");
        Assert.Equal("Approved", decision.GetProperty("verdict").GetString());
        Assert.Equal("cli:carol", decision.GetProperty("by").GetString());
        Assert.Equal("CHG-1", decision.GetProperty("reason").GetString());
        Assert.Equal("24h", decision.GetProperty("for").GetString());
        Assert.Equal("2026-11-30T12:00:00Z", decision.GetProperty("accessUntil").GetString());
        Assert.Equal("SG-DECJSN01", doc.GetProperty("request").GetProperty("id").GetString());
        Assert.Equal("CHG-1", doc.GetProperty("request").GetProperty("decision").GetProperty("reason").GetString());
    }

    /// <summary>
    /// Slack's last resort (the approvers' message refused twice) tells the monitoring channel which commands decide:
    /// each must exist as written, and the approve it names must decide the request.
    /// </summary>
    [Fact]
    public async Task SlackRefusedNotice_NamesTheCommandsThatDecide()
    {
        var request = await PendingAsync("SG-DECFA001");
        var notice = ApprovalMessageBuilder.RefusedNotice([request], "invalid_blocks");
        var commands = System.Text.RegularExpressions.Regex.Matches(notice, "`(sgbridge [^`]+)`").Select(m => m.Groups[1].Value).ToArray();
        Assert.Equal(
            ["sgbridge requests approve SG-DECFA001 --for DURATION --reason \"…\"", "sgbridge requests deny SG-DECFA001 --reason \"…\"", "sgbridge requests show SG-DECFA001"],
            commands);
        foreach (var command in commands)
        {
            var parsed = CliApp.CreateRootCommand(new CliContext { Out = TextWriter.Null, Error = TextWriter.Null }).Parse(command.Split(' ')[1..]);
            Assert.Empty(parsed.Errors);
        }

        var approve = commands[0].Replace("DURATION", "8h", StringComparison.Ordinal).Replace("\"…\"", "Slack-down", StringComparison.Ordinal).Split(' ')[1..];
        var (exit, _, error) = await _cli.RunAsync([.. approve, "--as", "carol"]);

        Assert.True(exit == 0, error);
        Assert.Equal((RequestStatus.Approved, "Slack-down"), ((await StoredAsync("SG-DECFA001")).Status, (await StoredAsync("SG-DECFA001")).DecisionReason));
    }

    /// <summary>
    /// A Slack click (the real DecisionService over the same Azurite table) and the CLI decide the same request at the
    /// same moment: exactly one wins, the request records the winner, and the loser is told (the click's ephemeral
    /// "already decided" reply, or the CLI's exit 2 naming the winner).
    /// </summary>
    [Fact]
    public async Task ConcurrentClickAndCli_OneWins_TheOtherIsTold()
    {
        var options = new SlackOptions { BotToken = "xoxb-" + "race", SigningSecret = SlackSigning.Secret, ApproversChannel = "CAPPROVERS", MonitoringChannel = "CMONITOR", ApproverUserIds = "UAPPROVER1" };
        var rig = new SlackRig(options, new FakeTimeProvider(CliRunner.Now));
        rig.Slack.UsersByEmail["alice@example.com"] = "UALICE";
        var requests = Store();
        var threads = new TableSlackThreadStore(_azurite.CreateTableServiceClient(), O.Create(new StorageOptions { ConnectionString = _azurite.ConnectionString, SlackTable = _slackTable }));
        // The bridge's Slack endpoint over the same Azurite tables and queue the CLI uses.
        var endpoint = rig.Bridge.Services(s =>
        {
            s.Replace(ServiceDescriptor.Singleton<IRequestStore>(requests));
            s.Replace(ServiceDescriptor.Singleton<ISlackThreadStore>(threads));
            s.Replace(ServiceDescriptor.Singleton<IQueueSender>(_queue));
        }).GetRequiredService<SlackEndpoint>();
        var winners = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var id = $"SG-DECRACE{i}";
            var request = await PendingAsync(id);
            await ShowAsync(threads, request, "CAPPROVERS", $"100{i}.000100");
            var click = new SlackInteraction
            {
                UserId = "UAPPROVER1", UserName = "approver", ChannelId = "CAPPROVERS", MessageTs = $"100{i}.000100",
                ActionId = ActionIds.For(ActionIds.Deny, id), Value = id,
            };

            var body = SlackSigning.Body(click);
            var at = rig.Time.GetUtcNow().ToUnixTimeSeconds();
            var clickTask = Task.Run(() => endpoint.HandleInteractionAsync(System.Text.Encoding.UTF8.GetBytes(body), at.ToString(System.Globalization.CultureInfo.InvariantCulture),
                SlackSigning.Sign(body, at), _ct));
            var cliTask = Task.Run(() => _cli.RunAsync("requests", "approve", id, "--for", "1h", "--reason", "race", "--as", "carol"));
            var (clicked, (exit, _, error)) = (await clickTask, await cliTask);

            var stored = await StoredAsync(id);
            if (clicked.Outcome == DecisionOutcome.Denied)
            {
                Assert.Equal(ExitCodes.Failed, exit);
                Assert.Contains($"{id} is Denied, not Pending: nothing changed. It was decided by approver", error, StringComparison.Ordinal);
                Assert.Equal((RequestStatus.Denied, "UAPPROVER1"), (stored.Status, stored.DecidedBy));
                winners.Add("click");
            }
            else
            {
                Assert.Equal(DecisionOutcome.AlreadyDecided, clicked.Outcome);
                Assert.Contains("already", clicked.Reply!, StringComparison.OrdinalIgnoreCase);
                Assert.True(exit == 0, error);
                Assert.Equal((RequestStatus.Approved, "cli:carol"), (stored.Status, stored.DecidedBy));
                winners.Add("cli");
            }
        }
        Assert.Equal(6, winners.Count);
    }

    private static async Task ShowAsync(TableSlackThreadStore threads, ChangeRequest r, string channel, string ts)
    {
        var home = SlackRows.HomeOf(r);
        var thread = SlackThread.Start(home, r.Id, SlackRows.BatchKey(r), CliRunner.Now) with { Home = home, ApproverMessage = new SlackMessageRef(channel, ts), MonitoringMessage = new SlackMessageRef("CMONITOR", ts) };
        await threads.WriteAsync(SlackRows.Thread(home, r.Id), thread, null, CancellationToken.None);
        await threads.WriteAsync(SlackRows.Member(home, r.Id), new ThreadMembership(r.Id), null, CancellationToken.None);
    }

    /// <summary>Entra ID's token, as DefaultAzureCredential returns it: a JWT whose payload names the user.</summary>
    private sealed class TokenOf(object claims) : TokenCredential
    {
        private readonly string _jwt = "eyJhbGciOiJub25lIn0." + Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(claims))).TrimEnd('=').Replace('+', '-').Replace('/', '_') + ".sig";

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(_jwt, DateTimeOffset.MaxValue);

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => new(GetToken(requestContext, cancellationToken));
    }
}
