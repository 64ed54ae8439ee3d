namespace SgBridge.Shared.Policy;

/// <summary>
/// Reads a policy kept in a blob (<c>Policy__RulesFile=https://…/&lt;container&gt;/policy.yaml</c>) with the bridge's
/// own storage credential: the storage adapter's <c>PolicyBlob</c>. Every failure is a <see cref="PolicyFileException"/>
/// that names the blob.
/// </summary>
public interface IPolicyBlobReader
{
    /// <summary>The blob's text and the name errors cite (<c>container/path/policy.yaml</c>).</summary>
    (string Text, string Source) Read(string url, CancellationToken cancellationToken);
}
