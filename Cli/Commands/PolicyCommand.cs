using System.CommandLine;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Events;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;

namespace SgBridge.Cli.Commands;

/// <summary>
/// <c>sgbridge policy test</c>: which rule of the policy file decides each security group change of an event or a
/// CloudTrail log file, and why. Reads files only; calls nothing.
/// </summary>
public sealed class PolicyCommand : ICliVerb
{
    private const string TestDescription = """
        Reads an EventBridge event (or a bare CloudTrail record), a CloudTrail log file ({"Records": [...]}, gzipped or
        not) or a JSON array of records, and prints for each security group change which rule of the policy file
        decides it (approve, deny or ask), on which line, and why: per rule of the change, the deciding rule and each
        earlier rule skipped with the condition that did not hold. The policy is checked first; its errors are printed
        with their lines. The change is taken as the event claims it: the worker decides on what the group holds (the
        rules it found and reverted), and exempt principals are never decided by the policy (see `sgbridge plan`).
        The policy file is --rules, else Policy__RulesFile (environment or --settings): a path, or a blob URL read
        with Storage__ConnectionString or Storage__AccountName (+ Storage__ClientId) as the app reads it; the account
        aliases are --account-aliases, else Policy__AccountAliases. Group tags are not read (offline): a rule with a
        groupTags condition is "tags unknown" and asks.
        Exit code: 0 decided (and, with --expect, every change as expected); 2 the policy file is invalid, a record
        was rejected, or a change was not decided as --expect says; 1 bad arguments (no policy file, no such file).

        Examples:
          sgbridge policy test samples/authorize-ssh-from-internet.json --rules samples/policy.yaml --account-aliases 111111111111=dev
          sgbridge policy test 111111111111_CloudTrail_eu-west-1_20261129T1200Z_abc.json.gz --rules policy.yaml --account-aliases 111111111111=dev
          sgbridge policy test event.json --rules policy.yaml --account-aliases 111111111111=dev --expect deny
          sgbridge policy test event.json --settings FunctionApp/local.settings.json --json
        """;

    private const string ValidateDescription = """
        Checks a policy file as the app does at start (and when it reloads it): prints the number of rules, or each error
        with its line. Needs no event. The file is --rules, else Policy__RulesFile (environment or --settings): a path, or
        a blob URL read with the app's storage settings.
        Exit code: 0 valid, 2 invalid (the app would not start with it), 1 bad arguments (no policy file, no such file),
        3 the blob could not be read.

        Examples:
          sgbridge policy validate --rules samples/policy.yaml --account-aliases 111111111111=dev
          sgbridge policy validate --settings FunctionApp/local.settings.json --json
        """;

    public Command Create(CliContext context)
    {
        var policy = new VerbCommand("policy", "The policy file: `policy validate` checks it, `policy test` shows which rule decides each change of an event or log file.", TestDescription);
        var test = new VerbCommand("test", "Which rule of the policy file decides each change of an event or CloudTrail log file, and why.", TestDescription);
        var file = new Argument<string>("event-file") { Description = "The event, CloudTrail log file (.json or .json.gz) or JSON array of records." };
        var rules = RulesOption();
        var aliases = new Option<string?>("--account-aliases") { Description = "Policy:AccountAliases (id=alias, comma separated); default: Policy__AccountAliases.", HelpName = "aliases" };
        var expect = new Option<string?>("--expect") { Description = "Exit 2 unless every change is decided so: approve, deny or ask.", HelpName = "outcome" };
        var json = new Option<bool>("--json") { Description = "Print the decisions as one sgbridge/v1 JSON document." };
        test.Arguments.Add(file);
        test.Options.Add(rules);
        test.Options.Add(aliases);
        test.Options.Add(expect);
        test.Options.Add(json);
        var settings = CliSettings.AddTo(test, context);
        VerbAction.Set(test, context, (p, _) =>
        {
            var input = EventFile.Read(p.GetRequiredValue(file));
            var (options, storage) = Options(p, rules, aliases, settings, context);
            var expected = p.GetValue(expect)?.Trim().ToLowerInvariant();
            if (expected is not (null or "approve" or "deny" or "ask"))
            {
                throw new CliUsageException($"--expect: '{p.GetValue(expect)}' is not approve, deny or ask.");
            }
            return Task.FromResult(Test(input, options, storage, expected, p.GetValue(json), context));
        });
        policy.Subcommands.Add(test);

        var validate = new VerbCommand("validate", "Checks the policy file as the app does at start: its rules, or each error with its line.", ValidateDescription);
        var validateRules = RulesOption();
        var validateAliases = new Option<string?>("--account-aliases") { Description = "Policy:AccountAliases (id=alias, comma separated) the file's account names refer to; default: Policy__AccountAliases.", HelpName = "aliases" };
        var validateJson = new Option<bool>("--json") { Description = "Print the result as one sgbridge/v1 JSON document." };
        validate.Options.Add(validateRules);
        validate.Options.Add(validateAliases);
        validate.Options.Add(validateJson);
        var validateSettings = CliSettings.AddTo(validate, context);
        VerbAction.Set(validate, context, (p, _) =>
        {
            var (options, storage) = Options(p, validateRules, validateAliases, validateSettings, context);
            var (set, exit) = Load(options, storage, p.GetValue(validateJson), "policy validate", context);
            if (set is not null)
            {
                context.Out.WriteLine(p.GetValue(validateJson)
                    ? CliJson.Document("policy validate", ExitCodes.Success, new { Policy = set.Source, Rules = set.Rules.Count, Valid = true })
                    : $"Policy {set.Source}: {set.Rules.Count} rule(s), valid.");
            }
            return Task.FromResult(exit);
        });
        policy.Subcommands.Add(validate);
        return policy;
    }

    private static Option<string?> RulesOption() =>
        new("--rules") { Description = "The policy file (.yaml, .yml or .json) or its blob URL; default: Policy__RulesFile.", HelpName = "file" };

    private static (PolicyOptions Options, StorageOptions Storage) Options(System.CommandLine.ParseResult p, Option<string?> rules, Option<string?> aliases, CliSettings settings, CliContext context)
    {
        var configuration = CliSettings.BuildConfiguration(context.Environment, p.GetValue(settings.FileOption));
        var given = p.GetValue(rules);
        var options = new PolicyOptions
        {
            RulesFile = given ?? configuration["Policy:RulesFile"] ?? "",
            AccountAliases = p.GetValue(aliases) ?? configuration["Policy:AccountAliases"] ?? "",
        };
        var storage = new StorageOptions
        {
            ConnectionString = configuration["Storage:ConnectionString"],
            AccountName = configuration["Storage:AccountName"],
            ClientId = configuration["Storage:ClientId"],
        };
        if (string.IsNullOrWhiteSpace(options.RulesFile))
        {
            throw new CliUsageException("No policy file: give --rules FILE or set Policy__RulesFile.");
        }
        if (!Path.IsPathRooted(options.RulesFile) && !options.RulesFile.Contains("://", StringComparison.Ordinal))
        {
            // On the command line a relative path is relative to the current directory (the app resolves it against its own).
            options.RulesFile = Path.GetFullPath(options.RulesFile);
        }
        if (!options.RulesFile.Contains("://", StringComparison.Ordinal) && !File.Exists(options.RulesFile))
        {
            // Name where the path came from: the flag when it was given, else the setting.
            throw new CliUsageException($"{(given is null ? "Policy__RulesFile" : "--rules")}: no such file: {options.RulesFile}");
        }
        return (options, storage);
    }

    /// <summary>The policy, or (printed as text or in the JSON error document) its errors and exit 2.</summary>
    private static (PolicyRuleSet? Policy, int Exit) Load(PolicyOptions options, StorageOptions storage, bool json, string verb, CliContext context)
    {
        try
        {
            var set = PolicyRules.Load(options, new PolicyBlob(Microsoft.Extensions.Options.Options.Create(storage)));
            foreach (var warning in set.Warnings)
            {
                context.Error.WriteLine("warning: " + warning); // stderr: the JSON documents on stdout stay whole
            }
            return (set, ExitCodes.Success);
        }
        catch (PolicyFileException ex)
        {
            if (json)
            {
                context.Out.WriteLine(CliJson.Document(verb, ExitCodes.Failed, new
                {
                    Policy = options.RulesFile,
                    Valid = false,
                    Errors = ex.Errors.Select(e => e.ToString()),
                    Error = new { Kind = "policy", Message = $"the policy file is not valid ({ex.Errors.Count} error(s)); the app would not start with it.", Fix = "fix the lines named in errors." },
                }));
            }
            else
            {
                context.Out.WriteLine($"The policy file is not valid ({ex.Errors.Count} error(s)); the app would not start with it:");
                foreach (var error in ex.Errors)
                {
                    context.Out.WriteLine("  " + error);
                }
            }
            return (null, ExitCodes.Failed);
        }
    }

    private static int Test(EventFile input, PolicyOptions options, StorageOptions storage, string? expected, bool json, CliContext context)
    {
        var o = context.Out;
        var (policy, exit) = Load(options, storage, json, "policy test", context);
        if (policy is null)
        {
            return exit;
        }

        var aliases = options.AccountAliasMap;
        var decided = new List<(int Record, SecurityGroupChange Change, PolicyEvaluation Evaluation)>();
        var other = new List<(int Record, string Reason, bool Rejected)>();
        for (var i = 0; i < input.Items.Count; i++)
        {
            var parsed = CloudTrailParser.Parse(input.Items[i]);
            if (parsed.TryGetChange(out var change))
            {
                decided.Add((i + 1, change, PolicyEngine.Evaluate(policy, InputOf(change) with { Tags = OfflineTags }, aliases)));
            }
            else if (parsed.TryGetRejection(out var r))
            {
                var (_, name) = EventFile.Describe(input.Items[i]);
                var skipped = r.Kind is RejectionKind.WrongSource or RejectionKind.UnhandledEventName or RejectionKind.WrongDetailType or RejectionKind.Egress or RejectionKind.FailedCall;
                other.Add((i + 1, skipped ? $"{name ?? "the record"} is not a policed security group change ({r.Kind}: {r.Message})" : $"{r.Kind}: {r.Message}", !skipped));
            }
        }
        var unexpected = expected is null ? [] : decided.Where(d => d.Evaluation.Decision.Outcome != expected).ToList();

        var result = other.Any(x => x.Rejected) || unexpected.Count > 0 ? ExitCodes.Failed : ExitCodes.Success;
        if (json)
        {
            o.WriteLine(CliJson.Document("policy test", result, new
            {
                Policy = policy.Source,
                Rules = policy.Rules.Count,
                Decisions = decided.Select(d => new
                {
                    d.Record,
                    d.Change.EventId,
                    d.Change.EventName,
                    d.Change.AccountId,
                    d.Change.Region,
                    Group = d.Change.GroupLabel,
                    d.Evaluation.Decision,
                    PerRule = d.Evaluation.PerRule.Select(v => new
                    {
                        Rule = v.Rule.Describe(),
                        Outcome = v.Outcome.ToString().ToLowerInvariant(),
                        DecidedBy = v.Decider?.Name,
                        v.Decider?.Line,
                        TagsUnknownAt = v.TagsNeededBy is { } t ? new { t.Name, t.Line } : null,
                        v.Skipped,
                    }),
                }),
                Skipped = other.Where(x => !x.Rejected).Select(x => new { x.Record, x.Reason }),
                Rejected = other.Where(x => x.Rejected).Select(x => new { x.Record, x.Reason }),
                Unexpected = unexpected.Select(u => u.Record),
            }));
        }
        else
        {
            o.WriteLine($"Policy {policy.Source}: {policy.Rules.Count} rule(s), valid. Nothing is called.");
            o.WriteLine($"{input.Items.Count} record(s): {decided.Count} change(s) decided, {other.Count(x => !x.Rejected)} skipped, {other.Count(x => x.Rejected)} rejected.");
            foreach (var (record, change, evaluation) in decided)
            {
                o.WriteLine();
                o.WriteLine($"=== Record {record}: {change.EventName} {change.GroupLabel} ({Account(change.AccountId, aliases)}, {change.Region}) by {change.Requester.DisplayName} ===");
                PolicyPrinter.Print(evaluation, o);
                if (expected is not null && evaluation.Decision.Outcome != expected)
                {
                    o.WriteLine($"  NOT AS EXPECTED: --expect {expected}");
                }
            }
            foreach (var (record, reason, rejected) in other)
            {
                o.WriteLine();
                o.WriteLine($"{(rejected ? "rejected" : "skipped")} record {record}: {reason}");
            }
        }
        return result;
    }

    /// <summary>`policy test` calls nothing: a rule with a groupTags condition meets "tags unknown" and asks.</summary>
    internal static GroupTags OfflineTags { get; } = GroupTags.Unknown("tags unknown: `sgbridge policy test` works offline and reads no tags");

    private static string Account(string id, IReadOnlyDictionary<string, string> aliases) => aliases.TryGetValue(id, out var alias) ? $"{id} {alias}" : id;

    /// <summary>The change as its event claims it (the worker decides on the rules it found in the group).</summary>
    private static PolicyInput InputOf(SecurityGroupChange c)
    {
        var rules = c.Kind == ChangeKind.Modify ? c.Modifications.Select(m => m.After).ToArray() : c.Rules;
        var unknown = c.RuleIds.Any(id => c.Rules.All(r => r.RuleId != id)) || rules.Count == 0;
        return new PolicyInput(c.AccountId, c.Region, c.GroupId, c.GroupName, VpcId: null, c.Requester, c.Kind, rules, unknown);
    }
}

/// <summary>The text form of one policy evaluation (shared by `policy test` and `plan`).</summary>
internal static class PolicyPrinter
{
    public static void Print(PolicyEvaluation e, TextWriter o)
    {
        var d = e.Decision;
        var by = d.Rule is null ? "no rule matched" : $"rule '{d.Rule}' ({d.Source} line {d.Line})";
        var duration = d.Outcome == "approve" ? d.Duration is { } t ? $" for {ApprovalDuration.Format(t)}" : " permanently" : "";
        o.WriteLine($"  Decision: {d.Outcome.ToUpperInvariant()}{duration}, by {by}");
        o.WriteLine($"  Why:      {d.Reason}");
        foreach (var v in e.PerRule)
        {
            o.WriteLine($"  - {v.Rule.Describe()} -> {v.Outcome.ToString().ToLowerInvariant()}" + (v.TagsNeededBy is { } needs
                ? $" (tags unknown at '{needs.Name}', line {needs.Line}: its groupTags condition is not matched, so ask)"
                : v.Decider is { } r ? $" ('{r.Name}', line {r.Line})" : " (no rule matched)"));
            foreach (var s in v.Skipped)
            {
                o.WriteLine($"      skipped {s}");
            }
        }
    }
}
