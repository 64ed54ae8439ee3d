using System.CommandLine;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Processing;
using SgBridge.Shared.Storage;

namespace SgBridge.Cli.Commands;

/// <summary>
/// <c>sgbridge requests approve|deny ID --reason TEXT</c>: a decision without Slack (Slack down, or a message Slack
/// refused). The same checks as a click — the request is Pending, the duration is one Approvals:Durations offers, the
/// decider is not the requester unless break-glass — and the same transition through <see cref="RequestLifecycle"/>:
/// one conditional write that records the decision and its effects (apply, Slack renders, the requester's DM,
/// break-glass notice) on the row. The function app performs those effects (the lifecycle nudges it; the effects
/// catch-up re-drives them): the CLI itself sends nothing to Slack and queues no apply.
/// </summary>
internal static class DecideCommand
{
    private const string ApproveDetails = """
        Approves a Pending request as a Slack click does, with one conditional write through the request lifecycle: the
        apply in AWS, the Slack messages (approvers' and monitoring, with the reason) and the requester's DM follow from
        the function app. --for takes a duration Approvals:Durations offers (8h, 7d, …); without it the approval is
        permanent, which only "permanent" in Approvals:Durations allows (a removal takes no duration). The decider is
        --as NAME, else your Entra ID user (with Storage__AccountName), else your OS user; who ran it is recorded too.
        You may not approve your own change unless Cli__BreakGlassOperators lists you (announced loudly).
        Exit code: 0 decided, 2 not Pending (already decided, e.g. by a click) / your own change / no such request,
        1 bad arguments or a duration not offered, 3 settings invalid or storage unreachable.

        Examples:
          sgbridge requests approve SG-7KQ2M9XD --for 8h --reason "INC-4711: vendor VPN until the cut-over" --settings FunctionApp/local.settings.json
          sgbridge requests approve SG-7KQ2M9XD --reason "CHG-1234 approved in CAB" --as alice@example.com --json
        """;

    private const string DenyDetails = """
        Denies a Pending request as a Slack click does (one conditional write through the request lifecycle): the change
        stays reverted, and the Slack messages (with the reason) and the requester's DM follow from the function app.
        The decider is --as NAME, else your Entra ID user (with Storage__AccountName), else your OS user.
        Exit code: 0 denied, 2 not Pending (already decided) / no such request, 1 bad arguments, 3 settings or storage.

        Examples:
          sgbridge requests deny SG-7KQ2M9XD --reason "no ticket; ask in #network first" --settings FunctionApp/local.settings.json
        """;

    public static Command Approve(CliContext context) => Create(context, approve: true);

    public static Command Deny(CliContext context) => Create(context, approve: false);

    private static Command Create(CliContext context, bool approve)
    {
        var command = approve
            ? new VerbCommand("approve", "Approves a Pending request without Slack (same checks and write as a click).", ApproveDetails)
            : new VerbCommand("deny", "Denies a Pending request without Slack (same checks and write as a click).", DenyDetails);
        var id = new Argument<string>("id") { Description = "SG-XXXXXXXX, or the CloudTrail event id." };
        var reason = new Option<string>("--reason") { Description = $"Why (required; at most {ChangeRequest.MaxReasonLength} characters): recorded on the request and shown in Slack.", HelpName = "text" };
        var asName = new Option<string?>("--as") { Description = "The approver's name to record, instead of your Entra ID / OS user (both are still recorded as who ran it).", HelpName = "name" };
        var json = new Option<bool>("--json") { Description = "Print one sgbridge/v1 JSON document (\"decision\" and \"request\")." };
        Option<string?>? duration = null;
        command.Arguments.Add(id);
        if (approve)
        {
            duration = new Option<string?>("--for") { Description = "How long the access lasts: one of Approvals:Durations (default 1h,8h,24h,7d,permanent). Without it: permanently.", HelpName = "duration" };
            command.Options.Add(duration);
        }
        command.Options.Add(reason);
        command.Options.Add(asName);
        command.Options.Add(json);
        var settings = CliSettings.AddTo(command, context);
        VerbAction.Set(command, context, async (p, ct) =>
        {
            var verb = CliJson.VerbPath(p);
            var requestId = RequestsCommand.ToRequestId(p.GetRequiredValue(id));
            var why = Reason(p.GetValue(reason));
            var name = p.GetValue(asName)?.Trim();
            if (name is { Length: 0 or > 200 })
            {
                throw new CliUsageException("--as: give a name of 1-200 characters (the approver to record).");
            }
            var label = duration is null ? null : p.GetValue(duration)?.Trim();

            await using var services = settings.Load(p);
            var table = services.Get<IOptions<StorageOptions>>().Value.RequestsTable;
            await CliStorage.RequireTableAsync(services.Get<TableServiceClient>(), table, "Storage__RequestsTable", ct).ConfigureAwait(false);
            var lifecycle = services.Get<RequestLifecycle>();
            var stored = await lifecycle.FindAsync(requestId, ct).ConfigureAwait(false);
            if (stored is null)
            {
                return await RefuseAsync(context, p, verb, new CliError("not-found", $"no request {requestId} in table {table}.", "check the id (`sgbridge requests list --status Pending` lists those waiting).", ExitCodes.Failed)).ConfigureAwait(false);
            }
            var request = stored.Value;
            if (request.Status != RequestStatus.Pending)
            {
                return await RefuseAsync(context, p, verb, NotPending(request)).ConfigureAwait(false);
            }
            var length = approve ? Length(label, request, services.Get<IOptions<ApprovalsOptions>>().Value) : null;

            var entra = await services.Get<EntraOperator>().NameAsync(ct).ConfigureAwait(false);
            var who = new OperatorIdentity(name ?? entra ?? context.OsUser, name is not null ? OperatorIdentity.FromAs : entra is not null ? OperatorIdentity.FromEntra : OperatorIdentity.FromOs, entra, context.OsUser);
            var breakGlass = false;
            if (approve && who.IsRequesterOf(request))
            {
                if (!who.IsListedIn(services.Get<IOptions<CliOptions>>().Value.GetBreakGlassOperators()))
                {
                    return await RefuseAsync(context, p, verb, new CliError("refused",
                        $"{who.Name} is the requester of {request.Id} ({request.Requester.DisplayName}): nobody approves their own change.",
                        "ask another approver; break-glass operators are listed in Cli__BreakGlassOperators.", ExitCodes.Failed)).ConfigureAwait(false);
                }
                breakGlass = true;
            }

            var now = context.Time.GetUtcNow();
            var update = await lifecycle.ChangeAsync(stored, r =>
            {
                if (r.Status != RequestStatus.Pending)
                {
                    return false;
                }
                if (approve)
                {
                    r.Approve(who.DecidedBy, who.DecidedByName, now, r.Kind == ChangeKind.Remove ? null : length, breakGlass, why);
                }
                else
                {
                    r.Deny(who.DecidedBy, who.DecidedByName, now, why);
                }
                return true;
            }, ct).ConfigureAwait(false);
            if (!update.Written)
            {
                // Another decider (a click, another operator) was first: their decision stands.
                return await RefuseAsync(context, p, verb, NotPending(update.Request)).ConfigureAwait(false);
            }
            var decided = update.Request;
            if (p.GetValue(json))
            {
                await context.Out.WriteLineAsync(CliJson.Document(verb, ExitCodes.Success, new
                {
                    Decision = new
                    {
                        Verdict = decided.Status.ToString(),
                        By = decided.DecidedBy,
                        ByName = decided.DecidedByName,
                        At = RequestView.Time(decided.DecidedAt),
                        Reason = decided.DecisionReason,
                        For = decided.ApprovedFor is null ? null : label,
                        AccessUntil = RequestView.Time(decided.AccessUntil),
                        BreakGlass = breakGlass,
                    },
                    Request = RequestView.Detail(decided),
                }, RequestView.Json)).ConfigureAwait(false);
            }
            else
            {
                await PrintAsync(context.Out, decided, label, breakGlass).ConfigureAwait(false);
            }
            return ExitCodes.Success;
        });
        return command;
    }

    private static string Reason(string? text)
    {
        if (text is null)
        {
            throw new CliUsageException("--reason is required: say why (it is recorded on the request and shown in Slack).");
        }
        var trimmed = text.Trim();
        if (trimmed.Length == 0)
        {
            throw new CliUsageException("--reason: give a reason (it is empty); it is recorded on the request and shown in Slack.");
        }
        if (trimmed.Length > ChangeRequest.MaxReasonLength)
        {
            throw new CliUsageException($"--reason: at most {ChangeRequest.MaxReasonLength} characters (it has {trimmed.Length}).");
        }
        return trimmed;
    }

    /// <summary>The approval's length as a click would get it: only a duration Approvals:Durations offers; none for a removal.</summary>
    private static TimeSpan? Length(string? label, ChangeRequest request, ApprovalsOptions options)
    {
        if (request.Kind == ChangeKind.Remove)
        {
            return label is null || label.Equals(ApprovalDuration.PermanentLabel, StringComparison.OrdinalIgnoreCase)
                ? null
                : throw new CliUsageException($"--for: {request.Id} removes access, so it has no duration (a click offers a plain Approve): leave --for out.");
        }
        var choice = options.Find(label ?? ApprovalDuration.PermanentLabel);
        if (choice is null)
        {
            throw new CliUsageException(label is null
                ? $"approving permanently is not offered (Approvals:Durations is {options.Durations}): give --for with one of them."
                : $"--for: '{label}' is not offered (Approvals:Durations is {options.Durations}).");
        }
        return choice.Length;
    }

    private static CliError NotPending(ChangeRequest r) => new("not-pending",
        $"{r.Id} is {r.Status}, not Pending: nothing changed." + (r.DecidedAt is { } at ? $" It was decided by {r.DecidedByName ?? r.DecidedBy} at {RequestView.Time(at)}." : ""),
        $"`sgbridge requests show {r.Id}` shows its history.", ExitCodes.Failed);

    private static async Task<int> RefuseAsync(CliContext context, ParseResult p, string verb, CliError error)
    {
        await context.Error.WriteLineAsync(error.Line(verb)).ConfigureAwait(false);
        if (CliJson.Requested(p))
        {
            await context.Out.WriteLineAsync(CliJson.Error(verb, error)).ConfigureAwait(false);
        }
        return error.Exit;
    }

    private static async Task PrintAsync(TextWriter o, ChangeRequest r, string? label, bool breakGlass)
    {
        var what = r.Status == RequestStatus.Approved
            ? "Approved " + r.Id + (r.ApprovedFor is null ? " permanently" : $" for {label} (access until {RequestView.Time(r.AccessUntil)})")
            : "Denied " + r.Id;
        await o.WriteLineAsync($"{what} by {r.DecidedByName ?? r.DecidedBy} at {RequestView.Time(r.DecidedAt)}.").ConfigureAwait(false);
        await o.WriteLineAsync($"  Decider  {r.DecidedBy}").ConfigureAwait(false);
        await o.WriteLineAsync($"  Reason   {r.DecisionReason}").ConfigureAwait(false);
        await o.WriteLineAsync($"  Change   {string.Join("; ", RequestView.Changes(r))} on {r.GroupId ?? r.GroupName} ({r.AccountId}, {r.Region}), by {r.Requester.DisplayName}").ConfigureAwait(false);
        if (breakGlass)
        {
            await o.WriteLineAsync("  BREAK-GLASS: you approved your own change; the monitoring channel is told loudly.").ConfigureAwait(false);
        }
        await o.WriteLineAsync(r.Status == RequestStatus.Approved
            ? "The function app now applies it in AWS and updates the approvers' and monitoring messages (effects recorded on the request in the same write)."
            : "The change stays reverted; the function app updates the approvers' and monitoring messages (effects recorded on the request in the same write).").ConfigureAwait(false);
        await o.WriteLineAsync($"Follow it: sgbridge requests show {r.Id}").ConfigureAwait(false);
    }
}
