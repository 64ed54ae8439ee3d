using Microsoft.Extensions.Logging;

namespace SgBridge.Shared.Aws;

internal static partial class AwsLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Obtaining AWS credentials for account {AccountId} ({AuthMode}, role {RoleArn})")]
    public static partial void AssumingRole(ILogger logger, string accountId, string authMode, string roleArn);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "AWS credentials for account {AccountId} valid until {Expiration}")]
    public static partial void AssumedRole(ILogger logger, string accountId, DateTimeOffset expiration);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Obtaining AWS credentials for account {AccountId} failed")]
    public static partial void AssumeRoleFailed(ILogger logger, string accountId, Exception exception);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Debug, Message = "EC2 {Action} on {GroupId} succeeded")]
    public static partial void WriteSucceeded(ILogger logger, string action, string groupId);

    [LoggerMessage(EventId = 3011, Level = LogLevel.Warning, Message = "EC2 {Action} on {GroupId} failed with {ErrorCode}")]
    public static partial void WriteFailed(ILogger logger, string action, string groupId, string errorCode);

    [LoggerMessage(EventId = 3012, Level = LogLevel.Warning, Message = "EC2 {Action} on {GroupId} failed transiently with {ErrorCode} (HTTP {StatusCode}); rethrowing for a retry")]
    public static partial void WriteTransient(ILogger logger, string action, string groupId, string errorCode, int statusCode);
}
