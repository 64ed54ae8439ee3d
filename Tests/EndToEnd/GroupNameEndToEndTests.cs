using System.Text.Json.Nodes;
using Amazon.EC2;
using Amazon.EC2.Model;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Integration;
using static SgBridge.Tests.EndToEnd.PipelineHarness;

namespace SgBridge.Tests.EndToEnd;

/// <summary>
/// Group names use EC2's whole set (a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&amp;;{}!$*), including '/' and '#' that
/// Table Storage refuses in keys: a change named only by such a name is accepted, reverted and stored with the name
/// intact (no key is built from a name). Characters EC2 refuses in names ('?', '\') are refused at the intake.
/// </summary>
[Collection(PipelineCollection.Name)]
[Trait("Category", "Integration")]
public sealed class GroupNameEndToEndTests(AzuriteFixture azurite, MotoFixture moto) : IAsyncLifetime
{
    private PipelineHarness _h = null!;
    private AmazonEC2Client _ec2 = null!;

    public async Task InitializeAsync()
    {
        if (!MotoFixture.IsAvailable)
        {
            return;
        }
        _h = await PipelineHarness.StartAsync(azurite, moto);
        await _h.ResetQueuesAsync();
        _ec2 = await _h.PersonEc2Async();
    }

    public async Task DisposeAsync()
    {
        _ec2?.Dispose();
        if (_h is not null)
        {
            await _h.DisposeAsync();
        }
    }

    /// <summary>The console's call on a default-VPC group: the group by name only, as CloudTrail records it.</summary>
    private JsonObject AuthorizeByName(string name, string groupId, string ruleId, bool withResponse)
    {
        var evt = Events.Authorize(_h.Account, PipelineHarness.Region, Events.Sso(_h.Account), groupId, 22, "0.0.0.0/0", "ssh", ruleId);
        var request = evt["detail"]!["requestParameters"]!.AsObject();
        request.Remove("groupId");
        request["groupName"] = name;
        if (!withResponse)
        {
            evt["detail"]!["responseElements"] = null;
        }
        return evt;
    }

    [MotoTheory]
    [InlineData("web#1 team/app", true)]
    [InlineData("a/b#c (x) {y}=$*&;+,@[z]!", false)]
    public async Task NamedGroup_WithSlashAndHash_IsAcceptedRevertedAndStoredWithItsName(string name, bool withResponse)
    {
        // The default VPC's group (no VpcId), so EC2 also finds it by name.
        var group = (await _ec2.CreateSecurityGroupAsync(new CreateSecurityGroupRequest { GroupName = name + Guid.NewGuid().ToString("N")[..4], Description = "e2e" })).GroupId;
        name = (await _ec2.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { GroupIds = [group] })).SecurityGroups.Single().GroupName;
        var ruleId = (await _ec2.AuthorizeSecurityGroupIngressAsync(new AuthorizeSecurityGroupIngressRequest
        {
            GroupName = name,
            IpPermissions = [new IpPermission { IpProtocol = "tcp", FromPort = 22, ToPort = 22, Ipv4Ranges = [new IpRange { CidrIp = "0.0.0.0/0", Description = "ssh" }] }],
        })).SecurityGroupRules.Single().SecurityGroupRuleId;
        var evt = AuthorizeByName(name, group, ruleId, withResponse);

        var (status, body) = await _h.PostEventAsync(evt);
        Assert.True(status == 202, body);
        Assert.Equal(0, await _h.PumpAsync());

        Assert.DoesNotContain(await IngressAsync(_ec2, group), r => r.FromPort == 22);
        var request = (await _h.Requests.GetAsync(RequestId.For((string)evt["detail"]!["eventID"]!), CancellationToken.None))!.Value;
        Assert.Equal(RequestStatus.Pending, request.Status);
        Assert.Equal(name, request.GroupName);
        Assert.Equal(group, request.GroupId);
    }

    [MotoTheory]
    [InlineData("web?1")]
    [InlineData("web\\1")]
    public async Task NamedGroup_WithACharacterEc2Refuses_IsRefusedNamingTheField(string name)
    {
        var evt = AuthorizeByName(name, "sg-0123456789abcdef0", "sgr-0123456789abcdef0", withResponse: false);

        var (status, body) = await _h.PostEventAsync(evt);

        Assert.Equal(400, status);
        Assert.Contains("requestParameters.groupName", body, StringComparison.Ordinal);
        Assert.Equal(0, await _h.QueueLengthAsync(QueueNames.Changes));
    }
}
