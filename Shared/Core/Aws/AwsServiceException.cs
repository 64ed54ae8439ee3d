namespace SgBridge.Shared.Aws;

/// <summary>
/// AWS (EC2 or STS) answered with an error code and HTTP status: thrown by the AWS adapter in place of the SDK's
/// exception. A failure without an answer (no connection, no credentials) is not this.
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
