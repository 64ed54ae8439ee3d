namespace SgBridge.Shared.Aws;

/// <summary>The EC2 API actions the bridge calls. The member role's IAM policy must allow exactly these.</summary>
public static class Ec2Actions
{
    /// <summary>DescribeNetworkInterfaces reads a group's blast radius for approver messages (without it: "blast radius unavailable").</summary>
    public static IReadOnlyList<string> Reads { get; } = ["ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules", "ec2:DescribeNetworkInterfaces"];

    public static IReadOnlyList<string> Writes { get; } =
        ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:ModifySecurityGroupRules"];
}
