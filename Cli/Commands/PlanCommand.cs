using System.CommandLine;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Events;
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
        Exit code: 0 planned (or skipped), 2 an event was rejected (intake would answer 400), 1 bad arguments.

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
        var json = new Option<bool>("--json") { Description = "Print the plan as JSON." };
        var live = new Option<bool>("--live")
        {
            Description = "Read the group's approved state and describe the group in AWS with the app's settings (--settings or Section__Name variables), and plan against what is really there. Reads only; one event at a time.",
        };
        var rules = new Option<string?>("--rules") { Description = "A policy file (Policy:RulesFile): also show which of its rules decides each change (with --live: default Policy__RulesFile).", HelpName = "policy.yaml" };
        var aliases = new Option<string?>("--account-aliases") { Description = "Policy:AccountAliases for --rules (id=alias, comma separated).", HelpName = "aliases" };
        var command = new VerbCommand("plan", "Dry run: what the bridge would do with an event or a CloudTrail log file. Calls nothing (reads only, with --live).", Description) { file, allowed, exempt, noSlr, role, snapshot, json, live, rules, aliases };
        var settings = CliSettings.AddTo(command, context);
        VerbAction.Set(command, context, async (p, ct) =>
        {
            var args = new PlanArgs(p.GetRequiredValue(file), p.GetValue(allowed), p.GetValue(exempt), !p.GetValue(noSlr), p.GetRequiredValue(role), p.GetValue(snapshot), p.GetValue(json))
            {
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
        var parsed = CloudTrailParser.Parse(input.Items[0]);
        if (parsed.TryGetRejection(out var r))
        {
            context.Out.WriteLine($"Rejected ({r.Kind}): {r.Message}");
            return r.Kind == RejectionKind.FailedCall ? ExitCodes.Success : ExitCodes.Failed;
        }
        var change = Change(parsed);
        await using var services = settings.Load(p);
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
            context.Out.WriteLine(BridgeJson.Serialize(ToJson(result)));
        }
        else
        {
            PlanPrinter.Print(result, accountsDefaulted: false, context.Out);
            var rules = services.Get<PolicyRules>();
            await PlanPolicy.PrintLiveAsync(result, a.Policy ?? (rules.Configured ? (rules.Current, rules.AccountAliases) : null),
                t => services.Get<PolicyTagReader>().ReadAsync(change.AccountId, change.Region, groupId, t), context.Out, ct).ConfigureAwait(false);
        }
        return ExitCodes.Success;
    }

    private sealed record PlanArgs(string EventFile, string? AllowedAccounts, string? Exempt, bool ExemptServiceLinkedRoles, string RolePattern, string? SnapshotFile, bool Json)
    {
        /// <summary>--rules: the policy file whose deciding rule is shown too.</summary>
        public (PolicyRuleSet Rules, IReadOnlyDictionary<string, string> Aliases)? Policy { get; init; }
    }

    private static int Run(PlanArgs a, CliContext context)
    {
        var input = EventFile.Read(a.EventFile);
        IReadOnlyList<SecurityGroupRule>? snapshotRules = null;
        if (a.SnapshotFile is not null)
        {
            if (!File.Exists(a.SnapshotFile))
            {
                throw new CliUsageException($"--snapshot: no such file: {a.SnapshotFile}");
            }
            snapshotRules = BridgeJson.Deserialize<SecurityGroupRule[]>(File.ReadAllText(a.SnapshotFile));
        }
        return input.IsLog ? PlanLog(a, input.Items, snapshotRules, context) : PlanOne(a, input.Items[0], snapshotRules, context);
    }

    /// <summary>One event: the original behaviour and output.</summary>
    private static int PlanOne(PlanArgs a, byte[] eventJson, IReadOnlyList<SecurityGroupRule>? snapshotRules, CliContext context)
    {
        var stdout = context.Out;
        var parsed = CloudTrailParser.Parse(eventJson);
        if (parsed.TryGetRejection(out var r))
        {
            var skipped = r.Kind == RejectionKind.FailedCall;
            stdout.WriteLine(skipped
                ? $"Skipped: {r.Message}\nIntake would answer 202 and do nothing: a failed call changed nothing."
                : $"Rejected ({r.Kind}): {r.Message}\nIntake would answer 400.");
            return skipped ? ExitCodes.Success : ExitCodes.Failed;
        }
        var result = Plan(a, Change(parsed), snapshotRules, context);
        if (a.Json)
        {
            stdout.WriteLine(BridgeJson.Serialize(ToJson(result)));
        }
        else
        {
            PlanPrinter.Print(result, a.AllowedAccounts is null, stdout);
            PlanPolicy.Print(result, a.Policy, stdout);
        }
        return ExitCodes.Success;
    }

    /// <summary>A log file or an array of records: one plan per security group change, the rest skipped with a reason.</summary>
    private static int PlanLog(PlanArgs a, IReadOnlyList<byte[]> records, IReadOnlyList<SecurityGroupRule>? snapshotRules, CliContext context)
    {
        var o = context.Out;
        var plans = new List<(int Record, DryRunResult Result)>();
        var skipped = new List<(int Record, string Reason)>();
        var rejected = new List<(int Record, RejectionKind Kind, string Message)>();
        for (var i = 0; i < records.Count; i++)
        {
            var n = i + 1;
            var parsed = CloudTrailParser.Parse(records[i]);
            if (!parsed.TryGetRejection(out var r))
            {
                plans.Add((n, Plan(a, Change(parsed), snapshotRules, context)));
            }
            else if (SkipReason(records[i], r) is { } reason)
            {
                skipped.Add((n, reason));
            }
            else
            {
                rejected.Add((n, r.Kind, r.Message));
            }
        }

        if (a.Json)
        {
            o.WriteLine(BridgeJson.Serialize(new
            {
                Records = records.Count,
                Plans = plans.Select(p => new { p.Record, Plan = ToJson(p.Result) }),
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
                    o.WriteLine($"rejected record {r.Record} ({r.Kind}): {r.Message} (intake would answer 400)")))))
                .OrderBy(l => l.Record);
            o.WriteLine();
            foreach (var line in lines)
            {
                line.Write();
            }
        }
        return rejected.Count == 0 ? ExitCodes.Success : ExitCodes.Failed;
    }

    /// <summary>Why a record that is not a policed change is skipped; null when it is a malformed security group record.</summary>
    private static string? SkipReason(byte[] record, SgBridge.Shared.Events.ParseResult.Rejection rejection)
    {
        var (source, name) = EventFile.Describe(record);
        return rejection.Kind switch
        {
            RejectionKind.WrongSource or RejectionKind.UnhandledEventName or RejectionKind.WrongDetailType =>
                $"eventName {name ?? "(none)"}{(source is null || source == HandledEvents.CloudTrailEventSource ? "" : $" from {source}")} is not a security group change",
            RejectionKind.Egress => $"{name ?? "the call"} is an egress change; the bridge polices ingress only",
            RejectionKind.FailedCall => $"{name ?? "the call"} failed, so it changed nothing ({rejection.Message})",
            _ => null,
        };
    }

    private static SecurityGroupChange Change(SgBridge.Shared.Events.ParseResult parsed) =>
        parsed.TryGetChange(out var change) ? change : throw new InvalidOperationException("A parse result is either a change or a rejection.");

    private static DryRunResult Plan(PlanArgs a, SecurityGroupChange change, IReadOnlyList<SecurityGroupRule>? snapshotRules, CliContext context)
    {
        var now = context.Time.GetUtcNow();
        var policyOptions = new PolicyOptions
        {
            AllowedAccounts = a.AllowedAccounts ?? change.AccountId,
            ExemptPrincipalArns = a.Exempt ?? "",
            ExemptServiceLinkedRoles = a.ExemptServiceLinkedRoles,
        };
        var awsOptions = new AwsOptions { RoleArnPattern = a.RolePattern, WebIdentityAudience = "api://sgbridge-aws" };
        var policy = new ChangePolicy(MsOptions.Create(policyOptions), MsOptions.Create(awsOptions));
        return DryRun.Plan(change, policy, awsOptions, snapshotRules, now);
    }

    private static object ToJson(DryRunResult result) => new
    {
        result.Change,
        result.AccountAllowed,
        result.Decision,
        result.RoleArn,
        Calls = result.Plan?.Writes.Select(w => w.Describe()),
        result.Plan?.Notes,
        result.Request,
    };
}
