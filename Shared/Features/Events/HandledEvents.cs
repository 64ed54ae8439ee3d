namespace SgBridge.Shared.Events;

public static class HandledEvents
{
    public const string EventBridgeSource = "aws.ec2";
    public const string EventBridgeDetailType = "AWS API Call via CloudTrail";
    public const string CloudTrailEventSource = "ec2.amazonaws.com";

    public const string AuthorizeIngress = "AuthorizeSecurityGroupIngress";
    public const string RevokeIngress = "RevokeSecurityGroupIngress";
    public const string ModifyRules = "ModifySecurityGroupRules";

    public const string AuthorizeEgress = "AuthorizeSecurityGroupEgress";
    public const string RevokeEgress = "RevokeSecurityGroupEgress";

    /// <summary>Always policed (the EventBridge rule lists exactly these).</summary>
    public static IReadOnlyList<string> Names { get; } = [AuthorizeIngress, RevokeIngress, ModifyRules];

    /// <summary>Outbound rule calls: parsed always, policed (queued) only with <c>Policy:PoliceEgress</c>.</summary>
    public static IReadOnlyList<string> EgressNames { get; } = [AuthorizeEgress, RevokeEgress];

    /// <summary>Every event name the parser turns into a change.</summary>
    public static IReadOnlyList<string> AllNames { get; } = [.. Names, .. EgressNames];
}
