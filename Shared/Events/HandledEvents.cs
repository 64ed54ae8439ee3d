namespace SgBridge.Shared.Events;

/// <summary>The CloudTrail events the bridge polices. The EventBridge rule's pattern must list exactly these.</summary>
public static class HandledEvents
{
    public const string EventBridgeSource = "aws.ec2";
    public const string EventBridgeDetailType = "AWS API Call via CloudTrail";
    public const string CloudTrailEventSource = "ec2.amazonaws.com";

    public const string AuthorizeIngress = "AuthorizeSecurityGroupIngress";
    public const string RevokeIngress = "RevokeSecurityGroupIngress";
    public const string ModifyRules = "ModifySecurityGroupRules";

    public static IReadOnlyList<string> Names { get; } = [AuthorizeIngress, RevokeIngress, ModifyRules];
}
