using Microsoft.Extensions.Logging;

namespace SgBridge.Local;

internal static partial class LocalLog
{
    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "Receive from {Queue} failed: {Reason}")]
    public static partial void ReceiveFailed(ILogger logger, string queue, string reason);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Warning, Message = "Function {Function} failed on message {MessageId} (try {DequeueCount})")]
    public static partial void FunctionFailed(ILogger logger, Exception exception, string function, string messageId, long dequeueCount);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Warning, Message = "Could not release a message of {Queue}: {Reason}")]
    public static partial void ReleaseFailed(ILogger logger, string queue, string reason);

    [LoggerMessage(EventId = 9004, Level = LogLevel.Error, Message = "Message {MessageId} of {Queue} moved to the poison queue")]
    public static partial void Poisoned(ILogger logger, string queue, string messageId);

    [LoggerMessage(EventId = 9005, Level = LogLevel.Warning, Message = "Timer function {Function} failed")]
    public static partial void TimerFailed(ILogger logger, Exception exception, string function);

    [LoggerMessage(EventId = 9006, Level = LogLevel.Error, Message = "HTTP function {Function} failed")]
    public static partial void HttpFailed(ILogger logger, Exception exception, string function);

    [LoggerMessage(EventId = 9007, Level = LogLevel.Information, Message = "Slack {Method} to {Channel} refused: {Error}")]
    public static partial void SlackRefused(ILogger logger, string method, string channel, string error);
}
