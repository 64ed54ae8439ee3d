using System.Text.Json.Nodes;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Slack;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Slack;

/// <summary>One payload the bridge sends or publishes, rendered from the real builders as it goes to Slack.</summary>
public sealed record RenderedPayload(string Kind, string Label, string Text, JsonArray? Blocks, JsonObject? View = null)
{
    public int BlockCount => View is not null ? ((JsonArray?)View["blocks"])?.Count ?? 0 : Blocks?.Count ?? 0;

    public int TotalChars => ApprovalMessageBuilder.TextLength(View is not null ? View["blocks"] : Blocks);
}

/// <summary>
/// The full input matrix, every payload kind: approver messages (single and batches up to past the largest allowed
/// size, every status, removals, modifications, extensions, risky and harmless, every duration setting, unresolved
/// requesters, blast radius from none to thousands of interfaces), their compact fallbacks, monitoring messages,
/// thread replies, the last-resort notice, ephemerals, DMs and modals. The payloads are built exactly as the bridge
/// chains the builders (ForApprovers → WithBlastRadius → WithAccessChoices).
/// </summary>
public static class SlackPayloadMatrix
{
    /// <summary>
    /// The classes that walk the matrix run one after another: in the full suite, run side by side, they stopped with the
    /// CPU idle (seen once on 2026-12-07, not yet explained); each alone passes.
    /// </summary>
    public const string Collection = "Slack payload matrix";

    private static readonly DateTimeOffset T = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    public static readonly string[] DurationSettings =
        [ApprovalsOptions.DefaultDurations, "8h",
         "5m,10m,15m,20m,30m,45m,1h,2h,3h,4h,6h,8h,12h,16h,24h,2d,3d,4d,5d,7d,14d,30d,90d,permanent"];

    public static readonly int[] BatchSizes = [1, 2, 10, 20, 25];

    /// <summary>A reason modal's private_metadata as the bridge seals it (a Slack user id of the longest usual shape).</summary>
    private static string ModalSealOf(string requestId) =>
        new ModalSeal(Microsoft.Extensions.Options.Options.Create(new SlackOptions { SigningSecret = "matrix-signing-secret" }), new Microsoft.Extensions.Time.Testing.FakeTimeProvider(T))
            .Seal(ActionIds.ReasonCallback, "W0123456789ABCDEF", requestId);

    public static readonly int[] RuleCounts = [1, 60, 400];

    private static readonly RequestStatus[] Statuses =
        [RequestStatus.Pending, RequestStatus.Approved, RequestStatus.Denied, RequestStatus.Applied, RequestStatus.ApplyFailed, RequestStatus.Expired];

    public static BlastRadius HugeRadius { get; } = new("sg-1", Enumerable.Range(0, 3000)
        .Select(i => new NetworkInterfaceInfo($"eni-{i}", "interface", false, null, $"i-{i:x17}", $"54.0.{i / 250}.{i % 250}")).ToArray());

    /// <summary>A risky request (TCP 22 and everything from the internet) of <paramref name="rules"/> rules.</summary>
    public static ChangeRequest Request(int index, ChangeKind kind, int rules, RequestStatus status, Requester? requester = null, TimeSpan? duration = null)
    {
        var r = SlackPayloadLimitsTests.Request(index, kind, rules, status == RequestStatus.AccessEnded ? RequestStatus.Pending : status, requester ?? SlackPayloadLimitsTests.MaximalRequester(index));
        if (status == RequestStatus.AccessEnded)
        {
            r.Approve("U0APPROVER", "approver", T, duration ?? TimeSpan.FromHours(8));
            r.MarkApplied(new CallOutcome("ec2:AuthorizeSecurityGroupIngress", true), T);
            r.EndAccess(index % 2 == 0 ? AccessEndReason.Expired : AccessEndReason.Revoked, index % 2 == 0 ? null : "U0REVOKER", T.AddHours(8));
        }
        return r;
    }

    private static ChangeRequest AppliedFor(int index, ChangeKind kind, int rules, TimeSpan duration)
    {
        var r = SlackPayloadLimitsTests.Request(index, kind, rules, RequestStatus.Pending, SlackPayloadLimitsTests.MaximalRequester(index));
        r.Approve("U0APPROVER", "approver", T, kind == ChangeKind.Remove ? null : duration);
        r.MarkApplied(new CallOutcome("ec2:AuthorizeSecurityGroupIngress", true), T);
        return r;
    }

    private static List<List<ChangeRequest>> Batches(int size, int rules)
    {
        var kinds = new[] { ChangeKind.Add, ChangeKind.Remove, ChangeKind.Modify };
        var mixed = Enumerable.Range(0, size).Select(i => Request(i, kinds[i % 3], rules, Statuses[i % Statuses.Length])).ToList();
        var pending = Enumerable.Range(0, size).Select(i => Request(i, kinds[i % 3], rules, RequestStatus.Pending)).ToList();
        var risky = Enumerable.Range(0, size).Select(i => Request(i, ChangeKind.Add, rules, RequestStatus.Pending)).ToList();
        var live = Enumerable.Range(0, size).Select(i => i % 2 == 0 ? AppliedFor(i, ChangeKind.Add, rules, TimeSpan.FromHours(8)) : Request(i, ChangeKind.Add, rules, RequestStatus.AccessEnded)).ToList();
        var batches = new List<List<ChangeRequest>> { mixed, pending, risky, live };
        if (size == 1)
        {
            var original = AppliedFor(99, ChangeKind.Add, rules, TimeSpan.FromHours(8));
            var extension = ChangeRequest.OpenExtension("SG-EXTENSION" + rules, original, T.AddHours(1));
            batches.Add([extension]);
            foreach (var status in new[] { RequestStatus.RevertFailed, RequestStatus.Exempt, RequestStatus.Reverting })
            {
                batches.Add([SlackPayloadLimitsTests.Request(7, ChangeKind.Add, rules, status, SlackPayloadLimitsTests.MaximalRequester(7))]);
            }
        }
        return batches;
    }

    /// <summary>Every payload of the matrix.</summary>
    public static IEnumerable<RenderedPayload> All()
    {
        var alias = "prod*_~`<!channel>" + new string('a', 300);
        foreach (var size in BatchSizes)
        {
            // 400 rules per change (the most a group holds in practice) at a single request and at the largest allowed batch.
            foreach (var rules in RuleCounts.Where(n => n < 400 || size is 1 or 20))
            {
                foreach (var batch in Batches(size, rules))
                {
                    var label = $"{size}x{rules} {string.Join(",", batch.Select(r => $"{r.Kind}/{r.Status}").Distinct().Take(4))}";
                    foreach (var setting in DurationSettings)
                    {
                        var durations = ApprovalsOptions.ParseDurations(setting);
                        foreach (var unresolved in new UnresolvedRequesterPolicy?[] { null, UnresolvedRequesterPolicy.Block })
                        {
                            foreach (var radius in size == 1 ? new[] { null, HugeRadius, BlastRadius.Failed("sg-1", new string('r', 400)) } : [null, HugeRadius])
                            {
                                var message = ApprovalMessageBuilder.ForApprovers(batch, alias, unresolved is null ? "U0REQUESTER" : null, unresolved);
                                if (radius is not null)
                                {
                                    message = ApprovalMessageBuilder.WithBlastRadius(message, batch, radius);
                                }
                                message = message.WithAccessChoices(batch, durations);
                                var l = $"{label} [{setting}] {unresolved} {(radius is null ? "" : radius.IsAvailable ? "radius" : "no-radius")}";
                                yield return new RenderedPayload(size == 1 ? "approvers (single)" : "approvers (batch)", l, message.Text, message.Blocks);
                            }
                        }
                        var compact = ApprovalMessageBuilder.Compact(batch, alias, withButtons: true, "msg_too_long").WithAccessChoices(batch, durations);
                        yield return new RenderedPayload("compact fallback (approvers)", $"{label} [{setting}]", compact.Text, compact.Blocks);
                        // The Home tab: the batch waiting for an approver (its pending changes), and as the requester's own requests.
                        var aliases = new Dictionary<string, string> { [batch[0].AccountId] = alias };
                        var waiting = batch.Where(r => r.Status == RequestStatus.Pending).ToList();
                        var own = batch.Where(r => r.Status is RequestStatus.Pending or RequestStatus.Approved or RequestStatus.Applied or RequestStatus.ApplyFailed).ToList();
                        yield return new RenderedPayload("Home tab", $"{label} [{setting}] approver", "home", null,
                            ApprovalMessageBuilder.Home(new HomeContent("U0APPROVER", true, waiting, own, durations, aliases, T)));
                        yield return new RenderedPayload("Home tab", $"{label} [{setting}] requester", "home", null,
                            ApprovalMessageBuilder.Home(new HomeContent("U0REQUESTER", false, [], own, durations, aliases, T)));
                    }
                    var monitoring = ApprovalMessageBuilder.ForMonitoring(batch, alias, "U0REQUESTER");
                    yield return new RenderedPayload(size == 1 ? "monitoring (single)" : "monitoring (batch)", label, monitoring.Text, monitoring.Blocks);
                    var compactMonitoring = ApprovalMessageBuilder.Compact(batch, alias, withButtons: false, "msg_too_long");
                    yield return new RenderedPayload("compact fallback (monitoring)", label, compactMonitoring.Text, compactMonitoring.Blocks);
                    yield return new RenderedPayload("thread reply", label, ApprovalMessageBuilder.OutcomeReply(batch.Select(r => (r, r.Status)).ToList()), null);
                    yield return new RenderedPayload("last-resort notice", label, ApprovalMessageBuilder.RefusedNotice(batch, "invalid_blocks"), null);
                    yield return new RenderedPayload("ephemeral", label, DecisionReplies.BatchDecided(true, 1, batch), null);
                    foreach (var r in batch)
                    {
                        yield return new RenderedPayload("thread reply", label, ApprovalMessageBuilder.OutcomeReply(r, r.Status), null);
                        yield return new RenderedPayload("ephemeral", label, DecisionReplies.AlreadyDecided(r), null);
                        if (r.Status == RequestStatus.AccessEnded)
                        {
                            yield return new RenderedPayload("thread reply", label, ApprovalMessageBuilder.AccessEndedText(r), null);
                        }
                        if (r.Status is RequestStatus.Applied or RequestStatus.Approved)
                        {
                            var granted = ApprovalMessageBuilder.AccessGranted(r);
                            yield return new RenderedPayload("DM", label, granted.Text, granted.Blocks);
                        }
                        if (r.Status == RequestStatus.Pending)
                        {
                            var (askText, askBlocks) = ReasonMessages.Ask(r);
                            yield return new RenderedPayload("DM", label, askText, askBlocks);
                            yield return new RenderedPayload("modal", label, "modal", null, ReasonMessages.Modal(r, ModalSealOf(r.Id)));
                            yield return new RenderedPayload("monitoring notice", label, ApprovalMessageBuilder.BreakGlassNotice(r, "U0BREAKGLASS", alias), null);
                        }
                    }
                }
            }
        }
        yield return new RenderedPayload("modal", "thanks", "modal", null, ReasonMessages.Thanks("SG-ZZZZZZZZ", replaced: true));
        foreach (var view in HomeExtremes())
        {
            yield return view;
        }
        foreach (var text in new[]
        {
            DecisionReplies.Unknown("SG-ZZZZZZZZ"), DecisionReplies.NotOnThisMessage("SG-ZZZZZZZZ"), DecisionReplies.Unverified("SG-ZZZZZZZZ"),
            DecisionReplies.NotAnApprover("SG-ZZZZZZZZ"), DecisionReplies.SelfApproval("SG-ZZZZZZZZ"), DecisionReplies.UnresolvedBlocked("SG-ZZZZZZZZ"),
            DecisionReplies.FirstOfTwoApprovals("SG-ZZZZZZZZ"), DecisionReplies.SameApproverAgain("SG-ZZZZZZZZ"),
        })
        {
            yield return new RenderedPayload("ephemeral", "fixed", text, null);
        }
    }

    /// <summary>
    /// Home tabs at their extremes: nothing at all (an approver, a requester), far more waiting than fit, far more of the
    /// user's own than fit, both at once, every state of the user's own requests (live access with Extend/Revoke), every
    /// duration setting.
    /// </summary>
    public static IEnumerable<RenderedPayload> HomeExtremes()
    {
        var kinds = new[] { ChangeKind.Add, ChangeKind.Remove, ChangeKind.Modify };
        var liveOrNot = new[] { RequestStatus.Pending, RequestStatus.Approved, RequestStatus.Applied, RequestStatus.ApplyFailed };
        foreach (var setting in DurationSettings)
        {
            var durations = ApprovalsOptions.ParseDurations(setting);
            foreach (var (waitingCount, mineCount) in new[] { (0, 0), (1, 0), (0, 1), (500, 0), (0, 500), (200, 200), (44, 30), (10, 100) })
            {
                foreach (var rules in new[] { 1, 400 })
                {
                    var waiting = Enumerable.Range(0, waitingCount).Select(i => Request(i, kinds[i % 3], rules, RequestStatus.Pending)).ToList();
                    var mine = Enumerable.Range(1000, mineCount).Select(i => i % 4 == 2 ? AppliedFor(i, ChangeKind.Add, rules, TimeSpan.FromHours(8))
                        : Request(i, kinds[i % 3], rules, liveOrNot[i % 4])).ToList();
                    foreach (var approver in new[] { true, false })
                    {
                        var view = ApprovalMessageBuilder.Home(new HomeContent("U0VIEWER", approver, approver ? waiting : [], mine, durations, new Dictionary<string, string>(), T));
                        yield return new RenderedPayload("Home tab", $"{(approver ? waitingCount : 0)} waiting, {mineCount} own, {rules} rules [{setting}]", "home", null, view);
                    }
                }
            }
        }
    }
}
