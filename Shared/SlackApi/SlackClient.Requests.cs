using System.Text.Json;
using System.Text.Json.Nodes;
using SgBridge.Shared.Slack.Requests;

namespace SgBridge.Shared.Slack;

public sealed partial class SlackClient : ISlackRequestsClient
{
    public async Task<string> OpenViewAsync(string triggerId, JsonObject view, CancellationToken cancellationToken)
    {
        const string method = "views.open";
        var body = new JsonObject { ["trigger_id"] = triggerId, ["view"] = view.DeepClone() };
        using var response = await SendJsonAsync(method, body, cancellationToken);
        if (response.RootElement.TryGetProperty("view", out var opened) && opened.ValueKind == JsonValueKind.Object
            && opened.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
        {
            return id.GetString()!;
        }
        throw new InvalidOperationException($"Slack {method} answered ok without view.id.");
    }
}
