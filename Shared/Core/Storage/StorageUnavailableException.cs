namespace SgBridge.Shared.Storage;

/// <summary>
/// Azure Storage could not be reached or did not answer (connection refused or reset, timeout, 408, 429, 5xx after
/// retries): thrown by the storage adapter in place of the SDK's exception. A 404, 409 or 412 is an answer, not this.
/// </summary>
public sealed class StorageUnavailableException(string message, Exception? inner) : Exception(message, inner);
