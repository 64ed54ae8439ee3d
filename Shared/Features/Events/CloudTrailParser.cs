using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Unicode;
using SgBridge.Shared.Domain;
using static SgBridge.Shared.Events.HandledEvents;

namespace SgBridge.Shared.Events;

/// <summary>Turns one CloudTrail record of a security group call, bare or in its EventBridge envelope, into a
/// <see cref="SecurityGroupChange"/>. Pure; never throws on bad input: every problem is a rejection naming the field at fault.</summary>
public static partial class CloudTrailParser
{
    private const int MaxDepth = 64;

    /// <summary>The field a rejection names when the fault is the whole body (empty, or not text).</summary>
    public const string BodyField = "(body)";

    /// <summary>The field a rejection names when the fault is the top-level value.</summary>
    public const string RootField = "(root)";

    public static ParseResult Parse(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return Empty();
        return Parse(System.Text.Encoding.UTF8.GetBytes(json));
    }

    public static ParseResult Parse(ReadOnlySpan<byte> utf8Json)
    {
        if (utf8Json.StartsWith("\uFEFF"u8)) utf8Json = utf8Json[3..];
        if (utf8Json.IsEmpty || utf8Json.Trim(" \t\r\n"u8).IsEmpty) return Empty();
        if (!Utf8.IsValid(utf8Json))
        {
            var at = FirstInvalidUtf8(utf8Json);
            var where = JsonStructure.LocationAt(utf8Json[..at], MaxDepth);
            return NotJson(where, $"The body is not valid UTF-8 at '{AwsValues.Quote(where, 256)}' (byte {at}).");
        }
        try
        {
            // One pass first over the whole body (trailing data included): duplicated keys and undecodable strings,
            // which the document would hide. The document then reads a body known to be one JSON value.
            if (JsonStructure.Check(utf8Json, MaxDepth) is { } structural) return structural;
        }
        catch (JsonException e)
        {
            var where = e.Data["location"] as string ?? RootField;
            return NotJson(where, $"The body is not valid JSON at '{AwsValues.Quote(where, 256)}': {e.Message}");
        }
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = MaxDepth });
        using var document = JsonDocument.ParseValue(ref reader);
        return ParseRoot(document.RootElement);
    }

    /// <summary>Parses an element already read; its raw text goes through the same checks as a body (duplicated keys included).</summary>
    public static ParseResult Parse(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object
            ? Parse(System.Text.Encoding.UTF8.GetBytes(root.GetRawText()))
            : ParseRoot(root);

    private static ParseResult ParseRoot(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return new ParseResult.Rejection(RejectionKind.NotAnObject, $"Field '{RootField}' is invalid: expected a JSON object (an EventBridge event or a CloudTrail record), got {JsonField.Kind(root)}.") { Field = RootField };
        }
        var context = new Context();
        try
        {
            return new ParseResult.Success(ParseEvent(new JsonField(root, ""), context));
        }
        catch (RejectedException e)
        {
            return e.Rejection with { EventId = e.Rejection.EventId ?? context.EventId, EventName = e.Rejection.EventName ?? context.EventName };
        }
    }

    /// <summary>What was read before a rejection, so that the rejection can say which event it was.</summary>
    private sealed class Context
    {
        public string? EventId { get; set; }
        public string? EventName { get; set; }
    }

    private static SecurityGroupChange ParseEvent(JsonField root, Context context)
    {
        JsonField record;
        string? envelopeAccount = null;
        string? envelopeRegion = null;
        if (root.Has("detail") || root.Has("detail-type"))
        {
            Expect(root, "source", EventBridgeSource, RejectionKind.WrongSource, $"an EventBridge event must come from '{EventBridgeSource}'");
            Expect(root, "detail-type", EventBridgeDetailType, RejectionKind.WrongDetailType);
            record = root.RequireObject("detail", "the EventBridge event carries no CloudTrail record");
            (envelopeAccount, envelopeRegion) = Envelope(root);
        }
        else if (root.Has("eventSource") || root.Has("eventName"))
        {
            record = root;
        }
        else
        {
            throw Reject(RejectionKind.MissingField, "detail",
                "Neither an EventBridge event (no 'detail-type' or 'detail') nor a CloudTrail record (no 'eventSource' or 'eventName').");
        }

        context.EventId = record.Str("eventID");
        Expect(record, "eventSource", CloudTrailEventSource, RejectionKind.WrongSource);
        var eventName = record.RequireStr("eventName");
        context.EventName = eventName;
        if (!AllNames.Contains(eventName, StringComparer.Ordinal))
        {
            throw Reject(RejectionKind.UnhandledEventName, record.Child("eventName"),
                $"Field '{record.Child("eventName")}' is '{AwsValues.Quote(eventName)}'; handled: {string.Join(", ", AllNames)}.");
        }

        if (record.Str("errorCode") is { } errorCode)
        {
            var errorMessage = record.Str("errorMessage");
            throw new RejectedException(new ParseResult.Rejection(RejectionKind.FailedCall,
                $"Field '{record.Child("errorCode")}' is '{errorCode}': the {eventName} call failed{(errorMessage is null ? "" : $" ({errorMessage})")} and changed nothing.")
            {
                Field = record.Child("errorCode"),
                ErrorCode = errorCode,
                ErrorMessage = errorMessage,
            });
        }
        if (record.GetObject("responseElements") is { } response && ReturnedFalse(response) is { } returnPath)
        {
            throw Reject(RejectionKind.FailedCall, returnPath, $"Field '{returnPath}' is false: the {eventName} call changed nothing.");
        }

        var eventId = record.RequireStr("eventID");
        if (!EventIdPattern().IsMatch(eventId))
        {
            // CloudTrail's event ids are GUIDs (36 characters). The id becomes the request's id and table key: a bounded,
            // plain one, or the event is refused here (a 40,000-character id could never be stored).
            throw RejectedException.Invalid(record.Child("eventID"), $"'{AwsValues.Quote(eventId)}' is not an event id (CloudTrail's event ids are GUIDs, e.g. 5d2d2f34-6c1e-4d2b-9a8f-1b2c3d4e0002)");
        }
        var eventTime = Timestamp(record.RequireStr("eventTime"), record.Child("eventTime"));

        var recipientAccount = record.Str("recipientAccountId");
        if (recipientAccount is not null && envelopeAccount is not null && recipientAccount != envelopeAccount)
        {
            throw Reject(RejectionKind.AccountMismatch, record.Child("recipientAccountId"),
                $"Field '{record.Child("recipientAccountId")}' is {recipientAccount} but the envelope's 'account' is {envelopeAccount}.");
        }
        var accountId = recipientAccount is not null ? Account(recipientAccount, record.Child("recipientAccountId"))
            : envelopeAccount ?? throw RejectedException.Missing(record.Child("recipientAccountId"), "the envelope has no 'account' either");
        var region = record.Str("awsRegion") is { } awsRegion ? Region(awsRegion, record.Child("awsRegion"))
            : envelopeRegion ?? throw RejectedException.Missing(record.Child("awsRegion"), "the envelope has no 'region' either");

        var requester = ParseRequester(record);
        var parameters = record.RequireObject("requestParameters");
        var responseElements = record.GetObject("responseElements");

        var change = new SecurityGroupChange
        {
            EventId = eventId,
            EventName = eventName,
            EventTime = eventTime,
            AccountId = accountId,
            Region = region,
            Kind = ChangeKind.Add,
            Direction = EgressNames.Contains(eventName, StringComparer.Ordinal) ? RuleDirection.Egress : RuleDirection.Ingress,
            Requester = requester,
        };
        return eventName switch
        {
            AuthorizeIngress or AuthorizeEgress => Authorize(change, parameters, responseElements),
            RevokeIngress or RevokeEgress => Revoke(change, parameters, responseElements),
            _ => Modify(change, parameters),
        };
    }

    /// <summary>The envelope's own fields, checked when present; returns its account and region.</summary>
    private static (string? Account, string? Region) Envelope(JsonField root)
    {
        _ = root.Str("version");
        _ = root.Str("id");
        if (root.Str("time") is { } time)
        {
            _ = Timestamp(time, "time");
        }
        if (root.Get("resources") is { } resources && resources.Element.ValueKind != JsonValueKind.Array)
        {
            throw RejectedException.Invalid("resources", $"expected an array, got {JsonField.Kind(resources.Element)}");
        }
        return (root.Str("account") is { } account ? Account(account, "account") : null, root.Str("region") is { } region ? Region(region, "region") : null);
    }

    /// <summary>The string at <paramref name="name"/> must be <paramref name="expected"/>; else a rejection of <paramref name="kind"/>.</summary>
    private static void Expect(JsonField parent, string name, string expected, RejectionKind kind, string? hint = null)
    {
        var value = parent.RequireStr(name, hint ?? $"expected '{expected}'");
        if (value != expected)
        {
            throw Reject(kind, parent.Child(name), $"Field '{parent.Child(name)}' is '{AwsValues.Quote(value)}'; expected '{expected}'.");
        }
    }

    /// <summary>CloudTrail's and EventBridge's timestamps: ISO 8601, e.g. <c>2025-03-14T10:02:11Z</c> (fractions of a second and an offset allowed).</summary>
    private static DateTimeOffset Timestamp(string text, string field) =>
        DateTimeOffset.TryParseExact(text, TimestampFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : throw RejectedException.Invalid(field, $"'{AwsValues.Quote(text)}' is not a timestamp (ISO 8601, e.g. 2025-03-14T10:02:11Z)");

    private static readonly string[] TimestampFormats = ["yyyy-MM-ddTHH:mm:ssK", "yyyy-MM-ddTHH:mm:ss.FFFFFFFK"];

    private static string Account(string value, string field) =>
        AwsValues.IsAccountId(value) ? value : throw RejectedException.Invalid(field, $"'{AwsValues.Quote(value)}' is not a 12-digit AWS account id");

    /// <summary>The region picks the EC2 endpoint the bridge calls: only the regions AWS has pass (AwsRegions.cs says how to update).</summary>
    private static string Region(string value, string field) =>
        AwsRegions.IsKnown(value) ? value : throw RejectedException.Invalid(field, $"'{AwsValues.Quote(value)}' is not a region of the aws, aws-us-gov or aws-cn partitions");

    private static SecurityGroupChange Authorize(SecurityGroupChange change, JsonField parameters, JsonField? response)
    {
        var requested = RequestedRules(parameters);
        var created = response is { } r ? ResponseRules(r, "securityGroupRuleSet", change) : [];

        // The response is what EC2 created (with rule ids); the request may carry descriptions the response omits.
        IReadOnlyList<SecurityGroupRule> rules = created.Count > 0
            ? created.Select(c => c.Rule.Description is null && requested.FirstOrDefault(q => q.SameAccessAs(c.Rule))?.Description is { } d
                ? c.Rule with { Description = d }
                : c.Rule).ToList()
            : requested.Count > 0 ? requested : throw RejectedException.Missing(parameters.Child("ipPermissions"), "the call names no rule");
        var (groupId, groupName) = Group(parameters, created);
        return change with { Kind = ChangeKind.Add, GroupId = groupId, GroupName = groupName, Rules = rules };
    }

    private static SecurityGroupChange Revoke(SecurityGroupChange change, JsonField parameters, JsonField? response)
    {
        var requested = RequestedRules(parameters);
        var ruleIds = new List<string>();
        foreach (var item in parameters.Items("securityGroupRuleIds"))
        {
            var id = item.Element.ValueKind == JsonValueKind.String ? item.Element.GetString() : item.IsObject ? item.Str("securityGroupRuleId") : null;
            if (string.IsNullOrWhiteSpace(id)) throw RejectedException.Invalid(item.Path, "expected a security group rule id");
            ruleIds.Add(CheckRuleId(id.Trim(), item.IsObject ? item.Child("securityGroupRuleId") : item.Path));
        }

        var revoked = response is { } r ? ResponseRules(r, "revokedSecurityGroupRuleSet", change) : [];
        // Default VPC: a permission that matched no rule is not an error; the response lists it as unknown. It changed nothing.
        var unknown = revoked.Count == 0 && response is { } u ? Permissions(u, "unknownIpPermissionSet") : [];
        var rules = revoked.Count > 0 ? revoked.Select(x => x.Rule).ToList() : requested.Where(q => !unknown.Any(x => x.SameAccessAs(q))).ToList();
        if (revoked.Count == 0 && requested.Count > 0 && rules.Count == 0 && ruleIds.Count == 0)
        {
            throw Reject(RejectionKind.FailedCall, response!.Value.Child("unknownIpPermissionSet"),
                $"Field '{response!.Value.Child("unknownIpPermissionSet")}' lists every permission of the call: the {change.EventName} call revoked nothing.");
        }
        if (rules.Count == 0 && ruleIds.Count == 0)
        {
            throw RejectedException.Missing(parameters.Child("ipPermissions"), "the call names neither permissions nor 'securityGroupRuleIds'");
        }

        var (groupId, groupName) = Group(parameters, revoked);
        return change with { Kind = ChangeKind.Remove, GroupId = groupId, GroupName = groupName, Rules = rules, RuleIds = ruleIds };
    }

    private static SecurityGroupChange Modify(SecurityGroupChange change, JsonField parameters)
    {
        // CloudTrail wraps this call's parameters and keeps the API's PascalCase; accept them unwrapped too.
        var request = parameters.GetObject("ModifySecurityGroupRulesRequest") ?? parameters;
        var groupId = GroupIdAt(request, "GroupId") ?? throw RejectedException.Missing(request.Child("GroupId"));
        var entries = request.Get("SecurityGroupRule") is { } list
            ? list.Element.ValueKind switch
            {
                JsonValueKind.Array => list.Elements(),
                JsonValueKind.Object when list.Has("items") => list.Get("items")!.Value.Elements(),
                JsonValueKind.Object => [list],
                _ => throw RejectedException.Invalid(list.Path, $"expected an object or an array, got {JsonField.Kind(list.Element)}"),
            }
            : throw RejectedException.Missing(request.Child("SecurityGroupRule"));
        if (entries.Count == 0) throw RejectedException.Missing(request.Child("SecurityGroupRule"), "the call names no rule");

        var modifications = new List<RuleModification>();
        foreach (var entry in entries)
        {
            if (!entry.IsObject) throw RejectedException.Invalid(entry.Path, $"expected an object, got {JsonField.Kind(entry.Element)}");
            var ruleId = RuleIdAt(entry, "SecurityGroupRuleId") ?? throw RejectedException.Missing(entry.Child("SecurityGroupRuleId"));
            var content = entry.RequireObject("SecurityGroupRule", "the new content of the rule");
            var protocol = ProtocolAt(content, "IpProtocol");
            var source = Ipv4At(content, "CidrIpv4") is { } v4 ? RuleSource.Ipv4(v4)
                : Ipv6At(content, "CidrIpv6") is { } v6 ? RuleSource.Ipv6(v6)
                : PrefixListAt(content, "PrefixListId") is { } pl ? RuleSource.PrefixList(pl)
                : GroupIdAt(content, "ReferencedGroupId") is { } g ? RuleSource.Group(g)
                : throw RejectedException.Missing(content.Child("CidrIpv4"), "the rule names no source (CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupId)");
            var (from, to) = PortsAt(content, protocol, "FromPort", "ToPort");
            var after = new SecurityGroupRule(protocol, from, to, source, DescriptionAt(content, "Description"), ruleId);
            modifications.Add(new RuleModification(ruleId, after));
        }
        return change with { Kind = ChangeKind.Modify, GroupId = groupId, Modifications = modifications };
    }

    /// <summary>The group: <c>groupId</c>, else the id EC2 reported in the response rules, and <c>groupName</c> (default VPC) when given.</summary>
    private static (string? GroupId, string? GroupName) Group(JsonField parameters, IReadOnlyList<ResponseRule> fromResponse)
    {
        var groupId = GroupIdAt(parameters, "groupId") ?? fromResponse.Select(r => r.GroupId).FirstOrDefault(id => id is not null);
        var groupName = GroupNameAt(parameters, "groupName");
        if (groupId is null && groupName is null)
        {
            throw RejectedException.Missing(parameters.Child("groupId"), "there is no 'groupName' either");
        }
        return (groupId, groupName);
    }

    /// <summary>The path of a <c>_return</c>/<c>return</c> flag that is false, if any (also one level down, e.g. <c>ModifySecurityGroupRulesResponse.return</c>).</summary>
    private static string? ReturnedFalse(JsonField response)
    {
        if (False(response) is { } top) return top;
        foreach (var property in response.Element.EnumerateObject())
        {
            if (!property.Name.EndsWith("Response", StringComparison.OrdinalIgnoreCase) || property.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }
            // e.g. ModifySecurityGroupRulesResponse: EC2's answer is an object; anything else is not a record EC2 wrote.
            if (property.Value.ValueKind != JsonValueKind.Object)
            {
                throw RejectedException.Invalid(response.Child(property.Name), $"expected an object, got {JsonField.Kind(property.Value)}");
            }
            if (False(new JsonField(property.Value, response.Child(property.Name))) is { } inner) return inner;
        }
        return null;

        static string? False(JsonField field) =>
            field.Bool("_return") == false ? field.Child("_return") : field.Bool("return") == false ? field.Child("return") : null;
    }

    private static RejectedException Reject(RejectionKind kind, string field, string message) =>
        new(new ParseResult.Rejection(kind, message) { Field = field });

    private static ParseResult.Rejection NotJson(string field, string message) => new(RejectionKind.NotJson, message) { Field = field };

    private static ParseResult.Rejection Empty() => NotJson(BodyField, $"The body is empty: '{BodyField}' holds no event.");

    /// <summary>The offset of the first byte that does not start a valid UTF-8 sequence.</summary>
    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        var at = 0;
        while (at < bytes.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(bytes[at..], out _, out var consumed) != System.Buffers.OperationStatus.Done) return at;
            at += consumed;
        }
        return at;
    }

    /// <summary>CloudTrail's event ids: GUIDs ("a GUID generated by CloudTrail to uniquely identify each event"), 36 characters.</summary>
    [GeneratedRegex(@"\A[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\z")]
    private static partial Regex EventIdPattern();

    private const string IdentityCenterRolePath = ":role/aws-reserved/sso.amazonaws.com/";

    /// <summary>Who made the call, from <c>userIdentity</c>, <c>sourceIPAddress</c> and <c>userAgent</c>.</summary>
    private static Requester ParseRequester(JsonField record)
    {
        var identity = record.RequireObject("userIdentity");
        var type = identity.Str("type");
        var arn = identity.Str("arn");
        var issuerArn = identity.GetObject("sessionContext")?.GetObject("sessionIssuer")?.Str("arn");
        var principalType = type switch
        {
            "IAMUser" => PrincipalType.IamUser,
            "AssumedRole" => PrincipalType.AssumedRole,
            "Root" => PrincipalType.Root,
            "FederatedUser" => PrincipalType.FederatedUser,
            "AWSService" => PrincipalType.AwsService,
            "AWSAccount" => PrincipalType.AwsAccount,
            "IdentityCenterUser" => PrincipalType.IdentityCenterUser,
            _ => PrincipalType.Unknown,
        };
        var userName = principalType switch
        {
            PrincipalType.IamUser => identity.Str("userName") ?? LastSegment(arn),
            PrincipalType.FederatedUser => LastSegment(arn), // arn:aws:sts::111111111111:federated-user/name
            _ => null,
        };
        // arn:aws:sts::111111111111:assumed-role/RoleName/session-name
        var assumed = principalType == PrincipalType.AssumedRole;
        var sessionName = assumed && arn is not null && arn.Contains(":assumed-role/", StringComparison.Ordinal) ? LastSegment(arn) : null;
        if (assumed && issuerArn?.Contains(IdentityCenterRolePath, StringComparison.Ordinal) == true)
        {
            principalType = PrincipalType.IdentityCenterUser;
        }

        return new Requester(
            principalType,
            arn,
            identity.Str("accountId"),
            identity.Str("principalId"),
            userName,
            sessionName,
            issuerArn,
            record.Str("sourceIPAddress"),
            record.Str("userAgent"),
            identity.Str("invokedBy"));
    }

    private static string? LastSegment(string? arn)
    {
        if (arn is null) return null;
        var i = arn.LastIndexOf('/');
        return i >= 0 && i < arn.Length - 1 ? arn[(i + 1)..] : null;
    }

    /// <summary>A rule as EC2 reported it in a response rule set, with the group it belongs to.</summary>
    private sealed record ResponseRule(SecurityGroupRule Rule, string? GroupId);

    /// <summary>The rules a request names: <c>ipPermissions</c>, plus the legacy flat form directly under <c>requestParameters</c>.</summary>
    private static List<SecurityGroupRule> RequestedRules(JsonField parameters)
    {
        var rules = Permissions(parameters, "ipPermissions");
        if (LegacyRule(parameters) is { } legacy) rules.Add(legacy);
        return rules;
    }

    /// <summary>EC2 IpPermission items: one rule per source (a permission with three CIDRs and a group is four rules).</summary>
    private static List<SecurityGroupRule> Permissions(JsonField parent, string name)
    {
        var rules = new List<SecurityGroupRule>();
        foreach (var permission in parent.Items(name))
        {
            if (!permission.IsObject) throw RejectedException.Invalid(permission.Path, $"expected a permission object, got {JsonField.Kind(permission.Element)}");
            var protocol = ProtocolAt(permission, "ipProtocol");
            var (from, to) = PortsAt(permission, protocol, "fromPort", "toPort");
            var before = rules.Count;

            foreach (var range in permission.Items("ipRanges"))
            {
                rules.Add(new SecurityGroupRule(protocol, from, to, RuleSource.Ipv4(Source(range, "cidrIp", Ipv4At)), Description(range)));
            }
            foreach (var range in permission.Items("ipv6Ranges"))
            {
                rules.Add(new SecurityGroupRule(protocol, from, to, RuleSource.Ipv6(Source(range, "cidrIpv6", Ipv6At)), Description(range)));
            }
            foreach (var prefixList in permission.Items("prefixListIds"))
            {
                rules.Add(new SecurityGroupRule(protocol, from, to, RuleSource.PrefixList(Source(prefixList, "prefixListId", PrefixListAt)), Description(prefixList)));
            }
            foreach (var pair in permission.Items("groups"))
            {
                RequireObject(pair);
                // In a default VPC the source group may be named instead of identified.
                var group = GroupIdAt(pair, "groupId") ?? GroupNameAt(pair, "groupName")
                    ?? throw RejectedException.Missing(pair.Child("groupId"), "there is no 'groupName' either");
                var source = new RuleSource(SourceKind.ReferencedGroup, group, UserIdAt(pair, "userId"), pair.Str("vpcId"), pair.Str("vpcPeeringConnectionId"));
                rules.Add(new SecurityGroupRule(protocol, from, to, source, Description(pair)));
            }

            if (rules.Count == before)
            {
                throw RejectedException.Invalid(permission.Path, "the permission names no source (ipRanges, ipv6Ranges, prefixListIds or groups)");
            }
        }
        return rules;
    }

    /// <summary>The pre-IpPermissions form: <c>ipProtocol</c>, <c>fromPort</c>, <c>toPort</c> and <c>cidrIp</c> or <c>sourceSecurityGroupName</c>/<c>sourceSecurityGroupOwnerId</c>.</summary>
    private static SecurityGroupRule? LegacyRule(JsonField parameters)
    {
        var cidr = Ipv4At(parameters, "cidrIp");
        var sourceGroup = GroupNameAt(parameters, "sourceSecurityGroupName");
        if (cidr is null && sourceGroup is null) return null;
        var source = cidr is not null
            ? RuleSource.Ipv4(cidr)
            : new RuleSource(SourceKind.ReferencedGroup, sourceGroup!, UserIdAt(parameters, "sourceSecurityGroupOwnerId"));
        // Without a protocol EC2 grants every protocol (-1), which NormaliseProtocol(null) yields.
        var protocol = parameters.Str("ipProtocol") is null ? SecurityGroupRule.NormaliseProtocol(null) : ProtocolAt(parameters, "ipProtocol");
        var (from, to) = PortsAt(parameters, protocol, "fromPort", "toPort");
        return new SecurityGroupRule(protocol, from, to, source);
    }

    /// <summary>Rules from a response rule set, with their rule ids; a rule whose <c>isEgress</c> contradicts the call's direction
    /// is refused (the event would say two things).</summary>
    private static List<ResponseRule> ResponseRules(JsonField response, string name, SecurityGroupChange change)
    {
        var rules = new List<ResponseRule>();
        var egress = change.Direction == RuleDirection.Egress;
        foreach (var item in response.Items(name))
        {
            RequireObject(item);
            if (item.Bool("isEgress") is { } isEgress && isEgress != egress)
            {
                throw new RejectedException(new ParseResult.Rejection(RejectionKind.Egress,
                    $"Field '{item.Child("isEgress")}' is {(isEgress ? "true" : "false")} but {change.EventName} changes {(egress ? "egress" : "ingress")} rules.") { Field = item.Child("isEgress") });
            }
            var source = Ipv4At(item, "cidrIpv4") is { } v4 ? RuleSource.Ipv4(v4)
                : Ipv6At(item, "cidrIpv6") is { } v6 ? RuleSource.Ipv6(v6)
                : PrefixListAt(item, "prefixListId") is { } pl ? RuleSource.PrefixList(pl)
                : item.GetObject("referencedGroupInfo") is { } info
                    ? new RuleSource(SourceKind.ReferencedGroup, GroupIdAt(info, "groupId") ?? throw RejectedException.Missing(info.Child("groupId")),
                        UserIdAt(info, "userId"), info.Str("vpcId"), info.Str("vpcPeeringConnectionId"))
                : GroupIdAt(item, "referencedGroupId") is { } g ? RuleSource.Group(g)
                : throw RejectedException.Missing(item.Child("cidrIpv4"), "the rule names no source (cidrIpv4, cidrIpv6, prefixListId or referencedGroupInfo)");
            var protocol = ProtocolAt(item, "ipProtocol");
            var (from, to) = PortsAt(item, protocol, "fromPort", "toPort");
            var rule = new SecurityGroupRule(protocol, from, to, source, Description(item), RuleIdAt(item, "securityGroupRuleId"));
            rules.Add(new ResponseRule(rule, GroupIdAt(item, "groupId")));
        }
        return rules;
    }

    private static string Source(JsonField item, string name, Func<JsonField, string, string?> read)
    {
        RequireObject(item);
        return read(item, name) ?? throw RejectedException.Missing(item.Child(name));
    }

    private static string? Description(JsonField item) => DescriptionAt(item, "description");

    private static void RequireObject(JsonField item)
    {
        if (!item.IsObject) throw RejectedException.Invalid(item.Path, $"expected an object, got {JsonField.Kind(item.Element)}");
    }

    // Readers that also check a value's shape (AwsValues), naming the field at fault.
    private static string? GroupIdAt(JsonField parent, string name) =>
        Checked(parent, name, AwsValues.IsGroupId, "a security group id is sg- and 8 or 17 lower-case hex digits");

    private static string? RuleIdAt(JsonField parent, string name) =>
        Checked(parent, name, AwsValues.IsRuleId, "a security group rule id is sgr- and 8 or 17 lower-case hex digits");

    private static string? PrefixListAt(JsonField parent, string name) =>
        Checked(parent, name, AwsValues.IsPrefixListId, "a prefix list id is pl- and 8 or 17 lower-case hex digits");

    private static string? UserIdAt(JsonField parent, string name) =>
        Checked(parent, name, AwsValues.IsAccountId, "the owner of a referenced group is a 12-digit AWS account id");

    private static string? Ipv4At(JsonField parent, string name) =>
        Checked(parent, name, AwsValues.IsIpv4Cidr, "expected an IPv4 CIDR such as 203.0.113.0/24");

    private static string? Ipv6At(JsonField parent, string name) =>
        Checked(parent, name, AwsValues.IsIpv6Cidr, "expected an IPv6 CIDR such as 2001:db8::/32");

    /// <summary>A rule's description: EC2 takes at most 255 characters of a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&amp;;{}!$*.</summary>
    private static string? DescriptionAt(JsonField parent, string name) => Checked(parent, name, AwsValues.DescriptionProblem);

    private static string? GroupNameAt(JsonField parent, string name) => Checked(parent, name, AwsValues.GroupNameProblem);

    /// <summary>A rule id read by the caller (e.g. an array element), checked at <paramref name="path"/>.</summary>
    private static string CheckRuleId(string value, string path) =>
        AwsValues.IsRuleId(value) ? value : throw RejectedException.Invalid(path, $"'{AwsValues.Quote(value)}' is not a security group rule id (sgr- and 8 or 17 lower-case hex digits)");

    /// <summary>The normalised protocol at <paramref name="name"/> (see <see cref="AwsValues.IsProtocol"/>).</summary>
    private static string ProtocolAt(JsonField parent, string name)
    {
        var text = parent.RequireStr(name);
        return AwsValues.IsProtocol(text)
            ? SecurityGroupRule.NormaliseProtocol(text)
            : throw RejectedException.Invalid(parent.Child(name), $"'{AwsValues.Quote(text)}': a protocol is tcp, udp, icmp, icmpv6, a protocol number 0-255, or -1 (all)");
    }

    /// <summary>The <paramref name="fromName"/>/<paramref name="toName"/> ports of <paramref name="parent"/>, in range for <paramref name="protocol"/>.
    /// TCP, UDP and ICMP need both ("For tcp, udp, and icmp, you must specify a port range"); ICMPv6 and the others may omit them.</summary>
    private static (int? From, int? To) PortsAt(JsonField parent, string protocol, string fromName, string toName)
    {
        var from = parent.Int(fromName);
        var to = parent.Int(toName);
        if (protocol is "tcp" or "udp" or "icmp" && (from is null || to is null))
        {
            var missing = from is null ? fromName : toName;
            throw RejectedException.Missing(parent.Child(missing), $"a {protocol} rule has a port range (fromPort and toPort)");
        }
        if (AwsValues.PortProblem(protocol, from, to) is { } problem)
        {
            throw RejectedException.Invalid(parent.Child(problem.Field == "from" ? fromName : toName), problem.Reason);
        }
        return (from, to);
    }

    private static string? Checked(JsonField parent, string name, Func<string, bool> valid, string expected) =>
        Checked(parent, name, v => valid(v) ? null : expected);

    /// <summary>The string at <paramref name="name"/>, refused naming the field when <paramref name="problem"/> finds one.</summary>
    private static string? Checked(JsonField parent, string name, Func<string, string?> problem)
    {
        var value = parent.Str(name);
        if (value is not null && problem(value) is { } reason)
        {
            throw RejectedException.Invalid(parent.Child(name), $"'{AwsValues.Quote(value)}': {reason}");
        }
        return value;
    }
}
