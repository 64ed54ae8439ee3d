using System.Text.Json.Nodes;

namespace SgBridge.Shared.Slack;

public sealed partial class SlackClient : ISlackHomeClient
{
    public async Task PublishHomeAsync(string userId, JsonObject view, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        ArgumentNullException.ThrowIfNull(view);
        var body = new JsonObject { ["user_id"] = userId, ["view"] = view.DeepClone() };
        using var response = await SendJsonAsync("views.publish", body, cancellationToken);
    }
}
