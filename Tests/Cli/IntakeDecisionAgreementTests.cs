using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using SgBridge.Cli;
using SgBridge.Shared.Intake;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Tests.Events;
using SgBridge.Tests.Fakes;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Cli;

/// <summary>
/// `sgbridge plan` and the HTTP intake decide from the same code (IntakeDecision): every sample and every CloudTrail
/// record the parser tests hold, under several policies (allowed or not, egress policed or not, exemptions), gets the
/// same status and title from both, and plan plans a revert only when the intake would go on to process the change.
/// </summary>
public sealed class IntakeDecisionAgreementTests
{
    public sealed record Setting(string Name, string AllowedAccounts, bool PoliceEgress, string Exempt)
    {
        public override string ToString() => Name;
    }

    private static readonly Setting[] Settings =
    [
        new("own account allowed", "111111111111", false, ""),
        new("police egress", "111111111111", true, ""),
        new("another account only", "222222222222", false, ""),
        new("roles exempt", "111111111111", false, "arn:aws:iam::*:role/*"),
    ];

    private static IEnumerable<(string Name, string Json)> Records() =>
        Directory.GetFiles(Path.Combine(RepoRoot.Path, "samples"), "*.json").Order(StringComparer.Ordinal)
            .Select(f => ("sample " + Path.GetFileName(f), File.ReadAllText(f)))
            .Concat(CloudTrailParserTests.Corpus())
            .Concat([("not json", "this is not json"), ("a string", "\"text\""), ("empty object", "{}")]);

    public static TheoryData<string> RecordNames() => new(Records().Select(r => r.Name));

    [Theory]
    [MemberData(nameof(RecordNames))]
    public async Task PlanAndIntake_AnswerTheSame_UnderEveryPolicy(string name)
    {
        var json = Records().Single(r => r.Name == name).Json;
        var file = Path.Combine(Path.GetTempPath(), $"sgbridge-agree-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, json);
        try
        {
            foreach (var setting in Settings)
            {
                var queue = new RecordingQueue();
                var policy = O.Create(new PolicyOptions { AllowedAccounts = setting.AllowedAccounts, PoliceEgress = setting.PoliceEgress, ExemptPrincipalArns = setting.Exempt });
                var intake = new Bridge().EnqueueOnlyIntake(new ChangePolicy(policy, O.Create(new AwsOptions { RoleArnPattern = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole", WebIdentityAudience = "api://x" })), queue, policy, new IntakeOptions(), TimeProvider.System);
                var answer = await intake.AcceptAsync(System.Text.Encoding.UTF8.GetBytes(json), "application/json", CancellationToken.None);

                string[] args = ["plan", file, "--json", "--allowed-accounts", setting.AllowedAccounts, .. setting.PoliceEgress ? ["--police-egress"] : Array.Empty<string>(),
                    .. setting.Exempt.Length > 0 ? ["--exempt", setting.Exempt] : Array.Empty<string>()];
                var o = new StringWriter();
                var e = new StringWriter();
                var exit = await CliApp.RunAsync(args, new CliContext { Out = o, Error = e });
                var doc = JsonDocument.Parse(o.ToString()).RootElement;
                Assert.Equal("sgbridge/v1", doc.GetProperty("schema").GetString());
                var said = doc.GetProperty("intake");
                var context = $"{name} / {setting}: intake {answer.StatusCode} {answer.Title} ({answer.Detail}); plan {o}";
                Assert.True(answer.StatusCode == said.GetProperty("status").GetInt32(), context);
                Assert.True(answer.Title == said.GetProperty("title").GetString(), context);
                Assert.True(answer.StatusCode == 202 && answer.Title == "Accepted" || answer.Detail == said.GetProperty("detail").GetString(), context);
                // A revert is planned exactly when the intake queues the change (and the policy does not exempt it).
                var queued = queue.Sent.Count > 0;
                var calls = doc.TryGetProperty("calls", out var c) ? c.GetArrayLength() : 0;
                Assert.True(queued || calls == 0, context);
                Assert.True(doc.TryGetProperty("decision", out _) == (answer.Title is "Accepted" or "Ignored"), context);
                Assert.Equal(answer.StatusCode >= 400 ? ExitCodes.Failed : ExitCodes.Success, exit);
            }
        }
        finally
        {
            File.Delete(file);
        }
    }
}
