using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

using SgBridge.Emulators;

namespace SgBridge.Bench;

/// <summary>
/// The stub servers run in a child process (this same executable with <c>--serve-stubs</c>), so their CPU and allocations
/// are not counted as the pipeline's: Slack is WireMock.Net answering every Web API method with ok:true; EC2 and STS are
/// a Kestrel endpoint speaking the EC2/STS query protocols (XML), each answer delayed by <c>--aws-delay-ms</c>.
/// GET /__counts on the AWS stub returns how many requests each stub has seen; POST /__reset clears them.
/// </summary>
public static class StubServer
{
    public const string SlackOk = """{"ok":true,"channel":"CSTUB","ts":"1700000000.000100","user":{"id":"UREQUESTER"},"users":[]}""";

    public static async Task<int> RunAsync(int awsDelayMs)
    {
        using var slack = WireMockServer.Start(new WireMockServerSettings
        {
            Urls = ["http://127.0.0.1:0"],
            StartAdminInterface = false,
            MaxRequestLogCount = 200_000,
        });
        slack.Given(Request.Create().UsingPost().WithPath("/api/*"))
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json; charset=utf-8").WithBody(SlackOk));

        var counts = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/", async (HttpContext context) =>
        {
            var form = await context.Request.ReadFormAsync();
            var action = form["Action"].ToString();
            counts.AddOrUpdate(action, 1, (_, n) => n + 1);
            if (awsDelayMs > 0)
            {
                await Task.Delay(awsDelayMs);
            }
            context.Response.ContentType = "text/xml";
            var answer = AwsXml.Answer(action, form, AwsXml.AccountOf(context));
            if (answer.StartsWith("<Response><Errors>", StringComparison.Ordinal))
            {
                context.Response.StatusCode = 400;
            }
            await context.Response.WriteAsync(answer);
        });
        app.MapGet("/__counts", () =>
        {
            var slackCounts = slack.LogEntries.GroupBy(e => e.RequestMessage.Path).ToDictionary(g => g.Key, g => g.Count());
            return Results.Json(new StubCounts(new Dictionary<string, int>(counts), slackCounts));
        });
        app.MapPost("/__reset", () =>
        {
            counts.Clear();
            slack.ResetLogEntries();
            return Results.Ok();
        });
        await app.StartAsync();
        var aws = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Console.Out.WriteLine($"STUBS aws={aws} slack={slack.Url}");
        Console.Out.Flush();
        // Exit when the parent closes our stdin (it ended, however it ended).
        await Console.In.ReadToEndAsync();
        await app.StopAsync();
        return 0;
    }
}

public sealed record StubCounts(Dictionary<string, int> Aws, Dictionary<string, int> Slack);

/// <summary>The parent's handle on the stub child process.</summary>
public sealed class StubProcess : IAsyncDisposable
{
    private Process? _process;
    private readonly HttpClient _http = new();

    public string AwsUrl { get; private set; } = "";

    public string SlackUrl { get; private set; } = "";

    public static async Task<StubProcess> StartAsync(int awsDelayMs)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("Unknown process path.");
        var start = new ProcessStartInfo(self)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(StubServer).Assembly.Location);
        }
        start.ArgumentList.Add("--serve-stubs");
        start.ArgumentList.Add("--aws-delay-ms");
        start.ArgumentList.Add(awsDelayMs.ToString(CultureInfo.InvariantCulture));
        var stub = new StubProcess { _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the stub process.") };
        stub._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine("[stubs] " + e.Data);
            }
        };
        stub._process.BeginErrorReadLine();
        var line = await stub._process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60))
            ?? throw new InvalidOperationException("The stub process ended before it was ready.");
        var parts = line.Split(' ').Skip(1).Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        stub.AwsUrl = parts["aws"].TrimEnd('/');
        stub.SlackUrl = parts["slack"].TrimEnd('/') + "/api/";
        return stub;
    }

    public async Task<StubCounts> CountsAsync() =>
        await _http.GetFromJsonAsync<StubCounts>(new Uri(AwsUrl + "/__counts")) ?? new StubCounts([], []);

    public async Task ResetAsync()
    {
        using var response = await _http.PostAsync(new Uri(AwsUrl + "/__reset"), null);
        response.EnsureSuccessStatusCode();
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        ChildProcess.Stop(_process);
        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// A small stateful EC2 (ec2 query protocol) and STS (aws query) for the bridge's calls: groups and their ingress rules
/// per account, so that onboarding records real rules, an authorize creates a rule with an id, DescribeSecurityGroupRules
/// lists it and a revoke by rule id removes it. The account is carried in the assumed-role access key id
/// ("ASIA{account}STUB"), read back from the SigV4 Authorization header, so each account sees only its own groups.
/// </summary>
internal static class AwsXml
{
    private const string Ec2Ns = "http://ec2.amazonaws.com/doc/2016-11-15/";
    private const string StsNs = "https://sts.amazonaws.com/doc/2011-06-15/";

    private sealed record Rule(string Id, string GroupId, string Protocol, int From, int To, string Cidr, string? Description);

    private sealed class Group(string id, string name)
    {
        public string Id { get; } = id;
        public string Name { get; } = name;
        public Dictionary<string, Rule> Rules { get; } = new(StringComparer.Ordinal);
    }

    private static readonly ConcurrentDictionary<string, ConcurrentDictionary<string, Group>> Accounts = new(StringComparer.Ordinal);
    private static long _ids;

    private static ConcurrentDictionary<string, Group> Of(string account) => Accounts.GetOrAdd(account, _ => new(StringComparer.Ordinal));

    private static string NextId(string prefix) => prefix + Interlocked.Increment(ref _ids).ToString("x17", CultureInfo.InvariantCulture);

    public static string AccountOf(HttpContext context)
    {
        var auth = context.Request.Headers.Authorization.ToString();
        var i = auth.IndexOf("Credential=ASIA", StringComparison.Ordinal);
        return i >= 0 && auth.Length >= i + 27 ? auth.Substring(i + 15, 12) : "000000000000";
    }

    public static string Answer(string action, IFormCollection form, string account)
    {
        var requestId = Guid.NewGuid().ToString();
        var groups = Of(account);
        switch (action)
        {
            case "AssumeRole":
            case "AssumeRoleWithWebIdentity":
                var expiration = DateTime.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
                var roleArn = form["RoleArn"].ToString();
                var roleAccount = roleArn.Split(':') is { Length: > 4 } parts ? parts[4] : "000000000000";
                var arn = SecurityElement.Escape(roleArn);
                return $"""
                    <{action}Response xmlns="{StsNs}"><{action}Result><Credentials><AccessKeyId>ASIA{roleAccount}STUB</AccessKeyId><SecretAccessKey>stub</SecretAccessKey><SessionToken>stub</SessionToken><Expiration>{expiration}</Expiration></Credentials><AssumedRoleUser><Arn>{arn}/sgbridge</Arn><AssumedRoleId>AROASTUB:sgbridge</AssumedRoleId></AssumedRoleUser></{action}Result><ResponseMetadata><RequestId>{requestId}</RequestId></ResponseMetadata></{action}Response>
                    """;
            case "CreateSecurityGroup":
                var created = new Group(NextId("sg-"), form["GroupName"].ToString());
                groups[created.Id] = created;
                return $"""<CreateSecurityGroupResponse xmlns="{Ec2Ns}"><requestId>{requestId}</requestId><return>true</return><groupId>{created.Id}</groupId></CreateSecurityGroupResponse>""";
            case "DescribeSecurityGroups":
                var wanted = form.Keys.Where(k => k.StartsWith("GroupId.", StringComparison.Ordinal)).Select(k => form[k].ToString()).ToArray();
                var found = wanted.Length == 0 ? groups.Values.ToArray() : wanted.Select(id => groups.GetValueOrDefault(id)).OfType<Group>().ToArray();
                if (wanted.Length > 0 && found.Length == 0)
                {
                    return Error("InvalidGroup.NotFound", $"The security group '{SecurityElement.Escape(wanted[0])}' does not exist");
                }
                var items = new StringBuilder();
                foreach (var g in found)
                {
                    items.Append(CultureInfo.InvariantCulture, $"<item><ownerId>{account}</ownerId><groupId>{g.Id}</groupId><groupName>{SecurityElement.Escape(g.Name)}</groupName><groupDescription>bench</groupDescription><vpcId>vpc-0bench</vpcId><ipPermissions>");
                    lock (g)
                    {
                        foreach (var r in g.Rules.Values)
                        {
                            items.Append(CultureInfo.InvariantCulture, $"<item><ipProtocol>{r.Protocol}</ipProtocol><fromPort>{r.From}</fromPort><toPort>{r.To}</toPort><ipRanges><item><cidrIp>{r.Cidr}</cidrIp></item></ipRanges></item>");
                        }
                    }
                    items.Append("</ipPermissions><ipPermissionsEgress/></item>");
                }
                return $"""<DescribeSecurityGroupsResponse xmlns="{Ec2Ns}"><requestId>{requestId}</requestId><securityGroupInfo>{items}</securityGroupInfo></DescribeSecurityGroupsResponse>""";
            case "DescribeSecurityGroupRules":
                string? filterGroup = null;
                foreach (var k in form.Keys.Where(k => k.StartsWith("Filter.", StringComparison.Ordinal) && k.EndsWith(".Name", StringComparison.Ordinal)))
                {
                    if (form[k] == "group-id")
                    {
                        filterGroup = form[k[..^".Name".Length] + ".Value.1"].ToString();
                    }
                }
                var rules = new StringBuilder();
                foreach (var g in filterGroup is null ? groups.Values : groups.TryGetValue(filterGroup, out var one) ? [one] : [])
                {
                    lock (g)
                    {
                        foreach (var r in g.Rules.Values)
                        {
                            rules.Append(RuleXml(r, account));
                        }
                    }
                }
                return $"""<DescribeSecurityGroupRulesResponse xmlns="{Ec2Ns}"><requestId>{requestId}</requestId><securityGroupRuleSet>{rules}</securityGroupRuleSet></DescribeSecurityGroupRulesResponse>""";
            case "AuthorizeSecurityGroupIngress":
            {
                if (!groups.TryGetValue(form["GroupId"].ToString(), out var g))
                {
                    return Error("InvalidGroup.NotFound", "The security group does not exist");
                }
                var added = new StringBuilder();
                for (var i = 1; form.ContainsKey($"IpPermissions.{i}.IpProtocol"); i++)
                {
                    var p = $"IpPermissions.{i}.";
                    var rule = new Rule(NextId("sgr-"), g.Id, form[p + "IpProtocol"].ToString(), int.Parse(form[p + "FromPort"].ToString(), CultureInfo.InvariantCulture),
                        int.Parse(form[p + "ToPort"].ToString(), CultureInfo.InvariantCulture), form[p + "IpRanges.1.CidrIp"].ToString(), form[p + "IpRanges.1.Description"].ToString());
                    lock (g)
                    {
                        g.Rules[rule.Id] = rule;
                    }
                    added.Append(RuleXml(rule, account));
                }
                return $"""<AuthorizeSecurityGroupIngressResponse xmlns="{Ec2Ns}"><requestId>{requestId}</requestId><return>true</return><securityGroupRuleSet>{added}</securityGroupRuleSet></AuthorizeSecurityGroupIngressResponse>""";
            }
            case "RevokeSecurityGroupIngress":
            {
                if (!groups.TryGetValue(form["GroupId"].ToString(), out var g))
                {
                    return Error("InvalidGroup.NotFound", "The security group does not exist");
                }
                var revoked = new StringBuilder();
                foreach (var k in form.Keys.Where(k => k.StartsWith("SecurityGroupRuleId.", StringComparison.Ordinal)))
                {
                    lock (g)
                    {
                        if (!g.Rules.Remove(form[k].ToString(), out var gone))
                        {
                            return Error("InvalidSecurityGroupRuleId.NotFound", $"The rule ID '{SecurityElement.Escape(form[k].ToString())}' does not exist");
                        }
                        revoked.Append(CultureInfo.InvariantCulture, $"<item><securityGroupRuleId>{gone.Id}</securityGroupRuleId><groupId>{gone.GroupId}</groupId><isEgress>false</isEgress><ipProtocol>{gone.Protocol}</ipProtocol><fromPort>{gone.From}</fromPort><toPort>{gone.To}</toPort><cidrIpv4>{gone.Cidr}</cidrIpv4></item>");
                    }
                }
                return $"""<RevokeSecurityGroupIngressResponse xmlns="{Ec2Ns}"><requestId>{requestId}</requestId><return>true</return><revokedSecurityGroupRuleSet>{revoked}</revokedSecurityGroupRuleSet></RevokeSecurityGroupIngressResponse>""";
            }
            case "ModifySecurityGroupRules":
                return $"""<ModifySecurityGroupRulesResponse xmlns="{Ec2Ns}"><requestId>{requestId}</requestId><return>true</return></ModifySecurityGroupRulesResponse>""";
            default:
                return Error("InvalidAction", $"stub does not know {SecurityElement.Escape(action)}");
        }
    }

    private static string RuleXml(Rule r, string account) =>
        $"<item><securityGroupRuleId>{r.Id}</securityGroupRuleId><groupId>{r.GroupId}</groupId><groupOwnerId>{account}</groupOwnerId><isEgress>false</isEgress><ipProtocol>{r.Protocol}</ipProtocol><fromPort>{r.From}</fromPort><toPort>{r.To}</toPort><cidrIpv4>{r.Cidr}</cidrIpv4>{(string.IsNullOrEmpty(r.Description) ? "" : $"<description>{SecurityElement.Escape(r.Description)}</description>")}</item>";

    private static string Error(string code, string message) =>
        $"""<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>{Guid.NewGuid()}</RequestID></Response>""";
}
