using System.Globalization;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;

namespace SgBridge.Cli.Commands;

/// <summary>Where a request is shown in Slack: the approvers' and the monitoring message (channel and ts), with permalinks.</summary>
internal sealed record SlackLinks(SlackMessageRef? Approvers, SlackMessageRef? Monitoring, string? ApproversPermalink, string? MonitoringPermalink)
{
    public static SlackLinks None { get; } = new(null, null, null, null);

    /// <summary>"C0APPROVERS/1001.000100" (what the row stores), for the audit when no workspace URL is set.</summary>
    public static string? Text(SlackMessageRef? m) => m is null ? null : $"{m.Channel}/{m.Ts}";

    /// <summary>
    /// Slack's own permalink shape, built from the stored channel and ts without asking Slack (chat.getPermalink returns
    /// the same): <c>{workspace}/archives/{channel}/p{ts without the dot}</c>. Null without a workspace URL.
    /// </summary>
    public static string? Permalink(string? workspaceUrl, SlackMessageRef? m) =>
        m is null || string.IsNullOrWhiteSpace(workspaceUrl) ? null
        : $"{workspaceUrl.TrimEnd('/')}/archives/{Uri.EscapeDataString(m.Channel)}/p{m.Ts.Replace(".", "", StringComparison.Ordinal)}";
}

/// <summary>
/// Reads where each request is shown in Slack from the Slack state table (the batch's thread row: two point reads per
/// request, the batch read once), and builds the permalinks with <c>Cli__SlackWorkspaceUrl</c>. No Slack call: the
/// links come from storage alone, so they work while Slack is down and need no token. A Slack table that does not exist
/// (nothing was ever posted) gives no links and creates nothing.
/// </summary>
internal sealed class SlackLinkReader(ISlackThreadStore threads, TableServiceClient tables, IOptions<StorageOptions> storage, IOptions<CliOptions> cli)
{
    private readonly Dictionary<string, SlackThread?> _threads = new(StringComparer.Ordinal);
    private bool? _tableExists;

    public string? WorkspaceUrl => cli.Value.SlackWorkspaceUrl;

    public async Task<SlackLinks> ReadAsync(ChangeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        _tableExists ??= await CliStorage.TableExistsAsync(tables, storage.Value.SlackTable, cancellationToken).ConfigureAwait(false);
        if (_tableExists != true)
        {
            return SlackLinks.None;
        }
        var found = await threads.FindMembershipAsync(request, cancellationToken).ConfigureAwait(false);
        if (found is null)
        {
            return SlackLinks.None;
        }
        var lead = found.Value.Membership.Value.LeadId;
        if (!_threads.TryGetValue(lead, out var thread))
        {
            thread = (await threads.GetAsync(found.Value.ThreadRow, cancellationToken).ConfigureAwait(false))?.Value;
            _threads[lead] = thread;
        }
        return thread is null
            ? SlackLinks.None
            : new SlackLinks(thread.ApproverMessage, thread.MonitoringMessage,
                SlackLinks.Permalink(WorkspaceUrl, thread.ApproverMessage), SlackLinks.Permalink(WorkspaceUrl, thread.MonitoringMessage));
    }
}
