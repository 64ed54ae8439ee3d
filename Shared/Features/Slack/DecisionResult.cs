using System.Text.Json.Nodes;

namespace SgBridge.Shared.Slack;

public enum DecisionOutcome
{
    Unauthenticated,
    BadRequest,
    Ignored,
    UnknownRequest,
    /// <summary>The click came from a message that does not show that request (a forged or stale button): nothing changed.</summary>
    NotOnThisMessage,
    NotAnApprover,
    /// <summary>Slack could not be asked in time who the clicker is (user group, requester e-mail): nothing changed.</summary>
    Unverified,
    SelfApproval,
    /// <summary>The requester could not be matched to a Slack user and Slack:UnresolvedRequester=Block: approving in Slack is refused.</summary>
    RequesterUnresolved,
    /// <summary>The requester could not be matched to a Slack user: this approval is recorded, a second approver is needed.</summary>
    AwaitingSecondApprover,
    AlreadyDecided,
    /// <summary>The click carries a duration Approvals:Durations does not offer (a forged or outdated button): nothing changed.</summary>
    DurationNotOffered,
    /// <summary>Only the requester may ask to extend their access: nothing changed.</summary>
    NotTheRequester,
    Approved,
    Denied,
    /// <summary>A dependency (the queue) failed: 503, so Slack retries the event.</summary>
    Unavailable,
}

/// <summary>
/// What any request from Slack led to; both triggers map it the same way: 401 bad signature, 400 bad payload, 503 unavailable, else 200
/// with <see cref="Body"/> (or empty). A click's <see cref="Reply"/> goes privately to the clicker.
/// </summary>
public sealed record DecisionResult(DecisionOutcome Outcome, string Detail, int Decided = 0, string? Reply = null)
{
    public int StatusCode => Outcome switch
    {
        DecisionOutcome.Unauthenticated => 401,
        DecisionOutcome.BadRequest => 400,
        DecisionOutcome.Unavailable => 503,
        _ => 200,
    };

    public JsonObject? Body { get; init; }

    public static DecisionResult Answer(string detail, JsonObject? body = null) => new(DecisionOutcome.Ignored, detail) { Body = body };

    public static DecisionResult Bad(string error) => new(DecisionOutcome.BadRequest, error);

    /// <summary>A modal submission refused: Slack shows each message under its input block (<c>response_action: errors</c>).</summary>
    public static DecisionResult ModalErrors(string detail, IEnumerable<KeyValuePair<string, string>> errors)
    {
        var byBlock = new JsonObject(errors.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)SlackText.Plain(e.Value, 300))));
        return Answer(detail, new JsonObject { ["response_action"] = "errors", ["errors"] = byBlock });
    }

    /// <summary>A modal submission accepted: the modal shows <paramref name="view"/> instead (<c>response_action: update</c>).</summary>
    public static DecisionResult ModalUpdate(string detail, JsonObject view) =>
        Answer(detail, new JsonObject { ["response_action"] = "update", ["view"] = view });
}
