using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Processing;

/// <summary>Tells people about a request (Slack). Called after each state change has been stored.</summary>
public interface IRequestNotifier
{
    Task RequestChangedAsync(ChangeRequest request, CancellationToken cancellationToken);
}
