using System.Reflection;
using System.Text.Json.Serialization;
using SgBridge.Shared.Domain;

namespace SgBridge.Tests.Storage;

/// <summary>Requests and snapshots with every property filled in, for round-trip tests.</summary>
internal static class StorageSamples
{
    public static readonly DateTimeOffset T0 = new(2025, 3, 14, 9, 26, 53, TimeSpan.FromHours(2));

    public static Requester Requester { get; } = new(
        PrincipalType.AssumedRole,
        "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_abc/alice@example.com",
        "111122223333",
        "AROAEXAMPLE:alice@example.com",
        "alice",
        "alice@example.com",
        "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_abc",
        "203.0.113.7",
        "console.amazonaws.com",
        "cloudformation.amazonaws.com");

    public static SecurityGroupChange Change(string eventId, int ruleCount = 2, string? description = "ssh from office") => new()
    {
        EventId = eventId,
        EventName = "ModifySecurityGroupRules",
        EventTime = T0.AddSeconds(-5),
        AccountId = "111122223333",
        Region = "eu-west-1",
        GroupId = "sg-0123456789abcdef0",
        GroupName = "web",
        Kind = ChangeKind.Modify,
        Rules = Rules(ruleCount, description),
        RuleIds = ["sgr-00000000000000001", "sgr-unknown"],
        Modifications = [new RuleModification("sgr-0aaaaaaaaaaaaaaaa", new SecurityGroupRule("tcp", 443, 443, RuleSource.Ipv4("0.0.0.0/0"), "https", "sgr-0aaaaaaaaaaaaaaaa"))],
        Requester = Requester,
    };

    public static IReadOnlyList<SecurityGroupRule> Rules(int count, string? description = "ssh from office") =>
        Enumerable.Range(1, count).Select(i => (i % 4) switch
        {
            0 => new SecurityGroupRule("tcp", 22, 22, RuleSource.Ipv4($"10.{i / 256 % 256}.{i % 256}.0/24"), description, $"sgr-{i:D17}"),
            1 => new SecurityGroupRule("udp", 1000 + i, 2000 + i, RuleSource.Ipv6($"2001:db8:{i:x}::/48"), description, $"sgr-{i:D17}"),
            2 => new SecurityGroupRule("-1", null, null, RuleSource.Group("sg-0fedcba9876543210", "444455556666") with { VpcId = "vpc-1", PeeringId = "pcx-1" }, description),
            _ => new SecurityGroupRule("icmp", 8, -1, RuleSource.PrefixList("pl-12345678"), description, $"sgr-{i:D17}"),
        }).ToArray();

    /// <summary>A request taken through its whole life, so every property but ExemptReason has a value.</summary>
    public static ChangeRequest FullRequest(string id, int ruleCount = 2, string? description = "ssh from office")
    {
        var request = ChangeRequest.Open(id, Change("evt-" + id, ruleCount, description), T0);
        request.RecordFound(
            "sg-0123456789abcdef0",
            "web",
            "vpc-0abc",
            Rules(ruleCount, description),
            ["sgr-unknown"],
            [new RuleEdit("sgr-0aaaaaaaaaaaaaaaa", new SecurityGroupRule("tcp", 22, 22, RuleSource.Ipv4("10.0.0.0/8"), "old"), new SecurityGroupRule("tcp", 443, 443, RuleSource.Ipv4("0.0.0.0/0"), "https"))],
            previousContentUnknown: true,
            T0.AddSeconds(1));
        request.MarkReverted(new CallOutcome("ModifySecurityGroupRules", true, null, "reverted") { Notes = ["note 1", "note 2"] }, T0.AddSeconds(2));
        request.RecordPolicyDecision(new PolicyDecisionRecord("ask", "everything-else", 12, "policy.yaml", "no rule approves or denies", TimeSpan.FromHours(24)), T0.AddSeconds(3));
        request.RecordReason("hotfix for the on-call", "U0BOB", T0.AddMinutes(1));
        request.Approve("U0ALICE", "Alice Approver", T0.AddMinutes(5), TimeSpan.FromHours(8), reason: "CHG-1234 approved in CAB");
        request.MarkApplied(new CallOutcome("ModifySecurityGroupRules", false, "Client.InvalidPermission.Duplicate", "already there") { Notes = ["retried"] }, T0.AddMinutes(6));
        return request;
    }

    /// <summary>The properties only an extension whose access ended has (a full request never has them).</summary>
    public static readonly string[] EndedExtensionOnly =
        [nameof(ChangeRequest.AccessEndReason), nameof(ChangeRequest.AccessEndedAt), nameof(ChangeRequest.AccessEndedBy), nameof(ChangeRequest.ExtendsRequestId), nameof(ChangeRequest.ExtendsAccessUntil)];

    /// <summary>An extension of <see cref="FullRequest"/>, approved, applied, then revoked early.</summary>
    public static ChangeRequest EndedExtension(string id)
    {
        var extension = ChangeRequest.OpenExtension(id, FullRequest("SG-ORIGIN01"), T0.AddHours(1));
        extension.Approve("U0BOB", "Bob", T0.AddHours(2), TimeSpan.FromDays(7));
        extension.MarkApplied(new CallOutcome("none", true), T0.AddHours(2));
        extension.EndAccess(AccessEndReason.Revoked, "U0ALICE", T0.AddHours(3));
        return extension;
    }

    public static ChangeRequest ExemptRequest(string id) =>
        ChangeRequest.RecordExempt(id, Change("evt-" + id), "service-linked role", T0);

    public static ChangeRequest PendingRequest(string id)
    {
        var request = ChangeRequest.Open(id, Change("evt-" + id), T0);
        request.MarkReverted(new CallOutcome("RevokeSecurityGroupIngress", true), T0.AddSeconds(1));
        return request;
    }

    /// <summary>The JSON-stored properties of <paramref name="request"/> that still have their default value.</summary>
    public static IReadOnlyList<string> UnsetProperties(ChangeRequest request) =>
        typeof(ChangeRequest).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetCustomAttribute<JsonIncludeAttribute>() is not null)
            .Where(p => p.GetValue(request) switch
            {
                null => true,
                string s => s.Length == 0,
                System.Collections.ICollection c => c.Count == 0,
                bool b => !b,
                DateTimeOffset d => d == default,
                _ => false,
            })
            .Select(p => p.Name)
            .ToArray();
}
