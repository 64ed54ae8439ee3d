using System.Text.Json;
using System.Text.RegularExpressions;
using SgBridge.FunctionApp;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Events;

namespace SgBridge.Tests.Infrastructure;

/// <summary>aws-bootstrap/ follows the SRA conventions and agrees with the code: events, EC2 actions, header, routes.</summary>
public sealed partial class CloudFormationTemplateTests
{
    private const string MemberRole = "aws-bootstrap/sgbridge-member-role.yaml";
    private const string MemberEvents = "aws-bootstrap/sgbridge-member-events.yaml";
    private const string Main = "aws-bootstrap/sgbridge-main.yaml";

    /// <summary>Resource types CloudFormation cannot tag (Events::Rule Tags only reach ECS targets).</summary>
    private static readonly HashSet<string> Untaggable = new(StringComparer.Ordinal)
    {
        "AWS::Events::Rule", "AWS::Events::Connection", "AWS::Events::ApiDestination", "AWS::SQS::QueuePolicy",
    };

    public static TheoryData<string> Templates() => new(MemberRole, MemberEvents, Main);

    [Fact]
    public void EventRule_PatternEventNames_EqualHandledEventsExactly()
    {
        var pattern = EventPattern();
        var names = pattern.Map("detail").Get("eventName").Strings();

        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(HandledEvents.Names.Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void EventRule_PatternSourceAndDetailType_MatchHandledEvents()
    {
        var pattern = EventPattern();

        Assert.Equal([HandledEvents.EventBridgeSource], pattern.Get("source").Strings());
        Assert.Equal([HandledEvents.EventBridgeDetailType], pattern.Get("detail-type").Strings());
        Assert.Equal([HandledEvents.CloudTrailEventSource], pattern.Map("detail").Get("eventSource").Strings());
        Assert.Equal(["eventName", "eventSource"], pattern.Map("detail").Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void EventRule_Target_RetriesForADayThenDeadLetters()
    {
        var template = CloudFormationTemplate.Load(MemberEvents);
        var target = Assert.Single(template.SingleResource("AWS::Events::Rule").Resource.Map("Properties").Get("Targets").AsList());
        var retry = target.Map("RetryPolicy");

        Assert.Equal(new CfnFunction("Fn::GetAtt", "rIntakeApiDestination.Arn"), target.Get("Arn"));
        Assert.Equal("86400", template.Parameters.Map(RefName(retry.Get("MaximumEventAgeInSeconds"))).Get("Default"));
        Assert.Equal("185", template.Parameters.Map(RefName(retry.Get("MaximumRetryAttempts"))).Get("Default"));
        Assert.Equal(new CfnFunction("Fn::GetAtt", "rDeadLetterQueue.Arn"), target.Map("DeadLetterConfig").Get("Arn"));
    }

    [Fact]
    public void DeadLetterQueue_Queue_IsEncryptedAndOnlyTheRuleMaySend()
    {
        var template = CloudFormationTemplate.Load(MemberEvents);
        var queue = template.SingleResource("AWS::SQS::Queue").Resource.Map("Properties");
        var statements = template.SingleResource("AWS::SQS::QueuePolicy").Resource.Map("Properties").Map("PolicyDocument").Get("Statement").AsList();
        var allow = statements.Single(s => Equals(s.Get("Effect"), "Allow"));

        Assert.Equal("true", queue.Get("SqsManagedSseEnabled"));
        Assert.Equal("events.amazonaws.com", allow.Map("Principal").Get("Service"));
        Assert.Equal(new CfnFunction("Fn::GetAtt", "rSecurityGroupChangeRule.Arn"), allow.Map("Condition").Map("ArnEquals").Get("aws:SourceArn"));
    }

    [Fact]
    public void DeadLetterAlarm_Metric_IsVisibleMessagesAboveZero()
    {
        var alarm = CloudFormationTemplate.Load(MemberEvents).SingleResource("AWS::CloudWatch::Alarm").Resource.Map("Properties");

        Assert.Equal("AWS/SQS", alarm.Get("Namespace"));
        Assert.Equal("ApproximateNumberOfMessagesVisible", alarm.Get("MetricName"));
        Assert.Equal("GreaterThanThreshold", alarm.Get("ComparisonOperator"));
        Assert.Equal("0", alarm.Get("Threshold"));
    }

    [Fact]
    public void Connection_ApiKeyName_IsFunctionKeyHeader()
    {
        var template = CloudFormationTemplate.Load(MemberEvents);
        var connection = template.SingleResource("AWS::Events::Connection").Resource.Map("Properties");
        var apiKey = connection.Map("AuthParameters").Map("ApiKeyAuthParameters");

        Assert.Equal("API_KEY", connection.Get("AuthorizationType"));
        Assert.Equal(Routes.FunctionKeyHeader, apiKey.Get("ApiKeyName"));
        Assert.Equal("true", template.Parameters.Map(RefName(apiKey.Get("ApiKeyValue"))).Get("NoEcho"));
    }

    [Fact]
    public void ApiDestination_Endpoint_PostsToTheIntakeRoute()
    {
        var template = CloudFormationTemplate.Load(MemberEvents);
        var destination = template.SingleResource("AWS::Events::ApiDestination").Resource.Map("Properties");
        var endpointParameter = template.Parameters.Map(RefName(destination.Get("InvocationEndpoint")));
        var pattern = new Regex((string)endpointParameter.Get("AllowedPattern")!, RegexOptions.None, TimeSpan.FromSeconds(1));

        Assert.Equal("POST", destination.Get("HttpMethod"));
        Assert.Equal("300", template.Parameters.Map(RefName(destination.Get("InvocationRateLimitPerSecond"))).Get("Default"));
        Assert.Matches(pattern, $"https://func-abc.azurewebsites.net/api/{Routes.AwsEvents}");
        Assert.DoesNotMatch(pattern, $"https://func-abc.azurewebsites.net/api/{Routes.SlackInteractions}");
    }

    [Fact]
    public void ExecutionRole_WriteActions_EqualEc2ActionsWritesOnSecurityGroupsOnly()
    {
        var write = Assert.Single(RolePermissions(), s => s.Get("Action").Strings().Any(a => Ec2Actions.Writes.Contains(a)));
        var resources = write.Get("Resource").AsList().Select(SubText).ToList();

        Assert.Equal(Ec2Actions.Writes.Order(StringComparer.Ordinal), write.Get("Action").Strings().Order(StringComparer.Ordinal));
        Assert.Equal(
            ["arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:security-group-rule/*", "arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:security-group/*"],
            resources.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ExecutionRole_ReadActions_CoverEc2ActionsReadsOnAnyResource()
    {
        var onAnyResource = RolePermissions().Where(s => Equals(s.Get("Resource"), "*")).SelectMany(s => s.Get("Action").Strings()).ToList();

        Assert.All(onAnyResource, a => Assert.StartsWith("ec2:Describe", a, StringComparison.Ordinal));
        Assert.Subset(onAnyResource.ToHashSet(StringComparer.Ordinal), Ec2Actions.Reads.ToHashSet(StringComparer.Ordinal));
    }

    [Fact]
    public void ExecutionRole_Policy_AllowsNothingElse()
    {
        var statements = RolePermissions();
        var actions = statements.SelectMany(s => s.Get("Action").Strings()).ToHashSet(StringComparer.Ordinal);

        Assert.All(statements, s => Assert.Equal("Allow", s.Get("Effect")));
        Assert.All(statements, s => Assert.Null(s.Get("NotAction")));
        Assert.All(statements, s => Assert.Null(s.Get("NotResource")));
        Assert.Equal(Ec2Actions.Reads.Concat(Ec2Actions.Writes).Order(StringComparer.Ordinal), actions.Order(StringComparer.Ordinal));
        Assert.Single(CloudFormationTemplate.Load(MemberRole).SingleResource("AWS::IAM::Role").Resource.Map("Properties").Get("Policies").AsList());
        Assert.Null(CloudFormationTemplate.Load(MemberRole).SingleResource("AWS::IAM::Role").Resource.Map("Properties").Get("ManagedPolicyArns"));
    }

    [Fact]
    public void ExecutionRole_WebIdentityTrust_PinsAudienceAndSubject()
    {
        var (webIdentity, assumeRole) = TrustPolicies();
        var statement = Assert.Single(webIdentity.GetProperty("Statement").EnumerateArray());
        var equals = statement.GetProperty("Condition").GetProperty("StringEquals");

        Assert.Equal("sts:AssumeRoleWithWebIdentity", statement.GetProperty("Action").GetString());
        Assert.Equal("${ProviderArn}", statement.GetProperty("Principal").GetProperty("Federated").GetString());
        Assert.Equal("${pAudience}", equals.GetProperty("sts.windows.net/${pEntraTenantId}/:aud").GetString());
        Assert.Equal("${pManagedIdentityPrincipalId}", equals.GetProperty("sts.windows.net/${pEntraTenantId}/:sub").GetString());

        var assume = Assert.Single(assumeRole.Get("Statement").AsList());
        Assert.Equal("sts:AssumeRole", assume.Get("Action"));
        Assert.Equal(new CfnFunction("Ref", "pExternalId"), assume.Map("Condition").Map("StringEquals").Get("sts:ExternalId"));
    }

    [Fact]
    public void ExecutionRole_Name_DefaultsToTheRoleArnPatternExample()
    {
        var template = CloudFormationTemplate.Load(MemberRole);
        var role = template.SingleResource("AWS::IAM::Role").Resource.Map("Properties");
        var defaultName = (string?)template.Parameters.Map(RefName(role.Get("RoleName"))).Get("Default");
        var bicep = RepoPaths.ReadText("bicep", "main.bicep");

        Assert.Equal("SgBridgeExecutionRole", defaultName);
        Assert.Contains($"param awsRoleArnPattern string = 'arn:aws:iam::{{accountId}}:role/{defaultName}'", bicep, StringComparison.Ordinal);
    }

    [Fact]
    public void OidcProvider_Url_IsTheTenantV1IssuerWithTheAudience()
    {
        var provider = CloudFormationTemplate.Load(MemberRole).SingleResource("AWS::IAM::OIDCProvider").Resource;

        Assert.Equal("cCreateOidcProvider", provider.Get("Condition"));
        Assert.Equal("https://sts.windows.net/${pEntraTenantId}/", SubText(provider.Map("Properties").Get("Url")));
        Assert.Equal([new CfnFunction("Ref", "pAudience")], provider.Map("Properties").Get("ClientIdList").AsList());
    }

    [Fact]
    public void StackSets_Main_AreServiceManagedWithAutoDeployment()
    {
        var template = CloudFormationTemplate.Load(Main);
        var stackSets = template.ResourcesOfType("AWS::CloudFormation::StackSet").Select(r => r.Resource.Map("Properties")).ToList();

        Assert.Equal(2, stackSets.Count);
        Assert.All(stackSets, p =>
        {
            Assert.Equal("SERVICE_MANAGED", p.Get("PermissionModel"));
            Assert.Equal("SELF", p.Get("CallAs"));
            Assert.Equal("true", p.Map("AutoDeployment").Get("Enabled"));
            Assert.Equal("false", p.Map("AutoDeployment").Get("RetainStacksOnAccountRemoval"));
            Assert.Equal("true", p.Map("ManagedExecution").Get("Active"));
            Assert.Equal("PARALLEL", p.Map("OperationPreferences").Get("RegionConcurrencyType"));
            Assert.NotNull(Assert.Single(p.Get("StackInstancesGroup").AsList()).Map("DeploymentTargets").Get("OrganizationalUnitIds"));
        });
        Assert.Equal(2, template.ResourcesOfType("AWS::CloudFormation::Stack").Count());
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Parameters_Template_AreAllConstrained(string file)
    {
        var template = CloudFormationTemplate.Load(file);

        Assert.NotEmpty(template.Parameters);
        Assert.All(template.Parameters, p =>
        {
            var parameter = (Dictionary<string, object?>)p.Value!;
            var constrained = parameter.ContainsKey("AllowedValues")
                || (parameter.ContainsKey("AllowedPattern") && parameter.ContainsKey("ConstraintDescription"))
                || (Equals(parameter.Get("Type"), "Number") && parameter.ContainsKey("MinValue") && parameter.ContainsKey("MaxValue") && parameter.ContainsKey("ConstraintDescription"));
            Assert.True(constrained, $"{file}: parameter {p.Key} needs AllowedPattern + ConstraintDescription (or AllowedValues; Number: MinValue/MaxValue).");
            Assert.True(parameter.ContainsKey("Description"), $"{file}: parameter {p.Key} has no Description.");
        });
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Names_Template_FollowSraPrefixes(string file)
    {
        var template = CloudFormationTemplate.Load(file);

        Assert.All(template.Parameters.Keys, k => Assert.Matches("^p[A-Z]", k));
        Assert.All(template.Resources.Keys, k => Assert.Matches("^r[A-Z]", k));
        Assert.All(template.Conditions.Keys, k => Assert.Matches("^c[A-Z]", k));
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void ParameterGroups_Template_ListEveryParameterOnce(string file)
    {
        var template = CloudFormationTemplate.Load(file);
        var grouped = template.Root.Map("Metadata").Map("AWS::CloudFormation::Interface").Get("ParameterGroups").AsList()
            .SelectMany(g => g.Get("Parameters").Strings())
            .ToList();

        Assert.Equal(template.Parameters.Keys.Order(StringComparer.Ordinal), grouped.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Statements_Template_HaveUniqueSids(string file)
    {
        var template = CloudFormationTemplate.Load(file);
        var sids = new List<string?>();
        foreach (var node in template.Descendants())
        {
            if (node is Dictionary<string, object?> map && map.Get("Statement") is List<object?> statements)
            {
                sids.AddRange(statements.Select(s => s.Get("Sid") as string));
            }

            if (node is string text && text.Contains("\"Statement\"", StringComparison.Ordinal))
            {
                using var json = JsonDocument.Parse(text);
                sids.AddRange(json.RootElement.GetProperty("Statement").EnumerateArray()
                    .Select(s => s.TryGetProperty("Sid", out var sid) ? sid.GetString() : null));
            }
        }

        Assert.DoesNotContain(null, sids);
        Assert.Equal(sids.Count, sids.Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Arns_Template_UsePartitionPseudoParameter(string file)
    {
        var template = CloudFormationTemplate.Load(file);
        // Parameter patterns (arn:aws[a-z-]*:...) validate input; the ARNs the template builds are in Resources and Outputs.
        var arns = CloudFormationTemplate.Walk(template.Resources).Concat(CloudFormationTemplate.Walk(template.Section("Outputs"))).OfType<string>()
            .SelectMany(s => ArnInText().Matches(s).Select(m => m.Value))
            .ToList();

        Assert.DoesNotContain("arn:aws:", template.Text, StringComparison.Ordinal);
        Assert.All(arns, arn => Assert.StartsWith("arn:${AWS::Partition}:", arn, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Tags_TaggableResources_AreTagged(string file)
    {
        var template = CloudFormationTemplate.Load(file);

        Assert.All(template.Resources, r =>
        {
            var type = (string)r.Value.Get("Type")!;
            if (!Untaggable.Contains(type))
            {
                Assert.True(r.Value.Map("Properties").Get("Tags") is List<object?> { Count: > 0 }, $"{file}: {r.Key} ({type}) has no Tags.");
            }
        });
    }

    [Fact]
    public void Loader_UnknownShortFormTag_Throws()
    {
        var path = Path.Combine(Path.GetTempPath(), $"sgbridge-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, "Resources:\n  rX:\n    Value: !Sbu oops\n");
        try
        {
            Assert.Throws<InvalidOperationException>(() => CloudFormationTemplate.Load(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static Dictionary<string, object?> EventPattern() =>
        CloudFormationTemplate.Load(MemberEvents).SingleResource("AWS::Events::Rule").Resource.Map("Properties").Map("EventPattern");

    private static List<object?> RolePermissions()
    {
        var role = CloudFormationTemplate.Load(MemberRole).SingleResource("AWS::IAM::Role").Resource.Map("Properties");
        return role.Get("Policies").AsList().SelectMany(p => p.Map("PolicyDocument").Get("Statement").AsList()).ToList();
    }

    /// <summary>The role's trust policy is !If [cWebIdentity, !Sub [json, vars], map].</summary>
    private static (JsonElement WebIdentity, Dictionary<string, object?> AssumeRole) TrustPolicies()
    {
        var role = CloudFormationTemplate.Load(MemberRole).SingleResource("AWS::IAM::Role").Resource.Map("Properties");
        var branches = Assert.IsType<CfnFunction>(role.Get("AssumeRolePolicyDocument"));
        Assert.Equal("Fn::If", branches.Name);
        var args = branches.Argument.AsList();
        Assert.Equal("cWebIdentity", args[0]);
        var json = JsonDocument.Parse(SubText(args[1])).RootElement.Clone();
        return (json, (Dictionary<string, object?>)args[2]!);
    }

    /// <summary>The template text of a !Sub (short or list form).</summary>
    private static string SubText(object? node)
    {
        var sub = Assert.IsType<CfnFunction>(node);
        Assert.Equal("Fn::Sub", sub.Name);
        return sub.Argument as string ?? (string)sub.Argument.AsList()[0]!;
    }

    private static string RefName(object? node)
    {
        var reference = Assert.IsType<CfnFunction>(node);
        Assert.Equal("Ref", reference.Name);
        return (string)reference.Argument!;
    }

    [GeneratedRegex(@"arn:(\$\{[^}]*\}|[^:\s""'$]*):", RegexOptions.None, 1000)]
    private static partial Regex ArnInText();
}
