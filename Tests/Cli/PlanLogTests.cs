using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SgBridge.Cli;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Cli;

/// <summary>`sgbridge plan` on what users have: CloudTrail log files as delivered to S3 (gzipped or not) and arrays of records.</summary>
public sealed class PlanLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sgbridge-plan-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var exit = CliRun.Sync(args, o, e);
        return (exit, o.ToString(), e.ToString());
    }

    /// <summary>The CloudTrail record inside a shipped EventBridge sample (or the sample itself when it is bare).</summary>
    private static JsonNode Record(string sample)
    {
        var node = JsonNode.Parse(File.ReadAllText(RepoRoot.Sample(sample)))!;
        return node["detail"]?.DeepClone() ?? node;
    }

    private static JsonNode Other(string source, string name) => new JsonObject
    {
        ["eventVersion"] = "1.09",
        ["eventTime"] = "2025-03-14T11:40:00Z",
        ["eventSource"] = source,
        ["eventName"] = name,
        ["awsRegion"] = "eu-west-1",
        ["recipientAccountId"] = "111111111111",
        ["requestParameters"] = new JsonObject(),
    };

    /// <summary>SSH from the internet, RunInstances, a bare Postgres authorize, an S3 read, a failed duplicate authorize.</summary>
    private static JsonArray Records() =>
    [
        Record("authorize-ssh-from-internet.json"),
        Other("ec2.amazonaws.com", "RunInstances"),
        Record("bare-cloudtrail-record.json"),
        Other("s3.amazonaws.com", "GetObject"),
        Record("authorize-failed-duplicate.json"),
    ];

    private string Write(string name, string text, bool gzip = false)
    {
        var path = Path.Combine(_dir, name);
        var bytes = Encoding.UTF8.GetBytes(text);
        if (gzip)
        {
            using var output = File.Create(path);
            using var z = new GZipStream(output, CompressionLevel.Optimal);
            z.Write(bytes);
        }
        else
        {
            File.WriteAllBytes(path, bytes);
        }
        return path;
    }

    private static string LogFile() => new JsonObject { ["Records"] = Records() }.ToJsonString();

    private static void AssertPlansTheTwoChangesAndSkipsTheRest(int exit, string output)
    {
        Assert.True(exit == 0, output);
        Assert.Contains("5 records: 2 security group change(s) planned, 3 skipped, 0 rejected.", output, StringComparison.Ordinal);
        Assert.Contains("=== Record 1: AuthorizeSecurityGroupIngress sg-0123456789abcdef0 ===", output, StringComparison.Ordinal);
        Assert.Contains("ec2:RevokeSecurityGroupIngress GroupId=sg-0123456789abcdef0 SecurityGroupRuleIds=[sgr-0a1b2c3d4e5f60001]", output, StringComparison.Ordinal);
        Assert.Contains("skipped record 2: eventName RunInstances is not a security group change", output, StringComparison.Ordinal);
        Assert.Contains("=== Record 3: AuthorizeSecurityGroupIngress", output, StringComparison.Ordinal);
        Assert.Contains("TCP 5432 from 10.20.0.0/16 (postgres from app subnet)", output, StringComparison.Ordinal);
        Assert.Contains("skipped record 4: eventName GetObject from s3.amazonaws.com is not a security group change", output, StringComparison.Ordinal);
        Assert.Contains("skipped record 5: AuthorizeSecurityGroupIngress failed, so it changed nothing", output, StringComparison.Ordinal);
        // Records come out in file order.
        Assert.True(output.IndexOf("=== Record 1", StringComparison.Ordinal) < output.IndexOf("skipped record 2", StringComparison.Ordinal));
        Assert.True(output.IndexOf("skipped record 2", StringComparison.Ordinal) < output.IndexOf("=== Record 3", StringComparison.Ordinal));
    }

    [Fact]
    public void Plan_CloudTrailLogFile_PlansEachSecurityGroupRecordAndSkipsTheOthersWithTheReason()
    {
        var (exit, output, _) = Run("plan", Write("log.json", LogFile()));
        AssertPlansTheTwoChangesAndSkipsTheRest(exit, output);
    }

    [Fact]
    public void Plan_GzippedLogFileAsDeliveredToS3_IsReadTheSame()
    {
        var (exit, output, _) = Run("plan", Write("111111111111_CloudTrail_eu-west-1_20250314T1140Z_abc.json.gz", LogFile(), gzip: true));
        AssertPlansTheTwoChangesAndSkipsTheRest(exit, output);
    }

    [Fact]
    public void Plan_GzipIsRecognisedByItsMagicBytes_NotByTheFileName()
    {
        var (exit, output, _) = Run("plan", Write("renamed.json", LogFile(), gzip: true));
        AssertPlansTheTwoChangesAndSkipsTheRest(exit, output);
    }

    [Fact]
    public void Plan_JsonArrayOfRecords_IsReadLikeALogFile()
    {
        var (exit, output, _) = Run("plan", Write("records.json", Records().ToJsonString()));
        AssertPlansTheTwoChangesAndSkipsTheRest(exit, output);
    }

    [Fact]
    public void Plan_GzippedSingleEvent_KeepsTheSingleEventOutput()
    {
        var (exit, output, _) = Run("plan", Write("event.json.gz", File.ReadAllText(RepoRoot.Sample("authorize-ssh-from-internet.json")), gzip: true));
        Assert.Equal(0, exit);
        Assert.StartsWith("SgBridge dry run: nothing is called.", output, StringComparison.Ordinal);
        Assert.DoesNotContain("=== Record", output, StringComparison.Ordinal);
        Assert.Contains("POLICED", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_LogFileJson_ListsPlansSkippedAndRejectedByRecordNumber()
    {
        var (exit, output, _) = Run("plan", Write("log.json", LogFile()), "--json");
        Assert.Equal(0, exit);
        var doc = JsonDocument.Parse(output).RootElement;
        Assert.Equal(5, doc.GetProperty("records").GetInt32());
        Assert.Equal([1, 3], doc.GetProperty("plans").EnumerateArray().Select(p => p.GetProperty("record").GetInt32()));
        Assert.Equal("Police", doc.GetProperty("plans")[0].GetProperty("plan").GetProperty("decision").GetProperty("verdict").GetString());
        Assert.Equal([2, 4, 5], doc.GetProperty("skipped").EnumerateArray().Select(p => p.GetProperty("record").GetInt32()));
        Assert.Empty(doc.GetProperty("rejected").EnumerateArray());
    }

    [Fact]
    public void Plan_LogWithAMalformedSecurityGroupRecord_ReportsItAndExitsTwo()
    {
        var broken = Record("bare-cloudtrail-record.json");
        broken["awsRegion"] = "not-a-region";
        var records = Records();
        records.Add(broken);
        var (exit, output, _) = Run("plan", Write("log.json", new JsonObject { ["Records"] = records }.ToJsonString()));
        Assert.Equal(2, exit);
        Assert.Contains("rejected record 6 (", output, StringComparison.Ordinal);
        Assert.Contains("2 security group change(s) planned, 3 skipped, 1 rejected", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_EmptyLogFile_PlansNothing()
    {
        var (exit, output, _) = Run("plan", Write("empty.json", "{\"Records\": []}"));
        Assert.Equal(0, exit);
        Assert.Contains("0 records: 0 security group change(s) planned", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_TruncatedGzip_ExitsOneWithTheReason()
    {
        var full = Path.Combine(_dir, "full.json.gz");
        Write("full.json.gz", LogFile(), gzip: true);
        var bytes = File.ReadAllBytes(full);
        var cut = Path.Combine(_dir, "cut.json.gz");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);

        var (exit, _, error) = Run("plan", cut);

        Assert.Equal(1, exit);
        Assert.Contains("is gzipped, but what it holds is not JSON", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_MissingFile_ExitsOne()
    {
        var (exit, _, error) = Run("plan", Path.Combine(_dir, "nope.json"));
        Assert.Equal(1, exit);
        Assert.Contains("No such file", error, StringComparison.Ordinal);
    }
}
