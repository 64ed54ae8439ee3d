using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging.Abstractions;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Events;
using SgBridge.Shared.Intake;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Oracle;
using Xunit.Abstractions;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Intake;

/// <summary>
/// Mutation fuzzing of the intake from the valid samples (deterministic seed): whatever arrives, no exception escapes
/// AcceptAsync, no 5xx but 503, every answer comes within the time budget, and every change that is queued passes an
/// independent re-validation (ids, ports, CIDRs, region, group names), so nothing malformed reaches the worker.
/// Two oracles stand apart from the intake's parser: <see cref="EventOracle"/> judges each raw body from the AWS
/// documentation (the test fails when it calls a body invalid and the intake answers 202), and <see cref="Problems"/>
/// re-validates each queued change. Every 400 must name its field (a JSON path), in the answer's field and detail.
/// </summary>
public sealed partial class IntakeFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20261129;
    private const int Inputs = 8000;

    /// <summary>Per answer: the intake's enqueue budget (the queue here is in memory, so parsing must fit well inside it).</summary>
    private static readonly TimeSpan AnswerBudget = new IntakeOptions().EnqueueTimeout;

    private static readonly string[] SampleNames = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "samples"), "*.json")
        .Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task AcceptAsync_MutatedSamples_NeverThrowNever5xxQueueOnlyValidChanges()
    {
        var rng = new Random(Seed);
        var samples = SampleNames.Select(n => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "samples", n))).ToArray();
        var queue = new RecordingQueue();
        var policy = O.Create(new PolicyOptions { AllowedAccounts = "*", PoliceEgress = true });
        var intake = new Bridge().EnqueueOnlyIntake(new ChangePolicy(policy, O.Create(new AwsOptions { RoleArnPattern = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole", WebIdentityAudience = "api://x" })), queue, policy, new IntakeOptions(), TimeProvider.System);
        var statuses = new SortedDictionary<int, int>();
        var failures = new List<string>();
        var slowest = TimeSpan.Zero;
        var total = Stopwatch.StartNew();
        var oracleVerdicts = new SortedDictionary<OracleVerdict, int>();
        var stricterThanOracle = new List<string>();

        for (var i = 0; i < Inputs; i++)
        {
            var body = Mutate(samples[rng.Next(samples.Length)], rng, out var applied);
            var sentBefore = queue.Sent.Count;
            var clock = Stopwatch.StartNew();
            IntakeResult result;
            try
            {
                result = await intake.AcceptAsync(body, "application/json; charset=utf-8", CancellationToken.None);
            }
            catch (Exception ex)
            {
                failures.Add($"#{i} [{applied}] threw {ex.GetType().Name}: {ex.Message}");
                continue;
            }
            clock.Stop();
            slowest = clock.Elapsed > slowest ? clock.Elapsed : slowest;
            statuses[result.StatusCode] = statuses.GetValueOrDefault(result.StatusCode) + 1;

            if (result.StatusCode >= 500 && result.StatusCode != 503) failures.Add($"#{i} [{applied}] answered {result.StatusCode}: {result.Detail}");
            if (clock.Elapsed > AnswerBudget) failures.Add($"#{i} [{applied}] answered after {clock.Elapsed.TotalMilliseconds:0} ms");
            if (string.IsNullOrWhiteSpace(result.Detail)) failures.Add($"#{i} [{applied}] answered {result.StatusCode} without a detail");
            foreach (var (_, json) in queue.Sent.Skip(sentBefore))
            {
                var change = BridgeJson.Deserialize<SecurityGroupChange>(json);
                failures.AddRange(Problems(change).Select(p => $"#{i} [{applied}] queued {change.EventName}: {p}"));
            }
            if (queue.Sent.Count > sentBefore && result.StatusCode != 202) failures.Add($"#{i} [{applied}] queued but answered {result.StatusCode}");

            // Every 400 names the field at fault: a path in the answer's field, quoted in its detail.
            if (result.StatusCode == 400 && (string.IsNullOrEmpty(result.Field) || !result.Detail.Contains($"'{result.Field}'", StringComparison.Ordinal)))
            {
                failures.Add($"#{i} [{applied}] 400 names no field (field '{result.Field}'): {result.Detail}");
            }

            // The independent oracle: what it calls invalid is never accepted.
            var (verdict, why) = EventOracle.Judge(body);
            oracleVerdicts[verdict] = oracleVerdicts.GetValueOrDefault(verdict) + 1;
            if (verdict == OracleVerdict.Invalid && result.StatusCode == 202)
            {
                failures.Add($"#{i} [{applied}] the oracle refuses it ({why}) but the intake answered 202: {result.Detail}");
                output.WriteLine($"#{i} body: {Encoding.UTF8.GetString(body)}");
            }
            if (verdict == OracleVerdict.Valid && result.StatusCode == 400) stricterThanOracle.Add($"#{i} [{applied}] {result.Detail}");
        }
        total.Stop();

        output.WriteLine($"{Inputs} inputs (seed {Seed}) in {total.Elapsed.TotalSeconds:0.00} s; slowest answer {slowest.TotalMilliseconds:0.0} ms; " +
                         $"answers: {string.Join(", ", statuses.Select(s => $"{s.Key}×{s.Value}"))}; queued {queue.Sent.Count}; " +
                         $"oracle: {string.Join(", ", oracleVerdicts.Select(s => $"{s.Key}×{s.Value}"))}; refused by the intake although the oracle accepts: {stricterThanOracle.Count}");
        foreach (var s in stricterThanOracle.Take(10)) output.WriteLine("stricter: " + s);
        Assert.True(failures.Count == 0, $"{failures.Count} failures, first ones:\n" + string.Join("\n", failures.Take(20)));
        // The fuzzer must reach both sides, or it proves nothing: some mutants are queued (and re-validated), most refused.
        Assert.True(queue.Sent.Count > Inputs / 20, $"Only {queue.Sent.Count} of {Inputs} mutants were queued.");
        Assert.True(statuses.GetValueOrDefault(400) > Inputs / 4, "Too few mutants were refused.");
        Assert.True(oracleVerdicts.GetValueOrDefault(OracleVerdict.Valid) > Inputs / 20, "The oracle called too few mutants valid.");
        Assert.True(oracleVerdicts.GetValueOrDefault(OracleVerdict.Invalid) > Inputs / 4, "The oracle called too few mutants invalid.");
        // No input may make validation pathological (backtracking, quadratic scans): bounded per answer, not by the run's
        // wall clock, which on a shared CI machine measures the machine (speed lives in the benchmark).
        Assert.True(slowest < TimeSpan.FromSeconds(5), $"The slowest answer took {slowest.TotalMilliseconds:0} ms.");
    }

    [Fact]
    public void Problems_FindsMalformedChanges()
    {
        // The oracle itself can fail: each of these is malformed in one way.
        var good = CloudTrailParser.Parse(File.ReadAllBytes(RepoRoot.Sample("authorize-mixed-sources.json")));
        Assert.True(good.TryGetChange(out var change));
        Assert.Empty(Problems(change));
        var rule = change.Rules[0];
        SecurityGroupChange[] bad =
        [
            change with { GroupId = "sg-XYZ" },
            change with { GroupId = null, GroupName = "a?b" },
            change with { Region = "us-east-9" },
            change with { AccountId = "12345" },
            change with { Rules = [rule with { FromPort = 70000 }] },
            change with { Rules = [rule with { FromPort = 9, ToPort = 8 }] },
            change with { Rules = [rule with { Protocol = "icmp", FromPort = 300, ToPort = -1 }] },
            change with { Rules = [rule with { Source = RuleSource.Ipv4("10.0.0.0/33") }] },
            change with { Rules = [rule with { Source = RuleSource.Ipv6("10.0.0.0/8") }] },
            change with { Rules = [rule with { Source = RuleSource.PrefixList("pl-x") }] },
            change with { Rules = [rule with { Source = RuleSource.Group("sg-1", "12") }] },
            change with { Rules = [rule with { RuleId = "sgr-?" }] },
            change with { RuleIds = ["sgr-1"] },
        ];
        Assert.All(bad, b => Assert.NotEmpty(Problems(b)));
    }

    // --- the oracle: written apart from the parser's checks ------------------------------------------

    private static IEnumerable<string> Problems(SecurityGroupChange change)
    {
        if (string.IsNullOrWhiteSpace(change.EventId)) yield return "no event id";
        if (!Regex.IsMatch(change.AccountId, @"\A\d{12}\z")) yield return $"account {change.AccountId}";
        if (!AwsRegions.All.Contains(change.Region)) yield return $"region {change.Region}";
        if (change.GroupId is not null && !Regex.IsMatch(change.GroupId, @"\Asg-[0-9a-f]{8,17}\z")) yield return $"group id {change.GroupId}";
        if (change.GroupId is null && change.GroupName is null) yield return "no group";
        if (change.GroupName is not null && BadName(change.GroupName)) yield return $"group name {change.GroupName}";
        foreach (var id in change.RuleIds.Where(id => !Regex.IsMatch(id, @"\Asgr-[0-9a-f]{8,17}\z"))) yield return $"rule id {id}";
        if (change.Kind == ChangeKind.Modify && change.GroupId is null) yield return "modify without a group id";
        foreach (var rule in change.Rules.Concat(change.Modifications.Select(m => m.After)))
        {
            foreach (var p in RuleProblems(rule)) yield return p;
        }
        foreach (var m in change.Modifications.Where(m => !Regex.IsMatch(m.RuleId, @"\Asgr-[0-9a-f]{8,17}\z"))) yield return $"modified rule id {m.RuleId}";
    }

    private static IEnumerable<string> RuleProblems(SecurityGroupRule rule)
    {
        var icmp = rule.Protocol is "icmp" or "icmpv6";
        var max = icmp ? 255 : 65535;
        foreach (var port in new[] { rule.FromPort, rule.ToPort })
        {
            if (port is { } p && (p < -1 || p > max)) yield return $"port {p} for {rule.Protocol}";
        }
        if (rule.Protocol is "tcp" or "udp" && rule.FromPort > rule.ToPort) yield return $"ports {rule.FromPort}-{rule.ToPort}";
        if (rule.RuleId is not null && !Regex.IsMatch(rule.RuleId, @"\Asgr-[0-9a-f]{8,17}\z")) yield return $"rule id {rule.RuleId}";
        var source = rule.Source;
        switch (source.Kind)
        {
            case SourceKind.Ipv4Cidr when !IsCidr(source.Value, AddressFamily.InterNetwork, 32):
            case SourceKind.Ipv6Cidr when !IsCidr(source.Value, AddressFamily.InterNetworkV6, 128):
            case SourceKind.PrefixList when !Regex.IsMatch(source.Value, @"\Apl-[0-9a-f]{8,17}\z"):
                yield return $"source {source.Kind} {source.Value}";
                break;
            case SourceKind.ReferencedGroup:
                if (source.Value.StartsWith("sg-", StringComparison.Ordinal) ? !Regex.IsMatch(source.Value, @"\Asg-[0-9a-f]{8,17}\z") : BadName(source.Value))
                {
                    yield return $"referenced group {source.Value}";
                }
                if (source.UserId is not null && !Regex.IsMatch(source.UserId, @"\A\d{12}\z")) yield return $"referenced owner {source.UserId}";
                break;
        }
    }

    private static bool IsCidr(string value, AddressFamily family, int maxPrefix)
    {
        var parts = value.Split('/');
        return parts.Length == 2
            && !parts[0].Contains('%', StringComparison.Ordinal)
            && IPAddress.TryParse(parts[0], out var address) && address.AddressFamily == family
            && (family != AddressFamily.InterNetwork || parts[0].Split('.').Length == 4)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) && prefix <= maxPrefix;
    }

    // EC2 (VPC) group names: a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*, at most 255 characters.
    private static bool BadName(string name) =>
        name.Length is 0 or > 255 || name.Any(c => !char.IsAsciiLetterOrDigit(c) && !" ._-:/()#,@[]+=&;{}!$*".Contains(c, StringComparison.Ordinal));

    // --- the mutator ------------------------------------------------------------------------------------

    private static byte[] Mutate(string sample, Random rng, out string applied)
    {
        var names = new List<string>();
        var text = sample;
        var count = 1 + rng.Next(3);
        for (var n = 0; n < count; n++)
        {
            var (name, next) = MutateOnce(text, rng);
            names.Add(name);
            text = next ?? text;
        }
        // Byte-level mutations last (the text may no longer be JSON, or not even UTF-8).
        var bytes = Encoding.UTF8.GetBytes(text);
        switch (rng.Next(10))
        {
            case 0:
                names.Add("truncate");
                bytes = bytes[..rng.Next(bytes.Length)];
                break;
            case 1:
                names.Add("invalid utf-8");
                byte[][] junk = [[0xC3, 0x28], [0xFF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xC0, 0xAF]];
                var at = rng.Next(bytes.Length);
                bytes = [.. bytes[..at], .. junk[rng.Next(junk.Length)], .. bytes[at..]];
                break;
        }
        applied = string.Join("+", names);
        return bytes;
    }

    private static (string Name, string? Text) MutateOnce(string text, Random rng)
    {
        try
        {
            return MutateTree(text, rng);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // A previous mutation left a lone surrogate escape or a duplicated key: JsonNode cannot hold or write that
            // tree (it reports it lazily). Keep the text as it is.
            return ("unwritable", null);
        }
    }

    private static (string Name, string? Text) MutateTree(string text, Random rng)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(text);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            return ("unparsable", null);
        }
        if (root is null) return ("null", null);
        var nodes = new List<JsonNode>();
        Collect(root, nodes);
        if (nodes.Count == 0) return ("empty", null);
        var target = nodes[rng.Next(nodes.Count)];
        switch (rng.Next(11))
        {
            case 0:
                Replace(root, target, AnyValue(rng));
                return ("type swap", root.ToJsonString());
            case 1:
                if (target is JsonValue v && v.TryGetValue<string>(out var s))
                {
                    var times = rng.Next(4) == 0 ? 20_000 / Math.Max(1, s.Length) : 1 + rng.Next(20);
                    Replace(root, target, JsonValue.Create(string.Concat(Enumerable.Repeat(s.Length == 0 ? "x" : s, times))));
                }
                return ("lengthen", root.ToJsonString());
            case 2:
                Replace(root, target, rng.Next(3) switch
                {
                    0 => new JsonArray(target.DeepClone()),
                    1 => new JsonObject { ["items"] = new JsonArray(target.DeepClone()) },
                    _ => target is JsonObject o && o["items"] is JsonArray a && a.Count > 0 ? a[0]!.DeepClone() : new JsonObject { ["x"] = target.DeepClone() },
                });
                return ("nesting", root.ToJsonString());
            case 3:
                if (target is JsonValue num && num.TryGetValue<double>(out _))
                {
                    Replace(root, target, JsonValue.Create(num.ToJsonString()));
                }
                else if (target is JsonValue str && str.TryGetValue<string>(out var t) && long.TryParse(t, CultureInfo.InvariantCulture, out var parsed))
                {
                    Replace(root, target, JsonValue.Create(parsed));
                }
                return ("number as string", root.ToJsonString());
            case 4:
                return ("duplicate key", DuplicateKey(root.ToJsonString(), rng));
            case 5:
                return ("huge number", ReplaceWithRaw(root, target, rng, ["1e400", "99999999999999999999", "-2147483649", "2147483648", "1.5", "-0", "1E2", "0.0000001"]));
            case 6:
                return ("unicode escapes", Escape(root.ToJsonString(), rng));
            case 7:
            case 8:
            case 9:
                return ("near-valid value", NearValid(root, nodes, rng));
            default:
                if (target.Parent is JsonObject parent)
                {
                    parent.Remove(parent.First(p => ReferenceEquals(p.Value, target)).Key);
                }
                return ("remove", root.ToJsonString());
        }
    }

    /// <summary>Values one step from valid, on the fields the parser checks: the mutants most likely to be queued if a check were missing.</summary>
    private static string NearValid(JsonNode root, List<JsonNode> nodes, Random rng)
    {
        string[] interesting = ["groupId", "GroupId", "referencedGroupId", "ReferencedGroupId", "securityGroupRuleId", "SecurityGroupRuleId", "prefixListId", "PrefixListId",
            "userId", "sourceSecurityGroupOwnerId", "fromPort", "toPort", "FromPort", "ToPort", "cidrIp", "cidrIpv4", "CidrIpv4", "cidrIpv6", "CidrIpv6",
            "awsRegion", "region", "groupName", "sourceSecurityGroupName", "ipProtocol", "IpProtocol", "isEgress", "eventName", "recipientAccountId", "account"];
        var candidates = nodes.Where(n => n.Parent is JsonObject && interesting.Contains(n.GetPropertyName(), StringComparer.Ordinal)).ToList();
        if (candidates.Count == 0) return root.ToJsonString();
        var target = candidates[rng.Next(candidates.Count)];
        JsonNode?[] values = target.GetPropertyName() switch
        {
            "groupId" or "GroupId" or "referencedGroupId" or "ReferencedGroupId" => ["sg-1234567", "sg-0123456789ABCDEF0", "sg-0123456789abcdef01", "sg-01234567", "sg-0123456789abcdef0 ", "sg-0123456789abcdef0\n", "sg-0123456789abcdeg0", "default", "sg-012345678/"],
            "securityGroupRuleId" or "SecurityGroupRuleId" => ["sgr-1", "sgr-0A1B2C3D4E5F60001", "sgr-01234567", "sg-0123456789abcdef0", "sgr-0a1b2c3d4e5f600011"],
            "prefixListId" or "PrefixListId" => ["pl-1", "pl-01234567", "pl-0123456789ABCDEF0"],
            "userId" or "sourceSecurityGroupOwnerId" or "recipientAccountId" or "account" => ["12345678901", "1234567890123", "amazon-elb", "22222222222a", "222222222222"],
            "fromPort" or "toPort" or "FromPort" or "ToPort" => [-2, -1, 0, 255, 256, 65535, 65536, "70000", int.MaxValue, int.MinValue, "22", 1024],
            "cidrIp" or "cidrIpv4" or "CidrIpv4" => ["10.0.0.0/33", "10.0.0.5/8", "10.0.0/8", "256.0.0.0/8", "10.0.0.0", "::/0", "10.0.0.0/-1", "010.0.0.0/8", "1.2.3.4/32 ", "0x0a.0.0.0/8"],
            "cidrIpv6" or "CidrIpv6" => ["::/129", "2001:db8::/32", "fe80::1%1/64", "10.0.0.0/8", "2001:db8:::/32", "::/0"],
            "awsRegion" or "region" => ["us-east-9", "me-west-1", "US-EAST-1", "us-east-1 ", "cn-north-1", "us-gov-west-1", "eu-west-1.evil"],
            "groupName" or "sourceSecurityGroupName" => ["web/app", "a#b", "q?", "back\\slash", "ctl\u0001", "fine name", ""],
            "ipProtocol" or "IpProtocol" => ["icmp", "icmpv6", "-1", "50", "tcp", "udp", "6", "17", "1", "58", "all"],
            "isEgress" => [true, false, "true"],
            "eventName" => ["AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress", "AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress", "ModifySecurityGroupRules"],
            _ => [null],
        };
        Replace(root, target, values[rng.Next(values.Length)]?.DeepClone() ?? (rng.Next(2) == 0 ? null : JsonValue.Create("x")));
        return root.ToJsonString();
    }

    private static JsonNode? AnyValue(Random rng) => rng.Next(8) switch
    {
        0 => null,
        1 => JsonValue.Create(rng.Next(-3, 70000)),
        2 => JsonValue.Create("x"),
        3 => JsonValue.Create(true),
        4 => new JsonArray(),
        5 => new JsonObject(),
        6 => JsonNode.Parse("""{"items":[{}]}"""),
        _ => JsonValue.Create(""),
    };

    private static string ReplaceWithRaw(JsonNode root, JsonNode target, Random rng, string[] raws)
    {
        const string Marker = "\"__fuzz_raw__\"";
        Replace(root, target, JsonValue.Create("__fuzz_raw__"));
        var text = root.ToJsonString();
        var i = text.IndexOf(Marker, StringComparison.Ordinal);
        return i < 0 ? text : text[..i] + raws[rng.Next(raws.Length)] + text[(i + Marker.Length)..];
    }

    /// <summary>Inserts a copy of a key just before one of its occurrences, with another value: an exact or case-variant duplicate.</summary>
    private static string DuplicateKey(string text, Random rng)
    {
        var keys = KeyPattern().Matches(text);
        if (keys.Count == 0) return text;
        var m = keys[rng.Next(keys.Count)];
        var key = m.Groups[1].Value;
        if (rng.Next(3) == 0) key = key.ToUpperInvariant();
        string[] values = ["0", "\"x\"", "null", "{}", "\"CreateSecurityGroup\"", "\"sg-0123456789abcdef0\""];
        return text[..m.Index] + $"\"{key}\":{values[rng.Next(values.Length)]}," + text[m.Index..];
    }

    /// <summary>Rewrites characters of string values as \u escapes, sometimes with a lone surrogate or a NUL.</summary>
    private static string Escape(string text, Random rng)
    {
        var sb = new StringBuilder(text.Length + 64);
        var inString = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"' && (i == 0 || text[i - 1] != '\\')) inString = !inString;
            if (inString && c != '"' && c != '\\' && char.IsLetterOrDigit(c) && rng.Next(6) == 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                continue;
            }
            sb.Append(c);
            if (inString && c == ' ' && rng.Next(40) == 0) sb.Append(rng.Next(3) switch { 0 => "\\ud800", 1 => "\\u0000", _ => "\\udc00x" });
        }
        return sb.ToString();
    }

    private static void Collect(JsonNode node, List<JsonNode> nodes)
    {
        IEnumerable<JsonNode?> children = node switch
        {
            JsonObject o => o.Select(p => p.Value),
            JsonArray a => a,
            _ => [],
        };
        foreach (var child in children.OfType<JsonNode>())
        {
            nodes.Add(child);
            Collect(child, nodes);
        }
    }

    private static void Replace(JsonNode root, JsonNode target, JsonNode? replacement)
    {
        switch (target.Parent)
        {
            case JsonObject parent:
                parent[parent.First(p => ReferenceEquals(p.Value, target)).Key] = replacement;
                break;
            case JsonArray parent:
                parent[parent.IndexOf(target)] = replacement;
                break;
        }
    }

    [GeneratedRegex("\"([A-Za-z_-]+)\":")]
    private static partial Regex KeyPattern();
}
