using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.EC2;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using SgBridge.FunctionApp.Functions;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Slack.Requests;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Integration;
using SgBridge.Tests.Slack.Requests;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using static SgBridge.Tests.EndToEnd.PipelineHarness;

namespace SgBridge.Tests.EndToEnd;

/// <summary>
/// Requests from Slack on real parts: a signed /sgbridge command to the command function → views.open on the Slack stub
/// with the command's trigger → a signed view_submission to the interactions function (the group checked in moto) →
/// a Pending request in Azurite → the approvers' message → an approver's signed click → apply → the rule in moto and in
/// the approved state.
/// </summary>
[Collection(PipelineCollection.Name)]
[Trait("Category", "Integration")]
public sealed class SlackRequestTests(AzuriteFixture azurite, MotoFixture moto, Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private const string Requester = "UAPPROVER2"; // an approver too: approving their own request must be refused
    private PipelineHarness _h = null!;
    private AmazonEC2Client _ec2 = null!;

    public async Task InitializeAsync()
    {
        if (!MotoFixture.IsAvailable)
        {
            return;
        }
        _h = await PipelineHarness.StartAsync(azurite, moto);
        _h.Slack.Given(Request.Create().WithPath("/api/views.open").UsingPost())
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("{\"ok\":true,\"view\":{\"id\":\"VOPENED1\"}}"));
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

    /// <summary>The private_metadata of a request modal the bridge opened for <paramref name="user"/> (what views.open carried).</summary>
    private string Opened(string user = Requester) => _h.Services.GetRequiredService<ModalSeal>().Seal(RequestBlocks.RequestCallback, user, data: null);

    private Task<(int Status, JsonObject? Body)> SubmitAsync(Dictionary<string, string?> form, string viewId, string? metadata = null, string user = Requester) =>
        _h.PostSlackJsonAsync(SgBridge.FunctionApp.Routes.SlackInteractions, RequestPayloads.Submission(form, viewId, user, metadata ?? Opened(user)));

    private Dictionary<string, string?> Form(string group, int port)
    {
        var form = RequestRig.ValidForm();
        form[RequestBlocks.Account] = _h.Account;
        form[RequestBlocks.Region] = Region;
        form[RequestBlocks.Group] = group;
        form[RequestBlocks.Ports] = port.ToString(CultureInfo.InvariantCulture);
        return form;
    }

    [MotoFact]
    public async Task SlashCommand_Modal_Submission_Approval_AppliesTheRuleInAwsAndTheApprovedState()
    {
        var group = await CreateGroupAsync(_ec2, "req-" + Guid.NewGuid().ToString("N")[..6]);
        await _h.OnboardAsync();

        // /sgbridge: the command function answers 200 at once and views.open got the command's trigger.
        var commandClock = System.Diagnostics.Stopwatch.StartNew();
        var command = await _h.PostSlackAsync(SgBridge.FunctionApp.Routes.SlackCommands, RequestPayloads.Command(trigger: "55.66.77abc", user: Requester));
        output.WriteLine($"/sgbridge answered (views.open on the stub included) in {commandClock.ElapsedMilliseconds} ms");
        Assert.InRange(commandClock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(3));
        Assert.Equal((200, ""), command);
        var opened = Assert.Single(_h.SlackCalls("views.open"));
        Assert.Equal("55.66.77abc", (string?)opened["trigger_id"]);
        Assert.Equal(RequestBlocks.RequestCallback, (string?)opened["view"]!["callback_id"]);

        // The modal is submitted: the answer updates the modal with the request id; the request is Pending and nothing changed in AWS.
        // The whole answer (signature, checks, the group looked up in moto, the request stored in Azurite) fits Slack's 3 seconds.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (status, body) = await SubmitAsync(Form(group, 8443), "VSUBMIT1", (string)opened["view"]!["private_metadata"]!);
        output.WriteLine($"view_submission answered in {clock.ElapsedMilliseconds} ms (credentials cached by onboarding)");
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(3));
        Assert.Equal(200, status);
        Assert.Equal("update", (string?)body!["response_action"]);
        var id = RequestId.For(ChangeRequest.SlackEventId("VSUBMIT1"));
        var request = (await _h.Requests.GetAsync(id, CancellationToken.None))!.Value;
        Assert.Equal((RequestStatus.Pending, Requester, group), (request.Status, request.Requester.SlackUserId, request.GroupId));
        Assert.Empty(await IngressAsync(_ec2, group));

        // The approvers are asked like for any change, with the requester's reason.
        Assert.Equal(0, await _h.PumpAsync());
        var post = _h.SlackCalls("chat.postMessage").First(p => (string?)p["channel"] == ApproversChannel);
        Assert.Contains(ActionIds.Approve, post["blocks"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("CHG-1234", post["blocks"]!.ToJsonString(), StringComparison.Ordinal);

        // The requester cannot approve their own request.
        Assert.Equal(200, await _h.ClickAsync(ActionIds.Approve, id, user: Requester));
        Assert.Equal(RequestStatus.Pending, (await _h.Requests.GetAsync(id, CancellationToken.None))!.Value.Status);
        // But an approver can: applied, the rule is in AWS and in the approved state.
        Assert.Equal(200, await _h.ClickAsync(ActionIds.Approve, id));
        Assert.Equal(0, await _h.PumpAsync());
        request = (await _h.Requests.GetAsync(id, CancellationToken.None))!.Value;
        Assert.Equal((RequestStatus.Applied, Approver), (request.Status, request.DecidedBy));
        var rule = Assert.Single(await IngressAsync(_ec2, group));
        Assert.Equal(("tcp", 8443, 8443, "10.0.0.0/8", "build agents"), (rule.IpProtocol, rule.FromPort, rule.ToPort, rule.CidrIpv4, rule.Description));
        var state = (await _h.Services.GetRequiredService<IGroupStateStore>().GetAsync(_h.Account, Region, group, CancellationToken.None))!.Value;
        Assert.Contains(state.Rules, a => a.RequestId == id && a.Rule.SameAccessAs(TestData.Tcp(8443, "10.0.0.0/8")));

        // The sweep finds nothing to undo: the rule is approved.
        await _h.SweepTimerAsync();
        Assert.Equal(0, await _h.PumpAsync());
        Assert.Single(await IngressAsync(_ec2, group));
    }

    [MotoFact]
    public async Task DuplicatedSubmission_OpensOneRequest()
    {
        var group = await CreateGroupAsync(_ec2, "dup-" + Guid.NewGuid().ToString("N")[..6]);
        var form = Form(group, 9000);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var answers = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => SubmitAsync(form, "VDUP1")));
        output.WriteLine($"3 identical concurrent view_submissions answered in {clock.ElapsedMilliseconds} ms");
        Assert.All(answers, a => Assert.Equal("update", (string?)a.Body!["response_action"]));
        Assert.Equal(0, await _h.PumpAsync());
        var id = RequestId.For(ChangeRequest.SlackEventId("VDUP1"));
        var mine = _h.SlackCalls("chat.postMessage").Where(p => (string?)p["channel"] == ApproversChannel && p["blocks"]!.ToJsonString().Contains(id, StringComparison.Ordinal));
        Assert.Single(mine);
        Assert.NotNull(await _h.Requests.GetAsync(id, CancellationToken.None));
    }

    [MotoFact]
    public async Task Submission_ForANotAllowedAccount_IsRefusedInTheModal()
    {
        var group = await CreateGroupAsync(_ec2, "na-" + Guid.NewGuid().ToString("N")[..6]);
        var form = Form(group, 22);
        form[RequestBlocks.Account] = "999999999999";
        var (status, body) = await SubmitAsync(form, "VNOTALLOWED");
        Assert.Equal(200, status);
        Assert.Equal("errors", (string?)body!["response_action"]);
        Assert.Contains("999999999999 is not one this bridge polices", (string?)body["errors"]![RequestBlocks.Account], StringComparison.Ordinal);
        Assert.Null(await _h.Requests.GetAsync(RequestId.For(ChangeRequest.SlackEventId("VNOTALLOWED")), CancellationToken.None));
    }

    [MotoFact]
    public async Task Submission_ForAGroupMotoDoesNotKnow_IsRefusedInTheModal()
    {
        var (_, body) = await SubmitAsync(Form("sg-0123456789abcdef9", 22), "VNOGROUP");
        Assert.Contains("no security group sg-0123456789abcdef9", (string?)body!["errors"]![RequestBlocks.Group], StringComparison.Ordinal);
    }

    [MotoFact]
    public async Task ForgedSubmission_Is401_AndOpensNothing()
    {
        var group = await CreateGroupAsync(_ec2, "forged-" + Guid.NewGuid().ToString("N")[..6]);
        var (status, _) = await _h.PostSlackAsync(SgBridge.FunctionApp.Routes.SlackInteractions, RequestPayloads.Submission(Form(group, 22), "VFORGED", Requester), secret: "forged-secret-0000");
        Assert.Equal(401, status);
        Assert.Null(await _h.Requests.GetAsync(RequestId.For(ChangeRequest.SlackEventId("VFORGED")), CancellationToken.None));
    }

    /// <summary>
    /// Attacks on the modal: every submission below carries a valid Slack signature, so only the seal on the view's
    /// private_metadata stands between it and a request. Each is refused with Slack's error response
    /// (response_action: errors), nothing is stored, no approver is asked.
    /// </summary>
    [MotoTheory]
    [InlineData("never-opened")]
    [InlineData("another-user")]
    [InlineData("expired")]
    [InlineData("tampered")]
    [InlineData("other-modal")]
    [InlineData("other-key")]
    public async Task SignedSubmission_OfAViewNotOpenedForThatUser_IsRefused_AndOpensNothing(string attack)
    {
        var group = await CreateGroupAsync(_ec2, "atk-" + Guid.NewGuid().ToString("N")[..6]);
        var seal = _h.Services.GetRequiredService<ModalSeal>();
        var slackOptions = _h.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SlackOptions>>();
        var metadata = attack switch
        {
            "never-opened" => "",
            "another-user" => Opened("UAPPROVER1"), // a view the bridge opened for someone else, submitted as the requester
            "expired" => new ModalSeal(slackOptions, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow - TimeSpan.FromHours(13)))
                .Seal(RequestBlocks.RequestCallback, Requester, data: null),
            "tampered" => Tamper(Opened("UAPPROVER1"), Requester),
            "other-modal" => seal.Seal(ActionIds.ReasonCallback, Requester, "SG-ABCDEFGH"),
            "other-key" => new ModalSeal(Microsoft.Extensions.Options.Options.Create(new SlackOptions { SigningSecret = "another-apps-secret" }), TimeProvider.System)
                .Seal(RequestBlocks.RequestCallback, Requester, data: null),
            _ => throw new ArgumentOutOfRangeException(nameof(attack)),
        };
        var viewId = "VATK-" + attack;

        var (status, body) = await SubmitAsync(Form(group, 22), viewId, metadata);

        Assert.Equal(200, status);
        Assert.Equal("errors", (string?)body!["response_action"]);
        Assert.Contains("did not open this form for you", (string?)body["errors"]![RequestBlocks.Reason], StringComparison.Ordinal);
        Assert.Null(await _h.Requests.GetAsync(RequestId.For(ChangeRequest.SlackEventId(viewId)), CancellationToken.None));
        Assert.Equal(0, await _h.PumpAsync());
        Assert.DoesNotContain(_h.SlackCalls("chat.postMessage"), p => (string?)p["channel"] == ApproversChannel);
        Assert.Empty(_h.SlackCalls("views.open"));
    }

    /// <summary>A seal whose payload names <paramref name="user"/> instead, the MAC left as it was (what an attacker without the key can do).</summary>
    private static string Tamper(string sealedText, string user)
    {
        var parts = sealedText.Split('.');
        var payload = JsonNode.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]))!.AsObject();
        payload["u"] = user;
        return parts[0] + "." + System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload.ToJsonString())) + "." + parts[2];
    }

    /// <summary>With Slack:ModalSigningKey set, a seal made from the signing secret alone (what a leaked signing secret allows) is refused; the bridge's own is taken.</summary>
    [MotoFact]
    public async Task ModalSigningKey_Set_ASealFromTheSigningSecretAlone_IsRefused()
    {
        var modalKey = string.Concat(Enumerable.Repeat("k3y-", 10));
        await using var keyed = await PipelineHarness.StartAsync(azurite, moto, new Dictionary<string, string?> { ["Slack:ModalSigningKey"] = modalKey });
        using var ec2 = await keyed.PersonEc2Async();
        var group = await CreateGroupAsync(ec2, "key-" + Guid.NewGuid().ToString("N")[..6]);
        var form = Form(group, 22);
        form[RequestBlocks.Account] = keyed.Account;
        var fromSecret = new ModalSeal(Microsoft.Extensions.Options.Options.Create(new SlackOptions { SigningSecret = SlackSigning.Secret }), TimeProvider.System)
            .Seal(RequestBlocks.RequestCallback, Requester, data: null);
        var own = keyed.Services.GetRequiredService<ModalSeal>().Seal(RequestBlocks.RequestCallback, Requester, data: null);

        async Task<JsonObject> SubmitToAsync(string metadata, string viewId)
        {
            var (_, body) = await keyed.PostSlackJsonAsync(SgBridge.FunctionApp.Routes.SlackInteractions, RequestPayloads.Submission(form, viewId, Requester, metadata));
            return body!;
        }

        Assert.Equal("errors", (string?)(await SubmitToAsync(fromSecret, "VKEY1"))["response_action"]);
        Assert.Null(await keyed.Requests.GetAsync(RequestId.For(ChangeRequest.SlackEventId("VKEY1")), CancellationToken.None));
        Assert.Equal("update", (string?)(await SubmitToAsync(own, "VKEY2"))["response_action"]);
        Assert.NotNull(await keyed.Requests.GetAsync(RequestId.For(ChangeRequest.SlackEventId("VKEY2")), CancellationToken.None));
    }
}
