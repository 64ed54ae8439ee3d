using System.Text;
using SgBridge.Local.Slack;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Slack.Requests;

namespace SgBridge.Tests.Slack.Requests;

public class SlackEndpointCommandTests
{
    private readonly RequestRig _rig = new();

    [Fact]
    public async Task Handle_OpensTheModalWithTheCommandsTrigger()
    {
        var answer = await _rig.CommandAsync(RequestPayloads.Command(trigger: "111.222.abc"));
        Assert.Equal((200, (string?)null), (answer.StatusCode, answer.Body?.ToJsonString()));
        var (trigger, view) = Assert.Single(_rig.Views.Opened);
        Assert.Equal("111.222.abc", trigger);
        Assert.Equal(RequestBlocks.RequestCallback, (string?)view["callback_id"]);
        var blocks = view["blocks"]!.AsArray().Select(b => (string?)b!["block_id"]).Where(b => b is not null).ToList();
        Assert.Equal([RequestBlocks.Account, RequestBlocks.Region, RequestBlocks.Group, RequestBlocks.Protocol, RequestBlocks.Ports, RequestBlocks.Source,
            RequestBlocks.Description, RequestBlocks.Duration, RequestBlocks.Reason], blocks);
    }

    [Fact]
    public async Task Handle_TheModalOffersOnlyAllowedAccounts_WithAliases_AndTheConfiguredDurations()
    {
        _rig.Bridge.Policy.AllowedAccounts = "222222222222,111111111111";
        _rig.Bridge.Policy.AccountAliases = "111111111111=prod";
        _rig.Bridge.Policy.PoliceEgress = true;
        _rig.Durations.Durations = "2h,permanent";
        _rig.Reconcile.Regions = "eu-west-1,us-east-1";
        await _rig.CommandAsync(RequestPayloads.Command());
        var view = Assert.Single(_rig.Views.Opened).View;
        string[] Options(string block) => view["blocks"]!.AsArray().Single(b => (string?)b!["block_id"] == block)!["element"]!["options"]!.AsArray()
            .Select(o => $"{o!["text"]!["text"]}={o["value"]}").ToArray();
        Assert.Equal(["prod (111111111111)=111111111111", "222222222222=222222222222"], Options(RequestBlocks.Account));
        Assert.Equal(["2 hour(s)=2h", "Permanently=permanent"], Options(RequestBlocks.Duration));
        Assert.Equal(["eu-west-1=eu-west-1", "us-east-1=us-east-1"], Options(RequestBlocks.Region));
        Assert.Equal(["Inbound (ingress)=ingress", "Outbound (egress)=egress"], Options(RequestBlocks.Direction));
    }

    [Fact]
    public async Task Handle_EveryAccountAllowed_AccountIsTyped()
    {
        _rig.Bridge.Policy.AllowedAccounts = "*";
        await _rig.CommandAsync(RequestPayloads.Command());
        var account = Assert.Single(_rig.Views.Opened).View["blocks"]!.AsArray().Single(b => (string?)b!["block_id"] == RequestBlocks.Account)!;
        Assert.Equal("plain_text_input", (string?)account["element"]!["type"]);
    }

    [Fact]
    public async Task Handle_ForgedSignature_Is401_AndOpensNothing()
    {
        var answer = await _rig.CommandAsync(RequestPayloads.Command(), secret: "not-the-signing-secret");
        Assert.Equal(401, answer.StatusCode);
        Assert.Contains(nameof(SlackSignatureStatus.SignatureMismatch), answer.Detail, StringComparison.Ordinal);
        Assert.Empty(_rig.Views.Opened);
    }

    [Fact]
    public async Task Handle_ReplayedOldRequest_Is401()
    {
        var answer = await _rig.CommandAsync(RequestPayloads.Command(), at: _rig.Now - 301);
        Assert.Equal(401, answer.StatusCode);
        Assert.Contains(nameof(SlackSignatureStatus.StaleTimestamp), answer.Detail, StringComparison.Ordinal);
        Assert.Empty(_rig.Views.Opened);
    }

    [Fact]
    public async Task Handle_MissingSignatureHeader_Is401()
    {
        var body = RequestPayloads.Command();
        var answer = await _rig.Endpoint().HandleCommandAsync(Encoding.UTF8.GetBytes(body), _rig.Now.ToString(System.Globalization.CultureInfo.InvariantCulture), null, default);
        Assert.Equal(401, answer.StatusCode);
    }

    [Fact]
    public async Task Handle_SignedButMissingTriggerId_Is400NamingIt()
    {
        var answer = await _rig.CommandAsync(RequestPayloads.Command(omit: "trigger_id"));
        Assert.Equal((400, "The slash command has no trigger_id."), (answer.StatusCode, answer.Detail));
        Assert.Empty(_rig.Views.Opened);
    }

    [Fact]
    public async Task Handle_Help_AndUnknownText_AnswerEphemerally()
    {
        var help = await _rig.CommandAsync(RequestPayloads.Command("help"));
        Assert.Equal("ephemeral", (string?)help.Body!["response_type"]);
        Assert.Equal(RequestCommandHandler.Usage, (string?)help.Body["text"]);
        var unknown = await _rig.CommandAsync(RequestPayloads.Command("delete everything"));
        Assert.StartsWith("Unknown option “delete everything”", (string?)unknown.Body!["text"], StringComparison.Ordinal);
        Assert.Empty(_rig.Views.Opened);
    }

    [Fact]
    public async Task Handle_UnknownText_IsEchoedEscaped_NeverAsALiveMention()
    {
        var unknown = await _rig.CommandAsync(RequestPayloads.Command("<!channel> <@U0BOSS> *x*\nsecond line"));

        var text = (string)unknown.Body!["text"]!;
        Assert.StartsWith("Unknown option “&lt;!channel&gt; &lt;@U0BOSS&gt; ∗x∗ ⏎ second line”", text, StringComparison.Ordinal);
        Assert.Empty(SlackPayloadValidator.Check(text, null));
    }

    [Fact]
    public async Task Handle_SlackRefusesTheView_TellsTheUser()
    {
        _rig.Views.Fail = new SlackApiException("views.open", "expired_trigger_id");
        var answer = await _rig.CommandAsync(RequestPayloads.Command());
        Assert.Equal(200, answer.StatusCode);
        Assert.Contains("expired_trigger_id", (string?)answer.Body!["text"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handle_SlackHangs_AnswersWithinSlacksThreeSeconds()
    {
        _rig.Views.Hang = true;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var answer = await _rig.CommandAsync(RequestPayloads.Command());
        Assert.InRange(clock.Elapsed, SlackRequestService.ViewBudget - TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2.9));
        Assert.Contains("in time", (string?)answer.Body!["text"], StringComparison.Ordinal);
    }
}
