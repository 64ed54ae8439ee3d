namespace SgBridge.Shared.Domain;

/// <summary>Which rules of a security group a change touches: inbound (ingress) or outbound (egress).</summary>
public enum RuleDirection
{
    Ingress,
    Egress,
}
