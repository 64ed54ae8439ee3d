namespace SgBridge.Shared.Storage;

/// <summary>
/// Azure Storage could not be reached or did not answer (refused or reset connection, network timeout, 408, 429, 5xx
/// after the client's retries). The storage adapter throws this at its boundary in place of the SDK's exception (the
/// inner one), so features tell an outage apart without naming the SDK. A 404, 409 or 412 is an answer, not this.
/// </summary>
public sealed class StorageUnavailableException(string message, Exception? inner) : Exception(message, inner);
