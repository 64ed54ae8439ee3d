using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SgBridge.FunctionApp;
using SgBridge.Local.Slack;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Reconcile;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;

namespace SgBridge.Local.Demo;

/// <summary>One step of the story: what was checked, whether it happened, how long it took to see it.</summary>
public sealed record DemoStep(string Name, bool Happened, TimeSpan After, string Detail);

/// <summary>
/// The demo's story on a running <see cref="LocalBridge"/>: a sample account with a VPC and two groups, onboarded
/// (their rules become the approved state); a person opens SSH to the internet (a real EC2
/// AuthorizeSecurityGroupIngress, then the CloudTrail record posted to the intake as EventBridge posts it, with the
/// function key); the bridge reverts it and asks the approvers. <see cref="DecideAsync"/> clicks as an approver
/// would (the signed block_actions request); <see cref="WaitForOutcomeAsync"/> watches AWS follow and the message
/// update. Every step is observed in its own place (EC2, the request table, the local Slack), never assumed.
/// </summary>
public sealed class DemoStory(LocalBridge bridge, TextWriter output)
{
    public const string Account = "123456789012";
    public const string Person = "alice@example.com";
    public static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<DemoStep> _steps = [];
    private AmazonEC2Client? _ec2;
    private int _messageVersionAtClick;

    public IReadOnlyList<DemoStep> Steps => _steps;

    public string? WebGroupId { get; private set; }

    public string? RequestId { get; private set; }

    /// <summary>The risky rule the person adds: SSH from anywhere.</summary>
    public static readonly IpPermission RiskyRule = new()
    {
        IpProtocol = "tcp",
        FromPort = 22,
        ToPort = 22,
        Ipv4Ranges = [new IpRange { CidrIp = "0.0.0.0/0", Description = "temporary ssh" }],
    };

    /// <summary>Account, VPC, groups with their rules, then onboarding (what <c>sgbridge baseline</c> does).</summary>
    public async Task SetUpAsync(CancellationToken cancellationToken)
    {
        _ec2 = await PersonEc2Async(cancellationToken).ConfigureAwait(false);
        var vpc = (await _ec2.CreateVpcAsync(new CreateVpcRequest { CidrBlock = "10.0.0.0/16" }, cancellationToken).ConfigureAwait(false)).Vpc.VpcId;
        WebGroupId = await CreateGroupAsync(vpc, "web-frontend", "Public web tier",
            [new IpPermission { IpProtocol = "tcp", FromPort = 443, ToPort = 443, Ipv4Ranges = [new IpRange { CidrIp = "10.0.0.0/16", Description = "load balancer" }] }],
            cancellationToken).ConfigureAwait(false);
        await CreateGroupAsync(vpc, "orders-db", "Orders database",
            [new IpPermission { IpProtocol = "tcp", FromPort = 5432, ToPort = 5432, Ipv4Ranges = [new IpRange { CidrIp = "10.0.1.0/24", Description = "app subnet" }] }],
            cancellationToken).ConfigureAwait(false);
        var baseline = await bridge.Services.GetRequiredService<BaselineService>().BaselineAsync(Account, LocalBridge.Region, force: false, cancellationToken).ConfigureAwait(false);
        Record("sample account onboarded", baseline.Recorded >= 2,
            $"account {Account}, {LocalBridge.Region}: {baseline.Recorded} groups, {baseline.Rules} rules recorded as approved");
    }

    /// <summary>The person's change in EC2, then its CloudTrail record through EventBridge's API destination.</summary>
    public async Task MakeRiskyChangeAsync(CancellationToken cancellationToken)
    {
        var response = await _ec2!.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupId = WebGroupId,
            IpPermissions = [RiskyRule],
        }, cancellationToken).ConfigureAwait(false);
        var ruleId = response.SecurityGroupRules[0].SecurityGroupRuleId;
        Record("risky change made in EC2", await HasRiskyRuleAsync(cancellationToken).ConfigureAwait(false),
            $"{Person} opened tcp/22 to 0.0.0.0/0 on web-frontend ({WebGroupId}, rule {ruleId})");

        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, bridge.AwsEventsUrl)
        {
            Content = new StringContent(Event(ruleId).ToJsonString(), Encoding.UTF8),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
        request.Headers.TryAddWithoutValidation("User-Agent", "Amazon/EventBridge/ApiDestinations");
        request.Headers.Add(Routes.FunctionKeyHeader, bridge.FunctionKey);
        using var answer = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await answer.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        RequestId = JsonNode.Parse(body)?["requestId"]?.GetValue<string>();
        Record("event accepted by the intake", answer.IsSuccessStatusCode && RequestId is not null,
            $"POST {bridge.AwsEventsUrl.AbsolutePath} → HTTP {(int)answer.StatusCode}, request {RequestId ?? "(none)"}");
    }

    /// <summary>The revert in EC2, the request Pending, the approvers' message with its buttons.</summary>
    public async Task WaitForRevertAsync(CancellationToken cancellationToken)
    {
        await ObserveAsync("revert seen in EC2", async ct => !await HasRiskyRuleAsync(ct).ConfigureAwait(false), "tcp/22 from 0.0.0.0/0 is gone from web-frontend", cancellationToken).ConfigureAwait(false);
        await ObserveAsync("request Pending", async ct => await StatusAsync(ct).ConfigureAwait(false) == RequestStatus.Pending, $"request {RequestId} waits for an approver", cancellationToken).ConfigureAwait(false);
        await ObserveAsync("approvers' message posted", _ => Task.FromResult(ApproverMessage() is not null), $"in #{LocalBridge.ApproversChannel} with Approve and Deny", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Remembers the approvers' message as it is now, so an update after a decision made on the page is seen.</summary>
    public void RememberMessageVersion() => _messageVersionAtClick = ApproverMessage()?.Version ?? 0;

    /// <summary>An approver's click, sent as Slack sends it (signed block_actions to /api/slack/interactions).</summary>
    public async Task DecideAsync(bool approve, CancellationToken cancellationToken)
    {
        var message = ApproverMessage() ?? throw new InvalidOperationException("The approvers' message is not there.");
        // Approve: the plain button, or the duration select (its first duration) when durations are offered.
        var click = (approve ? ClickFor(message, ActionIds.Approve, LocalBridge.Approvers[0]) ?? ClickFor(message, ActionIds.ApproveFor, LocalBridge.Approvers[0])
                : ClickFor(message, ActionIds.Deny, LocalBridge.Approvers[0]))
            ?? throw new InvalidOperationException($"The approvers' message has no {(approve ? "Approve" : "Deny")} choice for {RequestId}.");
        _messageVersionAtClick = message.Version;
        var answer = await bridge.Clicks.SendAsync(click, cancellationToken).ConfigureAwait(false);
        Record((approve ? "approval" : "denial") + " click accepted", answer.Status == 200, $"{LocalBridge.Approvers[0]} chose {click.SelectedText ?? click.Value} → HTTP {answer.Status}");
    }

    /// <summary>After the decision: AWS follows (or stays reverted), the request ends, the message is updated.</summary>
    public async Task WaitForOutcomeAsync(bool approved, CancellationToken cancellationToken)
    {
        if (approved)
        {
            await ObserveAsync("rule back in EC2", HasRiskyRuleAsync, "tcp/22 from 0.0.0.0/0 is on web-frontend again", cancellationToken).ConfigureAwait(false);
            await ObserveAsync("request Applied", async ct => await StatusAsync(ct).ConfigureAwait(false) == RequestStatus.Applied, $"request {RequestId} is Applied", cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await ObserveAsync("request Denied", async ct => await StatusAsync(ct).ConfigureAwait(false) == RequestStatus.Denied, $"request {RequestId} is Denied", cancellationToken).ConfigureAwait(false);
            Record("rule still absent from EC2", !await HasRiskyRuleAsync(cancellationToken).ConfigureAwait(false), "the change stays undone");
        }
        await ObserveAsync("approvers' message updated", _ => Task.FromResult((ApproverMessage()?.Version ?? 0) > _messageVersionAtClick),
            "the buttons gave way to the decision", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The approvers' message that shows the request (a button whose value is its id).</summary>
    public LocalSlackMessage? ApproverMessage() =>
        bridge.Slack.Messages.LastOrDefault(m => m.Channel == LocalBridge.ApproversChannel && m.EphemeralUser is null && Mentions(m, RequestId));

    private static bool Mentions(LocalSlackMessage m, string? requestId) =>
        requestId is not null && (m.Blocks?.ToJsonString().Contains(requestId, StringComparison.Ordinal) ?? false);

    /// <summary>
    /// The element of the approvers' message that decides the request with <paramref name="prefix"/>: a button whose
    /// value is the request id, or a select (a duration choice) whose action_id names the request.
    /// </summary>
    public (JsonObject Block, JsonObject Button)? FindButton(LocalSlackMessage message, string prefix)
    {
        foreach (var block in message.Blocks?.OfType<JsonObject>() ?? [])
        {
            var elements = (block["elements"] as JsonArray)?.OfType<JsonObject>() ?? [];
            if (block["accessory"] is JsonObject accessory)
            {
                elements = elements.Append(accessory);
            }
            foreach (var e in elements)
            {
                if (e["action_id"] is not JsonValue id || !ActionIds.Matches((string)id!, prefix))
                {
                    continue;
                }
                if ((string?)e["type"] == "button" && (string?)e["value"] == RequestId
                    || (string?)e["type"] == "static_select" && RequestId is not null && (string)id! == ActionIds.For(prefix, RequestId))
                {
                    return (block, e);
                }
            }
        }
        return null;
    }

    /// <summary>The click Slack would send for <paramref name="user"/> on that element (a select: its first option picked).</summary>
    public PageClick? ClickFor(LocalSlackMessage message, string prefix, string user)
    {
        if (FindButton(message, prefix) is not var (block, element))
        {
            return null;
        }
        var actionId = (string)element["action_id"]!;
        var blockId = (string?)block["block_id"];
        if ((string?)element["type"] == "static_select")
        {
            var option = element["options"]!.AsArray().OfType<JsonObject>().First();
            return new PageClick(message.Channel, message.Ts, actionId, blockId, null, user, (string)option["value"]!, (string?)option["text"]?["text"]);
        }
        return new PageClick(message.Channel, message.Ts, actionId, blockId, (string?)element["value"], user);
    }

    public async Task<RequestStatus?> StatusAsync(CancellationToken cancellationToken) =>
        RequestId is null ? null : (await bridge.Services.GetRequiredService<IRequestStore>().GetAsync(RequestId, cancellationToken).ConfigureAwait(false))?.Value.Status;

    public async Task<bool> HasRiskyRuleAsync(CancellationToken cancellationToken)
    {
        var rules = await _ec2!.DescribeSecurityGroupRulesAsync(new DescribeSecurityGroupRulesRequest { Filters = [new Filter("group-id", [WebGroupId!])] }, cancellationToken)
            .ConfigureAwait(false);
        return (rules.SecurityGroupRules ?? []).Any(r => r.IsEgress != true && r.IpProtocol == "tcp" && r.FromPort == 22 && r.ToPort == 22 && r.CidrIpv4 == "0.0.0.0/0");
    }

    private async Task ObserveAsync(string name, Func<CancellationToken, Task<bool>> happened, string detail, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (await happened(cancellationToken).ConfigureAwait(false))
            {
                Record(name, true, detail);
                return;
            }
            if (deadline.Elapsed > StepTimeout)
            {
                Record(name, false, $"not seen within {StepTimeout.TotalSeconds:0} s");
                return;
            }
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    private void Record(string name, bool happened, string detail)
    {
        var step = new DemoStep(name, happened, _clock.Elapsed, detail);
        _steps.Add(step);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {(happened ? "✔" : "✘")} {step.After.TotalSeconds,6:0.0}s  {name}: {detail}"));
    }

    private async Task<AmazonEC2Client> PersonEc2Async(CancellationToken cancellationToken)
    {
        // The person acts in the sample account with the same assumed credentials (the emulators key state by account).
        var credentials = (await bridge.Services.GetRequiredService<AssumedRoleCredentialCache>().GetAsync(Account, cancellationToken).ConfigureAwait(false)).Credentials;
        var options = bridge.Services.GetRequiredService<IOptions<AwsOptions>>().Value;
        return new AmazonEC2Client(new SessionAWSCredentials(credentials.AccessKey, credentials.SecretKey, credentials.Token),
            Ec2SecurityGroupClientFactory.BuildConfig(options, LocalBridge.Region));
    }

    private async Task<string> CreateGroupAsync(string vpc, string name, string description, List<IpPermission> rules, CancellationToken cancellationToken)
    {
        var id = (await _ec2!.CreateSecurityGroupAsync(new CreateSecurityGroupRequest { GroupName = name, Description = description, VpcId = vpc }, cancellationToken)
            .ConfigureAwait(false)).GroupId;
        await _ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest { GroupId = id, IpPermissions = rules }, cancellationToken).ConfigureAwait(false);
        return id;
    }

    /// <summary>The EventBridge envelope around the CloudTrail record of the person's call, as a rule on the bus delivers it.</summary>
    private JsonObject Event(string ruleId)
    {
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var eventId = Guid.NewGuid().ToString();
        const string role = "AWSReservedSSO_AdministratorAccess_0123456789abcdef";
        return new JsonObject
        {
            ["version"] = "0",
            ["id"] = Guid.NewGuid().ToString(),
            ["detail-type"] = "AWS API Call via CloudTrail",
            ["source"] = "aws.ec2",
            ["account"] = Account,
            ["time"] = now,
            ["region"] = LocalBridge.Region,
            ["resources"] = new JsonArray(),
            ["detail"] = new JsonObject
            {
                ["eventVersion"] = "1.09",
                ["userIdentity"] = new JsonObject
                {
                    ["type"] = "AssumedRole",
                    ["principalId"] = "AROAEXAMPLESSOROLE01:" + Person,
                    ["arn"] = $"arn:aws:sts::{Account}:assumed-role/{role}/{Person}",
                    ["accountId"] = Account,
                    ["accessKeyId"] = "ASIAEXAMPLESSO000001",
                    ["sessionContext"] = new JsonObject
                    {
                        ["sessionIssuer"] = new JsonObject
                        {
                            ["type"] = "Role",
                            ["principalId"] = "AROAEXAMPLESSOROLE01",
                            ["arn"] = $"arn:aws:iam::{Account}:role/aws-reserved/sso.amazonaws.com/{LocalBridge.Region}/{role}",
                            ["accountId"] = Account,
                            ["userName"] = role,
                        },
                        ["attributes"] = new JsonObject { ["creationDate"] = now, ["mfaAuthenticated"] = "false" },
                    },
                },
                ["eventTime"] = now,
                ["eventSource"] = "ec2.amazonaws.com",
                ["eventName"] = "AuthorizeSecurityGroupIngress",
                ["awsRegion"] = LocalBridge.Region,
                ["sourceIPAddress"] = "198.51.100.23",
                ["userAgent"] = "AWS Internal",
                ["requestParameters"] = new JsonObject
                {
                    ["groupId"] = WebGroupId,
                    ["ipPermissions"] = new JsonObject
                    {
                        ["items"] = new JsonArray(new JsonObject
                        {
                            ["ipProtocol"] = "tcp",
                            ["fromPort"] = 22,
                            ["toPort"] = 22,
                            ["groups"] = new JsonObject(),
                            ["ipRanges"] = new JsonObject { ["items"] = new JsonArray(new JsonObject { ["cidrIp"] = "0.0.0.0/0", ["description"] = "temporary ssh" }) },
                            ["ipv6Ranges"] = new JsonObject(),
                            ["prefixListIds"] = new JsonObject(),
                        }),
                    },
                },
                ["responseElements"] = new JsonObject
                {
                    ["requestId"] = Guid.NewGuid().ToString(),
                    ["_return"] = true,
                    ["securityGroupRuleSet"] = new JsonObject
                    {
                        ["items"] = new JsonArray(new JsonObject
                        {
                            ["groupOwnerId"] = Account,
                            ["groupId"] = WebGroupId,
                            ["securityGroupRuleId"] = ruleId,
                            ["isEgress"] = false,
                            ["ipProtocol"] = "tcp",
                            ["fromPort"] = 22,
                            ["toPort"] = 22,
                            ["cidrIpv4"] = "0.0.0.0/0",
                            ["description"] = "temporary ssh",
                        }),
                    },
                },
                ["requestID"] = Guid.NewGuid().ToString(),
                ["eventID"] = eventId,
                ["readOnly"] = false,
                ["eventType"] = "AwsApiCall",
                ["managementEvent"] = true,
                ["recipientAccountId"] = Account,
                ["eventCategory"] = "Management",
                ["sessionCredentialFromConsole"] = "true",
            },
        };
    }
}
