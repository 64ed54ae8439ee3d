using System.Text.Json;
using SgBridge.Shared.Domain;

namespace SgBridge.Cli.Commands;

/// <summary>
/// <c>plan --approved FILE</c>: a JSON array of rules (the shape <c>requests show --json</c> and the groups table use:
/// <c>{"protocol": "tcp", "fromPort": 22, "toPort": 22, "source": {"kind": "Ipv4Cidr", "value": "10.0.0.0/8"}}</c>).
/// Anything else is an input error naming the file, the item and the field; never an exception.
/// </summary>
internal static class ApprovedRulesFile
{
    private const string Fix = "give a JSON array of rules, e.g. [{\"protocol\":\"tcp\",\"fromPort\":22,\"toPort\":22,\"source\":{\"kind\":\"Ipv4Cidr\",\"value\":\"10.0.0.0/8\"}}] (docs/cli.md, plan).";

    public static IReadOnlyList<SecurityGroupRule> Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliUsageException($"--approved: no such file: {path}");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException ex)
        {
            throw CliFailureException.Input($"--approved: {path} is not JSON ({CliErrors.FirstLine(ex.Message)}).", Fix, ex);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw CliFailureException.Input($"--approved: {path} holds a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an array of rules.", Fix);
            }
            var rules = new List<SecurityGroupRule>();
            var n = 0;
            foreach (var item in document.RootElement.EnumerateArray())
            {
                n++;
                SecurityGroupRule? rule;
                try
                {
                    rule = item.ValueKind == JsonValueKind.Object ? item.Deserialize<SecurityGroupRule>(BridgeJson.Options) : null;
                }
                catch (JsonException ex)
                {
                    throw CliFailureException.Input($"--approved: {path} rule {n}: {CliErrors.FirstLine(ex.Message)}", Fix, ex);
                }
                var problem = rule is null ? "is not a rule object"
                    : string.IsNullOrWhiteSpace(rule.Protocol) ? "has no \"protocol\""
                    : rule.Source is null ? "has no \"source\""
                    : string.IsNullOrWhiteSpace(rule.Source.Value) ? "has a \"source\" without a \"value\""
                    : !Enum.IsDefined(rule.Source.Kind) ? "has a \"source\" of an unknown \"kind\""
                    : null;
                if (problem is not null)
                {
                    throw CliFailureException.Input($"--approved: {path} rule {n} {problem}.", Fix);
                }
                rules.Add(rule!);
            }
            return rules;
        }
    }
}
