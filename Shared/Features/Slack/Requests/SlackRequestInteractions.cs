using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace SgBridge.Shared.Slack.Requests;

/// <summary>
/// The interactions URL's share of requests from Slack: <c>shortcut</c> (open the modal) and <c>view_submission</c>
/// (the modal submitted). The interactions endpoint verifies the signature and hands the body here first; null means
/// the payload is none of these (a button click, routed as before). A submission of one of SgBridge's modals is taken
/// only when its private_metadata carries the bridge's seal for that user and that modal, unexpired (<see cref="ModalSeal"/>):
/// anything else is refused with Slack's error response before a handler sees it, so nothing is opened or recorded.
/// </summary>
public sealed partial class SlackRequestInteractions(SlackRequestService requests, ModalSeal seal, ILogger<SlackRequestInteractions> logger,
    Approvals.RevertReasonService? reasons = null)
{
    public async Task<SlackAnswer?> TryHandleAsync(ReadOnlyMemory<byte> verifiedBody, CancellationToken cancellationToken)
    {
        var type = SlackRequestPayloadParser.PayloadType(verifiedBody.Span, out var document);
        using (document)
        {
            switch (type)
            {
                case SlackRequestPayloadParser.ShortcutType:
                    var shortcut = SlackRequestPayloadParser.ParseShortcut(document!.RootElement);
                    if (shortcut.Value is not { } s)
                    {
                        return Bad(shortcut.Error!);
                    }
                    if (s.CallbackId != RequestBlocks.RequestCallback)
                    {
                        return SlackAnswer.Empty("not SgBridge's shortcut");
                    }
                    // A global shortcut has no channel and no response_url: a failure to open the modal can only be logged.
                    var failure = await requests.OpenModalAsync(s.TriggerId, s.UserId, cancellationToken);
                    return SlackAnswer.Empty(failure ?? "modal opened");
                case SlackRequestPayloadParser.ViewSubmissionType:
                    var submission = SlackRequestPayloadParser.ParseViewSubmission(document!.RootElement);
                    if (submission.Value is not { } v)
                    {
                        return Bad(submission.Error!);
                    }
                    var isReason = reasons is not null && v.CallbackId == Approvals.RevertReasonService.Callback;
                    if (!isReason && v.CallbackId != RequestBlocks.RequestCallback)
                    {
                        return SlackAnswer.Empty("not SgBridge's modal");
                    }
                    var check = seal.Open(v.PrivateMetadata, v.CallbackId, v.UserId);
                    if (!check.IsValid)
                    {
                        return Unbound(v, check.Refusal!);
                    }
                    var bound = v with { PrivateMetadata = check.Data };
                    return isReason ? await reasons!.SubmitAsync(bound, cancellationToken) : await requests.SubmitAsync(bound, cancellationToken);
                default:
                    return null;
            }
        }
    }

    /// <summary>
    /// Slack's error response for a view submission (<c>response_action: errors</c>, keyed by a block both modals have):
    /// the person sees why in the modal; nothing is opened or stored.
    /// </summary>
    private SlackAnswer Unbound(SlackViewSubmission v, string why)
    {
        LogUnbound(logger, v.UserId, v.CallbackId, why);
        return new SlackAnswer(200, new System.Text.Json.Nodes.JsonObject
        {
            ["response_action"] = "errors",
            ["errors"] = new System.Text.Json.Nodes.JsonObject
            {
                [RequestBlocks.Reason] = "SgBridge did not open this form for you, or it has expired. Close it and open a new one.",
            },
        }, "refused: " + why);
    }

    private SlackAnswer Bad(string error)
    {
        LogBadPayload(logger, error);
        return new SlackAnswer(400, null, error);
    }

    [LoggerMessage(5513, LogLevel.Warning, "Modal submission of Slack user {SlackUserId} ({CallbackId}) refused: {Why}")]
    private static partial void LogUnbound(ILogger logger, string slackUserId, string callbackId, string why);

    [LoggerMessage(5512, LogLevel.Warning, "Slack interaction rejected: {Error}")]
    private static partial void LogBadPayload(ILogger logger, string error);
}
