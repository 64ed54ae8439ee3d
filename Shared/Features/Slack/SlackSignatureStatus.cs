namespace SgBridge.Shared.Slack;

public enum SlackSignatureStatus
{
    Valid,
    MissingSignature,
    MissingTimestamp,
    MalformedTimestamp,
    StaleTimestamp,
    MalformedSignature,
    SignatureMismatch,
}

public readonly record struct SlackSignatureResult(SlackSignatureStatus Status)
{
    public bool IsValid => Status == SlackSignatureStatus.Valid;
}
