using System.CommandLine;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Events;
using SgBridge.Shared.Intake;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;
using SgBridge.Shared.Processing;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace SgBridge.Cli.Commands;

/// <summary>
/// <c>sgbridge plan</c>: a dry run. Reads an event, a CloudTrail log file or an array of records and prints, for each
/// security group change, what the bridge would do. Calls nothing and needs no settings.
/// </summary>
public sealed class PlanCommand : ICliVerb
{
    private const string Description = """
        Reads an EventBridge event (or a bare CloudTrail record) and prints what the bridge would do: the change it
        understood, who made it, whether it is policed or exempt and why, the difference from the group's approved state
        that the event explains and the exact EC2 calls that would undo it, and the request that would be opened.
        Nothing is called: no AWS, Azure or Slack account is needed — the group is simulated as its approved rules
        (--approved) with the event's claim applied. With --live the app's settings are used to read the stored approved
        state and describe the real group (reads only).
        Also reads a CloudTrail log file as delivered to S3 ({"Records": [...]}, gzipped or not) or a JSON array of
        records: one plan per security group change, every other record skipped with the reason.
        The intake's own decision comes first (the same code, Shared/Features/Intake/IntakeDecision.cs): a malformed event (400), an
        account outside --allowed-accounts (403), an egress change without --police-egress (202 "Not policed"), a failed
        call (202 "Skipped") and the bridge's own change (202 "Ignored") are reported as the intake answers them, and
        nothing is planned for them.
        Exit code: 0 planned (or skipped), 2 an event was refused (intake would answer 400 or 403), 1 bad arguments or
        an unreadable input file (--approved, --rules), 3 --live could not read storage or AWS.

        Examples:
          sgbridge plan samples/authorize-ssh-from-internet.json
          sgbridge plan samples/modify-one-rule.json --approved approved-rules.json --json
          sgbridge plan samples/authorize-ssh-from-internet.json --live --settings FunctionApp/local.settings.json
          sgbridge plan 111111111111_CloudTrail_eu-west-1_20261129T1200Z_abc.json.gz --allowed-accounts 111111111111
        """;

    public Command Create(CliContext context)
    {
        var file = new Argument<string>("event-file") { Description = "The event, CloudTrail log file (.json or .json.gz) or JSON array of records." };
        var allowed = new Option<string?>("--allowed-accounts")
        {
            Description = "Policy:AllowedAccounts (default: each event's own account).",
            HelpName = "ids",
        };
        var exempt = new Option<string?>("--exempt") { Description = "Policy:ExemptPrincipalArns, comma separated, '*' allowed.", HelpName = "arns" };
        var noSlr = new Option<bool>("--no-service-linked-exemption") { Description = "Police service-linked roles too." };
        var policeEgress = new Option<bool>("--police-egress") { Description = "Policy:PoliceEgress: police outbound rules too (default: the intake answers 202 \"Not policed\" to egress changes)." };
        var role = new Option<string>("--role-pattern")
        {
            Description = "Aws:RoleArnPattern.",
            HelpName = "arn",
            DefaultValueFactory = _ => "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole",
        };
        var snapshot = new Option<string?>("--approved", "--snapshot")
        {
            Description = "The group's approved rules (a JSON array of rules); without it the group is planned as not onboarded yet. Applies to every record planned.",
            HelpName = "file.json",
        };
        var json = new Option<bool>("--json") { Description = "Print the plan as one sgbridge/v1 JSON document (docs/cli.md)." };
        var live = new Option<bool>("--live")
        {
            Description = "Read the group's approved state and describe the group in AWS with the app's settings (--settings or Section__Name variables), and plan against what is really there. Reads only; one event at a time.",
        };
        var rules = new Option<string?>("--rules") { Description = "A policy file (Policy:RulesFile): also show which of its rules decides each change (with --live: default Policy__RulesFile).", HelpName = "policy.yaml" };
        var aliases = new Option<string?>("--account-aliases") { Description = "Policy:AccountAliases for --rules (id=alias, comma separated).", HelpName = "aliases" };
        var command = new VerbCommand("plan", "Dry run: what the bridge would do with an event or a CloudTrail log file. Calls nothing (reads only, with --live).", Description) { file, allowed, exempt, noSlr, policeEgress, role, snapshot, json, live, rules, aliases };
        var settings = CliSettings.AddTo(command, context);
        VerbAction.Set(command, context, async (p, ct) =>
        {
            var args = new PlanArgs(p.GetRequiredValue(file), p.GetValue(allowed), p.GetValue(exempt), !p.GetValue(noSlr), p.GetRequiredValue(role), p.GetValue(snapshot), p.GetValue(json))
            {
                PoliceEgress = p.GetValue(policeEgress),
                Policy = PlanPolicy.Load(p.GetValue(rules), p.GetValue(aliases)),
            };
            return p.GetValue(live) ? await LiveAsync(args, settings, p, context, ct).ConfigureAwait(false) : Run(args, context);
        });
        return command;
    }

    /// <summary>--live: the stored approved state and the group as EC2 describes it now, through the app's own services. Writes nothing.</summary>
    private static async Task<int> LiveAsync(PlanArgs a, CliSettings settings, System.CommandLine.ParseResult p, CliContext context, CancellationToken ct)
    {
        var input = EventFile.Read(a.EventFile);
        if (input.IsLog)
        {
            throw new CliUsageException("--live plans one event at a time; give one event, not a log file.");
        }
        await using var services = settings.Load(p);
        var decision = IntakeDecision.Decide(CloudTrailParser.Parse(input.Items[0]), services.Get<ChangePolicy>(),
            services.Get<Microsoft.Extensions.Options.IOptions<PolicyOptions>>().Value.PoliceEgress);
        if (!decision.Proceeds && decision.Verdict != IntakeVerdict.BridgeOwn)
        {
            return Refused(decision, a.Json, context);
        }
        var change = decision.Change!;
        var client = await services.Get<SgBridge.Shared.Aws.ISecurityGroupClientFactory>().CreateAsync(change.AccountId, change.Region, ct).ConfigureAwait(false);
        var groupId = change.GroupId ?? (await client.DescribeGroupAsync(null, change.GroupName, ct).ConfigureAwait(false))?.GroupId
            ?? throw new CliUsageException($"Group {change.GroupLabel} does not exist in {change.AccountId}/{change.Region}.");
        var policeEgress = services.Get<Microsoft.Extensions.Options.IOptions<PolicyOptions>>().Value.PoliceEgress;
        var state = await services.Get<SgBridge.Shared.Storage.IGroupStateStore>().GetAsync(change.AccountId, change.Region, groupId, ct).ConfigureAwait(false);
        var liveRules = (await client.DescribeRulesAsync(groupId, ct).ConfigureAwait(false)).Where(x => policeEgress || !x.Egress).ToArray();
        var approved = state?.Value.RuleSet.Where(x => policeEgress || !x.Egress).ToArray();
        var result = DryRun.Plan(change.WithGroupId(groupId), services.Get<ChangePolicy>(),
            services.Get<Microsoft.Extensions.Options.IOptions<AwsOptions>>().Value, approved, context.Time.GetUtcNow(), liveRules);
        if (a.Json)
        {
            context.Out.WriteLine(CliJson.Document("plan", ExitCodes.Success, ToJson(decision, result)));
        }
        else
        {
            PlanPrinter.Print(result, accountsDefaulted: false, context.Out);
            PrintIntake(decision, context.Out);
            var rules = services.Get<PolicyRules>();
            await PlanPolicy.PrintLiveAsync(result, a.Policy ?? (rules.Configured ? (rules.Current, rules.AccountAliases) : null),
                t => services.Get<PolicyTagReader>().ReadAsync(change.AccountId, change.Region, groupId, t), context.Out, ct).ConfigureAwait(false);
        }
        return ExitCodes.Success;
    }

    private sealed record PlanArgs(string EventFile, string? AllowedAccounts, string? Exempt, bool ExemptServiceLinkedRoles, string RolePattern, string? SnapshotFile, bool Json)
    {
        public bool PoliceEgress { get; init; }

        /// <summary>--rules: the policy file whose deciding rule is shown too.</summary>
        public (PolicyRuleSet Rules, IReadOnlyDictionary<string, string> Aliases)? Policy { get; init; }
    }

    private static int Run(PlanArgs a, CliContext context)
    {
        var input = EventFile.Read(a.EventFile);
        var snapshotRules = a.SnapshotFile is null ? null : ApprovedRulesFile.Read(a.SnapshotFile);
        return input.IsLog ? PlanLog(a, input.Items, snapshotRules, context) : PlanOne(a, input.Items[0], snapshotRules, context);
    }

    /// <summary>One event: the original behaviour and output.</summary>
    private static int PlanOne(PlanArgs a, byte[] eventJson, IReadOnlyList<SecurityGroupRule>? snapshotRules, CliContext context)
    {
        var stdout = context.Out;
        var (decision, policy) = Decide(a, CloudTrailParser.Parse(eventJson));
        if (!decision.Proceeds && decision.Verdict != IntakeVerdict.BridgeOwn)
        {
            return Refused(decision, a.Json, context);
        }
        var result = Plan(a, decision.Change!, policy, snapshotRules, context);
        if (a.Json)
        {
            stdout.WriteLine(CliJson.Document("plan", ExitCodes.Success, ToJson(decision, result)));
        }
        else
        {
            PlanPrinter.Print(result, a.AllowedAccounts is null, stdout);
            PrintIntake(decision, stdout);
            PlanPolicy.Print(result, a.Policy, stdout);
        }
        return ExitCodes.Success;
    }

    /// <summary>The intake stops before AWS (400, 403, or a 202 that does nothing): say so, plan nothing. 2 when it refuses.</summary>
    private static int Refused(IntakeDecision d, bool json, CliContext context)
    {
        var exit = d.StatusCode >= 400 ? ExitCodes.Failed : ExitCodes.Success;
        if (json)
        {
            context.Out.WriteLine(CliJson.Document("plan", exit, new { Intake = Intake(d), Change = d.Change }));
            return exit;
        }
        context.Out.WriteLine(d.Verdict switch
        {
            IntakeVerdict.Rejected => $"Rejected ({d.Rejection!.Kind}): {d.Detail}\nIntake would answer 400.",
            IntakeVerdict.FailedCall => $"Skipped: {d.Detail}\nIntake would answer 202 and do nothing: a failed call changed nothing.",
            IntakeVerdict.AccountNotAllowed => $"Refused: {d.Detail}\nIntake would answer 403 and do nothing: nothing is reverted or recorded (--allowed-accounts is Policy:AllowedAccounts).",
            IntakeVerdict.EgressNotPoliced => $"Not policed: {d.Detail}\nIntake would answer 202 and do nothing (--police-egress plans it as Policy:PoliceEgress=true would).",
            _ => $"{d.Title}: {d.Detail}",
        });
        return exit;
    }

    private static void PrintIntake(IntakeDecision d, TextWriter o)
    {
        o.WriteLine();
        o.WriteLine($"Intake would answer {d.StatusCode} {d.Title}: {d.Detail}");
    }

    private static object Intake(IntakeDecision d) => new { Status = d.StatusCode, d.Title, d.Detail, Verdict = d.Verdict.ToString() };

    /// <summary>A log file or an array of records: one plan per security group change, the rest skipped with a reason.</summary>
    private static int PlanLog(PlanArgs a, IReadOnlyList<byte[]> records, IReadOnlyList<SecurityGroupRule>? snapshotRules, CliContext context)
    {
        var o = context.Out;
        var plans = new List<(int Record, DryRunResult Result)>();
        var skipped = new List<(int Record, string Reason)>();
        var rejected = new List<(int Record, string Kind, string Message)>();
        for (var i = 0; i < records.Count; i++)
        {
            var n = i + 1;
            var (d, policy) = Decide(a, CloudTrailParser.Parse(records[i]));
            if (d.Proceeds || d.Verdict == IntakeVerdict.BridgeOwn)
            {
                plans.Add((n, Plan(a, d.Change!, policy, snapshotRules, context)));
            }
            else if (SkipReason(records[i], d) is { } reason)
            {
                skipped.Add((n, reason));
            }
            else
            {
                rejected.Add((n, d.Rejection?.Kind.ToString() ?? d.Title, d.Detail));
            }
        }

        if (a.Json)
        {
            o.WriteLine(CliJson.Document("plan", rejected.Count == 0 ? ExitCodes.Success : ExitCodes.Failed, new
            {
                Records = records.Count,
                Plans = plans.Select(p => new { p.Record, Plan = ToJson(null, p.Result) }),
                Skipped = skipped.Select(s => new { s.Record, s.Reason }),
                Rejected = rejected.Select(r => new { r.Record, r.Kind, r.Message }),
            }));
        }
        else
        {
            o.WriteLine("SgBridge dry run: nothing is called.");
            o.WriteLine($"{records.Count} records: {plans.Count} security group change(s) planned, {skipped.Count} skipped, {rejected.Count} rejected.");
            var lines = plans.Select(p => (p.Record, Write: (Action)(() =>
                {
                    o.WriteLine();
                    o.WriteLine($"=== Record {p.Record}: {p.Result.Change.EventName} {p.Result.Change.GroupLabel} ===");
                    PlanPrinter.Print(p.Result, a.AllowedAccounts is null, o, banner: false);
                    PlanPolicy.Print(p.Result, a.Policy, o);
                })))
                .Concat(skipped.Select(s => (s.Record, Write: (Action)(() => o.WriteLine($"skipped record {s.Record}: {s.Reason}")))))
                .Concat(rejected.Select(r => (r.Record, Write: (Action)(() =>
                    o.WriteLine($"rejected record {r.Record} ({r.Kind}): {r.Message} (intake would answer {(r.Kind == "Account not allowed" ? 403 : 400)})")))))
                .OrderBy(l => l.Record);
            o.WriteLine();
            foreach (var line in lines)
            {
                line.Write();
            }
        }
        return rejected.Count == 0 ? ExitCodes.Success : ExitCodes.Failed;
    }

    /// <summary>
    /// Why a record is skipped: not a security group change (the EventBridge rule never sends it), a failed call, or an
    /// egress change not policed (the intake's 202s); null when the intake would refuse it (400, 403).
    /// </summary>
    private static string? SkipReason(byte[] record, IntakeDecision d)
    {
        var (source, name) = EventFile.Describe(record);
        return d.Verdict switch
        {
            IntakeVerdict.Rejected when d.Rejection!.Kind is RejectionKind.WrongSource or RejectionKind.UnhandledEventName or RejectionKind.WrongDetailType =>
                $"eventName {name ?? "(none)"}{(source is null || source == HandledEvents.CloudTrailEventSource ? "" : $" from {source}")} is not a security group change",
            IntakeVerdict.FailedCall => $"{name ?? "the call"} failed, so it changed nothing ({d.Detail})",
            IntakeVerdict.EgressNotPoliced => $"{name ?? "the call"} is an egress change; not policed (intake answers 202; --police-egress plans it)",
            _ => null,
        };
    }

    /// <summary>The intake's decision with the plan's settings; the policy too (allowed accounts default to the event's own).</summary>
    private static (IntakeDecision Decision, ChangePolicy Policy) Decide(PlanArgs a, SgBridge.Shared.Events.ParseResult parsed)
    {
        var policy = Policy(a, parsed.TryGetChange(out var c) ? c.AccountId : "*");
        return (IntakeDecision.Decide(parsed, policy, a.PoliceEgress), policy);
    }

    private static ChangePolicy Policy(PlanArgs a, string eventAccount)
    {
        var policyOptions = new PolicyOptions
        {
            AllowedAccounts = a.AllowedAccounts ?? eventAccount,
            ExemptPrincipalArns = a.Exempt ?? "",
            ExemptServiceLinkedRoles = a.ExemptServiceLinkedRoles,
            PoliceEgress = a.PoliceEgress,
        };
        return new ChangePolicy(MsOptions.Create(policyOptions), MsOptions.Create(AwsOptions(a)));
    }

    private static AwsOptions AwsOptions(PlanArgs a) => new() { RoleArnPattern = a.RolePattern, WebIdentityAudience = "api://sgbridge-aws" };

    private static DryRunResult Plan(PlanArgs a, SecurityGroupChange change, ChangePolicy policy, IReadOnlyList<SecurityGroupRule>? snapshotRules, CliContext context) =>
        DryRun.Plan(change, policy, AwsOptions(a), snapshotRules, context.Time.GetUtcNow());

    private static object ToJson(IntakeDecision? intake, DryRunResult result) => new
    {
        Intake = intake is null ? null : Intake(intake),
        result.Change,
        result.AccountAllowed,
        result.Decision,
        result.RoleArn,
        Calls = result.Plan?.Writes.Select(w => w.Describe()),
        result.Plan?.Notes,
        result.Request,
    };
}
