using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Processing;

/// <summary>
/// Tells "Azure Storage could not be reached or did not answer" apart from every other failure, so that the worker can
/// take its storage-less fallback for exactly that case and nothing else. The storage adapter reports an outage as
/// <see cref="StorageUnavailableException"/>; an EC2 outage (the AWS SDK's transport exceptions) never is one.
/// </summary>
public static class StorageFailure
{
    public static bool IsUnavailable(Exception exception) => exception is StorageUnavailableException;
}
