using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Security;
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
            await context.Response.WriteAsync(AwsXml.Answer(action, form));
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

/// <summary>Just enough of the EC2 (ec2 query) and STS (aws query) XML answers for the bridge's calls.</summary>
internal static class AwsXml
{
    private const string Ec2Ns = "http://ec2.amazonaws.com/doc/2016-11-15/";
    private const string StsNs = "https://sts.amazonaws.com/doc/2011-06-15/";

    public static string Answer(string action, IFormCollection form)
    {
        var requestId = Guid.NewGuid().ToString();
        switch (action)
        {
            case "AssumeRole":
            case "AssumeRoleWithWebIdentity":
                var expiration = DateTime.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
                var arn = SecurityElement.Escape(form["RoleArn"].ToString());
                return $"""
                    <{action}Response xmlns="{StsNs}"><{action}Result><Credentials><AccessKeyId>ASIASTUB{Random.Shared.Next(100000, 999999)}</AccessKeyId><SecretAccessKey>stub</SecretAccessKey><SessionToken>stub</SessionToken><Expiration>{expiration}</Expiration></Credentials><AssumedRoleUser><Arn>{arn}/sgbridge</Arn><AssumedRoleId>AROASTUB:sgbridge</AssumedRoleId></AssumedRoleUser></{action}Result><ResponseMetadata><RequestId>{requestId}</RequestId></ResponseMetadata></{action}Response>
                    """;
            case "DescribeSecurityGroups":
                var groupId = SecurityElement.Escape(form["GroupId.1"].ToString());
                if (string.IsNullOrEmpty(groupId))
                {
                    groupId = "sg-00000000000000000";
                }
                return $"""
                    <DescribeSecurityGroupsResponse xmlns="{Ec2Ns}"><requestId>{requestId}</requestId><securityGroupInfo><item><ownerId>111111111111</ownerId><groupId>{groupId}</groupId><groupName>bench-{groupId}</groupName><groupDescription>bench</groupDescription><vpcId>vpc-0bench</vpcId><ipPermissions/><ipPermissionsEgress/></item></securityGroupInfo></DescribeSecurityGroupsResponse>
                    """;
            case "DescribeSecurityGroupRules":
                return $"""<DescribeSecurityGroupRulesResponse xmlns="{Ec2Ns}"><requestId>{requestId}</requestId><securityGroupRuleSet/></DescribeSecurityGroupRulesResponse>""";
            case "RevokeSecurityGroupIngress":
                return $"""<RevokeSecurityGroupIngressResponse xmlns="{Ec2Ns}"><requestId>{requestId}</requestId><return>true</return></RevokeSecurityGroupIngressResponse>""";
            case "AuthorizeSecurityGroupIngress":
                return $"""<AuthorizeSecurityGroupIngressResponse xmlns="{Ec2Ns}"><requestId>{requestId}</requestId><return>true</return><securityGroupRuleSet/></AuthorizeSecurityGroupIngressResponse>""";
            case "ModifySecurityGroupRules":
                return $"""<ModifySecurityGroupRulesResponse xmlns="{Ec2Ns}"><requestId>{requestId}</requestId><return>true</return></ModifySecurityGroupRulesResponse>""";
            default:
                return $"""<Response><Errors><Error><Code>InvalidAction</Code><Message>stub does not know {SecurityElement.Escape(action)}</Message></Error></Errors><RequestID>{requestId}</RequestID></Response>""";
        }
    }
}
