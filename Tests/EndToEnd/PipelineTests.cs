using Amazon.EC2;
using Amazon.EC2.Model;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Integration;
using static SgBridge.Tests.EndToEnd.PipelineHarness;

namespace SgBridge.Tests.EndToEnd;

/// <summary>
/// The whole bridge on real parts: intake → Azurite queue → revert worker → EC2 (moto) → Table Storage → Slack
/// (stub server, real client) → a signed click → apply in EC2 → Slack updated.
/// </summary>
[Collection(PipelineCollection.Name)]
[Trait("Category", "Integration")]
public sealed class PipelineTests(AzuriteFixture azurite, MotoFixture moto) : IAsyncLifetime
{
    private PipelineHarness _h = null!;
    private AmazonEC2Client _ec2 = null!;

    public async Task InitializeAsync()
    {
        if (!MotoFixture.IsAvailable)
        {
            return;
        }
        _h = await PipelineHarness.StartAsync(azurite, moto);
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

    private async Task<string> PersonAddsAsync(string groupId, int port, string cidr, string description) =>
        (await _ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = groupId,
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = port, ToPort = port, Ipv4Ranges = [new IpRange { CidrIp = cidr, Description = description }] }],
        })).SecurityGroupRules.Single().SecurityGroupRuleId;

    private async Task<ChangeRequest> RequestAsync(string eventId) =>
        (await _h.Requests.GetAsync(RequestId.For(eventId), CancellationToken.None))!.Value;

    private static string EventId(System.Text.Json.Nodes.JsonObject evt) => (string)evt["detail"]!["eventID"]!;

    [MotoFact]
    public async Task AddedRule_IsRevertedAtOnce_ThenApprovedInSlack_AndAppliedExactly()
    {
        var group = await CreateGroupAsync(_ec2, "web-" + Guid.NewGuid().ToString("N")[..6]);
        await PersonAddsAsync(group, 443, "10.0.0.0/8", "internal https");
        // Open the group once through the bridge so it knows the approved rules (snapshot), then the real test.
        var sshRule = await PersonAddsAsync(group, 22, "0.0.0.0/0", "temporary ssh");
        var evt = Events.Authorize(_h.Account, PipelineHarness.Region, Events.Sso(_h.Account), group, 22, "0.0.0.0/0", "temporary ssh", sshRule);

        var (status, _) = await _h.PostEventAsync(evt);
        Assert.Equal(202, status);
        Assert.Equal(0, await _h.PumpAsync());

        // Reverted: the SSH rule is gone, the approved HTTPS rule is untouched.
        var rules = await IngressAsync(_ec2, group);
        Assert.Equal([443], rules.Select(r => r.FromPort.GetValueOrDefault()));
        var request = await RequestAsync(EventId(evt));
        Assert.Equal(RequestStatus.Pending, request.Status);
        Assert.Equal([sshRule], request.Rules.Select(r => r.RuleId));
        Assert.Contains(sshRule, request.Revert!.Call, StringComparison.Ordinal);

        // Slack: the approvers' message with both buttons (posted first: it is the one that matters) and the monitoring message.
        var posts = _h.SlackCalls("chat.postMessage").Where(p => (string?)p["channel"] != "UREQUESTER").ToList(); // the requester's reason DM: RevertReasonTests
        Assert.Equal([ApproversChannel, MonitoringChannel], posts.Select(p => (string)p["channel"]!));
        var approverBlocks = posts[0]["blocks"]!.ToJsonString();
        Assert.Contains(ActionIds.Approve, approverBlocks, StringComparison.Ordinal);
        Assert.Contains(ActionIds.Deny, approverBlocks, StringComparison.Ordinal);
        Assert.Contains(request.Id, approverBlocks, StringComparison.Ordinal);
        Assert.Contains("SSH (22) open to the internet", approverBlocks, StringComparison.Ordinal);

        // A signed approve click, then the apply: the requested rule is in the group, with its description.
        Assert.Equal(200, await _h.ClickAsync(ActionIds.Approve, request.Id));
        Assert.Equal(0, await _h.PumpAsync());

        rules = await IngressAsync(_ec2, group);
        var ssh = Assert.Single(rules, r => r.FromPort == 22);
        Assert.Equal(("0.0.0.0/0", "temporary ssh"), (ssh.CidrIpv4, ssh.Description));
        request = await RequestAsync(EventId(evt));
        Assert.Equal((RequestStatus.Applied, Approver), (request.Status, request.DecidedBy));

        // Both messages updated (the approvers' without buttons); the outcomes threaded under the monitoring message.
        var updates = _h.SlackCalls("chat.update");
        var approverUpdate = updates.Last(u => (string)u["channel"]! == ApproversChannel);
        Assert.DoesNotContain(ActionIds.Approve, approverUpdate["blocks"]!.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains(updates, u => (string)u["channel"]! == MonitoringChannel);
        var replies = _h.SlackCalls("chat.postMessage").Where(p => p["thread_ts"] is not null).Select(p => (string)p["text"]!).ToList();
        Assert.Contains(replies, t => t.Contains("Approved by <@" + Approver + ">", StringComparison.Ordinal));
        Assert.Contains(replies, t => t.Contains("Applied in AWS", StringComparison.Ordinal));

        // The bridge's own apply comes back through CloudTrail: it is ignored, not reverted.
        var own = Events.Authorize(_h.Account, PipelineHarness.Region, Events.Bridge(_h.Account), group, 22, "0.0.0.0/0", "temporary ssh", ssh.SecurityGroupRuleId);
        var (ownStatus, ownBody) = await _h.PostEventAsync(own);
        Assert.Equal(202, ownStatus);
        Assert.Contains("ignored", ownBody, StringComparison.Ordinal);
        Assert.Equal(0, await _h.QueueLengthAsync(QueueNames.Changes));
        Assert.Contains(await IngressAsync(_ec2, group), r => r.FromPort == 22);

        // EventBridge redelivers the original event: nothing opens, nothing is reverted again.
        Assert.Equal(202, (await _h.PostEventAsync(evt)).Status);
        Assert.Equal(0, await _h.PumpAsync());
        Assert.Contains(await IngressAsync(_ec2, group), r => r.FromPort == 22);
        Assert.Equal(RequestStatus.Applied, (await RequestAsync(EventId(evt))).Status);
    }

    [MotoFact]
    public async Task RemovedRule_IsRestoredWithItsDescription_AndADenyKeepsItRestored()
    {
        var group = await CreateGroupAsync(_ec2, "db-" + Guid.NewGuid().ToString("N")[..6]);
        var dbRule = await PersonAddsAsync(group, 5432, "10.1.0.0/16", "app servers");
        await _h.OnboardAsync();

        // The console's delete: a revoke by rule id, whose content is not in the event.
        await _ec2.RevokeSecurityGroupIngressAsync(new RevokeSecurityGroupIngressRequest { GroupId = group, SecurityGroupRuleIds = [dbRule] });
        var evt = Events.RevokeByIds(_h.Account, PipelineHarness.Region, Events.Sso(_h.Account), group, dbRule);
        Assert.Equal(202, (await _h.PostEventAsync(evt)).Status);
        Assert.Equal(0, await _h.PumpAsync());

        var restored = Assert.Single(await IngressAsync(_ec2, group));
        Assert.Equal((5432, "10.1.0.0/16", "app servers"), (restored.FromPort.GetValueOrDefault(), restored.CidrIpv4, restored.Description));
        var request = await RequestAsync(EventId(evt));
        Assert.Equal(RequestStatus.Pending, request.Status);
        Assert.False(request.PreviousContentUnknown);
        Assert.Equal("app servers", Assert.Single(request.Rules).Description);

        Assert.Equal(200, await _h.ClickAsync(ActionIds.Deny, request.Id));
        Assert.Equal(0, await _h.PumpAsync());

        Assert.Equal(RequestStatus.Denied, (await RequestAsync(EventId(evt))).Status);
        Assert.Single(await IngressAsync(_ec2, group));
        Assert.Contains(_h.SlackCalls("chat.postMessage"), p => p["thread_ts"] is not null && ((string)p["text"]!).Contains("Denied by", StringComparison.Ordinal));
    }

    [MotoFact]
    public async Task ModifiedRule_IsRestoredToItsPreviousContent()
    {
        var group = await CreateGroupAsync(_ec2, "admin-" + Guid.NewGuid().ToString("N")[..6]);
        var admin = await PersonAddsAsync(group, 22, "10.0.0.0/8", "admins");
        await _h.OnboardAsync(); // the modify has no earlier event on the group: the baseline is the approved content

        await _ec2.ModifySecurityGroupRulesAsync(new ModifySecurityGroupRulesRequest
        {
            GroupId = group,
            SecurityGroupRules = [new SecurityGroupRuleUpdate { SecurityGroupRuleId = admin, SecurityGroupRule = new SecurityGroupRuleRequest { IpProtocol = "tcp", FromPort = 22, ToPort = 22, CidrIpv4 = "0.0.0.0/0", Description = "everyone" } }],
        });
        var evt = Events.Modify(_h.Account, PipelineHarness.Region, Events.Sso(_h.Account), group, admin, 22, "0.0.0.0/0", "everyone");
        Assert.Equal(202, (await _h.PostEventAsync(evt)).Status);
        Assert.Equal(0, await _h.PumpAsync());

        var rule = Assert.Single(await IngressAsync(_ec2, group));
        Assert.Equal((admin, "10.0.0.0/8", "admins"), (rule.SecurityGroupRuleId, rule.CidrIpv4, rule.Description));
        var edit = Assert.Single((await RequestAsync(EventId(evt))).Edits);
        Assert.Equal(("10.0.0.0/8", "0.0.0.0/0"), (edit.Before!.Source.Value, edit.After.Source.Value));
    }

    [MotoFact]
    public async Task ApproveAfterTheSameAccessWasAddedByHand_EndsApplied_WithTheRuleOnce()
    {
        var group = await CreateGroupAsync(_ec2, "dup-" + Guid.NewGuid().ToString("N")[..6]);
        var rule = await PersonAddsAsync(group, 3389, "203.0.113.0/24", "rdp");
        var evt = Events.Authorize(_h.Account, PipelineHarness.Region, Events.Sso(_h.Account), group, 3389, "203.0.113.0/24", "rdp", rule);
        await _h.PostEventAsync(evt);
        await _h.PumpAsync();
        Assert.Empty(await IngressAsync(_ec2, group));
        // Meanwhile someone adds the same access by hand (outside the bridge's view).
        await PersonAddsAsync(group, 3389, "203.0.113.0/24", "by hand");

        var request = await RequestAsync(EventId(evt));
        Assert.Equal(200, await _h.ClickAsync(ActionIds.Approve, request.Id));
        Assert.Equal(0, await _h.PumpAsync());

        // The approved state now holds the access; the group already has it: nothing to add, no Duplicate error.
        request = await RequestAsync(EventId(evt));
        Assert.Equal(RequestStatus.Applied, request.Status);
        Assert.Single(await IngressAsync(_ec2, group));
    }

    [MotoFact]
    public async Task UnsignedClick_IsRejected_AndChangesNothing()
    {
        var group = await CreateGroupAsync(_ec2, "x-" + Guid.NewGuid().ToString("N")[..6]);
        var rule = await PersonAddsAsync(group, 22, "0.0.0.0/0", "x");
        var evt = Events.Authorize(_h.Account, PipelineHarness.Region, Events.Sso(_h.Account), group, 22, "0.0.0.0/0", "x", rule);
        await _h.PostEventAsync(evt);
        await _h.PumpAsync();
        var request = await RequestAsync(EventId(evt));

        Assert.Equal(401, await _h.ClickAsync(ActionIds.Approve, request.Id, secret: "not-the-signing-secret"));
        Assert.Equal(0, await _h.QueueLengthAsync(QueueNames.Effects)); // nothing recorded, nothing nudged
        Assert.Equal(RequestStatus.Pending, (await RequestAsync(EventId(evt))).Status);
        Assert.Empty(await IngressAsync(_ec2, group));
    }

    [MotoFact]
    public async Task TwentyConcurrentClicks_OnAzurite_ApplyExactlyOnce()
    {
        var group = await CreateGroupAsync(_ec2, "race-" + Guid.NewGuid().ToString("N")[..6]);
        var rule = await PersonAddsAsync(group, 8443, "10.9.0.0/16", "race");
        var evt = Events.Authorize(_h.Account, PipelineHarness.Region, Events.Sso(_h.Account), group, 8443, "10.9.0.0/16", "race", rule);
        await _h.PostEventAsync(evt);
        await _h.PumpAsync();
        var request = await RequestAsync(EventId(evt));

        var clicks = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            Task.Run(() => _h.ClickAsync(i % 3 == 0 ? ActionIds.Deny : ActionIds.Approve, request.Id, i % 2 == 0 ? Approver : "UAPPROVER2"))));

        Assert.All(clicks, c => Assert.Equal(200, c));
        // One decision won: one write with its effects, one nudge (the losers write and nudge nothing).
        Assert.Equal(1, await _h.QueueLengthAsync(QueueNames.Effects));
        await _h.PumpAsync();
        request = await RequestAsync(EventId(evt));
        // Exactly one decision won; if it was an approval, exactly one apply put the rule back once.
        Assert.Contains(request.Status, new[] { RequestStatus.Applied, RequestStatus.Denied });
        Assert.Equal(request.Status == RequestStatus.Applied, request.Apply is { Succeeded: true });
        Assert.Equal(request.Status == RequestStatus.Applied ? 1 : 0, (await IngressAsync(_ec2, group)).Count);
        var decisionReplies = _h.SlackCalls("chat.postMessage").Count(p => p["thread_ts"] is not null
            && (((string)p["text"]!).Contains("Approved by", StringComparison.Ordinal) || ((string)p["text"]!).Contains("Denied by", StringComparison.Ordinal)));
        Assert.Equal(1, decisionReplies);
        Assert.Equal(19, _h.SlackCalls("chat.postEphemeral").Count(e => ((string)e["text"]!).Contains("already", StringComparison.Ordinal)));
    }

    [MotoFact]
    public async Task Burst_OnOneGroup_SharesOneMessage_AndApproveAllAppliesEachChangeOnce()
    {
        var group = await CreateGroupAsync(_ec2, "burst-" + Guid.NewGuid().ToString("N")[..6]);
        var ports = new[] { 8001, 8002, 8003 };
        await _h.OnboardAsync();
        var events = new List<System.Text.Json.Nodes.JsonObject>();
        foreach (var port in ports)
        {
            var rule = await PersonAddsAsync(group, port, "10.8.0.0/16", $"svc {port}");
            events.Add(Events.Authorize(_h.Account, PipelineHarness.Region, Events.Sso(_h.Account), group, port, "10.8.0.0/16", $"svc {port}", rule));
        }
        var postsBefore = _h.SlackCalls("chat.postMessage").Count(p => (string?)p["channel"] != "UREQUESTER");
        foreach (var evt in events)
        {
            Assert.Equal(202, (await _h.PostEventAsync(evt)).Status);
        }
        Assert.Equal(0, await _h.PumpAsync());
        Assert.Empty(await IngressAsync(_ec2, group));

        // Three changes, one message per channel.
        Assert.Equal(2, _h.SlackCalls("chat.postMessage").Count(p => (string?)p["channel"] != "UREQUESTER") - postsBefore);
        // With the host's concurrent batch, any of the three may have started the batch: find it by a membership.
        var first = await RequestAsync(EventId(events[0]));
        var home = SlackRows.HomeOf(first);
        var leadId = (await _h.Threads.GetAsync(SlackRows.Member(home, first.Id), CancellationToken.None))!.Value.LeadId;
        var lead = await _h.Requests.GetAsync(leadId, CancellationToken.None) is { } stored ? stored.Value : throw new InvalidOperationException("lead missing");
        var thread = (await _h.Threads.GetAsync(SlackRows.Thread(home, leadId), CancellationToken.None))!.Value;
        Assert.Equal(3, thread.MemberIds.Count);

        Assert.Equal(200, await _h.ClickAsync(ActionIds.ApproveAll, lead.Id));
        Assert.Equal(0, await _h.PumpAsync());

        Assert.Equal(ports, (await IngressAsync(_ec2, group)).Select(r => r.FromPort.GetValueOrDefault()).Order());
        foreach (var evt in events)
        {
            Assert.Equal(RequestStatus.Applied, (await RequestAsync(EventId(evt))).Status);
        }
    }

    [MotoFact]
    public async Task EventFromAnAccountNotAllowed_Is403_AndNothingIsQueued()
    {
        var evt = Events.Authorize("999999999999", PipelineHarness.Region, Events.Sso("999999999999"), "sg-0123456789abcdef0", 22, "0.0.0.0/0", "x", "sgr-0123456789abcdef0");
        Assert.Equal(403, (await _h.PostEventAsync(evt)).Status);
        Assert.Equal(0, await _h.QueueLengthAsync(QueueNames.Changes));
    }
}
