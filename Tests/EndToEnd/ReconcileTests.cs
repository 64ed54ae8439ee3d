using Amazon.EC2;
using Amazon.EC2.Model;
using Microsoft.Extensions.DependencyInjection;
using SgBridge.Cli;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Integration;
using static SgBridge.Tests.EndToEnd.PipelineHarness;

namespace SgBridge.Tests.EndToEnd;

/// <summary>
/// "Never trust an event; converge on the approved state", on real parts (Azurite, moto, the function classes as the
/// host calls them): each scenario ends with the group exactly at its approved state.
/// </summary>
[Collection(PipelineCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ReconcileTests(AzuriteFixture azurite, MotoFixture moto) : IAsyncLifetime
{
    private const string Pipeline = "arn:aws:iam::{0}:role/deploy-pipeline";
    private const string Region = PipelineHarness.Region;
    private PipelineHarness _h = null!;
    private AmazonEC2Client _ec2 = null!;

    public async Task InitializeAsync()
    {
        if (!MotoFixture.IsAvailable)
        {
            return;
        }
        await StartAsync(revertInline: true);
    }

    /// <summary>The bridge as deployed (Intake:RevertInline as given; the default reverts in the intake).</summary>
    private async Task StartAsync(bool revertInline, string? settleDelay = null)
    {
        _ec2?.Dispose();
        if (_h is not null)
        {
            await _h.DisposeAsync();
        }
        _h = await PipelineHarness.StartAsync(azurite, moto, new Dictionary<string, string?>
        {
            ["Policy:ExemptPrincipalArns"] = "arn:aws:iam::*:role/deploy-pipeline",
            ["Intake:RevertInline"] = revertInline ? "true" : "false",
            ["Reconcile:SettleDelay"] = settleDelay ?? "00:00:00",
        });
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

    private async Task<string> AddAsync(string groupId, int port, string cidr, string description) =>
        (await _ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = groupId,
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = port, ToPort = port, Ipv4Ranges = [new IpRange { CidrIp = cidr, Description = description }] }],
        })).SecurityGroupRules.Single().SecurityGroupRuleId;

    private Task ModifyAsync(string groupId, string ruleId, int port, string cidr, string description) =>
        _ec2.ModifySecurityGroupRulesAsync(new ModifySecurityGroupRulesRequest
        {
            GroupId = groupId,
            SecurityGroupRules = [new SecurityGroupRuleUpdate { SecurityGroupRuleId = ruleId, SecurityGroupRule = new SecurityGroupRuleRequest { IpProtocol = "tcp", FromPort = port, ToPort = port, CidrIpv4 = cidr, Description = description } }],
        });

    private Task RevokeAsync(string groupId, string ruleId) =>
        _ec2.RevokeSecurityGroupIngressAsync(new RevokeSecurityGroupIngressRequest { GroupId = groupId, SecurityGroupRuleIds = [ruleId] });

    /// <summary>A group with its approved rules (onboarded), as a set of "port cidr description" strings.</summary>
    private async Task<(string Group, string Ssh)> OnboardedGroupAsync(string name)
    {
        var group = await CreateGroupAsync(_ec2, name + "-" + Guid.NewGuid().ToString("N")[..6]);
        var ssh = await AddAsync(group, 22, "10.0.0.0/8", "admins");
        await AddAsync(group, 443, "10.1.0.0/16", "https");
        await _h.OnboardAsync();
        return (group, ssh);
    }

    private static readonly string[] Approved = ["22 10.0.0.0/8 admins", "443 10.1.0.0/16 https"];

    private async Task<string[]> RulesAsync(string group) =>
        (await IngressAsync(_ec2, group)).Select(r => $"{r.FromPort} {r.CidrIpv4} {r.Description}").Order(StringComparer.Ordinal).ToArray();

    private async Task<ChangeRequest> RequestAsync(System.Text.Json.Nodes.JsonObject evt) =>
        (await _h.Requests.GetAsync(RequestId.For((string)evt["detail"]!["eventID"]!), CancellationToken.None))!.Value;

    private async Task PostAsync(params System.Text.Json.Nodes.JsonObject[] events)
    {
        foreach (var evt in events)
        {
            Assert.Equal(202, (await _h.PostEventAsync(evt)).Status);
        }
    }

    [MotoTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task EditThenAdd_HandledInEitherOrder_EndsAtTheApprovedState(bool addFirst)
    {
        var (group, ssh) = await OnboardedGroupAsync("order");
        await ModifyAsync(group, ssh, 22, "0.0.0.0/0", "admins");
        var edit = Events.Modify(_h.Account, Region, Events.Sso(_h.Account), group, ssh, 22, "0.0.0.0/0", "admins");
        var added = await AddAsync(group, 8080, "0.0.0.0/0", "later");
        var add = Events.Authorize(_h.Account, Region, Events.Sso(_h.Account), group, 8080, "0.0.0.0/0", "later", added);

        await PostAsync(addFirst ? [add, edit] : [edit, add]);
        Assert.Equal(0, await _h.PumpAsync());

        Assert.Equal(Approved, await RulesAsync(group));
        Assert.Equal(RequestStatus.Pending, (await RequestAsync(add)).Status);
    }

    [MotoFact]
    public async Task ForgedRemove_OfARuleThatWasNeverThere_OpensNothing()
    {
        var (group, _) = await OnboardedGroupAsync("forged-remove");
        var forged = Events.RevokeByIds(_h.Account, Region, Events.Sso(_h.Account), group, "sgr-0123456789abcdef9");

        await PostAsync(forged);
        Assert.Equal(0, await _h.PumpAsync());

        Assert.Equal(Approved, await RulesAsync(group));
        var request = await RequestAsync(forged);
        Assert.Equal(RequestStatus.Unmatched, request.Status);
        Assert.Contains(_h.SlackCalls("chat.postMessage"), p => p["channel"]?.ToString() == MonitoringChannel && p.ToJsonString().Contains(request.Id, StringComparison.Ordinal));
    }

    [MotoFact]
    public async Task ForgedAdd_NamingAnApprovedRule_LeavesItInPlace()
    {
        var (group, ssh) = await OnboardedGroupAsync("forged-add");
        var forged = Events.Authorize(_h.Account, Region, Events.Sso(_h.Account), group, 22, "10.0.0.0/8", "admins", ssh);

        await PostAsync(forged);
        Assert.Equal(0, await _h.PumpAsync());

        Assert.Equal(Approved, await RulesAsync(group));
        Assert.Equal(RequestStatus.Unmatched, (await RequestAsync(forged)).Status);
    }

    [MotoTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AddThenRemove_HandledInEitherOrder_LeavesTheRuleOut(bool removeFirst)
    {
        var (group, _) = await OnboardedGroupAsync("flap");
        var rule = await AddAsync(group, 3389, "0.0.0.0/0", "rdp");
        var add = Events.Authorize(_h.Account, Region, Events.Sso(_h.Account), group, 3389, "0.0.0.0/0", "rdp", rule);
        await RevokeAsync(group, rule);
        var remove = Events.RevokeByIds(_h.Account, Region, Events.Sso(_h.Account), group, rule);

        await PostAsync(removeFirst ? [remove, add] : [add, remove]);
        Assert.Equal(0, await _h.PumpAsync());

        Assert.Equal(Approved, await RulesAsync(group));
    }

    [MotoFact]
    public async Task TwoEventsOnOneGroup_HandledConcurrently_EndAtTheApprovedState()
    {
        await StartAsync(revertInline: false); // both queued, then two workers at once (no lease for revokes)
        var (group, _) = await OnboardedGroupAsync("concurrent");
        var a = await AddAsync(group, 3306, "0.0.0.0/0", "db");
        var b = await AddAsync(group, 6379, "0.0.0.0/0", "cache");
        await PostAsync(
            Events.Authorize(_h.Account, Region, Events.Sso(_h.Account), group, 3306, "0.0.0.0/0", "db", a),
            Events.Authorize(_h.Account, Region, Events.Sso(_h.Account), group, 6379, "0.0.0.0/0", "cache", b));

        Assert.Equal(2, await _h.RevertConcurrentlyAsync());
        Assert.Equal(0, await _h.PumpAsync());

        Assert.Equal(Approved, await RulesAsync(group));
    }

    [MotoFact]
    public async Task TwoEventsOnOneGroup_RevertedInlineConcurrently_OneDeliveredTwice_EndAtTheApprovedState()
    {
        var (group, _) = await OnboardedGroupAsync("concurrent-inline");
        var a = await AddAsync(group, 3306, "0.0.0.0/0", "db");
        var b = await AddAsync(group, 6379, "0.0.0.0/0", "cache");
        var ea = Events.Authorize(_h.Account, Region, Events.Sso(_h.Account), group, 3306, "0.0.0.0/0", "db", a);
        var eb = Events.Authorize(_h.Account, Region, Events.Sso(_h.Account), group, 6379, "0.0.0.0/0", "cache", b);

        // Two intake calls at once on one group, and EventBridge delivering one of them twice (at least once).
        var answers = await Task.WhenAll(_h.PostEventAsync(ea), _h.PostEventAsync(eb), _h.PostEventAsync(ea));

        Assert.All(answers, r => Assert.Equal(202, r.Status));
        Assert.Equal(0, await _h.PumpAsync());
        Assert.Equal(Approved, await RulesAsync(group));
        var ra = await RequestAsync(ea);
        var rb = await RequestAsync(eb);
        Assert.True(ra.Status == RequestStatus.Pending, $"{ra.Status}: {ra.Revert?.ErrorCode} {ra.Revert?.Message}");
        Assert.True(rb.Status == RequestStatus.Pending, $"{rb.Status}: {rb.Revert?.ErrorCode} {rb.Revert?.Message}");
    }

    [MotoFact]
    public async Task ChangeWithNoEvent_IsRevertedByTheTimersSweep_AsDrift()
    {
        var (group, _) = await OnboardedGroupAsync("drift-timer");
        await AddAsync(group, 5432, "0.0.0.0/0", "no event");

        await _h.SweepTimerAsync();
        Assert.Equal(0, await _h.PumpAsync());

        Assert.Equal(Approved, await RulesAsync(group));
        var drift = Assert.Single(await ListAsync(), r => r.GroupId == group && r.Requester.Type == SgBridge.Shared.Domain.PrincipalType.Unknown);
        Assert.Equal((RequestStatus.Pending, ChangeKind.Add), (drift.Status, drift.Kind));
    }

    [MotoTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ChangeWithNoEvent_IsRevertedBySgbridgeReconcile_OrOnlyReported(bool reportOnly)
    {
        var (group, _) = await OnboardedGroupAsync("drift-cli");
        await AddAsync(group, 9200, "0.0.0.0/0", "no event");
        var output = new StringWriter();
        var context = CliContextFor(output);

        string[] args = ["reconcile", "--account", _h.Account, "--region", Region, .. reportOnly ? new[] { "--report-only" } : []];
        var exit = await CliApp.RunAsync(args, context);

        Assert.Equal(ExitCodes.Failed, exit); // differences were found
        Assert.Contains("1 differ", output.ToString(), StringComparison.Ordinal);
        var rules = await RulesAsync(group);
        Assert.Equal(reportOnly ? [.. Approved, "9200 0.0.0.0/0 no event"] : Approved, rules.Order(StringComparer.Ordinal));
        var drift = Assert.Single(await ListAsync(), r => r.GroupId == group && r.Requester.Type == SgBridge.Shared.Domain.PrincipalType.Unknown);
        Assert.Equal(reportOnly ? RequestStatus.Reported : RequestStatus.Pending, drift.Status);
    }

    [MotoFact]
    public async Task Approve_IsApplied_ARedeliveredApplyChangesNothing_AndAGoneGroupEndsApplyFailed()
    {
        var (group, _) = await OnboardedGroupAsync("approve");
        var rule = await AddAsync(group, 8443, "10.2.0.0/16", "api");
        var evt = Events.Authorize(_h.Account, Region, Events.Sso(_h.Account), group, 8443, "10.2.0.0/16", "api", rule);
        await PostAsync(evt);
        await _h.PumpAsync();
        var request = await RequestAsync(evt);

        Assert.Equal(200, await _h.ClickAsync(ActionIds.Approve, request.Id));
        Assert.Equal(0, await _h.PumpAsync());
        Assert.Equal(RequestStatus.Applied, (await RequestAsync(evt)).Status);

        // The same apply delivered again: nothing to do, the rule is there once, the request stays Applied.
        var applied = await RequestAsync(evt);
        await SgBridge.Shared.Processing.EffectsMessage.SendAsync(_h.Services.GetRequiredService<IQueueSender>(),
            new SgBridge.Shared.Processing.NudgeEffects(request.Id, Enumerable.Range(1, (int)applied.LastEffectId).Select(i => (long)i).ToArray()), TimeSpan.Zero, CancellationToken.None);
        Assert.Equal(0, await _h.PumpAsync());
        Assert.Equal([.. Approved, "8443 10.2.0.0/16 api"], (await RulesAsync(group)).Order(StringComparer.Ordinal));
        Assert.Equal(RequestStatus.Applied, (await RequestAsync(evt)).Status);
    }

    [MotoFact]
    public async Task ApproveOfAGroupThatWasDeleted_EndsApplyFailed_AndMonitoringIsTold()
    {
        var group = await CreateGroupAsync(_ec2, "gone-" + Guid.NewGuid().ToString("N")[..6]);
        await _h.OnboardAsync();
        var rule = await AddAsync(group, 8443, "10.2.0.0/16", "api");
        var evt = Events.Authorize(_h.Account, Region, Events.Sso(_h.Account), group, 8443, "10.2.0.0/16", "api", rule);
        await PostAsync(evt);
        await _h.PumpAsync();
        var request = await RequestAsync(evt);
        await _ec2.DeleteSecurityGroupAsync(new DeleteSecurityGroupRequest { GroupId = group });

        Assert.Equal(200, await _h.ClickAsync(ActionIds.Approve, request.Id));
        Assert.Equal(0, await _h.PumpAsync());

        request = await RequestAsync(evt);
        Assert.Equal((RequestStatus.ApplyFailed, "InvalidGroup.NotFound"), (request.Status, request.Apply!.ErrorCode));
        // Told in the request's monitoring thread (one reply per outcome, or one for both: it depends on the order the
        // notifications are handled in, and a reply of one outcome does not repeat the id the thread is about).
        var monitoring = (await SgBridge.Shared.Slack.SlackThreadLookup.FindBatchOfAsync(_h.Threads, request, CancellationToken.None))!.Value.Thread!.Value.MonitoringMessage!;
        Assert.Contains(_h.SlackCalls("chat.postMessage"), p => p["channel"]?.ToString() == MonitoringChannel && p["thread_ts"]?.ToString() == monitoring.Ts
            && p.ToJsonString().Contains("Apply failed", StringComparison.Ordinal) && p.ToJsonString().Contains("InvalidGroup.NotFound", StringComparison.Ordinal));
    }

    [MotoFact]
    public async Task ExemptPrincipal_IsAdopted_AndAForgedExemptEventAdoptsNothing()
    {
        var (group, _) = await OnboardedGroupAsync("exempt");
        System.Text.Json.Nodes.JsonObject pipeline() => Events.Role(_h.Account, string.Format(System.Globalization.CultureInfo.InvariantCulture, Pipeline, _h.Account));
        var real = await AddAsync(group, 8081, "10.3.0.0/16", "by the pipeline");
        var adopted = Events.Authorize(_h.Account, Region, pipeline(), group, 8081, "10.3.0.0/16", "by the pipeline", real);
        var forged = Events.Authorize(_h.Account, Region, pipeline(), group, 22, "0.0.0.0/0", "forged", "sgr-0123456789abcdef7");

        await PostAsync(adopted, forged);
        Assert.Equal(0, await _h.PumpAsync());

        Assert.Equal([.. Approved, "8081 10.3.0.0/16 by the pipeline"], (await RulesAsync(group)).Order(StringComparer.Ordinal));
        var state = (await _h.Services.GetRequiredService<IGroupStateStore>().GetAsync(_h.Account, Region, group, CancellationToken.None))!.Value;
        Assert.Contains(state.RuleSet, r => r.FromPort == 8081);
        Assert.DoesNotContain(state.RuleSet, r => r.FromPort == 22 && r.Source.Value == "0.0.0.0/0");
        Assert.Equal(RequestStatus.Exempt, (await RequestAsync(adopted)).Status);

        // The sweep afterwards finds nothing: the adopted rule is approved.
        await _h.SweepTimerAsync();
        Assert.Equal(0, await _h.PumpAsync());
        Assert.Equal([.. Approved, "8081 10.3.0.0/16 by the pipeline"], (await RulesAsync(group)).Order(StringComparer.Ordinal));
    }

    [MotoFact]
    public async Task PlanLive_ShowsTheRealDifferenceAndTheCalls_AndChangesNothing()
    {
        var (group, ssh) = await OnboardedGroupAsync("plan-live");
        var added = await AddAsync(group, 3389, "0.0.0.0/0", "rdp");
        var forged = Events.Authorize(_h.Account, Region, Events.Sso(_h.Account), group, 22, "10.0.0.0/8", "admins", ssh);
        var real = Events.Authorize(_h.Account, Region, Events.Sso(_h.Account), group, 3389, "0.0.0.0/0", "rdp", added);

        var (realExit, realOut) = await PlanLiveAsync(real);
        var (forgedExit, forgedOut) = await PlanLiveAsync(forged);

        Assert.Equal((0, 0), (realExit, forgedExit));
        Assert.Contains($"SecurityGroupRuleIds=[{added}]", realOut, StringComparison.Ordinal);
        Assert.Contains("Live: the group as EC2 describes it now", realOut, StringComparison.Ordinal);
        Assert.Contains("nothing to undo", forgedOut, StringComparison.Ordinal);
        Assert.Contains("Unmatched", forgedOut, StringComparison.Ordinal);
        Assert.Contains("3389 0.0.0.0/0 rdp", await RulesAsync(group)); // a dry run changes nothing
    }

    [MotoFact]
    public async Task SgbridgeBaseline_RecordsEveryGroup_ListsRiskyRules_IsIdempotent_AndCanBeQueued()
    {
        var group = await CreateGroupAsync(_ec2, "onboard-" + Guid.NewGuid().ToString("N")[..6]);
        await AddAsync(group, 22, "0.0.0.0/0", "ssh from anywhere");
        await AddAsync(group, 443, "10.1.0.0/16", "https");
        var store = _h.Services.GetRequiredService<IGroupStateStore>();

        var first = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["baseline", "--account", _h.Account, "--region", Region], CliContextFor(first)));
        var second = new StringWriter();
        Assert.Equal(0, await CliApp.RunAsync(["baseline", "--account", _h.Account, "--region", Region], CliContextFor(second)));

        Assert.Contains($"! {group}", first.ToString(), StringComparison.Ordinal);
        Assert.Contains("SSH (22) open to the internet", first.ToString(), StringComparison.Ordinal);
        Assert.Contains(" 0 recorded", second.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, (await store.GetAsync(_h.Account, Region, group, CancellationToken.None))!.Value.Rules.Count);

        // Queued for the function app: a group created since is onboarded by the ReconcileGroups function.
        var later = await CreateGroupAsync(_ec2, "onboard-later-" + Guid.NewGuid().ToString("N")[..6]);
        await AddAsync(later, 8080, "10.2.0.0/16", "app");
        Assert.Equal(0, await CliApp.RunAsync(["baseline", "--enqueue", "--account", _h.Account, "--region", Region], CliContextFor(new StringWriter())));
        Assert.Null(await store.GetAsync(_h.Account, Region, later, CancellationToken.None));
        Assert.Equal(0, await _h.PumpAsync());
        Assert.Single((await store.GetAsync(_h.Account, Region, later, CancellationToken.None))!.Value.Rules);
    }

    private async Task<(int Exit, string Output)> PlanLiveAsync(System.Text.Json.Nodes.JsonObject evt)
    {
        var file = Path.Combine(Path.GetTempPath(), $"sgbridge-plan-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, evt.ToJsonString());
        try
        {
            var output = new StringWriter();
            var exit = await CliApp.RunAsync(["plan", file, "--live"], CliContextFor(output));
            return (exit, output.ToString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    private CliContext CliContextFor(StringWriter output) => new()
    {
        Out = output,
        Error = new StringWriter(),
        Environment = _h.Settings.ToDictionary(kv => kv.Key.Replace(":", "__", StringComparison.Ordinal), kv => kv.Value),
        ConfigureServices = s => s.AddSingleton<IWebIdentityTokenSource>(new TestToken()),
    };

    /// <summary>Every request stored (the operator's listing: a scan, fine in a test).</summary>
    private async Task<List<ChangeRequest>> ListAsync() =>
        (await ActivatorUtilities.CreateInstance<RequestQuery>(_h.Services).ListAsync(new RequestFilter(), CancellationToken.None)).ToList();

    private sealed class TestToken : IWebIdentityTokenSource
    {
        public Task<string> GetTokenAsync(CancellationToken cancellationToken) => Task.FromResult("header.payload.signature");
    }
}
