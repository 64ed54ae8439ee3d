namespace SgBridge.Shared.Aws;

/// <summary>
/// AWS answered a call with an error (EC2 or STS): the code and HTTP status it answered with. The AWS adapter turns the
/// SDK's service exceptions into this at its boundary (the SDK's exception is the inner one), so nothing outside the
/// adapter names the SDK's types. A failure without an answer (no connection, no credentials) is not this.
/// </summary>
public sealed class AwsServiceException(string service, string errorCode, int statusCode, string message, Exception? inner)
    : Exception(message, inner)
{
    /// <summary>The service that answered: <c>EC2</c> or <c>STS</c>.</summary>
    public string Service { get; } = service;

    /// <summary>The AWS error code as AWS sent it; empty when it named none.</summary>
    public string ErrorCode { get; } = errorCode;

    /// <summary>The HTTP status of the answer (0 when unknown).</summary>
    public int StatusCode { get; } = statusCode;
}
