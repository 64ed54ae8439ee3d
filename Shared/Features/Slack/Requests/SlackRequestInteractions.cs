using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace SgBridge.Shared.Slack.Requests;

/// <summary>
/// The interactions URL's share of requests from Slack: <c>shortcut</c> (open the modal) and <c>view_submission</c>
/// (the modal submitted). The interactions endpoint verifies the signature and hands the body here first; null means
/// the payload is none of these (a button click, routed as before).
/// </summary>
public sealed partial class SlackRequestInteractions(SlackRequestService requests, ILogger<SlackRequestInteractions> logger, Approvals.RevertReasonService? reasons = null)
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
                    if (reasons is not null && v.CallbackId == Approvals.RevertReasonService.Callback)
                    {
                        return await reasons.SubmitAsync(v, cancellationToken);
                    }
                    return v.CallbackId == RequestBlocks.RequestCallback
                        ? await requests.SubmitAsync(v, cancellationToken)
                        : SlackAnswer.Empty("not SgBridge's modal");
                default:
                    return null;
            }
        }
    }

    private SlackAnswer Bad(string error)
    {
        LogBadPayload(logger, error);
        return new SlackAnswer(400, null, error);
    }

    [LoggerMessage(5512, LogLevel.Warning, "Slack interaction rejected: {Error}")]
    private static partial void LogBadPayload(ILogger logger, string error);
}
