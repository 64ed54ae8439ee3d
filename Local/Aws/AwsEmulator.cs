using System.Globalization;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;

namespace SgBridge.Local.Aws;

/// <summary>
/// A small stateful EC2 (ec2 query protocol) and STS (aws query protocol) for the calls the bridge and the demo make:
/// VPCs, security groups with their ingress and egress rules per account, rule ids, tags, duplicate and not-found
/// errors as EC2 answers them (a non-default VPC: a revoke that matches nothing is InvalidPermission.NotFound).
/// STS hands out credentials whose access key id carries the account ("ASIA" + account + "LOCAL"); EC2 reads the
/// account back from the SigV4 Authorization header, so each account sees only its own groups (as moto keys state by
/// account). Promoted from the benchmark's stub; <c>Tests/Local/AwsEmulatorContractTests</c> runs the same calls
/// against this and against moto. Not modelled: default VPCs, paging, IAM (every call is allowed), throttling.
/// </summary>
public sealed class AwsEmulator
{
    private const string DefaultAccount = "000000000000";
    private static readonly XNamespace Ec2 = "http://ec2.amazonaws.com/doc/2016-11-15/";
    private static readonly XNamespace Sts = "https://sts.amazonaws.com/doc/2011-06-15/";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Account> _accounts = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _calls = new(StringComparer.Ordinal);
    private long _ids;

    public AwsEmulator(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    private sealed class Account
    {
        public HashSet<string> Vpcs { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, Group> Groups { get; } = new(StringComparer.Ordinal);
    }

    private sealed class Group(string id, string name, string description, string vpcId)
    {
        public string Id { get; } = id;
        public string Name { get; } = name;
        public string Description { get; } = description;
        public string VpcId { get; } = vpcId;
        public List<Rule> Rules { get; } = [];
        public Dictionary<string, string> Tags { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>One rule: protocol, ports and exactly one source, as EC2's security group rules are.</summary>
    private sealed record Rule(string Id, bool Egress, string Protocol, int From, int To, string? Cidr4, string? Cidr6, string? PrefixList, string? GroupRef, string? GroupRefUser, string? Description)
    {
        public bool SameAs(Rule other) =>
            Egress == other.Egress && Protocol == other.Protocol && From == other.From && To == other.To
            && Cidr4 == other.Cidr4 && Cidr6 == other.Cidr6 && PrefixList == other.PrefixList && GroupRef == other.GroupRef;
    }

    /// <summary>An EC2 error as the query protocol returns it (HTTP 400, Response/Errors/Error).</summary>
    private sealed class Ec2Error(string code, string message) : Exception(message)
    {
        public string Code { get; } = code;
    }

    /// <summary>Every group as it stands now, per account (the page's AWS panel; tests).</summary>
    public IReadOnlyList<EmulatedGroup> Snapshot()
    {
        lock (_lock)
        {
            return _accounts.SelectMany(a => a.Value.Groups.Values.Select(g => new EmulatedGroup(a.Key, g.Id, g.Name, g.VpcId,
                    g.Rules.Select(r => new EmulatedRule(r.Id, r.Egress, r.Protocol, r.From, r.To, r.Cidr4 ?? r.Cidr6 ?? r.PrefixList ?? r.GroupRef ?? "", r.Description)).ToArray(),
                    new Dictionary<string, string>(g.Tags, StringComparer.Ordinal))))
                .OrderBy(g => g.Account, StringComparer.Ordinal).ThenBy(g => g.GroupId, StringComparer.Ordinal).ToArray();
        }
    }

    /// <summary>The ASP.NET Core endpoint: POST form (Action=…) in, XML out.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var values = form.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal);
        var (status, xml) = Answer(values, AccountOf(context.Request.Headers.Authorization.ToString()));
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/xml";
        await context.Response.WriteAsync(xml, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The account an EC2 call acts in: from the access key id of its SigV4 credential ("ASIA"/"AKIA" + 12 digits + …).</summary>
    public static string AccountOf(string authorization)
    {
        var i = authorization.IndexOf("Credential=", StringComparison.Ordinal);
        if (i < 0 || authorization.Length < i + 11 + 16)
        {
            return DefaultAccount;
        }
        var digits = authorization.Substring(i + 11 + 4, 12);
        return digits.All(char.IsAsciiDigit) ? digits : DefaultAccount;
    }

    /// <summary>The access key id STS hands out for an account (the account travels in it).</summary>
    public static string AccessKeyFor(string account) => "ASIA" + account + "LOCAL";

    /// <summary>The calls answered so far, by action (what the emulator itself saw: the bench's independent count of EC2/STS calls).</summary>
    public IReadOnlyDictionary<string, long> CallCounts() => new Dictionary<string, long>(_calls, StringComparer.Ordinal);

    public void ResetCallCounts() => _calls.Clear();

    public (int Status, string Xml) Answer(IReadOnlyDictionary<string, string> form, string account)
    {
        var action = form.GetValueOrDefault("Action") ?? "";
        _calls.AddOrUpdate(action, 1, static (_, n) => n + 1);
        try
        {
            XElement body;
            lock (_lock)
            {
                body = action switch
                {
                    "AssumeRole" or "AssumeRoleWithWebIdentity" => AssumeRole(action, form),
                    "GetCallerIdentity" => Result(Sts, action, new XElement(Sts + "Account", account), new XElement(Sts + "Arn", $"arn:aws:iam::{account}:user/local"), new XElement(Sts + "UserId", "AIDALOCAL")),
                    "CreateVpc" => CreateVpc(account, form),
                    "CreateSecurityGroup" => CreateSecurityGroup(account, form),
                    "DeleteSecurityGroup" => DeleteSecurityGroup(account, form),
                    "DescribeSecurityGroups" => DescribeSecurityGroups(account, form),
                    "DescribeSecurityGroupRules" => DescribeSecurityGroupRules(account, form),
                    "DescribeNetworkInterfaces" => Response(action, new XElement(Ec2 + "networkInterfaceSet")),
                    "AuthorizeSecurityGroupIngress" => Authorize(account, form, egress: false),
                    "AuthorizeSecurityGroupEgress" => Authorize(account, form, egress: true),
                    "RevokeSecurityGroupIngress" => Revoke(account, form, egress: false),
                    "RevokeSecurityGroupEgress" => Revoke(account, form, egress: true),
                    "ModifySecurityGroupRules" => Modify(account, form),
                    _ => throw new Ec2Error("InvalidAction", $"The action {action} is not valid for this web service (the local AWS emulator does not know it)."),
                };
            }
            return (200, body.ToString(SaveOptions.DisableFormatting));
        }
        catch (Ec2Error error)
        {
            var xml = new XElement("Response",
                new XElement("Errors", new XElement("Error", new XElement("Code", error.Code), new XElement("Message", error.Message))),
                new XElement("RequestID", Guid.NewGuid().ToString()));
            return (400, xml.ToString(SaveOptions.DisableFormatting));
        }
    }

    private string NextId(string prefix) => prefix + (++_ids).ToString("x17", CultureInfo.InvariantCulture);

    private Account Of(string account)
    {
        if (!_accounts.TryGetValue(account, out var state))
        {
            _accounts[account] = state = new Account();
        }
        return state;
    }

    private static XElement Response(string action, params object[] content) =>
        new(Ec2 + (action + "Response"), new XElement(Ec2 + "requestId", Guid.NewGuid().ToString()), content);

    private static XElement Result(XNamespace ns, string action, params object[] content) =>
        new(ns + (action + "Response"), new XElement(ns + (action + "Result"), content),
            new XElement(ns + "ResponseMetadata", new XElement(ns + "RequestId", Guid.NewGuid().ToString())));

    private XElement AssumeRole(string action, IReadOnlyDictionary<string, string> form)
    {
        var roleArn = Required(form, "RoleArn");
        var parts = roleArn.Split(':');
        if (parts.Length < 6 || parts[4].Length != 12 || !parts[4].All(char.IsAsciiDigit))
        {
            throw new Ec2Error("ValidationError", $"{roleArn} is invalid");
        }
        var expiration = _time.GetUtcNow().AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var session = form.GetValueOrDefault("RoleSessionName") ?? "local";
        return Result(Sts, action,
            new XElement(Sts + "Credentials",
                new XElement(Sts + "AccessKeyId", AccessKeyFor(parts[4])),
                new XElement(Sts + "SecretAccessKey", "local-secret"),
                new XElement(Sts + "SessionToken", "local-session"),
                new XElement(Sts + "Expiration", expiration)),
            new XElement(Sts + "AssumedRoleUser",
                new XElement(Sts + "Arn", $"arn:aws:sts::{parts[4]}:assumed-role/{parts[5].Split('/').Last()}/{session}"),
                new XElement(Sts + "AssumedRoleId", "AROALOCAL:" + session)));
    }

    private XElement CreateVpc(string account, IReadOnlyDictionary<string, string> form)
    {
        var cidr = Required(form, "CidrBlock");
        var id = NextId("vpc-");
        Of(account).Vpcs.Add(id);
        return Response("CreateVpc", new XElement(Ec2 + "vpc",
            new XElement(Ec2 + "vpcId", id), new XElement(Ec2 + "state", "available"), new XElement(Ec2 + "cidrBlock", cidr),
            new XElement(Ec2 + "ownerId", account), new XElement(Ec2 + "isDefault", "false")));
    }

    private XElement CreateSecurityGroup(string account, IReadOnlyDictionary<string, string> form)
    {
        var state = Of(account);
        var name = Required(form, "GroupName");
        var description = Required(form, "GroupDescription");
        var vpc = form.GetValueOrDefault("VpcId") ?? throw new Ec2Error("VPCIdNotSpecified", "No default VPC for this user (the local AWS emulator has none: give VpcId).");
        if (!state.Vpcs.Contains(vpc))
        {
            throw new Ec2Error("InvalidVpcID.NotFound", $"The vpc ID '{vpc}' does not exist");
        }
        if (state.Groups.Values.Any(g => g.VpcId == vpc && g.Name == name))
        {
            throw new Ec2Error("InvalidGroup.Duplicate", $"The security group '{name}' already exists for VPC '{vpc}'");
        }
        var group = new Group(NextId("sg-"), name, description, vpc);
        // EC2 gives every new VPC group one egress rule: all traffic to anywhere.
        group.Rules.Add(new Rule(NextId("sgr-"), true, "-1", -1, -1, "0.0.0.0/0", null, null, null, null, null));
        for (var i = 1; form.ContainsKey($"TagSpecification.{i}.ResourceType"); i++)
        {
            for (var t = 1; form.TryGetValue($"TagSpecification.{i}.Tag.{t}.Key", out var key); t++)
            {
                group.Tags[key] = form.GetValueOrDefault($"TagSpecification.{i}.Tag.{t}.Value") ?? "";
            }
        }
        state.Groups[group.Id] = group;
        return Response("CreateSecurityGroup", new XElement(Ec2 + "return", "true"), new XElement(Ec2 + "groupId", group.Id), TagSet(group.Tags));
    }

    private XElement DeleteSecurityGroup(string account, IReadOnlyDictionary<string, string> form)
    {
        var group = GroupOf(account, Required(form, "GroupId"));
        Of(account).Groups.Remove(group.Id);
        return Response("DeleteSecurityGroup", new XElement(Ec2 + "return", "true"), new XElement(Ec2 + "groupId", group.Id));
    }

    private XElement DescribeSecurityGroups(string account, IReadOnlyDictionary<string, string> form)
    {
        var state = Of(account);
        var ids = Indexed(form, "GroupId").ToList();
        var names = Indexed(form, "GroupName").ToList();
        var groups = state.Groups.Values.AsEnumerable();
        if (ids.Count > 0)
        {
            var missing = ids.FirstOrDefault(id => !state.Groups.ContainsKey(id));
            if (missing is not null)
            {
                throw new Ec2Error("InvalidGroup.NotFound", $"The security group '{missing}' does not exist");
            }
            groups = groups.Where(g => ids.Contains(g.Id));
        }
        if (names.Count > 0)
        {
            var missing = names.FirstOrDefault(n => state.Groups.Values.All(g => g.Name != n));
            if (missing is not null)
            {
                throw new Ec2Error("InvalidGroup.NotFound", $"The security group '{missing}' does not exist in default VPC 'none'");
            }
            groups = groups.Where(g => names.Contains(g.Name));
        }
        foreach (var (name, wanted) in Filters(form))
        {
            groups = name switch
            {
                "group-id" => groups.Where(g => wanted.Contains(g.Id)),
                "group-name" => groups.Where(g => wanted.Contains(g.Name)),
                "vpc-id" => groups.Where(g => wanted.Contains(g.VpcId)),
                _ => throw new Ec2Error("InvalidParameterValue", $"The filter '{name}' is invalid (the local AWS emulator knows group-id, group-name, vpc-id)"),
            };
        }
        var items = groups.OrderBy(g => g.Id, StringComparer.Ordinal).Select(g => new XElement(Ec2 + "item",
            new XElement(Ec2 + "ownerId", account),
            new XElement(Ec2 + "groupId", g.Id),
            new XElement(Ec2 + "groupName", g.Name),
            new XElement(Ec2 + "groupDescription", g.Description),
            new XElement(Ec2 + "vpcId", g.VpcId),
            new XElement(Ec2 + "ipPermissions", g.Rules.Where(r => !r.Egress).Select(PermissionXml)),
            new XElement(Ec2 + "ipPermissionsEgress", g.Rules.Where(r => r.Egress).Select(PermissionXml)),
            TagSet(g.Tags)));
        return Response("DescribeSecurityGroups", new XElement(Ec2 + "securityGroupInfo", items));
    }

    private XElement DescribeSecurityGroupRules(string account, IReadOnlyDictionary<string, string> form)
    {
        var state = Of(account);
        var rules = state.Groups.Values.SelectMany(g => g.Rules.Select(r => (Group: g, Rule: r)));
        var ruleIds = Indexed(form, "SecurityGroupRuleId").ToList();
        if (ruleIds.Count > 0)
        {
            rules = rules.Where(x => ruleIds.Contains(x.Rule.Id));
        }
        foreach (var (name, wanted) in Filters(form))
        {
            rules = name switch
            {
                "group-id" => rules.Where(x => wanted.Contains(x.Group.Id)),
                "security-group-rule-id" => rules.Where(x => wanted.Contains(x.Rule.Id)),
                _ => throw new Ec2Error("InvalidParameterValue", $"The filter '{name}' is invalid (the local AWS emulator knows group-id, security-group-rule-id)"),
            };
        }
        return Response("DescribeSecurityGroupRules", new XElement(Ec2 + "securityGroupRuleSet", rules.Select(x => RuleXml(x.Group.Id, x.Rule, account))));
    }

    private XElement Authorize(string account, IReadOnlyDictionary<string, string> form, bool egress)
    {
        var group = GroupOf(account, Required(form, "GroupId"));
        var wanted = Permissions(form, egress).ToList();
        if (wanted.Count == 0)
        {
            throw new Ec2Error("MissingParameter", "The request must contain the parameter ipPermissions");
        }
        foreach (var rule in wanted)
        {
            if (group.Rules.Any(r => r.SameAs(rule)) || wanted.Count(w => w.SameAs(rule)) > 1)
            {
                throw new Ec2Error("InvalidPermission.Duplicate", $"the specified rule \"{Describe(rule)}\" already exists");
            }
        }
        group.Rules.AddRange(wanted);
        var action = egress ? "AuthorizeSecurityGroupEgress" : "AuthorizeSecurityGroupIngress";
        return Response(action, new XElement(Ec2 + "return", "true"),
            new XElement(Ec2 + "securityGroupRuleSet", wanted.Select(r => RuleXml(group.Id, r, account))));
    }

    private XElement Revoke(string account, IReadOnlyDictionary<string, string> form, bool egress)
    {
        var group = GroupOf(account, Required(form, "GroupId"));
        var ids = Indexed(form, "SecurityGroupRuleId").ToList();
        var revoked = new List<Rule>();
        foreach (var id in ids)
        {
            var rule = group.Rules.FirstOrDefault(r => r.Id == id && r.Egress == egress)
                ?? throw new Ec2Error("InvalidSecurityGroupRuleId.NotFound", $"The security group rule ID '{id}' does not exist");
            revoked.Add(rule);
        }
        foreach (var wanted in Permissions(form, egress))
        {
            // Matched on protocol, ports and source; the description need not be given.
            var rule = group.Rules.FirstOrDefault(r => r.SameAs(wanted))
                ?? throw new Ec2Error("InvalidPermission.NotFound", $"The specified rule does not exist in this security group: {Describe(wanted)}");
            revoked.Add(rule);
        }
        if (revoked.Count == 0)
        {
            throw new Ec2Error("MissingParameter", "The request must contain the parameter ipPermissions or securityGroupRuleIds");
        }
        foreach (var rule in revoked)
        {
            group.Rules.Remove(rule);
        }
        var action = egress ? "RevokeSecurityGroupEgress" : "RevokeSecurityGroupIngress";
        return Response(action, new XElement(Ec2 + "return", "true"),
            new XElement(Ec2 + "revokedSecurityGroupRuleSet", revoked.Select(r => RuleXml(group.Id, r, account))));
    }

    private XElement Modify(string account, IReadOnlyDictionary<string, string> form)
    {
        var group = GroupOf(account, Required(form, "GroupId"));
        for (var i = 1; form.TryGetValue($"SecurityGroupRule.{i}.SecurityGroupRuleId", out var id); i++)
        {
            var index = group.Rules.FindIndex(r => r.Id == id);
            if (index < 0)
            {
                throw new Ec2Error("InvalidSecurityGroupRuleId.NotFound", $"The security group rule ID '{id}' does not exist");
            }
            var p = $"SecurityGroupRule.{i}.SecurityGroupRule.";
            var old = group.Rules[index];
            var protocol = Protocol(form.GetValueOrDefault(p + "IpProtocol") ?? old.Protocol);
            var updated = old with
            {
                Protocol = protocol,
                From = protocol == "-1" ? -1 : Port(form, p + "FromPort", old.From),
                To = protocol == "-1" ? -1 : Port(form, p + "ToPort", old.To),
                Cidr4 = form.GetValueOrDefault(p + "CidrIpv4"),
                Cidr6 = form.GetValueOrDefault(p + "CidrIpv6"),
                PrefixList = form.GetValueOrDefault(p + "PrefixListId"),
                GroupRef = form.GetValueOrDefault(p + "ReferencedGroupId"),
                GroupRefUser = form.ContainsKey(p + "ReferencedGroupId") ? account : null,
                Description = form.GetValueOrDefault(p + "Description"),
            };
            if (new[] { updated.Cidr4, updated.Cidr6, updated.PrefixList, updated.GroupRef }.Count(s => s is not null) != 1)
            {
                throw new Ec2Error("InvalidParameterCombination", "A rule needs exactly one of CidrIpv4, CidrIpv6, PrefixListId, ReferencedGroupId.");
            }
            group.Rules[index] = updated;
        }
        return Response("ModifySecurityGroupRules", new XElement(Ec2 + "return", "true"));
    }

    private Group GroupOf(string account, string id) =>
        Of(account).Groups.TryGetValue(id, out var group)
            ? group
            : throw new Ec2Error("InvalidGroup.NotFound", $"The security group '{id}' does not exist");

    /// <summary>IpPermissions.N.… into one rule per source, with fresh rule ids.</summary>
    private IEnumerable<Rule> Permissions(IReadOnlyDictionary<string, string> form, bool egress)
    {
        var rules = new List<Rule>();
        for (var i = 1; form.TryGetValue($"IpPermissions.{i}.IpProtocol", out var rawProtocol); i++)
        {
            var p = $"IpPermissions.{i}.";
            var protocol = Protocol(rawProtocol);
            var from = protocol == "-1" ? -1 : Port(form, p + "FromPort", -1);
            var to = protocol == "-1" ? -1 : Port(form, p + "ToPort", -1);
            if (protocol is "tcp" or "udp" && (from is < 0 or > 65535 || to is < 0 or > 65535 || from > to))
            {
                throw new Ec2Error("InvalidParameterValue", $"Invalid port range {from}-{to} for {protocol}");
            }
            Rule Make(string? c4 = null, string? c6 = null, string? pl = null, string? g = null, string? gu = null, string? d = null) =>
                new(NextId("sgr-"), egress, protocol, from, to, c4, c6, pl, g, gu, d);
            for (var j = 1; form.TryGetValue($"{p}IpRanges.{j}.CidrIp", out var cidr); j++)
            {
                rules.Add(Make(c4: cidr, d: form.GetValueOrDefault($"{p}IpRanges.{j}.Description")));
            }
            for (var j = 1; form.TryGetValue($"{p}Ipv6Ranges.{j}.CidrIpv6", out var cidr); j++)
            {
                rules.Add(Make(c6: cidr, d: form.GetValueOrDefault($"{p}Ipv6Ranges.{j}.Description")));
            }
            for (var j = 1; form.TryGetValue($"{p}PrefixListIds.{j}.PrefixListId", out var list); j++)
            {
                rules.Add(Make(pl: list, d: form.GetValueOrDefault($"{p}PrefixListIds.{j}.Description")));
            }
            for (var j = 1; form.TryGetValue($"{p}Groups.{j}.GroupId", out var other); j++)
            {
                rules.Add(Make(g: other, gu: form.GetValueOrDefault($"{p}Groups.{j}.UserId"), d: form.GetValueOrDefault($"{p}Groups.{j}.Description")));
            }
        }
        return rules;
    }

    private static string Protocol(string raw) => raw.ToLowerInvariant() switch
    {
        "6" => "tcp",
        "17" => "udp",
        "1" => "icmp",
        "all" => "-1",
        var p => p,
    };

    private static int Port(IReadOnlyDictionary<string, string> form, string key, int fallback) =>
        form.TryGetValue(key, out var v) ? int.Parse(v, NumberStyles.Integer, CultureInfo.InvariantCulture) : fallback;

    private static string Required(IReadOnlyDictionary<string, string> form, string key) =>
        form.TryGetValue(key, out var v) && !string.IsNullOrEmpty(v) ? v : throw new Ec2Error("MissingParameter", $"The request must contain the parameter {key}");

    private static IEnumerable<string> Indexed(IReadOnlyDictionary<string, string> form, string prefix)
    {
        for (var i = 1; form.TryGetValue($"{prefix}.{i}", out var v); i++)
        {
            yield return v;
        }
    }

    private static IEnumerable<(string Name, HashSet<string> Values)> Filters(IReadOnlyDictionary<string, string> form)
    {
        for (var i = 1; form.TryGetValue($"Filter.{i}.Name", out var name); i++)
        {
            yield return (name, Indexed(form, $"Filter.{i}.Value").ToHashSet(StringComparer.Ordinal));
        }
    }

    private static string Describe(Rule r) =>
        $"{r.Protocol} {r.From}-{r.To} {r.Cidr4 ?? r.Cidr6 ?? r.PrefixList ?? r.GroupRef}";

    private static XElement TagSet(Dictionary<string, string> tags) =>
        new(Ec2 + "tagSet", tags.Select(t => new XElement(Ec2 + "item", new XElement(Ec2 + "key", t.Key), new XElement(Ec2 + "value", t.Value))));

    private static XElement RuleXml(string groupId, Rule r, string account) =>
        new(Ec2 + "item",
            new XElement(Ec2 + "securityGroupRuleId", r.Id),
            new XElement(Ec2 + "groupId", groupId),
            new XElement(Ec2 + "groupOwnerId", account),
            new XElement(Ec2 + "isEgress", r.Egress ? "true" : "false"),
            new XElement(Ec2 + "ipProtocol", r.Protocol),
            new XElement(Ec2 + "fromPort", r.From),
            new XElement(Ec2 + "toPort", r.To),
            r.Cidr4 is null ? null : new XElement(Ec2 + "cidrIpv4", r.Cidr4),
            r.Cidr6 is null ? null : new XElement(Ec2 + "cidrIpv6", r.Cidr6),
            r.PrefixList is null ? null : new XElement(Ec2 + "prefixListId", r.PrefixList),
            r.GroupRef is null ? null : new XElement(Ec2 + "referencedGroupInfo", new XElement(Ec2 + "groupId", r.GroupRef), new XElement(Ec2 + "userId", r.GroupRefUser ?? account)),
            r.Description is null ? null : new XElement(Ec2 + "description", r.Description),
            new XElement(Ec2 + "tagSet"));

    /// <summary>The describe form of one rule: an IpPermission with its single source.</summary>
    private static XElement PermissionXml(Rule r) =>
        new(Ec2 + "item",
            new XElement(Ec2 + "ipProtocol", r.Protocol),
            r.Protocol == "-1" ? null : new XElement(Ec2 + "fromPort", r.From),
            r.Protocol == "-1" ? null : new XElement(Ec2 + "toPort", r.To),
            new XElement(Ec2 + "groups", r.GroupRef is null ? null : new XElement(Ec2 + "item", new XElement(Ec2 + "groupId", r.GroupRef), new XElement(Ec2 + "userId", r.GroupRefUser ?? ""), Desc(r))),
            new XElement(Ec2 + "ipRanges", r.Cidr4 is null ? null : new XElement(Ec2 + "item", new XElement(Ec2 + "cidrIp", r.Cidr4), Desc(r))),
            new XElement(Ec2 + "ipv6Ranges", r.Cidr6 is null ? null : new XElement(Ec2 + "item", new XElement(Ec2 + "cidrIpv6", r.Cidr6), Desc(r))),
            new XElement(Ec2 + "prefixListIds", r.PrefixList is null ? null : new XElement(Ec2 + "item", new XElement(Ec2 + "prefixListId", r.PrefixList), Desc(r))));

    private static XElement? Desc(Rule r) => r.Description is null ? null : new XElement(Ec2 + "description", r.Description);
}

public sealed record EmulatedRule(string RuleId, bool Egress, string Protocol, int FromPort, int ToPort, string Source, string? Description);

public sealed record EmulatedGroup(string Account, string GroupId, string Name, string VpcId, IReadOnlyList<EmulatedRule> Rules, IReadOnlyDictionary<string, string> Tags);
