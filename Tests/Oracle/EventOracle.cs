using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SgBridge.Tests.Oracle;

/// <summary>What the oracle says of one body.</summary>
public enum OracleVerdict
{
    /// <summary>A record of a successful security group call the bridge handles: it may be accepted.</summary>
    Valid,

    /// <summary>A well-formed record of a call that failed or changed nothing (<c>errorCode</c>, <c>_return: false</c>): it may be acknowledged.</summary>
    ChangedNothing,

    /// <summary>Not something EventBridge delivers for a handled, successful call: it must never be accepted.</summary>
    Invalid,
}

/// <summary>
/// An independent validator of what the intake receives, written from the AWS documentation and NOT from the intake's
/// parser (it shares no code with <c>SgBridge.Shared.Events</c>): the EventBridge envelope ("Amazon EventBridge events":
/// <c>version</c>, <c>id</c>, <c>detail-type</c>, <c>source</c>, <c>account</c>, <c>time</c>, <c>region</c>,
/// <c>resources</c>, <c>detail</c>), the CloudTrail record ("CloudTrail record contents": <c>eventID</c> is a GUID,
/// <c>eventTime</c> ISO 8601 (UTC; an explicit offset is read as such), <c>recipientAccountId</c> 12 digits, …) and the EC2 API reference for the calls the
/// bridge handles (IpPermission, IpRange, Ipv6Range, PrefixListId, UserIdGroupPair, SecurityGroupRule,
/// SecurityGroupRuleRequest): protocol a name (tcp, udp, icmp, icmpv6) or a number 0–255 or −1; tcp/udp/icmp need a
/// port range; ports −1..65535, ICMP type and code −1..255; CIDRs as dotted-quad decimal or IPv6 with a prefix in
/// range; ids <c>sg-</c>/<c>sgr-</c>/<c>pl-</c> and 8 or 17 lower-case hex digits; descriptions at most 255 characters
/// of <c>a-zA-Z0-9 ._-:/()#,@[]+=&amp;;{}!$*</c>; group names the same set, at most 255.
/// <para>
/// Deliberately lenient where the intake is lenient on purpose and the meaning is unchanged: numbers written as
/// strings, JSON null for an absent optional field, collections as <c>{"items":[…]}</c>, <c>{}</c> or a bare array.
/// Where the documentation is silent (e.g. −1 as a TCP port) it accepts, so that it is never stricter than EC2.
/// </para>
/// </summary>
public static partial class EventOracle
{
    private const string DescriptionChars = " ._-:/()#,@[]+=&;{}!$*";

    private static readonly HashSet<string> HandledCalls =
    [
        "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "ModifySecurityGroupRules",
    ];

    /// <summary>Region codes of the aws, aws-cn and aws-us-gov partitions, from the AWS SDK's endpoint data (not the bridge's list).</summary>
    private static readonly HashSet<string> Regions = Amazon.RegionEndpoint.EnumerableAllRegions
        .Where(r => r.PartitionName is "aws" or "aws-cn" or "aws-us-gov")
        .Select(r => r.SystemName).ToHashSet(StringComparer.Ordinal);

    /// <summary>The verdict on <paramref name="body"/>, and the first reason when it is not <see cref="OracleVerdict.Valid"/>.</summary>
    public static (OracleVerdict Verdict, string Reason) Judge(byte[] body)
    {
        try
        {
            return (Check(body), "");
        }
        catch (Refusal r)
        {
            return (OracleVerdict.Invalid, r.Message);
        }
        catch (NothingChanged n)
        {
            return (OracleVerdict.ChangedNothing, n.Message);
        }
    }

    private sealed class Refusal(string message) : Exception(message);

    private sealed class NothingChanged(string message) : Exception(message);

    private static OracleVerdict Check(byte[] body)
    {
        var text = StrictUtf8(body);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new Refusal("not JSON: " + e.Message);
        }
        using (doc)
        {
            NoDuplicateKeysNoBrokenStrings(doc.RootElement, "$");
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new Refusal("the root is not an object");
            JsonElement record;
            string? envelopeAccount = null, envelopeRegion = null;
            if (Has(root, "detail") || Has(root, "detail-type"))
            {
                Equal(root, "source", "aws.ec2");
                Equal(root, "detail-type", "AWS API Call via CloudTrail");
                record = Obj(root, "detail") ?? throw new Refusal("no detail");
                _ = OptStr(root, "version");
                _ = OptStr(root, "id");
                if (OptStr(root, "time") is { } time && !IsTimestamp(time)) throw new Refusal($"time {time}");
                envelopeAccount = OptStr(root, "account");
                if (envelopeAccount is not null && !AccountId().IsMatch(envelopeAccount)) throw new Refusal($"account {envelopeAccount}");
                envelopeRegion = OptStr(root, "region");
                if (envelopeRegion is not null && !Regions.Contains(envelopeRegion)) throw new Refusal($"region {envelopeRegion}");
                if (Get(root, "resources") is { } resources && resources.ValueKind != JsonValueKind.Array) throw new Refusal("resources is not an array");
            }
            else
            {
                record = root;
            }

            Equal(record, "eventSource", "ec2.amazonaws.com");
            var call = ReqStr(record, "eventName");
            if (!HandledCalls.Contains(call)) throw new Refusal($"eventName {call}");
            if (OptStr(record, "errorCode") is not null) throw new NothingChanged("errorCode");
            var response = Obj(record, "responseElements");
            if (response is { } r0 && (Bool(r0, "_return") == false || Bool(r0, "return") == false
                || (Obj(r0, "ModifySecurityGroupRulesResponse") is { } mr && Bool(mr, "return") == false)))
            {
                throw new NothingChanged("_return false");
            }

            var eventId = ReqStr(record, "eventID");
            if (!Guid().IsMatch(eventId)) throw new Refusal($"eventID {Short(eventId)} is not a GUID");
            if (!IsTimestamp(ReqStr(record, "eventTime"))) throw new Refusal("eventTime");
            var account = OptStr(record, "recipientAccountId");
            if (account is not null && envelopeAccount is not null && account != envelopeAccount) throw new Refusal("recipientAccountId differs from account");
            account ??= envelopeAccount ?? throw new Refusal("no account");
            if (!AccountId().IsMatch(account)) throw new Refusal($"recipientAccountId {account}");
            var region = OptStr(record, "awsRegion") ?? envelopeRegion ?? throw new Refusal("no region");
            if (!Regions.Contains(region)) throw new Refusal($"awsRegion {region}");
            var identity = Obj(record, "userIdentity") ?? throw new Refusal("no userIdentity");
            _ = OptStr(identity, "type");
            _ = OptStr(identity, "arn");

            var parameters = Obj(record, "requestParameters") ?? throw new Refusal("no requestParameters");
            var egress = call.Contains("Egress", StringComparison.Ordinal);
            switch (call)
            {
                case "ModifySecurityGroupRules":
                    Modify(parameters);
                    break;
                default:
                    AuthorizeOrRevoke(call.StartsWith("Revoke", StringComparison.Ordinal), egress, parameters, response);
                    break;
            }
            return OracleVerdict.Valid;
        }
    }

    private static void AuthorizeOrRevoke(bool revoke, bool egress, JsonElement p, JsonElement? response)
    {
        var groupId = OptStr(p, "groupId");
        if (groupId is not null) Id(groupId, "sg", "groupId");
        var groupName = OptStr(p, "groupName");
        if (groupName is not null) Name(groupName, "groupName");

        var permissions = Permissions(p, "ipPermissions");
        // The pre-IpPermissions flat form (CidrIp, SourceSecurityGroupName/OwnerId, IpProtocol, FromPort, ToPort).
        var flatCidr = OptStr(p, "cidrIp");
        var flatGroup = OptStr(p, "sourceSecurityGroupName");
        if (flatCidr is not null) Cidr4(flatCidr, "cidrIp");
        if (flatGroup is not null) Name(flatGroup, "sourceSecurityGroupName");
        if (OptStr(p, "sourceSecurityGroupOwnerId") is { } owner && !AccountId().IsMatch(owner)) throw new Refusal($"sourceSecurityGroupOwnerId {owner}");
        if (flatCidr is not null || flatGroup is not null)
        {
            Ports(OptStr(p, "ipProtocol") ?? "-1", p, "fromPort", "toPort");
            permissions++;
        }

        var ruleIds = 0;
        if (revoke)
        {
            foreach (var item in Items(p, "securityGroupRuleIds"))
            {
                var id = item.ValueKind == JsonValueKind.String ? item.GetString() : item.ValueKind == JsonValueKind.Object ? OptStr(item, "securityGroupRuleId") : null;
                if (string.IsNullOrWhiteSpace(id)) throw new Refusal("securityGroupRuleIds item");
                Id(id.Trim(), "sgr", "securityGroupRuleIds");
                ruleIds++;
            }
        }

        string? responseGroup = null;
        var responseRules = 0;
        var unknown = 0;
        if (response is { } r)
        {
            foreach (var rule in Items(r, revoke ? "revokedSecurityGroupRuleSet" : "securityGroupRuleSet"))
            {
                if (rule.ValueKind != JsonValueKind.Object) throw new Refusal("response rule is not an object");
                if (Bool(rule, "isEgress") is { } isEgress && isEgress != egress) throw new Refusal("isEgress contradicts the call");
                if (OptStr(rule, "groupId") is { } g) responseGroup ??= Id(g, "sg", "groupId");
                if (OptStr(rule, "securityGroupRuleId") is { } rid) Id(rid, "sgr", "securityGroupRuleId");
                if (OptStr(rule, "description") is { } d) Description(d);
                Ports(ReqStr(rule, "ipProtocol"), rule, "fromPort", "toPort");
                var sources = 0;
                if (OptStr(rule, "cidrIpv4") is { } v4) { Cidr4(v4, "cidrIpv4"); sources++; }
                if (OptStr(rule, "cidrIpv6") is { } v6) { Cidr6(v6, "cidrIpv6"); sources++; }
                if (OptStr(rule, "prefixListId") is { } pl) { Id(pl, "pl", "prefixListId"); sources++; }
                if (Obj(rule, "referencedGroupInfo") is { } info)
                {
                    Id(ReqStr(info, "groupId"), "sg", "referencedGroupInfo.groupId");
                    if (OptStr(info, "userId") is { } u && !AccountId().IsMatch(u)) throw new Refusal($"referencedGroupInfo.userId {u}");
                    sources++;
                }
                if (OptStr(rule, "referencedGroupId") is { } rg) { Id(rg, "sg", "referencedGroupId"); sources++; }
                if (sources == 0) throw new Refusal("a response rule without a source");
                responseRules++;
            }
            if (revoke) unknown = Permissions(r, "unknownIpPermissionSet");
        }

        if (groupId is null && groupName is null && responseGroup is null) throw new Refusal("no group");
        if (permissions + ruleIds + responseRules == 0) throw new Refusal("no rule");
        if (revoke && responseRules == 0 && ruleIds == 0 && unknown > 0 && unknown >= permissions) throw new NothingChanged("every permission unknown");
    }

    /// <summary>The IpPermission items under <paramref name="name"/>, each checked; returns how many.</summary>
    private static int Permissions(JsonElement parent, string name)
    {
        var count = 0;
        foreach (var permission in Items(parent, name))
        {
            if (permission.ValueKind != JsonValueKind.Object) throw new Refusal($"{name} item is not an object");
            Ports(ReqStr(permission, "ipProtocol"), permission, "fromPort", "toPort");
            var sources = 0;
            foreach (var range in Items(permission, "ipRanges")) { Cidr4(ReqStr(Object(range), "cidrIp"), "cidrIp"); Desc(range); sources++; }
            foreach (var range in Items(permission, "ipv6Ranges")) { Cidr6(ReqStr(Object(range), "cidrIpv6"), "cidrIpv6"); Desc(range); sources++; }
            foreach (var list in Items(permission, "prefixListIds")) { Id(ReqStr(Object(list), "prefixListId"), "pl", "prefixListId"); Desc(list); sources++; }
            foreach (var pair in Items(permission, "groups"))
            {
                Object(pair);
                var id = OptStr(pair, "groupId");
                var groupName = OptStr(pair, "groupName");
                if (id is null && groupName is null) throw new Refusal("a group pair without groupId or groupName");
                if (id is not null) Id(id, "sg", "groups.groupId");
                if (groupName is not null) Name(groupName, "groups.groupName");
                if (OptStr(pair, "userId") is { } u && !AccountId().IsMatch(u)) throw new Refusal($"groups.userId {u}");
                Desc(pair);
                sources++;
            }
            if (sources == 0) throw new Refusal("a permission without a source");
            count++;
        }
        return count;
    }

    private static void Modify(JsonElement p)
    {
        var request = Obj(p, "ModifySecurityGroupRulesRequest") ?? p;
        Id(ReqStr(request, "GroupId"), "sg", "GroupId");
        var list = Get(request, "SecurityGroupRule") ?? throw new Refusal("no SecurityGroupRule");
        var entries = list.ValueKind switch
        {
            JsonValueKind.Array => list.EnumerateArray().ToList(),
            JsonValueKind.Object when Has(list, "items") => Get(list, "items") is { ValueKind: JsonValueKind.Array } a ? a.EnumerateArray().ToList() : throw new Refusal("items is not an array"),
            JsonValueKind.Object => [list],
            _ => throw new Refusal("SecurityGroupRule is neither an object nor an array"),
        };
        if (entries.Count == 0) throw new Refusal("no rule modified");
        foreach (var entry in entries)
        {
            Object(entry);
            Id(ReqStr(entry, "SecurityGroupRuleId"), "sgr", "SecurityGroupRuleId");
            var rule = Obj(entry, "SecurityGroupRule") ?? throw new Refusal("no SecurityGroupRule content");
            Ports(ReqStr(rule, "IpProtocol"), rule, "FromPort", "ToPort");
            var sources = 0;
            if (OptStr(rule, "CidrIpv4") is { } v4) { Cidr4(v4, "CidrIpv4"); sources++; }
            if (OptStr(rule, "CidrIpv6") is { } v6) { Cidr6(v6, "CidrIpv6"); sources++; }
            if (OptStr(rule, "PrefixListId") is { } pl) { Id(pl, "pl", "PrefixListId"); sources++; }
            if (OptStr(rule, "ReferencedGroupId") is { } g) { Id(g, "sg", "ReferencedGroupId"); sources++; }
            // SecurityGroupRuleRequest: "you must specify exactly one" source.
            if (sources != 1) throw new Refusal($"{sources} sources in a modified rule");
            if (OptStr(rule, "Description") is { } d) Description(d);
        }
    }

    // --- values -------------------------------------------------------------------------------------------

    private static void Ports(string protocolText, JsonElement parent, string fromName, string toName)
    {
        var protocol = protocolText.ToLowerInvariant() switch
        {
            "6" => "tcp",
            "17" => "udp",
            "1" => "icmp",
            "58" => "icmpv6",
            var p => p,
        };
        var named = protocol is "tcp" or "udp" or "icmp" or "icmpv6";
        if (!named && !(int.TryParse(protocol, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) && number is >= -1 and <= 255 && number.ToString(CultureInfo.InvariantCulture) == protocol))
        {
            throw new Refusal($"ipProtocol {Short(protocolText)}");
        }
        var from = Int(parent, fromName);
        var to = Int(parent, toName);
        if (protocol is "tcp" or "udp" or "icmp" && (from is null || to is null)) throw new Refusal($"{protocol} without a port range");
        var icmp = protocol is "icmp" or "icmpv6";
        var max = icmp ? 255 : 65535;
        if (from is < -1 || from > max || to is < -1 || to > max) throw new Refusal($"ports {from}-{to} for {protocol}");
        if (protocol is "tcp" or "udp" && from >= 0 && to >= 0 && from > to) throw new Refusal($"ports {from}-{to}");
    }

    private static int? Int(JsonElement parent, string name)
    {
        if (Get(parent, name) is not { } e) return null;
        if (e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var n)) return n;
        if (e.ValueKind == JsonValueKind.String && string.IsNullOrWhiteSpace(e.GetString())) return null;
        if (e.ValueKind == JsonValueKind.String && Regex.IsMatch(e.GetString()!, @"\A-?[0-9]{1,6}\z") && int.TryParse(e.GetString(), CultureInfo.InvariantCulture, out var s)) return s;
        throw new Refusal($"{name} is not an integer");
    }

    private static string Id(string value, string prefix, string what) =>
        Regex.IsMatch(value, $@"\A{prefix}-(?:[0-9a-f]{{8}}|[0-9a-f]{{17}})\z") ? value : throw new Refusal($"{what} {Short(value)}");

    private static void Cidr4(string value, string what)
    {
        // Dotted-quad decimal octets 0-255 and a prefix 0-32. (The documentation is silent on leading zeros: accepted.)
        var m = Regex.Match(value, @"\A([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})/([0-9]{1,2})\z");
        if (!m.Success
            || Enumerable.Range(1, 4).Any(i => int.Parse(m.Groups[i].Value, CultureInfo.InvariantCulture) > 255)
            || int.Parse(m.Groups[5].Value, CultureInfo.InvariantCulture) > 32)
        {
            throw new Refusal($"{what} {Short(value)}");
        }
    }

    private static void Cidr6(string value, string what)
    {
        var slash = value.LastIndexOf('/');
        if (slash < 0 || value.Contains('%', StringComparison.Ordinal) || value.Contains('.', StringComparison.Ordinal)
            || !Regex.IsMatch(value[(slash + 1)..], @"\A(0|[1-9][0-9]{0,2})\z") || int.Parse(value[(slash + 1)..], CultureInfo.InvariantCulture) > 128
            || !Regex.IsMatch(value[..slash], @"\A[0-9a-fA-F:]+\z")
            || !IPAddress.TryParse(value[..slash], out var address) || address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new Refusal($"{what} {Short(value)}");
        }
    }

    private static void Desc(JsonElement item)
    {
        if (OptStr(item, "description") is { } d) Description(d);
    }

    private static void Description(string value)
    {
        if (value.Length > 255 || value.Any(c => !(char.IsAsciiLetterOrDigit(c) || DescriptionChars.Contains(c, StringComparison.Ordinal))))
        {
            throw new Refusal($"description {Short(value)}");
        }
    }

    private static void Name(string value, string what)
    {
        // CreateSecurityGroup, GroupName (VPC): up to 255 characters, the description's character set.
        if (value.Length > 255 || value.Any(c => !(char.IsAsciiLetterOrDigit(c) || DescriptionChars.Contains(c, StringComparison.Ordinal))))
        {
            throw new Refusal($"{what} {Short(value)}");
        }
    }

    private static bool IsTimestamp(string value) =>
        DateTimeOffset.TryParseExact(value, ["yyyy-MM-ddTHH:mm:ssK", "yyyy-MM-ddTHH:mm:ss.FFFFFFFK"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _);

    // --- JSON ---------------------------------------------------------------------------------------------

    private static string StrictUtf8(byte[] body)
    {
        var bytes = body.AsSpan();
        if (bytes.StartsWith((byte[])[0xEF, 0xBB, 0xBF])) bytes = bytes[3..];
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new Refusal("not UTF-8");
        }
    }

    private static void NoDuplicateKeysNoBrokenStrings(JsonElement e, string path)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                foreach (var p in e.EnumerateObject())
                {
                    if (!seen.Add(p.Name)) throw new Refusal($"duplicate key {path}.{p.Name}");
                    NoDuplicateKeysNoBrokenStrings(p.Value, $"{path}.{p.Name}");
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray()) NoDuplicateKeysNoBrokenStrings(item, path + "[]");
                break;
            case JsonValueKind.String:
                try
                {
                    _ = e.GetString();
                }
                catch (InvalidOperationException)
                {
                    throw new Refusal($"a string at {path} is not valid UTF-16");
                }
                break;
        }
    }

    private static JsonElement? Get(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static bool Has(JsonElement parent, string name) => Get(parent, name) is not null;

    private static JsonElement Object(JsonElement e) => e.ValueKind == JsonValueKind.Object ? e : throw new Refusal($"expected an object, got {e.ValueKind}");

    private static JsonElement? Obj(JsonElement parent, string name) =>
        Get(parent, name) is { } v ? (v.ValueKind == JsonValueKind.Object ? v : throw new Refusal($"{name} is not an object")) : null;

    private static string? OptStr(JsonElement parent, string name)
    {
        if (Get(parent, name) is not { } v) return null;
        var s = v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            _ => throw new Refusal($"{name} is a {v.ValueKind}"),
        };
        return string.IsNullOrWhiteSpace(s) ? null : s.Trim();
    }

    private static string ReqStr(JsonElement parent, string name) => OptStr(parent, name) ?? throw new Refusal($"no {name}");

    private static bool? Bool(JsonElement parent, string name) => Get(parent, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        { ValueKind: JsonValueKind.String } s when s.GetString() is "true" or "false" => s.GetString() == "true",
        _ => throw new Refusal($"{name} is not a boolean"),
    };

    private static void Equal(JsonElement parent, string name, string expected)
    {
        if (ReqStr(parent, name) != expected) throw new Refusal($"{name} is not {expected}");
    }

    private static IEnumerable<JsonElement> Items(JsonElement parent, string name)
    {
        if (Get(parent, name) is not { } v) return [];
        return v.ValueKind switch
        {
            JsonValueKind.Array => v.EnumerateArray().ToList(),
            JsonValueKind.Object when Get(v, "items") is { ValueKind: JsonValueKind.Array } a && v.EnumerateObject().Count() == 1 => a.EnumerateArray().ToList(),
            JsonValueKind.Object when v.EnumerateObject().All(p => p.Name == "items" && p.Value.ValueKind == JsonValueKind.Null) => [],
            _ => throw new Refusal($"{name} is not a collection"),
        };
    }

    private static string Short(string value) => value.Length <= 40 ? value : value[..40] + "…";

    [GeneratedRegex(@"\A[0-9]{12}\z")]
    private static partial Regex AccountId();

    [GeneratedRegex(@"\A[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\z")]
    private static partial Regex Guid();
}
