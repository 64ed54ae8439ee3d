using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Reconcile;

/// <summary>Why the sweep could not work in an account (its role cannot be assumed); <paramref name="WarnedOn"/>: the UTC day of the last
/// warning.</summary>
public sealed record AccountSkip(string Reason, DateTimeOffset Since, DateTimeOffset LastSeen, IReadOnlyList<string> Regions, DateOnly WarnedOn);

/// <summary>An account the bridge knows (an approved state there, or an operator named it); <paramref name="Skip"/> while its role cannot
/// be assumed.</summary>
public sealed record KnownAccount(string AccountId, DateTimeOffset FirstSeen, string Source, AccountSkip? Skip);

/// <summary>The accounts the sweep covers when Policy:AllowedAccounts is <c>*</c>, with their skip state; one small partition.</summary>
public interface IKnownAccountStore
{
    /// <summary>Records the account as known (idempotent; cheap when it is known already).</summary>
    Task NoteAsync(string accountId, string source, DateTimeOffset now, CancellationToken cancellationToken);

    Task<IReadOnlyList<KnownAccount>> ListAsync(CancellationToken cancellationToken);

    Task<KnownAccount?> GetAsync(string accountId, CancellationToken cancellationToken);

    /// <summary>Records a skipped region; true on the account's first skip of the UTC day (the caller warns once a day).</summary>
    Task<bool> RecordSkipAsync(string accountId, string region, string reason, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The role worked again: the skip state goes (no write when there is none).</summary>
    Task ClearSkipAsync(string accountId, CancellationToken cancellationToken);

    /// <summary>Offboarding: the account is no longer known. False when it was not.</summary>
    Task<bool> ForgetAsync(string accountId, CancellationToken cancellationToken);
}
