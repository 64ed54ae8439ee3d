using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;

namespace SgBridge.Shared.Storage;

/// <summary>Which requests to list. Empty parts match everything.</summary>
public sealed record RequestFilter
{
    /// <summary>Any of these statuses (none: every status). Filtered by the table service.</summary>
    public IReadOnlyCollection<RequestStatus> Statuses { get; init; } = [];

    /// <summary>One AWS account. Filtered by the table service.</summary>
    public string? AccountId { get; init; }

    /// <summary>Created at or after. Filtered by the table service.</summary>
    public DateTimeOffset? CreatedSince { get; init; }

    /// <summary>Text found (case-insensitive) in the requester's ARN, role ARN, user or session name. Filtered here:
    /// the requester is inside the stored JSON, not a column.</summary>
    public string? Requester { get; init; }
}

/// <summary>Read-only queries over the requests table for the operator CLI, filtered on the server; a missing table holds no
/// requests.</summary>
public sealed class RequestQuery(TableServiceClient service, IOptions<StorageOptions> options)
{
    private readonly EnsuredTable _table = new(service, options.Value.RequestsTable);

    /// <summary>Matching requests, newest first.</summary>
    public async Task<IReadOnlyList<ChangeRequest>> ListAsync(RequestFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var found = await _table.QueryAsync(ServerFilter(filter), cancellationToken: cancellationToken)
            .Select(entity => BridgeJson.Deserialize<ChangeRequest>(TableJson.Read(entity)))
            .Where(request => MatchesRequester(request, filter.Requester))
            .ToListAsync(cancellationToken).ConfigureAwait(false);
        return found.OrderByDescending(r => r.CreatedAt).ThenBy(r => r.Id, StringComparer.Ordinal).ToArray();
    }

    /// <summary>The OData filter the table service applies.</summary>
    public static string ServerFilter(RequestFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var parts = new List<string> { TableRequestStore.RequestRowsFilter };
        if (filter.Statuses.Count > 0)
        {
            var statuses = filter.Statuses.Distinct().Select(s => TableClient.CreateQueryFilter($"Status eq {s.ToString()}"));
            parts.Add("(" + string.Join(" or ", statuses) + ")");
        }
        if (!string.IsNullOrWhiteSpace(filter.AccountId))
        {
            parts.Add(TableClient.CreateQueryFilter($"AccountId eq {filter.AccountId}"));
        }
        if (filter.CreatedSince is { } since)
        {
            parts.Add(TableClient.CreateQueryFilter($"CreatedAt ge {since}"));
        }
        return string.Join(" and ", parts);
    }

    public static bool MatchesRequester(ChangeRequest request, string? text)
    {
        ArgumentNullException.ThrowIfNull(request);
        var q = request.Requester;
        return string.IsNullOrWhiteSpace(text) || new[] { q.Arn, q.IssuerArn, q.UserName, q.SessionName, q.PrincipalId, q.DisplayName }
            .Any(v => v?.Contains(text.Trim(), StringComparison.OrdinalIgnoreCase) == true);
    }
}
