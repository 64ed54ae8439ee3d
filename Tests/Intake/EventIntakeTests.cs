using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Intake;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Intake;

public class EventIntakeTests
{
    private readonly RecordingQueue _queue = new();

    private EventIntake Intake(string accounts = "111111111111", bool policeEgress = false)
    {
        var policy = O.Create(new PolicyOptions { AllowedAccounts = accounts, PoliceEgress = policeEgress });
        return new Bridge().EnqueueOnlyIntake(new ChangePolicy(policy, O.Create(new AwsOptions { RoleArnPattern = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole", WebIdentityAudience = "api://x" })), _queue, policy, new IntakeOptions(), TimeProvider.System);
    }

    private static byte[] Sample(string name) => File.ReadAllBytes(RepoRoot.Sample(name));

    private Task<IntakeResult> AcceptAsync(byte[] body, string? contentType = "application/json; charset=utf-8", string accounts = "111111111111", bool policeEgress = false) =>
        Intake(accounts, policeEgress).AcceptAsync(body, contentType, CancellationToken.None);

    [Theory]
    [InlineData("authorize-egress.json")]
    [InlineData("revoke-egress.json")]
    public async Task AcceptAsync_EgressWhenNotPoliced_IsAcknowledgedNotPolicedAndNotQueued(string sample)
    {
        var result = await AcceptAsync(Sample(sample));

        Assert.Equal((202, "Not policed"), (result.StatusCode, result.Title));
        Assert.Contains("Policy:PoliceEgress", result.Detail, StringComparison.Ordinal);
        Assert.NotNull(result.EventId);
        Assert.Empty(_queue.Sent);
    }

    [Theory]
    [InlineData("authorize-egress.json", ChangeKind.Add)]
    [InlineData("revoke-egress.json", ChangeKind.Remove)]
    public async Task AcceptAsync_EgressWhenPoliced_IsQueuedAsAnEgressChange(string sample, ChangeKind kind)
    {
        var result = await AcceptAsync(Sample(sample), policeEgress: true);

        Assert.Equal((202, "Accepted"), (result.StatusCode, result.Title));
        var (queue, json) = Assert.Single(_queue.Sent);
        Assert.Equal(QueueNames.Changes, queue);
        var change = BridgeJson.Deserialize<SecurityGroupChange>(json);
        Assert.Equal((RuleDirection.Egress, kind), (change.Direction, change.Kind));
    }

    [Fact]
    public async Task AcceptAsync_EgressFromAnAccountNotAllowed_Is403()
    {
        var result = await AcceptAsync(Sample("authorize-egress.json"), accounts: "222222222222");

        Assert.Equal(403, result.StatusCode);
        Assert.Empty(_queue.Sent);
    }

    [Fact]
    public async Task AcceptAsync_IngressWhenEgressIsNotPoliced_IsStillQueuedAsIngress()
    {
        await AcceptAsync(Sample("authorize-ssh-from-internet.json"));

        Assert.Equal(RuleDirection.Ingress, BridgeJson.Deserialize<SecurityGroupChange>(Assert.Single(_queue.Sent).Json).Direction);
    }

    [Fact]
    public async Task AcceptAsync_ValidEvent_QueuesTheParsedChangeAndAnswers202()
    {
        var result = await AcceptAsync(Sample("authorize-ssh-from-internet.json"));

        Assert.Equal((202, "Accepted"), (result.StatusCode, result.Title));
        var (queue, json) = Assert.Single(_queue.Sent);
        Assert.Equal(QueueNames.Changes, queue);
        var change = BridgeJson.Deserialize<SecurityGroupChange>(json);
        Assert.Equal(("5d2d2f34-6c1e-4d2b-9a8f-1b2c3d4e0001", ChangeKind.Add, "sg-0123456789abcdef0"), (change.EventId, change.Kind, change.GroupId));
        Assert.Equal(RequestId.For(change.EventId), result.RequestId);
    }

    [Fact]
    public async Task AcceptAsync_NotJson_Is400AndSaysSo()
    {
        var result = await AcceptAsync(Encoding.UTF8.GetBytes("{\"version\": \"0\", "));
        Assert.Equal(400, result.StatusCode);
        Assert.Contains("JSON", result.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(_queue.Sent);
    }

    [Fact]
    public async Task AcceptAsync_EmptyBody_Is400() => Assert.Equal(400, (await AcceptAsync([])).StatusCode);

    [Fact]
    public async Task AcceptAsync_WrongSource_Is400NamingTheField()
    {
        var body = Encoding.UTF8.GetString(Sample("authorize-ssh-from-internet.json")).Replace("\"source\": \"aws.ec2\"", "\"source\": \"aws.s3\"", StringComparison.Ordinal);
        var result = await AcceptAsync(Encoding.UTF8.GetBytes(body));
        Assert.Equal(400, result.StatusCode);
        Assert.Contains("source", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AcceptAsync_UnhandledEventName_Is400()
    {
        var body = Encoding.UTF8.GetString(Sample("authorize-ssh-from-internet.json")).Replace("\"AuthorizeSecurityGroupIngress\"", "\"CreateSecurityGroup\"", StringComparison.Ordinal);
        var result = await AcceptAsync(Encoding.UTF8.GetBytes(body));
        Assert.Equal(400, result.StatusCode);
        Assert.Contains("CreateSecurityGroup", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AcceptAsync_FailedCall_IsAcknowledgedAndNothingQueued()
    {
        var result = await AcceptAsync(Sample("authorize-failed-duplicate.json"));
        Assert.Equal((202, "Skipped"), (result.StatusCode, result.Title));
        Assert.Contains("Duplicate", result.Detail, StringComparison.Ordinal);
        Assert.Empty(_queue.Sent);
    }

    [Fact]
    public async Task AcceptAsync_AccountNotAllowed_Is403()
    {
        var result = await AcceptAsync(Sample("authorize-ssh-from-internet.json"), accounts: "222222222222");
        Assert.Equal(403, result.StatusCode);
        Assert.Contains("111111111111", result.Detail, StringComparison.Ordinal);
        Assert.Empty(_queue.Sent);
    }

    [Fact]
    public async Task AcceptAsync_BridgeOwnChange_IsAcknowledgedAndNotQueued()
    {
        var result = await AcceptAsync(Sample("by-bridge-role.json"));
        Assert.Equal((202, "Ignored"), (result.StatusCode, result.Title));
        Assert.Empty(_queue.Sent);
    }

    [Fact]
    public async Task AcceptAsync_ServiceLinkedRole_IsStillQueued_ToBeRecordedAsExempt()
    {
        var result = await AcceptAsync(Sample("by-service-linked-role.json"));
        Assert.Equal(202, result.StatusCode);
        Assert.Single(_queue.Sent);
    }

    [Fact]
    public async Task AcceptAsync_TooLarge_Is413BeforeParsing()
    {
        var result = await AcceptAsync(new byte[EventIntake.MaxBodyBytes + 1]);
        Assert.Equal(413, result.StatusCode);
    }

    [Fact]
    public async Task AcceptAsync_NotJsonContentType_Is415()
    {
        var result = await AcceptAsync(Sample("authorize-ssh-from-internet.json"), "text/plain");
        Assert.Equal(415, result.StatusCode);
    }

    [Fact]
    public async Task AcceptAsync_QueueUnreachable_Is503SoEventBridgeRetries()
    {
        _queue.FailWith = new StorageUnavailableException("queue down", null);
        var result = await AcceptAsync(Sample("authorize-ssh-from-internet.json"));
        Assert.Equal(503, result.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), result.RetryAfter);
    }

    [Fact]
    public async Task AcceptAsync_ChangeTooLargeForAQueueMessage_Is413AndLogged()
    {
        _queue.FailWith = new QueueMessageTooLargeException(QueueNames.Changes, 70_000, 93_336);
        var result = await AcceptAsync(Sample("authorize-ssh-from-internet.json"));
        Assert.Equal(413, result.StatusCode);
    }

    [Theory]
    [InlineData("authorize-mixed-sources.json")]
    [InlineData("authorize-legacy-flat.json")]
    [InlineData("authorize-default-vpc-group-name.json")]
    [InlineData("revoke-by-rule-ids.json")]
    [InlineData("modify-several-rules.json")]
    [InlineData("bare-cloudtrail-record.json")]
    public async Task AcceptAsync_EveryShippedShape_IsQueued(string sample)
    {
        var result = await AcceptAsync(Sample(sample));
        Assert.Equal(202, result.StatusCode);
        Assert.Single(_queue.Sent);
    }
}
