using System.Net;
using Amazon.EC2;
using Amazon.Runtime;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging.Abstractions;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using MsOptions = Microsoft.Extensions.Options.Options;
using DomainRule = SgBridge.Shared.Domain.SecurityGroupRule;

namespace SgBridge.Tests.Aws;

/// <summary>
/// The real AWS SDK (serialisation, signing, retries, error parsing) against a local stub of EC2 and STS,
/// for behaviour moto does not emulate (UnknownIpPermissions, RevokedSecurityGroupRules, throttling).
/// </summary>
public sealed class AwsWireMockTests : IDisposable
{
    private const string Ec2Ns = "http://ec2.amazonaws.com/doc/2016-11-15/";
    private const string GroupId = "sg-0a1b2c3d4e5f67890";
    private readonly WireMockServer _server = WireMockServer.Start();
    private readonly AwsOptions _options;

    public AwsWireMockTests() => _options = TestAwsOptions.Create(_server.Url);

    public void Dispose() => _server.Stop();

    private Ec2SecurityGroupClient Client(out AmazonEC2Client ec2)
    {
        ec2 = new AmazonEC2Client(new BasicAWSCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG"), Ec2SecurityGroupClientFactory.BuildConfig(_options, "eu-west-1"));
        return new Ec2SecurityGroupClient(ec2, NullLogger<Ec2SecurityGroupClient>.Instance);
    }

    private void Answer(int status, string xml) =>
        _server.Given(Request.Create().UsingPost())
            .RespondWith(Response.Create().WithStatusCode(status).WithHeader("Content-Type", "text/xml;charset=UTF-8").WithBody(xml));

    private Dictionary<string, string> LastForm()
    {
        var body = Assert.Single(_server.LogEntries).RequestMessage.Body ?? "";
        return QueryHelpers.ParseQuery(body).ToDictionary(kv => kv.Key, kv => kv.Value.ToString(), StringComparer.Ordinal);
    }

    [Fact]
    public async Task Execute_Throttled_IsRetriedBySdkThenThrown()
    {
        Answer(503, "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>req-1</RequestID></Response>");
        var client = Client(out var ec2);
        using var _ = ec2;

        var ex = await Assert.ThrowsAsync<AmazonEC2Exception>(() =>
            client.ExecuteAsync(new RevokeIngressByIds(GroupId, ["sgr-0123456789abcdef0"]), CancellationToken.None));

        Assert.Equal("RequestLimitExceeded", ex.ErrorCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ex.StatusCode);
        Assert.Equal(1 + _options.MaxErrorRetry, _server.LogEntries.Count());
    }

    [Fact]
    public async Task ErrorBoundary_Throttled_ThrowsTheCoresExceptionWithCodeAndStatus()
    {
        Answer(503, "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>req-1</RequestID></Response>");
        var client = new AwsErrorBoundary(Client(out var ec2));
        using var _ = ec2;

        var ex = await Assert.ThrowsAsync<AwsServiceException>(() =>
            client.ExecuteAsync(new RevokeIngressByIds(GroupId, ["sgr-0123456789abcdef0"]), CancellationToken.None));

        Assert.Equal(("EC2", "RequestLimitExceeded", 503), (ex.Service, ex.ErrorCode, ex.StatusCode));
        Assert.Equal("RequestLimitExceeded", Ec2ErrorText.CodeOf(ex));
        Assert.IsType<AmazonEC2Exception>(ex.InnerException);
    }

    [Fact]
    public async Task ErrorBoundary_PermanentError_IsStillAFailedOutcome()
    {
        Answer(400, "<Response><Errors><Error><Code>InvalidGroup.NotFound</Code><Message>The security group does not exist.</Message></Error></Errors><RequestID>req-1</RequestID></Response>");
        var client = new AwsErrorBoundary(Client(out var ec2));
        using var _ = ec2;

        var outcome = await client.ExecuteAsync(new RevokeIngressByIds(GroupId, ["sgr-0123456789abcdef0"]), CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.Equal("InvalidGroup.NotFound", outcome.ErrorCode);
    }

    [Fact]
    public async Task RevokeByRules_UnknownIpPermissions_IsAFailedOutcome()
    {
        Answer(200, $"""
            <RevokeSecurityGroupIngressResponse xmlns="{Ec2Ns}">
              <requestId>req-2</requestId>
              <return>true</return>
              <unknownIpPermissionSet>
                <item>
                  <ipProtocol>tcp</ipProtocol><fromPort>22</fromPort><toPort>22</toPort>
                  <groups/>
                  <ipRanges><item><cidrIp>10.0.0.0/8</cidrIp></item></ipRanges>
                  <ipv6Ranges/><prefixListIds/>
                </item>
              </unknownIpPermissionSet>
            </RevokeSecurityGroupIngressResponse>
            """);
        var client = Client(out var ec2);
        using var _ = ec2;
        var write = new RevokeIngressByRules(GroupId, [new DomainRule("tcp", 22, 22, RuleSource.Ipv4("10.0.0.0/8"))]);

        var outcome = await client.ExecuteAsync(write, CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.Equal("UnknownIpPermissions", outcome.ErrorCode);
        Assert.Contains("TCP 22 from 10.0.0.0/8", outcome.Message, StringComparison.Ordinal);
        Assert.Equal(write.Describe(), outcome.Call);
    }

    [Fact]
    public async Task Authorize_Duplicate_RuleNotInTheLiveGroup_StaysAFailedOutcome()
    {
        // EC2 says "duplicate" but the describe shows no such rule (a rule with other content, a stale answer): the
        // error stands. Only the live group can turn an error into "done".
        _server.Given(Request.Create().UsingPost().WithBody(new WireMock.Matchers.RegexMatcher("Action=AuthorizeSecurityGroupIngress")))
            .RespondWith(Response.Create().WithStatusCode(400).WithHeader("Content-Type", "text/xml;charset=UTF-8")
                .WithBody("<Response><Errors><Error><Code>InvalidPermission.Duplicate</Code><Message>the specified rule already exists</Message></Error></Errors><RequestID>req-d</RequestID></Response>"));
        _server.Given(Request.Create().UsingPost().WithBody(new WireMock.Matchers.RegexMatcher("Action=DescribeSecurityGroupRules")))
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/xml;charset=UTF-8")
                .WithBody($"<DescribeSecurityGroupRulesResponse xmlns=\"{Ec2Ns}\"><requestId>req-e</requestId><securityGroupRuleSet/></DescribeSecurityGroupRulesResponse>"));
        var client = Client(out var ec2);
        using var _ = ec2;

        var outcome = await client.ExecuteAsync(new AuthorizeIngress(GroupId, [new DomainRule("tcp", 22, 22, RuleSource.Ipv4("10.0.0.0/8"), null)]), CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.Equal("InvalidPermission.Duplicate", outcome.ErrorCode);
        Assert.Contains(_server.LogEntries, e => e.RequestMessage.Body!.Contains("Action=DescribeSecurityGroupRules", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RevokeByRules_ReturnFalse_IsAFailedOutcome()
    {
        Answer(200, $"<RevokeSecurityGroupIngressResponse xmlns=\"{Ec2Ns}\"><requestId>r</requestId><return>false</return></RevokeSecurityGroupIngressResponse>");
        var client = Client(out var ec2);
        using var _ = ec2;

        var outcome = await client.ExecuteAsync(new RevokeIngressByRules(GroupId, [new DomainRule("tcp", 22, 22, RuleSource.Ipv4("10.0.0.0/8"))]), CancellationToken.None);

        Assert.False(outcome.Succeeded);
        Assert.Equal("RevokeReturnedFalse", outcome.ErrorCode);
    }

    [Fact]
    public async Task RevokeByRules_ReferencedGroup_SendsGroupPairWithDescription()
    {
        Answer(200, $"<RevokeSecurityGroupIngressResponse xmlns=\"{Ec2Ns}\"><requestId>r</requestId><return>true</return></RevokeSecurityGroupIngressResponse>");
        var client = Client(out var ec2);
        using var _ = ec2;
        var rule = new DomainRule("tcp", 5432, 5432, RuleSource.Group("sg-0fedcba9876543210", "123456789012"), "app servers");

        var outcome = await client.ExecuteAsync(new RevokeIngressByRules(GroupId, [rule]), CancellationToken.None);

        Assert.True(outcome.Succeeded);
        var form = LastForm();
        Assert.Equal("RevokeSecurityGroupIngress", form["Action"]);
        Assert.Equal(GroupId, form["GroupId"]);
        Assert.Equal("tcp", form["IpPermissions.1.IpProtocol"]);
        Assert.Equal("5432", form["IpPermissions.1.FromPort"]);
        Assert.Equal("sg-0fedcba9876543210", form["IpPermissions.1.Groups.1.GroupId"]);
        Assert.Equal("123456789012", form["IpPermissions.1.Groups.1.UserId"]);
        Assert.Equal("app servers", form["IpPermissions.1.Groups.1.Description"]);
    }

    [Fact]
    public async Task RevokeByIds_ListsRevokedRulesFromTheResponse()
    {
        Answer(200, $"""
            <RevokeSecurityGroupIngressResponse xmlns="{Ec2Ns}">
              <requestId>r</requestId><return>true</return>
              <revokedSecurityGroupRuleSet>
                <item><securityGroupRuleId>sgr-0123456789abcdef0</securityGroupRuleId><groupId>{GroupId}</groupId><isEgress>false</isEgress>
                  <ipProtocol>tcp</ipProtocol><fromPort>22</fromPort><toPort>22</toPort><cidrIpv4>10.0.0.0/8</cidrIpv4></item>
              </revokedSecurityGroupRuleSet>
            </RevokeSecurityGroupIngressResponse>
            """);
        var client = Client(out var ec2);
        using var _ = ec2;

        var outcome = await client.ExecuteAsync(new RevokeIngressByIds(GroupId, ["sgr-0123456789abcdef0"]), CancellationToken.None);

        Assert.True(outcome.Succeeded);
        Assert.Equal(["revoked sgr-0123456789abcdef0"], outcome.Notes);
        var form = LastForm();
        Assert.Equal("sgr-0123456789abcdef0", form["SecurityGroupRuleId.1"]);
    }

    [Fact]
    public async Task ModifyRules_SendsTheQueryProtocolParameters()
    {
        Answer(200, $"<ModifySecurityGroupRulesResponse xmlns=\"{Ec2Ns}\"><requestId>r</requestId><return>true</return></ModifySecurityGroupRulesResponse>");
        var client = Client(out var ec2);
        using var _ = ec2;
        var after = new DomainRule("tcp", 8080, 8081, RuleSource.Ipv4("10.1.0.0/16"), "web");

        var outcome = await client.ExecuteAsync(new ModifyRules(GroupId, [new RuleModification("sgr-0123456789abcdef0", after)]), CancellationToken.None);

        Assert.True(outcome.Succeeded);
        var form = LastForm();
        Assert.Equal("ModifySecurityGroupRules", form["Action"]);
        Assert.Equal(GroupId, form["GroupId"]);
        Assert.Equal("sgr-0123456789abcdef0", form["SecurityGroupRule.1.SecurityGroupRuleId"]);
        Assert.Equal("tcp", form["SecurityGroupRule.1.SecurityGroupRule.IpProtocol"]);
        Assert.Equal("8080", form["SecurityGroupRule.1.SecurityGroupRule.FromPort"]);
        Assert.Equal("8081", form["SecurityGroupRule.1.SecurityGroupRule.ToPort"]);
        Assert.Equal("10.1.0.0/16", form["SecurityGroupRule.1.SecurityGroupRule.CidrIpv4"]);
        Assert.Equal("web", form["SecurityGroupRule.1.SecurityGroupRule.Description"]);
        Assert.False(form.ContainsKey("SecurityGroupRule.1.SecurityGroupRule.CidrIpv6"));
    }

    [Fact]
    public async Task Authorize_GroupsRulesWithSamePortsIntoOnePermission()
    {
        Answer(200, $"<AuthorizeSecurityGroupIngressResponse xmlns=\"{Ec2Ns}\"><requestId>r</requestId><return>true</return><securityGroupRuleSet>" +
            $"<item><securityGroupRuleId>sgr-00000000000000001</securityGroupRuleId><groupId>{GroupId}</groupId><isEgress>false</isEgress><ipProtocol>tcp</ipProtocol><fromPort>443</fromPort><toPort>443</toPort><cidrIpv4>10.0.0.0/8</cidrIpv4><description>a</description></item>" +
            $"<item><securityGroupRuleId>sgr-00000000000000002</securityGroupRuleId><groupId>{GroupId}</groupId><isEgress>false</isEgress><ipProtocol>-1</ipProtocol><fromPort>-1</fromPort><toPort>-1</toPort><cidrIpv4>192.168.1.0/24</cidrIpv4></item>" +
            "</securityGroupRuleSet></AuthorizeSecurityGroupIngressResponse>");
        var client = Client(out var ec2);
        using var _ = ec2;

        var outcome = await client.ExecuteAsync(new AuthorizeIngress(GroupId,
        [
            new DomainRule("tcp", 443, 443, RuleSource.Ipv4("10.0.0.0/8"), "a"),
            new DomainRule("tcp", 443, 443, RuleSource.Ipv6("2001:db8::/32"), "b"),
            new DomainRule("tcp", 443, 443, RuleSource.PrefixList("pl-12345678")),
            new DomainRule("-1", null, null, RuleSource.Ipv4("192.168.1.0/24")),
        ]), CancellationToken.None);

        Assert.True(outcome.Succeeded);
        Assert.Equal(["created sgr-00000000000000001: TCP 443 from 10.0.0.0/8 (a)", "created sgr-00000000000000002: all traffic from 192.168.1.0/24"], outcome.Notes);
        var form = LastForm();
        Assert.Equal("10.0.0.0/8", form["IpPermissions.1.IpRanges.1.CidrIp"]);
        Assert.Equal("a", form["IpPermissions.1.IpRanges.1.Description"]);
        Assert.Equal("2001:db8::/32", form["IpPermissions.1.Ipv6Ranges.1.CidrIpv6"]);
        Assert.Equal("pl-12345678", form["IpPermissions.1.PrefixListIds.1.PrefixListId"]);
        Assert.Equal("-1", form["IpPermissions.2.IpProtocol"]);
        Assert.False(form.ContainsKey("IpPermissions.2.FromPort"));
    }

    [Fact]
    public async Task AssumeRoleWithWebIdentity_SendsRoleSessionAndToken_Unsigned()
    {
        var expiration = DateTimeOffset.UtcNow.AddHours(1);
        Answer(200, $"""
            <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
              <AssumeRoleWithWebIdentityResult>
                <Credentials>
                  <AccessKeyId>ASIAEXAMPLE0001</AccessKeyId>
                  <SecretAccessKey>secret</SecretAccessKey>
                  <SessionToken>session-token</SessionToken>
                  <Expiration>{expiration:yyyy-MM-ddTHH:mm:ssZ}</Expiration>
                </Credentials>
                <SubjectFromWebIdentityToken>00000000-0000-0000-0000-000000000001</SubjectFromWebIdentityToken>
                <AssumedRoleUser><Arn>arn:aws:sts::111111111111:assumed-role/SgBridgeExecutionRole/sgbridge</Arn><AssumedRoleId>AROA:sgbridge</AssumedRoleId></AssumedRoleUser>
                <Audience>api://sgbridge-aws</Audience>
              </AssumeRoleWithWebIdentityResult>
              <ResponseMetadata><RequestId>req-sts</RequestId></ResponseMetadata>
            </AssumeRoleWithWebIdentityResponse>
            """);
        using var sts = AwsServiceCollectionExtensions.CreateStsClient(_options);
        var cache = new AssumedRoleCredentialCache(sts, new StaticTokenSource("eyJ-entra-token"), MsOptions.Create(_options), TimeProvider.System, NullLogger<AssumedRoleCredentialCache>.Instance, new SgBridge.Shared.Telemetry.BridgeTelemetry());

        var credentials = await cache.GetAsync("111111111111", CancellationToken.None);

        Assert.Equal("ASIAEXAMPLE0001", credentials.Credentials.AccessKey);
        Assert.Equal("session-token", credentials.Credentials.Token);
        Assert.Equal(expiration.ToUnixTimeSeconds(), credentials.Expiration.ToUnixTimeSeconds());
        var form = LastForm();
        Assert.Equal("AssumeRoleWithWebIdentity", form["Action"]);
        Assert.Equal("arn:aws:iam::111111111111:role/SgBridgeExecutionRole", form["RoleArn"]);
        Assert.Equal("sgbridge", form["RoleSessionName"]);
        Assert.Equal("eyJ-entra-token", form["WebIdentityToken"]);
        Assert.Equal("3600", form["DurationSeconds"]);
        var headers = Assert.Single(_server.LogEntries).RequestMessage.Headers!;
        Assert.False(headers.ContainsKey("Authorization"), "AssumeRoleWithWebIdentity must not be signed with AWS credentials");
    }
}
