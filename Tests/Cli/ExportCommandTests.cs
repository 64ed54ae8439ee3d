using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Integration;

namespace SgBridge.Tests.Cli;

/// <summary>`sgbridge export` on Azurite: the audit trail as JSON Lines and RFC 4180 CSV.</summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed class ExportCommandTests(AzuriteFixture azurite) : IDisposable
{
    private const string Awkward = "office, \"main\" site\nsecond line";

    private readonly string _table = azurite.UniqueTableName("cliexport");
    private readonly string _dir = Directory.CreateTempSubdirectory("sgbridge-export-").FullName;
    private readonly CliRunner _cli = new();
    private readonly CancellationToken _ct = new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Old: 20 days ago, applied. Awkward: 2 days ago, a rule description with a comma, quotes and a newline,
    /// and a requester session name a spreadsheet would run as a formula; denied. Recent: 1 hour ago, pending.</summary>
    private async Task SeedAsync()
    {
        _cli.Environment["Storage__ConnectionString"] = azurite.ConnectionString;
        _cli.Environment["Storage__RequestsTable"] = _table;
        var now = CliRunner.Now;

        var old = ChangeRequest.Open("SG-0000D001", RequestsCommandTests.Sample("bare-cloudtrail-record.json", "evt-old"), now.AddDays(-20));
        old.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress GroupId=sg-0123456789abcdef0", true), now.AddDays(-20));
        old.Approve("U0BOB", "Bob", now.AddDays(-20).AddMinutes(1));
        old.MarkApplied(new CallOutcome("ec2:AuthorizeSecurityGroupIngress GroupId=sg-0123456789abcdef0", true), now.AddDays(-20).AddMinutes(2));

        var change = RequestsCommandTests.Sample("authorize-ssh-from-internet.json", "evt-awkward");
        change = change with
        {
            Rules = [change.Rules[0] with { Description = Awkward }],
            Requester = change.Requester with { SessionName = "=HYPERLINK(\"http://x\")" },
        };
        var awkward = ChangeRequest.Open("SG-0000A002", change, now.AddDays(-2));
        awkward.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress GroupId=sg-0123456789abcdef0 SecurityGroupRuleIds=[sgr-0a1b2c3d4e5f60001]", true)
        { Notes = ["revoked sgr-0a1b2c3d4e5f60001", "second, note"] }, now.AddDays(-2).AddSeconds(1));
        awkward.Deny("U0CAROL", "Carol", now.AddDays(-2).AddMinutes(3));

        var recent = ChangeRequest.Open("SG-0000R003", RequestsCommandTests.Sample("modify-one-rule.json", "evt-recent"), now.AddHours(-1));
        recent.MarkRevertFailed(new CallOutcome("ec2:RevokeSecurityGroupIngress GroupId=sg-0123456789abcdef0", false, "RequestLimitExceeded", "Request limit exceeded."), now.AddHours(-1));

        var store = new TableRequestStore(azurite.CreateTableServiceClient(), Options.Create(new StorageOptions { ConnectionString = azurite.ConnectionString, RequestsTable = _table }));
        foreach (var r in new[] { recent, old, awkward })
        {
            await store.AddOrGetAsync(r, _ct);
        }
    }

    /// <summary>A strict RFC 4180 reader: CRLF between records, quoted fields with doubled quotes.</summary>
    private static List<List<string>> ParseCsv(string text)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '"' && field.Length == 0)
            {
                i++;
                while (true)
                {
                    Assert.True(i < text.Length, "unterminated quoted field");
                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    field.Append(text[i++]);
                }
                Assert.True(i == text.Length || text[i] == ',' || text[i] == '\r', $"text after a closing quote at {i}");
                continue;
            }
            if (text[i] == ',')
            {
                record.Add(field.ToString());
                field.Clear();
                i++;
            }
            else if (text[i] == '\r')
            {
                Assert.Equal('\n', text[i + 1]);
                record.Add(field.ToString());
                field.Clear();
                records.Add(record);
                record = [];
                i += 2;
            }
            else
            {
                Assert.NotEqual('\n', text[i]); // a bare LF outside quotes breaks the format
                Assert.NotEqual('"', text[i]); // a quote inside an unquoted field too
                field.Append(text[i++]);
            }
        }
        Assert.True(record.Count == 0 && field.Length == 0, "the last record must end with CRLF");
        return records;
    }

    [Fact]
    public async Task Csv_IsRfc4180_AndRoundTripsCommasQuotesAndNewlines()
    {
        await SeedAsync();

        var (exit, output, error) = await _cli.RunAsync("export", "--since", "30d", "--format", "csv");

        Assert.True(exit == 0, error);
        var rows = ParseCsv(output);
        var header = rows[0];
        Assert.Equal(["id", "eventId", "eventName", "eventTime", "account", "region", "groupId", "groupName", "requester", "requesterArn"], header.Take(10));
        Assert.All(rows, r => Assert.Equal(header.Count, r.Count));
        var records = rows.Skip(1).Select(r => header.Zip(r).ToDictionary(p => p.First, p => p.Second)).ToList();
        Assert.Equal(["SG-0000D001", "SG-0000A002", "SG-0000R003"], records.Select(r => r["id"])); // oldest first

        var awkward = records[1];
        Assert.Equal($"TCP 22 from 0.0.0.0/0 ({Awkward}) [sgr-0a1b2c3d4e5f60001]", awkward["rules"]);
        Assert.Equal("evt-awkward", awkward["eventId"]);
        Assert.Equal("AuthorizeSecurityGroupIngress", awkward["eventName"]);
        Assert.Equal("2025-03-14T09:26:53Z", awkward["eventTime"]);
        Assert.Equal("111111111111", awkward["account"]);
        Assert.Equal("eu-west-1", awkward["region"]);
        Assert.Equal("sg-0123456789abcdef0", awkward["groupId"]);
        Assert.Equal("Denied", awkward["status"]);
        Assert.Equal("succeeded", awkward["revertResult"]);
        Assert.Equal("revoked sgr-0a1b2c3d4e5f60001; second, note", awkward["revertNotes"]);
        Assert.Equal("U0CAROL", awkward["decidedBy"]);
        Assert.Equal("2026-11-27T12:03:00Z", awkward["decidedAt"]);
        Assert.Equal("", awkward["applyResult"]);
        // A spreadsheet must not run the requester's text as a formula.
        Assert.StartsWith("'=HYPERLINK(\"http://x\") via ", awkward["requester"], StringComparison.Ordinal);

        Assert.Equal("failed", records[2]["revertResult"]);
        Assert.Equal("RequestLimitExceeded: Request limit exceeded.", records[2]["revertError"]);
        Assert.Equal("U0BOB", records[0]["decidedBy"]);
        Assert.Equal("succeeded", records[0]["applyResult"]);
        Assert.Contains("3 request(s) since 2026-10-30T12:00:00Z", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jsonl_OneObjectPerLine_OnlySinceTheDate()
    {
        await SeedAsync();

        var (exit, output, _) = await _cli.RunAsync("export", "--since", "2026-11-25");

        Assert.Equal(0, exit);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        var first = JsonDocument.Parse(lines[0]).RootElement;
        Assert.Equal("SG-0000A002", first.GetProperty("id").GetString());
        Assert.Equal($"TCP 22 from 0.0.0.0/0 ({Awkward}) [sgr-0a1b2c3d4e5f60001]", first.GetProperty("rules").GetString());
        Assert.Equal("=HYPERLINK(\"http://x\") via AWSReservedSSO_AdministratorAccess_0123456789abcdef", first.GetProperty("requester").GetString());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("applyResult").ValueKind);
        Assert.Equal("SG-0000R003", JsonDocument.Parse(lines[1]).RootElement.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Output_WritesTheFile_AndSaysHowMany()
    {
        await SeedAsync();
        var path = Path.Combine(_dir, "audit.csv");

        var (exit, output, _) = await _cli.RunAsync("export", "--since", "30d", "--format", "csv", "--output", path);

        Assert.Equal(0, exit);
        Assert.Contains($"Exported 3 request(s) since 2026-10-30T12:00:00Z to {path}.", output, StringComparison.Ordinal);
        var bytes = await File.ReadAllBytesAsync(path, _ct);
        Assert.False(bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble), "no byte order mark");
        Assert.Equal(4, ParseCsv(Encoding.UTF8.GetString(bytes)).Count);
        Assert.Equal(["audit.csv"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Csv_NoRequests_IsTheHeaderOnly()
    {
        await SeedAsync();
        var (exit, output, _) = await _cli.RunAsync("export", "--since", "1m", "--format", "csv");
        Assert.Equal(0, exit);
        Assert.Single(ParseCsv(output));
    }

    [Theory]
    [InlineData(new[] { "export" }, "--since")]
    [InlineData(new[] { "export", "--since", "7d", "--format", "xml" }, "xml")]
    [InlineData(new[] { "export", "--since", "last week" }, "--since: 'last week' is neither")]
    public async Task BadArguments_ExitOne(string[] args, string expected)
    {
        _cli.Environment["Storage__ConnectionString"] = azurite.ConnectionString;
        var (exit, _, error) = await _cli.RunAsync(args);
        Assert.Equal(1, exit);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Output_IntoAMissingFolder_ExitsThree()
    {
        await SeedAsync();
        var (exit, _, error) = await _cli.RunAsync("export", "--since", "30d", "--output", Path.Combine(_dir, "no", "such", "dir", "a.jsonl"));
        Assert.Equal(3, exit);
        Assert.NotEmpty(error);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\nlines", "\"two\nlines\"")]
    [InlineData("=1+2", "'=1+2")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("-2,3", "\"'-2,3\"")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void CsvField_QuotesAndDefuses(string? value, string expected) =>
        Assert.Equal(expected, SgBridge.Cli.Commands.CsvWriter.Field(value));
}
