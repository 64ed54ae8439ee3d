using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SgBridge.Cli;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Events;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;
using SgBridge.Tests.Aws;
using SgBridge.Tests.Fakes;
using SgBridge.Tests.Integration;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SgBridge.Tests.Cli;

/// <summary>
/// Every `sgbridge …` command line that docs/cli.md and the README show in a code block, run as written (in-process)
/// against Azurite, moto and a Slack stub, with the files it names in a scratch folder (FunctionApp/local.settings.json
/// pointing at the emulators, samples/, accounts.txt, a CloudTrail log file, …): each must exit as the doc says (0,
/// or the code listed here with the doc's reason), print no stack frame, and, for the error lines the doc quotes,
/// print that line. A command added to the docs is picked up by itself.
/// </summary>
[Collection(AzuriteCollection.Name)]
[Trait("Category", "Integration")]
public sealed partial class DocCommandTests : IClassFixture<MotoFixture>, IDisposable
{
    /// <summary>Lines that cannot run here, with why (they are still parsed: their verb and options must exist).</summary>
    private static readonly Dictionary<string, string> NotRunHere = new(StringComparer.Ordinal)
    {
        ["Storage__AccountName=stsgbridgeprod sgbridge requests --status Pending"] = "a real storage account with `az login`",
        ["sgbridge demo --script"] = "starts its own host, Azurite and page: Tests/Local/DemoCommandTests.cs runs it, and test.sh runs it as written",
    };

    /// <summary>Documented exits other than 0.</summary>
    private static readonly Dictionary<string, int> Exits = new(StringComparer.Ordinal)
    {
        ["sgbridge policy test 111111111111_CloudTrail_eu-west-1_20261129T1200Z_abc.json.gz --rules policy.yaml --expect ask"] = ExitCodes.Failed, // a change there is not decided "ask": exit 2, as --expect is for
        ["sgbridge accounts --settings FunctionApp/local.settings.json"] = ExitCodes.Failed, // a fresh deployment: no heartbeat received yet
        ["sgbridge accounts --json"] = ExitCodes.Failed, // the same, as JSON
        ["sgbridge doctor --settings FunctionApp/local.settings.json"] = ExitCodes.Failed, // every other check passes; no heartbeat has reached this fresh deployment (✗ heartbeat)
        ["sgbridge doctor --region eu-west-1 --region us-east-1"] = ExitCodes.Failed, // the same
        ["sgbridge policy test event.json --rules policy.yaml --account-aliases 111111111111=dev --expect deny"] = ExitCodes.Failed, // the sample is not denied: exit 2
        ["sgbridge groups diff --account 111111111111 --region eu-west-1 --group sg-0123456789abcdef0 --json"] = ExitCodes.Failed, // the approved rule is missing in moto: a difference, exit 2
    };

    private readonly AzuriteFixture _azurite;
    private readonly MotoFixture _moto;
    private readonly WireMockServer _slack = WireMockServer.Start();
    private readonly string _dir = Directory.CreateTempSubdirectory("sgbridge-doc").FullName;
    private readonly CliRunner _cli = new() { ConfigureServices = s => s.AddSingleton<IWebIdentityTokenSource>(new StaticTokenSource()) };

    public DocCommandTests(AzuriteFixture azurite, MotoFixture moto)
    {
        _azurite = azurite;
        _moto = moto;
        _slack.Given(Request.Create().WithPath("/api/auth.test").UsingPost()).RespondWith(Json("""{"ok":true,"team":"Acme","user":"sgbridge","user_id":"U0BOT"}"""));
        _slack.Given(Request.Create().WithPath("/api/conversations.info").UsingPost()).RespondWith(Json("""{"ok":true,"channel":{"id":"C0APPROVERS","name":"sg","is_member":true}}"""));
    }

    public void Dispose()
    {
        _slack.Stop();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static IResponseBuilder Json(string body) => Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(body);

    public static TheoryData<string> DocumentedCommands() => new(Commands().Distinct(StringComparer.Ordinal));

    /// <summary>The `sgbridge` lines of the bash blocks of docs/cli.md and README.md, comments and redirections removed.</summary>
    internal static IEnumerable<string> Commands()
    {
        foreach (var doc in new[] { "docs/cli.md", "README.md" })
        {
            var inBash = false;
            foreach (var raw in File.ReadLines(Path.Combine(RepoRoot.Path, doc)))
            {
                if (raw.StartsWith("```", StringComparison.Ordinal))
                {
                    inBash = !inBash && raw.Trim() == "```bash";
                    continue;
                }
                var line = Regex.Replace(raw, @"\s+#.*$", "").Trim();
                line = Regex.Replace(line, @"\s+>\s+\S+$", "");
                if (inBash && SgbridgeLine().IsMatch(line))
                {
                    yield return line;
                }
            }
        }
    }

    [GeneratedRegex(@"^([A-Za-z_]+=\S+\s+)*sgbridge\b")]
    private static partial Regex SgbridgeLine();

    [MotoTheory]
    [MemberData(nameof(DocumentedCommands))]
    public async Task DocumentedCommand_RunsAsTheDocSays(string line)
    {
        // A word the shell would unquote ('*') is given as the shell gives it.
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => w.Length > 1 && w[0] == '\'' && w[^1] == '\'' ? w[1..^1] : w).ToArray();
        var assignments = words.TakeWhile(w => w.Contains('=', StringComparison.Ordinal) && !w.StartsWith('-')).ToArray();
        var args = words.Skip(assignments.Length + 1).ToArray();
        if (NotRunHere.ContainsKey(line))
        {
            // Parsed only: the verb and its options exist.
            var parsed = CliApp.CreateRootCommand(new CliContext { Out = TextWriter.Null, Error = TextWriter.Null }).Parse(args);
            Assert.Empty(parsed.Errors);
            return;
        }
        await PrepareAsync();
        foreach (var a in assignments)
        {
            _cli.Environment[a[..a.IndexOf('=', StringComparison.Ordinal)]] = a[(a.IndexOf('=', StringComparison.Ordinal) + 1)..];
        }

        var (exit, output, error) = await _cli.RunAsync(args.Select(Local).ToArray());

        var expected = Exits.GetValueOrDefault(line, ExitCodes.Success);
        Assert.True(exit == expected, $"{line}\nexit {exit}, the doc says {expected}\n{output}\n{error}");
        Assert.DoesNotContain((output + error).Split('\n'), CliErrors.LooksLikeStackFrame);
        if (args.Contains("--json"))
        {
            Assert.Equal("sgbridge/v1", JsonDocument.Parse(output).RootElement.GetProperty("schema").GetString());
        }
        if (args is ["--help"])
        {
            foreach (var verb in CliApp.VerbNames)
            {
                Assert.Matches($"(?m)^  {verb}\\b", output);
            }
        }
    }

    [Fact]
    public void TheDocsShowEveryVerb()
    {
        var commands = Commands().ToArray();
        foreach (var verb in CliApp.VerbNames)
        {
            Assert.Contains(commands, c => c.Contains($"sgbridge {verb}", StringComparison.Ordinal));
        }
        var doc = File.ReadAllText(Path.Combine(RepoRoot.Path, "docs", "cli.md"));
        foreach (var verb in CliApp.VerbNames)
        {
            Assert.Matches($"(?m)^## .*`{verb}", doc);
        }
    }

    /// <summary>A path the docs give relative to the repository or the current folder, in the scratch folder.</summary>
    private string Local(string arg)
    {
        if (arg.StartsWith('-') || arg.Contains("://", StringComparison.Ordinal))
        {
            return arg;
        }
        var local = Path.Combine(_dir, arg);
        return File.Exists(local) || Path.GetExtension(arg) is ".csv" or ".jsonl" ? local : arg;
    }

    private async Task PrepareAsync()
    {
        var requests = _azurite.UniqueTableName("docreq");
        var groups = _azurite.UniqueTableName("docgrp");
        var policy = Path.Combine(_dir, "policy.yaml");
        File.Copy(RepoRoot.Sample("policy.yaml"), policy, overwrite: true);
        var values = new Dictionary<string, string>
        {
            ["Storage__ConnectionString"] = _azurite.ConnectionString,
            ["Storage__RequestsTable"] = requests,
            ["Storage__GroupsTable"] = groups,
            ["Policy__AllowedAccounts"] = "111111111111,222222222222",
            ["Policy__RulesFile"] = policy,
            ["Policy__AccountAliases"] = "111111111111=dev",
            ["Aws__RoleArnPattern"] = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole",
            ["Aws__WebIdentityAudience"] = "api://sgbridge-aws",
            ["Aws__StsEndpoint"] = _moto.Url,
            ["Aws__Ec2Endpoint"] = _moto.Url,
            ["Aws__StsRegion"] = "eu-west-1",
            ["Reconcile__Regions"] = "eu-west-1",
            ["Slack__BotToken"] = "xoxb-test",
            ["Slack__SigningSecret"] = "signing-secret",
            ["Slack__ApproversChannel"] = "C0APPROVERS",
            ["Slack__MonitoringChannel"] = "C0MONITOR",
            ["Slack__ApproverUserIds"] = "U0ALICE",
            ["Slack__BaseUrl"] = _slack.Url + "/api/",
        };
        Directory.CreateDirectory(Path.Combine(_dir, "FunctionApp"));
        var settings = JsonSerializer.Serialize(new { IsEncrypted = false, Values = values });
        await File.WriteAllTextAsync(Path.Combine(_dir, "FunctionApp", "local.settings.json"), settings);
        await File.WriteAllTextAsync(Path.Combine(_dir, "local.settings.json"), settings);
        foreach (var (name, value) in values)
        {
            _cli.Environment[name] = value;
        }
        Directory.CreateDirectory(Path.Combine(_dir, "samples"));
        foreach (var sample in Directory.GetFiles(Path.Combine(RepoRoot.Path, "samples")))
        {
            File.Copy(sample, Path.Combine(_dir, "samples", Path.GetFileName(sample)), overwrite: true);
        }
        await File.WriteAllTextAsync(Path.Combine(_dir, "accounts.txt"), "# the fleet\n111111111111\n222222222222\n");
        File.Copy(RepoRoot.Sample("authorize-ssh-from-internet.json"), Path.Combine(_dir, "event.json"), overwrite: true);
        var records = new JsonArray(new[] { "authorize-ssh-from-internet.json", "bare-cloudtrail-record.json", "by-iam-user.json" }
            .Select(n => (JsonNode?)JsonNode.Parse(File.ReadAllText(RepoRoot.Sample(n)))!["detail"]?.DeepClone() ?? JsonNode.Parse(File.ReadAllText(RepoRoot.Sample(n)))).ToArray());
        await File.WriteAllTextAsync(Path.Combine(_dir, "records.json"), records.ToJsonString());
        await using (var gz = new GZipStream(File.Create(Path.Combine(_dir, "111111111111_CloudTrail_eu-west-1_20261129T1200Z_abc.json.gz")), CompressionLevel.Fastest))
        {
            await gz.WriteAsync(Encoding.UTF8.GetBytes(new JsonObject { ["Records"] = records.DeepClone() }.ToJsonString()));
        }

        // The requests the docs show by id.
        var store = new TableRequestStore(_azurite.CreateTableServiceClient(), Options.Create(new StorageOptions { ConnectionString = _azurite.ConnectionString, RequestsTable = requests }));
        Assert.True(CloudTrailParser.Parse(File.ReadAllBytes(RepoRoot.Sample("authorize-ssh-from-internet.json"))).TryGetChange(out var change));
        // SG-7KQ2M9XD is reverted and waiting, so the documented approve and deny decide it.
        var pending = ChangeRequest.Open("SG-7KQ2M9XD", change with { EventId = "evt-doc-1" }, CliRunner.Now.AddDays(-1));
        pending.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress GroupId=sg-0123456789abcdef0", true), CliRunner.Now.AddDays(-1));
        await store.AddOrGetAsync(pending, CancellationToken.None);
        await store.AddOrGetAsync(ChangeRequest.Open(RequestId.For("5d2d2f34-6c1e-4d2b-9a8f-1b2c3d4e0001"), change, CliRunner.Now.AddDays(-2)), CancellationToken.None);

        // The group the docs show (`groups show|diff`): an approved state of one rule; moto has no such group, so the
        // rule is "approved but missing" there (diff: exit 2). An account the bridge knows (`--account '*'`).
        var groupsOptions = Options.Create(new StorageOptions { ConnectionString = _azurite.ConnectionString, GroupsTable = groups });
        await new TableGroupStateStore(_azurite.CreateTableServiceClient(), groupsOptions).AddOrGetAsync(ApprovedGroup.Create("111111111111", "eu-west-1", "sg-0123456789abcdef0", "web", null,
            [change.Rules[0] with { Source = new RuleSource(SourceKind.Ipv4Cidr, "10.0.0.0/8") }], ApprovalOrigin.Baseline, CliRunner.Now.AddDays(-30)), CancellationToken.None);
        await new SgBridge.Shared.Reconcile.TableKnownAccountStore(_azurite.CreateTableServiceClient(), groupsOptions).NoteAsync("111111111111", "doc", CliRunner.Now, CancellationToken.None);
    }
}
