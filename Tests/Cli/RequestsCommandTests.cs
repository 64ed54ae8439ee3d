using System.Text.Json;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SgBridge.Cli;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Events;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Cli;

/// <summary>`sgbridge requests` on Azurite: requests seeded through the real TableRequestStore, the verb run in-process.</summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class RequestsCommandTests(AzuriteFixture azurite)
{
    private readonly string _table = azurite.UniqueTableName("clireq");
    private readonly CliRunner _cli = new();
    private readonly CancellationToken _ct = new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token;

    internal static SecurityGroupChange Sample(string name, string eventId, string? account = null)
    {
        Assert.True(CloudTrailParser.Parse(File.ReadAllBytes(RepoRoot.Sample(name))).TryGetChange(out var change));
        return change with { EventId = eventId, AccountId = account ?? change.AccountId };
    }

    private TableRequestStore Store() => new(azurite.CreateTableServiceClient(), Options.Create(new StorageOptions { ConnectionString = azurite.ConnectionString, RequestsTable = _table }));

    private void UseAzurite()
    {
        _cli.Environment["Storage__ConnectionString"] = azurite.ConnectionString;
        _cli.Environment["Storage__RequestsTable"] = _table;
    }

    /// <summary>
    /// Pending: alice's SSH from the internet, 3 days old. Applied: deploy-user's Postgres rule, 10 days old, approved by Bob.
    /// RevertFailed: bob in account 222222222222, 1 day old. Exempt: a service-linked role, 2 hours old.
    /// </summary>
    private async Task<(ChangeRequest Pending, ChangeRequest Applied, ChangeRequest Failed, ChangeRequest Exempt)> SeedAsync()
    {
        var now = CliRunner.Now;
        var pending = ChangeRequest.Open("SG-PEND0001", Sample("authorize-ssh-from-internet.json", "evt-pending"), now.AddDays(-3));
        pending.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress GroupId=sg-0123456789abcdef0 SecurityGroupRuleIds=[sgr-0a1b2c3d4e5f60001]", true)
        { Notes = ["revoked sgr-0a1b2c3d4e5f60001"] }, now.AddDays(-3).AddSeconds(2));

        var applied = ChangeRequest.Open("SG-APPD0001", Sample("bare-cloudtrail-record.json", "evt-applied"), now.AddDays(-10));
        applied.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress GroupId=sg-0123456789abcdef0", true), now.AddDays(-10).AddSeconds(2));
        applied.Approve("U0BOB", "Bob Approver", now.AddDays(-10).AddMinutes(7));
        applied.MarkApplied(new CallOutcome("ec2:AuthorizeSecurityGroupIngress GroupId=sg-0123456789abcdef0", true) { Notes = ["created sgr-0feedfeedfeedfeed"] }, now.AddDays(-10).AddMinutes(8));

        var failed = ChangeRequest.Open("SG-ERR00001", Sample("by-iam-user.json", "evt-failed", "222222222222") with { Requester = TestData.IamUser("bob") }, now.AddDays(-1));
        failed.MarkRevertFailed(new CallOutcome("ec2:RevokeSecurityGroupIngress GroupId=sg-0123456789abcdef0", false, "InvalidGroup.NotFound", "The security group does not exist"), now.AddDays(-1).AddSeconds(3));

        var exempt = ChangeRequest.RecordExempt("SG-EXMP0001", Sample("by-service-linked-role.json", "evt-exempt"), "service-linked role", now.AddHours(-2));

        var store = Store();
        foreach (var r in new[] { pending, applied, failed, exempt })
        {
            Assert.True((await store.AddOrGetAsync(r, _ct)).Created);
        }
        return (pending, applied, failed, exempt);
    }

    private static string[] Ids(string output) =>
        output.Split('\n').Where(l => l.StartsWith("SG-", StringComparison.Ordinal)).Select(l => l[..l.IndexOf(' ', StringComparison.Ordinal)]).ToArray();

    [Fact]
    public async Task List_NoFilter_ShowsEveryRequestNewestFirst()
    {
        UseAzurite();
        await SeedAsync();

        var (exit, output, error) = await _cli.RunAsync("requests");

        Assert.True(exit == 0, error);
        Assert.Equal(["SG-EXMP0001", "SG-ERR00001", "SG-PEND0001", "SG-APPD0001"], Ids(output));
        Assert.Contains("ID           CREATED               STATUS", output, StringComparison.Ordinal);
        Assert.Contains("SG-PEND0001  2026-11-26T12:00:00Z  Pending       111111111111  eu-west-1  sg-0123456789abcdef0  AuthorizeSecurityGroupIngress  alice@example.com via", output, StringComparison.Ordinal);
        Assert.Contains("4 requests.", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "--status", "Pending" }, new[] { "SG-PEND0001" })]
    [InlineData(new[] { "--status", "revertfailed,APPLIED" }, new[] { "SG-ERR00001", "SG-APPD0001" })]
    [InlineData(new[] { "--account", "222222222222" }, new[] { "SG-ERR00001" })]
    [InlineData(new[] { "--since", "7d" }, new[] { "SG-EXMP0001", "SG-ERR00001", "SG-PEND0001" })]
    [InlineData(new[] { "--since", "3h" }, new[] { "SG-EXMP0001" })]
    [InlineData(new[] { "--since", "2026-11-26" }, new[] { "SG-EXMP0001", "SG-ERR00001", "SG-PEND0001" })]
    [InlineData(new[] { "--since", "2026-11-27T00:00:00+02:00" }, new[] { "SG-EXMP0001", "SG-ERR00001" })]
    [InlineData(new[] { "--requester", "ALICE@example" }, new[] { "SG-PEND0001" })]
    [InlineData(new[] { "--requester", "deploy-user" }, new[] { "SG-APPD0001" })]
    [InlineData(new[] { "--requester", "user/bob" }, new[] { "SG-ERR00001" })]
    [InlineData(new[] { "--status", "Pending,Applied", "--account", "111111111111", "--since", "5d" }, new[] { "SG-PEND0001" })]
    public async Task List_Filters_SelectTheMatchingRequests(string[] filter, string[] expected)
    {
        UseAzurite();
        await SeedAsync();

        var (exit, output, error) = await _cli.RunAsync(["requests", "list", .. filter]);

        Assert.True(exit == 0, error);
        Assert.Equal(expected, Ids(output));
    }

    [Fact]
    public async Task List_NothingMatches_SaysSoAndExitsZero()
    {
        UseAzurite();
        await SeedAsync();
        var (exit, output, _) = await _cli.RunAsync("requests", "list", "--account", "999999999999");
        Assert.Equal(0, exit);
        Assert.Contains("No requests match.", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_TableDoesNotExist_IsAnErrorNamingTheSetting_AndDoesNotCreateIt()
    {
        // A misspelled Storage__RequestsTable must not read as "No requests match" (it did, exit 0).
        UseAzurite();

        var (exit, output, error) = await _cli.RunAsync("requests");

        Assert.Equal(ExitCodes.CannotRun, exit);
        Assert.Equal("", output);
        Assert.StartsWith($"sgbridge requests: the table '{_table}' (Storage__RequestsTable) does not exist in the storage account. Fix: check Storage__RequestsTable", error, StringComparison.Ordinal);
        var tables = new List<string>();
        await foreach (var t in azurite.CreateTableServiceClient().QueryAsync(t => t.Name == _table, cancellationToken: _ct))
        {
            tables.Add(t.Name);
        }
        Assert.Empty(tables);
    }

    [Fact]
    public async Task List_Json_IsAnArrayOfAuditRecords()
    {
        UseAzurite();
        await SeedAsync();

        var (exit, output, _) = await _cli.RunAsync("requests", "--status", "Applied", "--json");

        Assert.Equal(0, exit);
        var doc = JsonDocument.Parse(output).RootElement;
        Assert.Equal("sgbridge/v1", doc.GetProperty("schema").GetString());
        Assert.Equal("requests", doc.GetProperty("verb").GetString());
        Assert.True(doc.GetProperty("ok").GetBoolean());
        var record = Assert.Single(doc.GetProperty("requests").EnumerateArray());
        Assert.Equal("SG-APPD0001", record.GetProperty("id").GetString());
        Assert.Equal("evt-applied", record.GetProperty("eventId").GetString());
        Assert.Equal("arn:aws:iam::111111111111:user/deploy-user", record.GetProperty("requesterArn").GetString());
        Assert.Equal("U0BOB", record.GetProperty("decidedBy").GetString());
        Assert.Equal("succeeded", record.GetProperty("applyResult").GetString());
    }

    [Fact]
    public async Task List_SettingsFromALocalSettingsFile_Work()
    {
        await SeedAsync();
        var file = Path.Combine(Path.GetTempPath(), $"sgbridge-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new { IsEncrypted = false, Values = new Dictionary<string, string>
        {
            ["Storage__ConnectionString"] = azurite.ConnectionString,
            ["Storage:RequestsTable"] = _table,
        } }), _ct);
        try
        {
            var (exit, output, error) = await _cli.RunAsync("requests", "--status", "Exempt", "--settings", file);
            Assert.True(exit == 0, error);
            Assert.Equal(["SG-EXMP0001"], Ids(output));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData(new[] { "requests", "--status", "Bogus" }, "--status: 'Bogus' is not a status. Use one of: Reverting, Pending")]
    [InlineData(new[] { "requests", "--status", "3" }, "--status: '3' is not a status")]
    [InlineData(new[] { "requests", "list", "--since", "yesterday" }, "--since: 'yesterday' is neither a duration")]
    [InlineData(new[] { "requests", "--account", "1234" }, "--account: '1234' is not a 12-digit AWS account id")]
    [InlineData(new[] { "requests", "show", "SG-!!" }, "'SG-!!' is not a request id")]
    public async Task BadArguments_ExitOneWithAClearError(string[] args, string expected)
    {
        UseAzurite();
        var (exit, _, error) = await _cli.RunAsync(args);
        Assert.Equal(1, exit);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("requests", "--frobnicate")]
    [InlineData("requests", "show")]
    public async Task ParseErrors_ExitOne(params string[] args)
    {
        var (exit, _, error) = await _cli.RunAsync(args);
        Assert.Equal(1, exit);
        Assert.NotEmpty(error);
    }

    [Fact]
    public async Task List_WithoutStorageSettings_ExitsThreeNamingTheSetting()
    {
        var (exit, _, error) = await _cli.RunAsync("requests");
        Assert.Equal(3, exit);
        Assert.Contains("Storage:ConnectionString", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_AppliedRequest_PrintsItsWholeHistory()
    {
        UseAzurite();
        await SeedAsync();

        var (exit, output, error) = await _cli.RunAsync("requests", "show", "sg-appd0001");

        Assert.True(exit == 0, error);
        foreach (var expected in new[]
        {
            "Request SG-APPD0001: Applied (add)",
            "Id         evt-applied",
            "Name       AuthorizeSecurityGroupIngress",
            "Time       2025-03-14T11:40:00Z",
            "Requester  deploy-user",
            "ARN        arn:aws:iam::111111111111:user/deploy-user",
            "Change     TCP 5432 from 10.20.0.0/16 (postgres from app subnet)",
            "Call       ec2:RevokeSecurityGroupIngress GroupId=sg-0123456789abcdef0",
            "Verdict    approved",
            "By         Bob Approver (U0BOB)",
            "At         2026-11-19T12:07:00Z",
            "Call       ec2:AuthorizeSecurityGroupIngress GroupId=sg-0123456789abcdef0",
            "Note       created sgr-0feedfeedfeedfeed",
            "Created    2026-11-19T12:00:00Z",
        })
        {
            Assert.Contains(expected, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Show_RevertFailed_ShowsTheErrorAndThatNobodyDecided()
    {
        UseAzurite();
        await SeedAsync();

        var (exit, output, _) = await _cli.RunAsync("requests", "show", "SG-ERR00001");

        Assert.Equal(0, exit);
        Assert.Contains("Outcome    FAILED: InvalidGroup.NotFound: The security group does not exist", output, StringComparison.Ordinal);
        Assert.Contains("none: the revert failed, the change may still be live", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_Json_HoldsEventRevertDecisionAndApply()
    {
        UseAzurite();
        await SeedAsync();

        var (exit, output, _) = await _cli.RunAsync("requests", "show", "SG-APPD0001", "--json");

        Assert.Equal(0, exit);
        var envelope = JsonDocument.Parse(output).RootElement;
        Assert.Equal("sgbridge/v1", envelope.GetProperty("schema").GetString());
        Assert.Equal("requests show", envelope.GetProperty("verb").GetString());
        var doc = envelope.GetProperty("request");
        Assert.Equal("Applied", doc.GetProperty("status").GetString());
        Assert.Equal("evt-applied", doc.GetProperty("event").GetProperty("id").GetString());
        Assert.Equal("2025-03-14T11:40:00Z", doc.GetProperty("event").GetProperty("time").GetString());
        Assert.Equal("deploy-user", doc.GetProperty("requester").GetProperty("displayName").GetString());
        Assert.Equal("succeeded", doc.GetProperty("revert").GetProperty("result").GetString());
        Assert.Equal("U0BOB", doc.GetProperty("decision").GetProperty("by").GetString());
        Assert.Equal("Approved", doc.GetProperty("decision").GetProperty("verdict").GetString());
        Assert.Equal("2026-11-19T12:07:00Z", doc.GetProperty("decision").GetProperty("at").GetString());
        Assert.Equal("created sgr-0feedfeedfeedfeed", Assert.Single(doc.GetProperty("apply").GetProperty("notes").EnumerateArray()).GetString());
    }

    [Fact]
    public async Task Show_ByCloudTrailEventId_FindsTheRequestDerivedFromIt()
    {
        UseAzurite();
        var eventId = "5d2d2f34-6c1e-4d2b-9a8f-1b2c3d4e0001";
        var request = ChangeRequest.Open(RequestId.For(eventId), Sample("authorize-ssh-from-internet.json", eventId), CliRunner.Now);
        await Store().AddOrGetAsync(request, _ct);

        var (exit, output, _) = await _cli.RunAsync("requests", "show", eventId);

        Assert.Equal(0, exit);
        Assert.Contains($"Request {request.Id}: Reverting", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Show_UnknownRequest_ExitsTwo()
    {
        UseAzurite();
        await SeedAsync();
        var (exit, _, error) = await _cli.RunAsync("requests", "show", "SG-NNNN0000");
        Assert.Equal(2, exit);
        Assert.StartsWith($"sgbridge requests show: no request SG-NNNN0000 in table {_table}.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_UnreadableRow_ExitsThreeWithTheReason_NotOneAsForBadArguments()
    {
        UseAzurite();
        var table = azurite.CreateTableServiceClient().GetTableClient(_table);
        await table.CreateIfNotExistsAsync(_ct);
        await table.AddEntityAsync(new TableEntity(TableRequestStore.PartitionOf("SG-BAD00001"), "SG-BAD00001") { ["Type"] = TableRequestStore.RequestType, ["Status"] = "Pending" }, _ct);

        var (exit, _, error) = await _cli.RunAsync("requests");

        Assert.Equal(3, exit);
        Assert.StartsWith("sgbridge requests: a stored row cannot be read: Row requests-2/SG-BAD00001 holds neither Json nor JsonGzipParts. Fix: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain(error.Split('\n'), CliErrors.LooksLikeStackFrame);
    }

    [Fact]
    public void ServerFilter_PutsStatusAccountAndCreatedAtInTheTableQuery()
    {
        var filter = RequestQuery.ServerFilter(new RequestFilter
        {
            Statuses = [RequestStatus.Pending, RequestStatus.RevertFailed],
            AccountId = "111111111111",
            CreatedSince = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero),
            Requester = "alice",
        });
        Assert.Equal(
            "Type eq 'request' and (Status eq 'Pending' or Status eq 'RevertFailed') and AccountId eq '111111111111' and CreatedAt ge datetime'2026-11-01T00:00:00Z'",
            filter);
    }

    [Fact]
    public async Task Show_AndList_IncludeThePolicyDecisionTheApproverAndTheEndOfTimeBoundAccess()
    {
        UseAzurite();
        var now = CliRunner.Now;
        var request = ChangeRequest.Open("SG-TXME0001", Sample("authorize-ssh-from-internet.json", "evt-time"), now.AddHours(-3));
        request.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress GroupId=sg-0123456789abcdef0", true), now.AddHours(-3).AddSeconds(2));
        request.RecordPolicyDecision(new PolicyDecisionRecord("ask", "admin-ports", 12, "policy.yaml", "SSH from the internet is asked"), now.AddHours(-3).AddSeconds(3));
        request.Approve("U0BOB", "Bob Approver", now.AddHours(-2), TimeSpan.FromHours(8));
        Assert.True((await Store().AddOrGetAsync(request, _ct)).Created);

        var (exit, output, error) = await _cli.RunAsync("requests", "show", "SG-TXME0001");
        Assert.True(exit == 0, error);
        Assert.Contains("Bob Approver (U0BOB)", output, StringComparison.Ordinal);
        Assert.Contains("Until      2026-11-29T18:00:00Z (time-bound: the rule is removed then)", output, StringComparison.Ordinal);
        Assert.Contains("Policy     ask, by rule 'admin-ports' (policy.yaml line 12): SSH from the internet is asked", output, StringComparison.Ordinal);

        var (listExit, list, _) = await _cli.RunAsync("requests", "list", "--json");
        Assert.Equal(0, listExit);
        var record = Assert.Single(JsonDocument.Parse(list).RootElement.GetProperty("requests").EnumerateArray());
        Assert.Equal("ask", record.GetProperty("policyDecision").GetString());
        Assert.Equal("rule 'admin-ports' (policy.yaml line 12)", record.GetProperty("policyRule").GetString());
        Assert.Equal("2026-11-29T18:00:00Z", record.GetProperty("accessUntil").GetString());
        Assert.Equal("U0BOB", record.GetProperty("decidedBy").GetString());
    }
}
