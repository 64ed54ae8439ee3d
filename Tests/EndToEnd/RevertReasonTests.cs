using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.EC2;
using Amazon.EC2.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using SgBridge.FunctionApp.Functions;
using SgBridge.Shared.Approvals;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Slack.Requests;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Integration;
using SgBridge.Tests.Slack.Requests;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using static SgBridge.Tests.EndToEnd.PipelineHarness;

namespace SgBridge.Tests.EndToEnd;

/// <summary>
/// The requester's reason after a revert, on real parts (Azurite + moto + the Slack stub): a person adds a rule → the
/// bridge reverts it → the requester gets one DM (chat.postMessage to their user id) with "Give a reason" → someone
/// else's click is refused, the requester's opens the modal (views.open) → the signed submission stores the reason on
/// the request → the approvers' message is updated (chat.update) with it.
/// </summary>
[Collection(PipelineCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RevertReasonTests(AzuriteFixture azurite, MotoFixture moto) : IAsyncLifetime
{
    private const string RequesterUser = "UREQUESTER"; // what the harness's users.lookupByEmail answers
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
            .RespondWith(Response.Create().WithHeader("Content-Type", "application/json").WithBody("{\"ok\":true,\"view\":{\"id\":\"VREASON1\"}}"));
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

    private async Task<(int Status, JsonObject? Body)> SubmitAsync(string metadata, string reason, string user)
    {
        var payload = RequestPayloads.SubmissionPayload(new Dictionary<string, string?> { [RequestBlocks.Reason] = reason }, "VREASON1", user, ActionIds.ReasonCallback, metadata);
        var body = RequestPayloads.Form(payload);
        return await _h.PostSlackJsonAsync(SgBridge.FunctionApp.Routes.SlackInteractions, body);
    }

    [MotoFact]
    public async Task Revert_DmsTheRequester_ClickOpensTheModal_SubmissionShowsTheReasonToApprovers()
    {
        var group = await CreateGroupAsync(_ec2, "rs-" + Guid.NewGuid().ToString("N")[..6]);
        await _ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = group,
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = 443, ToPort = 443, Ipv4Ranges = [new IpRange { CidrIp = "10.1.0.0/16" }] }],
        });
        await _h.OnboardAsync();
        var ruleId = (await _ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = group,
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = 22, ToPort = 22, Ipv4Ranges = [new IpRange { CidrIp = "10.9.0.0/16" }] }],
        })).SecurityGroupRules.Single().SecurityGroupRuleId;
        var evt = Events.Authorize(_h.Account, PipelineHarness.Region, Events.Sso(_h.Account), group, 22, "10.9.0.0/16", "debug", ruleId);
        Assert.Equal(202, (await _h.PostEventAsync(evt)).Status);
        Assert.Equal(0, await _h.PumpAsync());
        var id = RequestId.For((string)evt["detail"]!["eventID"]!);
        Assert.Equal(RequestStatus.Pending, (await _h.Requests.GetAsync(id, default))!.Value.Status);

        // One DM to the requester, with the button; a redelivered notification does not DM again.
        var dms = _h.SlackCalls("chat.postMessage").Where(p => (string?)p["channel"] == RequesterUser).ToList();
        var dm = Assert.Single(dms);
        Assert.Contains(ActionIds.For(ActionIds.GiveReason, id), dm.ToJsonString(), StringComparison.Ordinal);

        // Someone else clicks: refused, no modal. The requester clicks: the modal for this request.
        Assert.Equal(200, await _h.ClickAsync(ActionIds.For(ActionIds.GiveReason, id), id, user: Approver));
        Assert.Empty(_h.SlackCalls("views.open"));
        Assert.Equal(200, await _h.ClickAsync(ActionIds.For(ActionIds.GiveReason, id), id, user: RequesterUser));
        var opened = Assert.Single(_h.SlackCalls("views.open"));
        Assert.Equal(ActionIds.ReasonCallback, (string?)opened["view"]!["callback_id"]);
        var metadata = (string)opened["view"]!["private_metadata"]!; // sealed for the requester, carrying the request id

        // A forged submission by another user is refused (the view was not opened for them), and so is the bare request id
        // as metadata; the requester's is stored and shown to approvers.
        var (_, forged) = await SubmitAsync(metadata, "let me in", Approver);
        Assert.Equal("errors", (string?)forged!["response_action"]);
        var (_, bare) = await SubmitAsync(id, "let me in", RequesterUser);
        Assert.Equal("errors", (string?)bare!["response_action"]);
        Assert.Null((await _h.Requests.GetAsync(id, default))!.Value.RequesterReason);
        var (status, answer) = await SubmitAsync(metadata, "hotfix for <prod> & on-call", RequesterUser);
        Assert.Equal(200, status);
        Assert.Equal("update", (string?)answer!["response_action"]);
        var stored = (await _h.Requests.GetAsync(id, default))!.Value;
        Assert.Equal("hotfix for <prod> & on-call", stored.RequesterReason!.Text);

        Assert.Equal(0, await _h.PumpAsync());
        var update = _h.SlackCalls("chat.update").Last(p => (string?)p["channel"] == ApproversChannel && p.ToJsonString().Contains(id, StringComparison.Ordinal));
        Assert.Contains("hotfix for &lt;prod&gt; &amp; on-call", update["blocks"]?.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }), StringComparison.Ordinal);
        Assert.Single(_h.SlackCalls("chat.postMessage"), p => (string?)p["channel"] == RequesterUser);
    }
}
