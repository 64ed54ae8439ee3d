using System.Globalization;
using System.Text.Json.Nodes;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Options;

namespace SgBridge.Bench;

/// <summary>One generated event: which account and group it changes, and the rule it added.</summary>
public sealed record EventSpec(int Index, string EventId, string Account, string GroupId, int Port, string Cidr, bool Forged = false)
{
    public string RuleId { get; set; } = "";
}

/// <summary>
/// The accounts and groups the events spread over (10 accounts × 10 groups = 100 groups), and the AWS side they need:
/// with moto the groups are created in each account (by assuming the role there, since moto keys an account by the
/// assumed role's account id) and every event's rule really exists before the event is sent, so that the revert by
/// rule id really removes it. The stub EC2 keeps the same state (groups and rules per account), so both behave alike.
/// </summary>
public sealed class Workload(string awsUrl, int accounts, int groupsPerAccount)
{
    public const string Region = "eu-west-1";
    public const string RoleArnPattern = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole";
    public const string ExternalId = "sgbridge-bench";

    private readonly Dictionary<string, IAmazonEC2> _ec2 = new(StringComparer.Ordinal);
    private int _cidrCounter;

    public IReadOnlyList<string> Accounts { get; } =
        Enumerable.Range(1, accounts).Select(i => (100_000_000_000L + i).ToString(CultureInfo.InvariantCulture)).ToArray();

    public Dictionary<string, string[]> Groups { get; } = new(StringComparer.Ordinal);

    public static AmazonSecurityTokenServiceClient StsClient(string url) => new(
        new BasicAWSCredentials("bench", "bench"),
        new AmazonSecurityTokenServiceConfig { ServiceURL = url, AuthenticationRegion = "us-east-1", RetryMode = RequestRetryMode.Standard, MaxErrorRetry = 4 });

    public static async Task<AmazonEC2Client> Ec2ClientAsync(IAmazonSecurityTokenService sts, string url, string account)
    {
        var assumed = await sts.AssumeRoleAsync(new AssumeRoleRequest
        {
            RoleArn = RoleArnPattern.Replace("{accountId}", account, StringComparison.Ordinal),
            RoleSessionName = "bench-setup",
            ExternalId = ExternalId,
            DurationSeconds = 3600,
        });
        var c = assumed.Credentials;
        return new AmazonEC2Client(
            new SessionAWSCredentials(c.AccessKeyId, c.SecretAccessKey, c.SessionToken),
            Ec2SecurityGroupClientFactory.BuildConfig(new AwsOptions { Ec2Endpoint = url }, Region));
    }

    public async Task CreateGroupsAsync()
    {
        using var sts = StsClient(awsUrl);
        foreach (var account in Accounts)
        {
            var ids = new string[groupsPerAccount];
            var ec2 = await Ec2ClientAsync(sts, awsUrl, account);
            _ec2[account] = ec2;
            // A VPC of its own (EC2's default VPC is not modelled by the local emulator; moto has one, but the calls are the same).
            var vpc = (await ec2.CreateVpcAsync(new CreateVpcRequest { CidrBlock = "10.0.0.0/16" })).Vpc.VpcId;
            for (var g = 0; g < groupsPerAccount; g++)
            {
                var created = await ec2.CreateSecurityGroupAsync(new CreateSecurityGroupRequest($"bench-{g}", "SgBridge bench group") { VpcId = vpc });
                ids[g] = created.GroupId;
            }
            Groups[account] = ids;
        }
    }

    /// <summary>N events, round-robin over accounts, then over each account's groups; with moto, their rules are created.</summary>
    public async Task<IReadOnlyList<EventSpec>> NewEventsAsync(int count, int forgedEvery = 0)
    {
        var events = new List<EventSpec>(count);
        for (var i = 0; i < count; i++)
        {
            var account = Accounts[i % Accounts.Count];
            var group = Groups[account][(i / Accounts.Count) % groupsPerAccount];
            var n = Interlocked.Increment(ref _cidrCounter);
            var cidr = $"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}/32";
            events.Add(new EventSpec(i, Guid.NewGuid().ToString(), account, group, 1024 + (n % 60000), cidr, forgedEvery > 0 && i % forgedEvery == forgedEvery - 1));
        }
        // A forged (or stale) event claims a rule that is not in the group: the bridge must change nothing in AWS.
        foreach (var e in events.Where(e => e.Forged))
        {
            e.RuleId = "sgr-" + e.EventId.Replace("-", "", StringComparison.Ordinal)[..17];
        }
        await CreateRulesAsync(events.Where(e => !e.Forged).ToList());
        return events;
    }

    private async Task CreateRulesAsync(List<EventSpec> events)
    {
        using var gate = new SemaphoreSlim(8);
        await Task.WhenAll(events.GroupBy(e => (e.Account, e.GroupId)).Select(async g =>
        {
            await gate.WaitAsync();
            try
            {
                var ec2 = _ec2[g.Key.Account];
                var response = await ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
                {
                    GroupId = g.Key.GroupId,
                    IpPermissions = g.Select(e => new IpPermission
                    {
                        IpProtocol = "tcp",
                        FromPort = e.Port,
                        ToPort = e.Port,
                        Ipv4Ranges = [new IpRange { CidrIp = e.Cidr, Description = "bench" }],
                    }).ToList(),
                });
                // moto answers an authorize of several permissions with only the last rule: read them all back.
                var rules = await AllRulesAsync(ec2, g.Key.GroupId);
                foreach (var e in g)
                {
                    e.RuleId = rules.First(x => x.CidrIpv4 == e.Cidr && x.FromPort == e.Port && x.IsEgress != true).SecurityGroupRuleId;
                }
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    private static async Task<List<Amazon.EC2.Model.SecurityGroupRule>> AllRulesAsync(IAmazonEC2 ec2, string groupId)
    {
        var rules = new List<Amazon.EC2.Model.SecurityGroupRule>();
        string? next = null;
        do
        {
            var page = await ec2.DescribeSecurityGroupRulesAsync(new DescribeSecurityGroupRulesRequest { Filters = [new Filter("group-id", [groupId])], NextToken = next });
            rules.AddRange(page.SecurityGroupRules ?? []);
            next = page.NextToken;
        }
        while (!string.IsNullOrEmpty(next));
        return rules;
    }

    /// <summary>With moto: how many of the events' rules are still in their groups (0 when every revert really revoked).</summary>
    public async Task<int> RulesStillPresentAsync(IEnumerable<EventSpec> events)
    {
        var still = 0;
        foreach (var g in events.Where(e => !e.Forged).GroupBy(e => (e.Account, e.GroupId)))
        {
            var ids = (await AllRulesAsync(_ec2[g.Key.Account], g.Key.GroupId)).Select(r => r.SecurityGroupRuleId).ToHashSet(StringComparer.Ordinal);
            still += g.Count(e => ids.Contains(e.RuleId));
        }
        return still;
    }

    /// <summary>The EventBridge envelope bytes for an event, from samples/authorize-ssh-from-internet.json with new ids.</summary>
    /// <param name="session">Another session name for the requester (the sample's is alice@example.com): the warm-up's events
    /// come from their own requester, so they never share a Slack batch with the measured events (whose renders would
    /// otherwise gather the warm-up's requests too).</param>
    public static byte[] EnvelopeFor(JsonNode template, EventSpec e, string? session = null)
    {
        var root = template.DeepClone();
        var now = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        root["id"] = Guid.NewGuid().ToString();
        root["account"] = e.Account;
        root["region"] = Region;
        root["time"] = now;
        var d = root["detail"]!;
        var ui = d["userIdentity"]!;
        ui["accountId"] = e.Account;
        ui["arn"] = ui["arn"]!.GetValue<string>().Replace("111111111111", e.Account, StringComparison.Ordinal);
        if (session is not null)
        {
            ui["arn"] = ui["arn"]!.GetValue<string>().Replace("alice@example.com", session, StringComparison.Ordinal);
            ui["principalId"] = ui["principalId"]!.GetValue<string>().Replace("alice@example.com", session, StringComparison.Ordinal);
        }
        var issuer = ui["sessionContext"]!["sessionIssuer"]!;
        issuer["accountId"] = e.Account;
        issuer["arn"] = issuer["arn"]!.GetValue<string>().Replace("111111111111", e.Account, StringComparison.Ordinal);
        d["eventTime"] = now;
        d["awsRegion"] = Region;
        d["eventID"] = e.EventId;
        d["requestID"] = Guid.NewGuid().ToString();
        d["recipientAccountId"] = e.Account;
        var p = d["requestParameters"]!;
        p["groupId"] = e.GroupId;
        var perm = p["ipPermissions"]!["items"]![0]!;
        perm["fromPort"] = e.Port;
        perm["toPort"] = e.Port;
        perm["ipRanges"]!["items"]![0]!["cidrIp"] = e.Cidr;
        var rule = d["responseElements"]!["securityGroupRuleSet"]!["items"]![0]!;
        rule["groupOwnerId"] = e.Account;
        rule["groupId"] = e.GroupId;
        rule["securityGroupRuleId"] = e.RuleId;
        rule["fromPort"] = e.Port;
        rule["toPort"] = e.Port;
        rule["cidrIpv4"] = e.Cidr;
        return System.Text.Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    public IAmazonEC2 SetupClient(string account) => _ec2[account];
}
