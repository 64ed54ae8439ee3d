using System.Globalization;
using System.Text;
using SgBridge.Shared.Slack;

namespace SgBridge.Tests.Fakes;

/// <summary>The Slack inbound side of the same graph: the one endpoint both Slack triggers call, and signed requests to it.</summary>
public sealed partial class Bridge
{
    public SlackEndpoint SlackEndpoint() => Get<SlackEndpoint>();

    /// <summary>A click as Slack sends it (message, DM or Home tab), signed with the bridge's signing secret, through the endpoint.</summary>
    public Task<DecisionResult> ClickAsync(SlackInteraction click) => InteractionAsync(SlackSigning.Body(click));

    /// <summary>An interactions body (click, shortcut, submission), signed now with the bridge's signing secret.</summary>
    public Task<DecisionResult> InteractionAsync(string body, long? timestamp = null, string? secret = null)
    {
        var at = timestamp ?? Time.GetUtcNow().ToUnixTimeSeconds();
        return SlackEndpoint().HandleInteractionAsync(Encoding.UTF8.GetBytes(body), at.ToString(CultureInfo.InvariantCulture),
            SlackSigning.Sign(body, at, secret ?? SlackOptions.SigningSecret), default);
    }

    /// <summary>A slash command body, signed now with the bridge's signing secret.</summary>
    public Task<DecisionResult> CommandAsync(string body, long? timestamp = null, string? secret = null)
    {
        var at = timestamp ?? Time.GetUtcNow().ToUnixTimeSeconds();
        return SlackEndpoint().HandleCommandAsync(Encoding.UTF8.GetBytes(body), at.ToString(CultureInfo.InvariantCulture),
            SlackSigning.Sign(body, at, secret ?? SlackOptions.SigningSecret), default);
    }
}
