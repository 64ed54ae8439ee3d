using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Reconcile;

/// <summary>
/// Why the sweep could not work in an account: the member role is missing there (RoleNotAssumable / AccessDenied on
/// AssumeRole). <paramref name="WarnedOn"/>: the UTC day the last warning went out (one a day per account).
/// </summary>
public sealed record AccountSkip(string Reason, DateTimeOffset Since, DateTimeOffset LastSeen, IReadOnlyList<string> Regions, DateOnly WarnedOn);

/// <summary>
/// An account the bridge knows: it has an approved state there (onboarding, first sight, an approval), or an operator
/// named it. <paramref name="Source"/>: what first made it known. <paramref name="Skip"/>: set while its role cannot be assumed.
/// </summary>
public sealed record KnownAccount(string AccountId, DateTimeOffset FirstSeen, string Source, AccountSkip? Skip);

/// <summary>
/// The accounts the sweep covers when Policy:AllowedAccounts is <c>*</c>, and the per-account skip state
/// (<c>sgbridge accounts</c>, <c>doctor</c>). One small partition: listing it is one single-partition query.
/// </summary>
public interface IKnownAccountStore
{
    /// <summary>Records the account as known (idempotent; cheap when it is known already).</summary>
    Task NoteAsync(string accountId, string source, DateTimeOffset now, CancellationToken cancellationToken);

    Task<IReadOnlyList<KnownAccount>> ListAsync(CancellationToken cancellationToken);

    Task<KnownAccount?> GetAsync(string accountId, CancellationToken cancellationToken);

    /// <summary>
    /// Records that <paramref name="region"/> of the account was skipped. True when this is the account's first skip
    /// of the UTC day (the caller warns once a day); false when today's warning went out already.
    /// </summary>
    Task<bool> RecordSkipAsync(string accountId, string region, string reason, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The role worked again: the skip state goes (no write when there is none).</summary>
    Task ClearSkipAsync(string accountId, CancellationToken cancellationToken);

    /// <summary>Offboarding: the account is no longer known. False when it was not.</summary>
    Task<bool> ForgetAsync(string accountId, CancellationToken cancellationToken);
}
