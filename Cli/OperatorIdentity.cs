using System.Text;
using System.Text.Json;
using Azure.Core;
using SgBridge.Shared.Domain;

namespace SgBridge.Cli;

/// <summary>
/// Who decides from the CLI (<c>sgbridge requests approve|deny</c>): <see cref="Name"/> is recorded as the decider
/// (<see cref="DecidedBy"/> = <c>cli:NAME</c>), and <see cref="DecidedByName"/> says where the name came from and who
/// ran the command. The name is <c>--as NAME</c> when given, else the operator's Entra ID user (when the CLI reaches
/// storage with an Entra identity: <c>Storage__AccountName</c>), else the OS user (<c>user@host</c>). <see cref="Facets"/>
/// are every name the operator goes by here, compared with the requester's (self-approval is refused).
/// </summary>
public sealed record OperatorIdentity(string Name, string Source, string? Entra, string OsUser)
{
    /// <summary>What <see cref="ChangeRequest.DecidedBy"/> starts with when a person decided from the CLI.</summary>
    public const string DeciderPrefix = "cli:";

    public const string FromAs = "--as";
    public const string FromEntra = "Entra ID";
    public const string FromOs = "OS user";

    public string DecidedBy => DeciderPrefix + Name;

    /// <summary>"alice@example.com (Entra ID, sgbridge CLI)", "oncall-bob (--as; run by Entra ID bob@example.com, OS user bob@host1, sgbridge CLI)".</summary>
    public string DecidedByName => Source switch
    {
        FromAs => $"{Name} (--as; run by {(Entra is null ? "" : $"Entra ID {Entra}, ")}OS user {OsUser}, sgbridge CLI)",
        FromEntra => $"{Name} (Entra ID; OS user {OsUser}, sgbridge CLI)",
        _ => $"{Name} (OS user, sgbridge CLI)",
    };

    /// <summary>Every name the operator goes by here (and, for an e-mail, its local part), lower case.</summary>
    public IReadOnlySet<string> Facets => Names([Source == FromAs ? Name : null, Entra, OsUser]);

    /// <summary>True when a name of the operator is a name of the requester: their e-mail (or its local part), IAM user, session, Slack user or the ARN's last part.</summary>
    public bool IsRequesterOf(ChangeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var r = request.Requester;
        var theirs = Names([r.Email, r.UserName, r.SessionName, r.SlackUserId, LastPart(r.Arn), request.Slack?.UserId, request.Slack?.Email]);
        return Facets.Overlaps(theirs);
    }

    /// <summary>True when one of the operator's names is listed in <paramref name="operators"/> (Cli__BreakGlassOperators).</summary>
    public bool IsListedIn(IEnumerable<string> operators) => Names(operators).Overlaps(Facets);

    private static HashSet<string> Names(IEnumerable<string?> values)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var value in values)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                continue;
            }
            var v = value.Trim();
            names.Add(v);
            var at = v.IndexOf('@', StringComparison.Ordinal);
            if (at > 0)
            {
                names.Add(v[..at]);
            }
        }
        return names;
    }

    private static string? LastPart(string? arn) => arn is null ? null : arn[(arn.LastIndexOf('/') + 1)..];
}

/// <summary>
/// Reads the operator's Entra ID user from the token the CLI's Azure credential gets for storage (its <c>upn</c>,
/// <c>preferred_username</c>, <c>unique_name</c> or <c>email</c> claim; else <c>oid</c>). No credential (storage by
/// connection string): null, and the OS user stands. Bounded by <see cref="Timeout"/>.
/// </summary>
public sealed class EntraOperator(TokenCredential? credential)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static readonly string[] NameClaims = ["upn", "preferred_username", "unique_name", "email", "oid"];

    public async Task<string?> NameAsync(CancellationToken cancellationToken)
    {
        if (credential is null)
        {
            return null;
        }
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(Timeout);
        AccessToken token;
        try
        {
            token = await credential.GetTokenAsync(new TokenRequestContext(["https://storage.azure.com/.default"]), limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Entra ID did not give a token within {Timeout.TotalSeconds:0} s (needed to record who decides).");
        }
        return NameOf(token.Token);
    }

    /// <summary>The user named by a JWT's payload (not validated: it is the CLI's own token, read only for the name).</summary>
    internal static string? NameOf(string jwt)
    {
        var parts = jwt.Split('.');
        if (parts.Length < 2)
        {
            return null;
        }
        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
            using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(payload)));
            foreach (var claim in NameClaims)
            {
                if (doc.RootElement.TryGetProperty(claim, out var value) && value.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(value.GetString()))
                {
                    return value.GetString();
                }
            }
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
        return null;
    }
}
