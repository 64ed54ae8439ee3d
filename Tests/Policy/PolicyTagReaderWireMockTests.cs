using System.Diagnostics;
using Amazon.EC2;
using Amazon.Runtime;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging.Abstractions;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Tests.Aws;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Policy;

/// <summary>
/// The policy's tag read through the real SDK against a stub EC2: one DescribeSecurityGroups for the group; throttling
/// (after the SDK's retries), access denied and a hang each end as unknown tags with the reason, within the budget.
/// </summary>
public sealed class PolicyTagReaderWireMockTests : IDisposable
{
    private const string GroupId = "sg-0a1b2c3d4e5f67890";
    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly AwsOptions _options;
    private readonly AmazonEC2Client _ec2;

    public PolicyTagReaderWireMockTests()
    {
        _options = TestAwsOptions.Create(_server.Url);
        _ec2 = new AmazonEC2Client(new BasicAWSCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG"), Ec2SecurityGroupClientFactory.BuildConfig(_options, "eu-west-1"));
    }

    public void Dispose()
    {
        _ec2.Dispose();
        _server.Stop();
    }

    private PolicyTagReader Reader(TimeSpan budget) =>
        new(new OneClient(new AwsErrorBoundary(new Ec2SecurityGroupClient(_ec2, NullLogger<Ec2SecurityGroupClient>.Instance))),
            MsOptions.Create(new BlastRadiusOptions { Budget = budget }), NullLogger<PolicyTagReader>.Instance, new SgBridge.Shared.Telemetry.BridgeTelemetry());

    private void Answer(int status, string xml, TimeSpan? delay = null)
    {
        var response = Response.Create().WithStatusCode(status).WithHeader("Content-Type", "text/xml;charset=UTF-8").WithBody(xml);
        if (delay is { } d)
        {
            response = response.WithDelay(d);
        }
        _server.Given(Request.Create().UsingPost()).RespondWith(response);
    }

    private static string Error(string code) =>
        $"<Response><Errors><Error><Code>{code}</Code><Message>{code} for tests.</Message></Error></Errors><RequestID>req-e</RequestID></Response>";

    private const string Tagged = $"""
        <DescribeSecurityGroupsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
          <requestId>req-1</requestId>
          <securityGroupInfo>
            <item>
              <ownerId>111111111111</ownerId><groupId>{GroupId}</groupId><groupName>pay</groupName><vpcId>vpc-0abc</vpcId>
              <tagSet><item><key>env</key><value>dev</value></item><item><key>team</key><value>payments</value></item></tagSet>
            </item>
          </securityGroupInfo>
        </DescribeSecurityGroupsResponse>
        """;

    [Fact]
    public async Task Read_OneDescribeSecurityGroupsForTheGroup()
    {
        Answer(200, Tagged);

        // A budget no loaded machine reaches: the budget is not what this test is about (a cold client's first call took 8 s at load 27).
        var tags = await Reader(TimeSpan.FromSeconds(60)).ReadAsync("111111111111", "eu-west-1", GroupId, CancellationToken.None);

        Assert.Equal([("env", "dev"), ("team", "payments")], tags.Values!.OrderBy(t => t.Key).Select(t => (t.Key, t.Value)));
        var form = QueryHelpers.ParseQuery(Assert.Single(_server.LogEntries).RequestMessage.Body ?? "");
        Assert.Equal(("DescribeSecurityGroups", GroupId), (form["Action"].ToString(), form["GroupId.1"].ToString()));
    }

    [Fact]
    public async Task Throttled_UnknownAfterTheSdkRetries()
    {
        Answer(503, Error("RequestLimitExceeded"));

        var tags = await Reader(TimeSpan.FromSeconds(10)).ReadAsync("111111111111", "eu-west-1", GroupId, CancellationToken.None);

        Assert.Equal("the group's tags could not be read: EC2 throttled the read (RequestLimitExceeded)", tags.UnknownReason);
        Assert.Equal(1 + _options.MaxErrorRetry, _server.LogEntries.Count());
    }

    [Fact]
    public async Task AccessDenied_Unknown_NamingThePermission()
    {
        Answer(403, Error("UnauthorizedOperation"));
        var tags = await Reader(TimeSpan.FromSeconds(5)).ReadAsync("111111111111", "eu-west-1", GroupId, CancellationToken.None);
        Assert.Equal("the group's tags could not be read: the bridge's role may not call ec2:DescribeSecurityGroups (UnauthorizedOperation)", tags.UnknownReason);
    }

    [Fact]
    public async Task Hang_UnknownWithinTheBudget()
    {
        Answer(200, Tagged, delay: TimeSpan.FromSeconds(20));
        var budget = TimeSpan.FromMilliseconds(300);
        var clock = Stopwatch.StartNew();

        var tags = await Reader(budget).ReadAsync("111111111111", "eu-west-1", GroupId, CancellationToken.None);

        Assert.Equal("the group's tags could not be read: no answer from EC2 within 0.3 s", tags.UnknownReason);
        Assert.InRange(clock.Elapsed, budget - TimeSpan.FromMilliseconds(50), budget + TimeSpan.FromSeconds(1.5));
    }

    private sealed class OneClient(ISecurityGroupClient client) : ISecurityGroupClientFactory
    {
        public Task<ISecurityGroupClient> CreateAsync(string accountId, string region, CancellationToken cancellationToken) => Task.FromResult(client);
    }
}
