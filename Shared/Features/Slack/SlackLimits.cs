namespace SgBridge.Shared.Slack;

/// <summary>
/// Slack's payload limits (Block Kit reference and chat.postMessage). Lengths are counted in UTF-16 code units, never
/// fewer than Slack's characters, so staying under them here stays under them in Slack.
/// </summary>
public static class SlackLimits
{
    /// <summary>Blocks in one message (Block Kit: "up to 50 blocks in each message").</summary>
    public const int BlocksPerMessage = 50;

    /// <summary>A section block's <c>text</c> (Block Kit, section: max 3000 characters).</summary>
    public const int SectionText = 3000;

    /// <summary>A section block's <c>fields</c>: at most 10, each at most 2000 characters (Block Kit, section).</summary>
    public const int Fields = 10;

    public const int FieldText = 2000;

    /// <summary>A header block's plain text (Block Kit, header: max 150 characters).</summary>
    public const int HeaderText = 150;

    /// <summary>Elements in a context block (Block Kit, context: max 10).</summary>
    public const int ContextElements = 10;

    /// <summary>A button's text (max 75) and value (max 2000) (Block Kit, button element).</summary>
    public const int ButtonText = 75;

    public const int ButtonValue = 2000;

    /// <summary>action_id and block_id: max 255 characters, unique within the message (Block Kit).</summary>
    public const int ActionId = 255;

    public const int BlockId = 255;

    /// <summary>Confirmation dialog: title 100, text 300, confirm/deny button text 30 (Block Kit, confirmation dialog object).</summary>
    public const int ConfirmTitle = 100;

    public const int ConfirmText = 300;

    public const int ConfirmButton = 30;

    /// <summary>Top-level <c>text</c> (chat.postMessage: 4,000 documented; longer is truncated, past 40,000 refused).</summary>
    public const int TopLevelText = 4000;

    /// <summary>
    /// All text in one message's blocks. Undocumented: Slack refuses messages near 12,000 characters (msg_too_long,
    /// invalid_blocks) as integrations report; 10,000 keeps a margin and still fits a full batch of 20 changes.
    /// </summary>
    public const int TotalBlockText = 10_000;

    /// <summary>Blocks in a modal or Home tab view (Block Kit, views: "up to 100 blocks").</summary>
    public const int BlocksPerView = 100;

    /// <summary>Elements in an actions block (Block Kit, actions: max 25).</summary>
    public const int ActionsElements = 25;

    /// <summary>A static_select: at most 100 options; an overflow: 2 to 5 (Block Kit, select menus and overflow menu).</summary>
    public const int SelectOptions = 100;

    public const int OverflowOptionsMin = 2;

    public const int OverflowOptionsMax = 5;

    /// <summary>An option object: text max 75 characters, value max 150 (Block Kit, option object).</summary>
    public const int OptionText = 75;

    public const int OptionValue = 150;

    /// <summary>A select's placeholder (plain_text, max 150).</summary>
    public const int Placeholder = 150;

    /// <summary>A modal's title, submit and close texts (max 24 each) (Block Kit, view object).</summary>
    public const int ViewTitle = 24;

    /// <summary>A view's private_metadata (max 3000) and callback_id (max 255) (Block Kit, view object).</summary>
    public const int PrivateMetadata = 3000;

    public const int CallbackId = 255;

    /// <summary>An input block's label (plain_text, max 2000) and hint (max 2000) (Block Kit, input block).</summary>
    public const int InputLabel = 2000;
}
