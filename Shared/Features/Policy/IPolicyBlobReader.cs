namespace SgBridge.Shared.Policy;

/// <summary>Reads a policy kept in a blob with the bridge's own storage credential; every failure is a <see cref="PolicyFileException"/>
/// naming the blob.</summary>
public interface IPolicyBlobReader
{
    /// <summary>The blob's text and the name errors cite (<c>container/path/policy.yaml</c>).</summary>
    (string Text, string Source) Read(string url, CancellationToken cancellationToken);
}
