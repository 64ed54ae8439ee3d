using System.Diagnostics.CodeAnalysis;

namespace SgBridge.Shared.Slack;

public sealed class SlackInteractionParseResult
{
    private SlackInteractionParseResult(SlackInteraction? interaction, string? error)
    {
        Interaction = interaction;
        Error = error;
    }

    [MemberNotNullWhen(true, nameof(Interaction))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool Success => Interaction is not null;

    public SlackInteraction? Interaction { get; }

    /// <summary>Why the body was rejected; safe to log (it never quotes the payload).</summary>
    public string? Error { get; }

    public static SlackInteractionParseResult Ok(SlackInteraction interaction) => new(interaction, null);

    public static SlackInteractionParseResult Fail(string error) => new(null, error);
}
