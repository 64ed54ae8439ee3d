using System.Diagnostics.CodeAnalysis;
using SgBridge.Shared.Domain;

namespace SgBridge.Shared.Events;

/// <summary>Why an event was not turned into a <see cref="SecurityGroupChange"/>. Every rejection is permanent: the same input never parses.</summary>
public enum RejectionKind
{
    /// <summary>The body is not JSON (or not UTF-8).</summary>
    NotJson,

    NotAnObject,

    /// <summary>Envelope <c>source</c> is not <c>aws.ec2</c>, or record <c>eventSource</c> is not <c>ec2.amazonaws.com</c>.</summary>
    WrongSource,

    /// <summary>Envelope <c>detail-type</c> is not <c>AWS API Call via CloudTrail</c>.</summary>
    WrongDetailType,

    /// <summary>An EC2 call other than <see cref="HandledEvents.AllNames"/>.</summary>
    UnhandledEventName,

    /// <summary>The call failed (<c>errorCode</c>) or reported that it changed nothing.</summary>
    FailedCall,

    /// <summary>A field the change needs is absent or null.</summary>
    MissingField,

    /// <summary>A field has the wrong JSON type or an unusable value.</summary>
    InvalidField,

    /// <summary>Envelope <c>account</c> differs from <c>detail.recipientAccountId</c>.</summary>
    AccountMismatch,

    /// <summary>A rule whose direction (<c>isEgress</c>) contradicts the call's (an ingress call reporting an egress rule, or the reverse).</summary>
    Egress,
}

public abstract record ParseResult
{
    private ParseResult()
    {
    }

    public bool IsSuccess => this is Success;

    public bool TryGetChange([NotNullWhen(true)] out SecurityGroupChange? change) => (change = (this as Success)?.Change) is not null;

    public bool TryGetRejection([NotNullWhen(true)] out Rejection? rejection) => (rejection = this as Rejection) is not null;

    /// <summary>The record describes a change the bridge understands (ingress, or egress: see <see cref="SecurityGroupChange.Direction"/>).</summary>
    public sealed record Success(SecurityGroupChange Change) : ParseResult;

    /// <summary><see cref="Field"/>: the JSON path at fault; <see cref="EventId"/>/<see cref="EventName"/>: what was read before;
    /// <see cref="ErrorCode"/>/<see cref="ErrorMessage"/>: a failed call's error.</summary>
    public sealed record Rejection(RejectionKind Kind, string Message) : ParseResult
    {
        public string? Field { get; init; }
        public string? EventId { get; init; }
        public string? EventName { get; init; }
        public string? ErrorCode { get; init; }
        public string? ErrorMessage { get; init; }

        public override string ToString() => $"{Kind}: {Message}";
    }
}
