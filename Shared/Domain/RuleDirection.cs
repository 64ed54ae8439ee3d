namespace SgBridge.Shared.Domain;

/// <summary>Which rules of a security group a change concerns.</summary>
public enum RuleDirection
{
    Ingress,
    Egress,
}
