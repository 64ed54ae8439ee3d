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
    private const string CentralBus = "aws-bootstrap/sgbridge-central-bus.yaml";

    /// <summary>Egress changes: forwarded and revertible only when pPoliceEgress is 'true' (cPoliceEgress).</summary>
    internal static readonly string[] EgressEvents = ["AuthorizeSecurityGroupEgress", "RevokeSecurityGroupEgress"];

    internal static readonly string[] EgressWrites = ["ec2:AuthorizeSecurityGroupEgress", "ec2:RevokeSecurityGroupEgress"];

    /// <summary>Resource types CloudFormation cannot tag (Events::Rule Tags only reach ECS targets).</summary>
    private static readonly HashSet<string> Untaggable = new(StringComparer.Ordinal)
    {
        "AWS::Events::Rule", "AWS::Events::Connection", "AWS::Events::ApiDestination", "AWS::SQS::QueuePolicy",
    };

    public static TheoryData<string> Templates() => new(MemberRole, MemberEvents, Main, CentralBus);

    /// <summary>The two templates with a security group rule: the member's forwarding rule and the central bus's rule.</summary>
    public static TheoryData<string> RuleTemplates() => new(MemberEvents, CentralBus);

    [Theory]
    [MemberData(nameof(RuleTemplates))]
    public void EventRule_PatternEventNames_EqualHandledEventsPlusEgressOnlyWhenPoliced(string file)
    {
        var template = CloudFormationTemplate.Load(file);
        var choice = Assert.IsType<CfnFunction>(EventPattern(file).Map("detail").Get("eventName"));
        var args = choice.Argument.AsList();
        var withEgress = args[1].Strings();
        var withoutEgress = args[2].Strings();
        var ingress = HandledEvents.Names.Except(EgressEvents, StringComparer.Ordinal).Order(StringComparer.Ordinal);

        Assert.Equal("Fn::If", choice.Name);
        Assert.Equal("cPoliceEgress", args[0]);
        Assert.Equal("Fn::Equals[Ref(pPoliceEgress), true]", Render(template.Conditions.Get("cPoliceEgress")));
        Assert.Equal("false", template.Parameters.Map("pPoliceEgress").Get("Default"));
        Assert.Equal(withoutEgress.Count, withoutEgress.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(ingress, withoutEgress.Order(StringComparer.Ordinal));
        Assert.Equal(ingress.Concat(EgressEvents).Order(StringComparer.Ordinal), withEgress.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(RuleTemplates))]
    public void EventRule_PatternSourceAndDetailType_MatchHandledEvents(string file)
    {
        var pattern = EventPattern(file);

        Assert.Equal([HandledEvents.EventBridgeSource], pattern.Get("source").Strings());
        Assert.Equal([HandledEvents.EventBridgeDetailType], pattern.Get("detail-type").Strings());
        Assert.Equal([HandledEvents.CloudTrailEventSource], pattern.Map("detail").Get("eventSource").Strings());
        Assert.Equal(["eventName", "eventSource"], pattern.Map("detail").Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void EventRule_Target_RetriesForAnHourThenDeadLetters()
    {
        // An hour, not EventBridge's day: the sweep (every 15 minutes) is the backstop for what is older, and a wrong
        // key or a stopped app reaches the dead-letter alarm within the hour.
        var template = CloudFormationTemplate.Load(CentralBus);
        var target = Assert.Single(template.Resources.Map("rSecurityGroupChangeRule").Map("Properties").Get("Targets").AsList());
        var retry = target.Map("RetryPolicy");

        Assert.Equal(new CfnFunction("Fn::GetAtt", "rIntakeApiDestination.Arn"), target.Get("Arn"));
        Assert.Equal("3600", template.Parameters.Map(RefName(retry.Get("MaximumEventAgeInSeconds"))).Get("Default"));
        Assert.Equal("185", template.Parameters.Map(RefName(retry.Get("MaximumRetryAttempts"))).Get("Default"));
        Assert.Equal(new CfnFunction("Fn::GetAtt", "rDeadLetterQueue.Arn"), target.Map("DeadLetterConfig").Get("Arn"));
    }

    [Fact]
    public void DeadLetterQueue_Queue_IsEncryptedAndOnlyTheRuleMaySend()
    {
        var template = CloudFormationTemplate.Load(CentralBus);
        var queue = template.SingleResource("AWS::SQS::Queue").Resource.Map("Properties");
        var statements = template.SingleResource("AWS::SQS::QueuePolicy").Resource.Map("Properties").Map("PolicyDocument").Get("Statement").AsList();
        var allow = statements.Single(s => Equals(s.Get("Effect"), "Allow"));

        Assert.Equal("true", queue.Get("SqsManagedSseEnabled"));
        Assert.Equal("events.amazonaws.com", allow.Map("Principal").Get("Service"));
        Assert.Equal([new CfnFunction("Fn::GetAtt", "rSecurityGroupChangeRule.Arn"), new CfnFunction("Fn::GetAtt", "rHeartbeatRule.Arn")],
            allow.Map("Condition").Map("ArnEquals").Get("aws:SourceArn").AsList());
        Assert.Equal(("Retain", "Retain"), (template.Resources.Map("rDeadLetterQueue").Get("DeletionPolicy"), template.Resources.Map("rDeadLetterQueue").Get("UpdateReplacePolicy")));
    }

    [Fact]
    public void DeadLetterAlarm_Metric_IsVisibleMessagesAboveZero()
    {
        var alarm = CloudFormationTemplate.Load(CentralBus).Resources.Map("rDeadLetterAlarm").Map("Properties");

        Assert.Equal("AWS/SQS", alarm.Get("Namespace"));
        Assert.Equal("ApproximateNumberOfMessagesVisible", alarm.Get("MetricName"));
        Assert.Equal("GreaterThanThreshold", alarm.Get("ComparisonOperator"));
        Assert.Equal("0", alarm.Get("Threshold"));
    }

    [Fact]
    public void Connection_ApiKeyName_IsFunctionKeyHeader()
    {
        var template = CloudFormationTemplate.Load(CentralBus);
        var connection = template.SingleResource("AWS::Events::Connection").Resource.Map("Properties");
        var apiKey = connection.Map("AuthParameters").Map("ApiKeyAuthParameters");

        Assert.Equal("API_KEY", connection.Get("AuthorizationType"));
        Assert.Equal(Routes.FunctionKeyHeader, apiKey.Get("ApiKeyName"));
        Assert.Equal("true", template.Parameters.Map(RefName(apiKey.Get("ApiKeyValue"))).Get("NoEcho"));
    }

    [Fact]
    public void ApiDestination_Endpoint_PostsToTheIntakeRoute()
    {
        var template = CloudFormationTemplate.Load(CentralBus);
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
        var egress = Assert.Single(ConditionalRolePermissions());
        var actions = statements.SelectMany(s => s.Get("Action").Strings()).ToHashSet(StringComparer.Ordinal);
        var withoutEgress = Ec2Actions.Reads.Concat(Ec2Actions.Writes).Except(EgressWrites, StringComparer.Ordinal);

        Assert.All(statements.Append(egress), s => Assert.Equal("Allow", s.Get("Effect")));
        Assert.All(statements.Append(egress), s => Assert.Null(s.Get("NotAction")));
        Assert.All(statements.Append(egress), s => Assert.Null(s.Get("NotResource")));
        Assert.Equal(withoutEgress.Order(StringComparer.Ordinal), actions.Order(StringComparer.Ordinal));
        Assert.Equal(EgressWrites.Order(StringComparer.Ordinal), egress.Get("Action").Strings().Order(StringComparer.Ordinal));
        Assert.Equal(
            ["arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:security-group-rule/*", "arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:security-group/*"],
            egress.Get("Resource").AsList().Select(SubText).Order(StringComparer.Ordinal));
        Assert.Single(CloudFormationTemplate.Load(MemberRole).Resources.Map("rExecutionRole").Map("Properties").Get("Policies").AsList());
        Assert.Null(CloudFormationTemplate.Load(MemberRole).Resources.Map("rExecutionRole").Map("Properties").Get("ManagedPolicyArns"));
    }

    [Fact]
    public void ExecutionRole_WebIdentityTrust_PinsAudienceAndSubject()
    {
        var (webIdentity, assumeRole) = TrustPolicies();
        var statement = Assert.Single(webIdentity.GetProperty("Statement").EnumerateArray());
        var equals = statement.GetProperty("Condition").GetProperty("StringEquals");

        Assert.Equal("sts:AssumeRoleWithWebIdentity", statement.GetProperty("Action").GetString());
        Assert.Equal("${ProviderArn}", statement.GetProperty("Principal").GetProperty("Federated").GetString());
        Assert.Equal("${Audience}", equals.GetProperty("sts.windows.net/${pEntraTenantId}/:aud").GetString());
        Assert.Equal(AudienceOrTenantDefault, Render(SubVariables(TrustPolicyDocument()).Get("Audience")));
        Assert.Equal("${pManagedIdentityPrincipalId}", equals.GetProperty("sts.windows.net/${pEntraTenantId}/:sub").GetString());

        var assume = Assert.Single(assumeRole.Get("Statement").AsList());
        Assert.Equal("sts:AssumeRole", assume.Get("Action"));
        Assert.Equal(new CfnFunction("Ref", "pExternalId"), assume.Map("Condition").Map("StringEquals").Get("sts:ExternalId"));
    }

    [Fact]
    public void ExecutionRole_Name_DefaultsToTheRoleArnPatternExample()
    {
        var template = CloudFormationTemplate.Load(MemberRole);
        var role = template.Resources.Map("rExecutionRole").Map("Properties");
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
        Assert.Equal([AudienceOrTenantDefault], provider.Map("Properties").Get("ClientIdList").AsList().Select(Render));
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
            Assert.Equal(new CfnFunction("Ref", "pCallAs"), p.Get("CallAs"));
            Assert.Equal("true", p.Map("AutoDeployment").Get("Enabled"));
            Assert.Equal("false", p.Map("AutoDeployment").Get("RetainStacksOnAccountRemoval"));
            Assert.Equal("true", p.Map("ManagedExecution").Get("Active"));
            Assert.Equal("PARALLEL", p.Map("OperationPreferences").Get("RegionConcurrencyType"));
            Assert.NotNull(Assert.Single(p.Get("StackInstancesGroup").AsList()).Map("DeploymentTargets").Get("OrganizationalUnitIds"));
        });
        Assert.Equal(2, template.ResourcesOfType("AWS::CloudFormation::Stack").Count());
    }

    [Fact]
    public void StackSets_CallAs_IsAParameter_AndTheManagementStacksOnlyDeployWithSelf()
    {
        // A delegated administrator runs this stack in its own account: nested stacks there would duplicate what the
        // StackSets deploy to it, and the management account would still have nothing.
        var template = CloudFormationTemplate.Load(Main);
        var callAs = template.Parameters.Map("pCallAs");
        var condition = template.Conditions.Get("cDeployToManagementAccount") as CfnFunction;

        Assert.Equal(["SELF", "DELEGATED_ADMIN"], callAs.Get("AllowedValues").Strings());
        Assert.Equal("SELF", callAs.Get("Default"));
        Assert.NotNull(condition);
        Assert.Equal("Fn::And", condition.Name);
        Assert.Contains(condition.Argument.AsList().OfType<CfnFunction>(), f => f.Name == "Fn::Equals"
            && f.Argument.AsList() is [CfnFunction { Name: "Ref", Argument: "pCallAs" }, "SELF"]);
        Assert.All(template.ResourcesOfType("AWS::CloudFormation::Stack"), s => Assert.Equal("cDeployToManagementAccount", s.Resource.Get("Condition")));
    }

    [Fact]
    public void Heartbeat_ScheduledRuleOnTheDefaultBus_TargetsTheSameApiDestination()
    {
        var template = CloudFormationTemplate.Load(CentralBus);
        var heartbeat = template.Resources.Map("rHeartbeatRule").Map("Properties");
        var central = template.Resources.Map("rSecurityGroupChangeRule").Map("Properties");
        var target = Assert.Single(heartbeat.Get("Targets").AsList());
        var centralTarget = Assert.Single(central.Get("Targets").AsList());

        Assert.Null(heartbeat.Get("EventBusName")); // scheduled rules exist only on the default bus
        Assert.Equal("rate(${pHeartbeatMinutes} minutes)", SubText(heartbeat.Get("ScheduleExpression")));
        Assert.Equal(centralTarget.Get("Arn"), target.Get("Arn"));
        Assert.Equal(centralTarget.Get("RoleArn"), target.Get("RoleArn"));
        Assert.Equal("5", template.Parameters.Map("pHeartbeatMinutes").Get("Default"));
        Assert.Equal(SgBridge.Shared.Intake.Heartbeat.Source, "aws.events");
    }

    [Fact]
    public void DeliveryAlarm_WatchesAttemptsThatDidNotSucceed_OnTheCentralRule()
    {
        var template = CloudFormationTemplate.Load(CentralBus);
        var alarm = template.Resources.Map("rDeliveryAlarm").Map("Properties");
        var metrics = alarm.Get("Metrics").AsList();
        var names = metrics.Where(m => m.Get("MetricStat") is not null).Select(m => m.Map("MetricStat").Map("Metric")).ToList();

        Assert.Equal(["InvocationAttempts", "SuccessfulInvocationAttempts"], names.Select(m => m.Get("MetricName")));
        Assert.All(names, m =>
        {
            Assert.Equal("AWS/Events", m.Get("Namespace"));
            var dimensions = m.Get("Dimensions").AsList().ToDictionary(d => (string)d.Get("Name")!, d => d.Get("Value"));
            Assert.Equal(new CfnFunction("Ref", "rSecurityGroupChangeRule"), dimensions["RuleName"]);
            Assert.Equal(new CfnFunction("Ref", "rCentralEventBus"), dimensions["EventBusName"]);
        });
        Assert.Equal("FILL(attempts, 0) - FILL(successes, 0)", metrics.Single(m => m.Get("Expression") is not null).Get("Expression"));
        Assert.Contains("dead-letter", (string)template.Resources.Map("rDeadLetterAlarm").Map("Properties").Get("AlarmDescription")!, StringComparison.Ordinal);
        Assert.Contains("sgbridge reconcile --enqueue", (string)template.Resources.Map("rDeadLetterAlarm").Map("Properties").Get("AlarmDescription")!, StringComparison.Ordinal);
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
                // A conditional statement (!If [condition, statement, AWS::NoValue]) counts by its statement.
                sids.AddRange(statements
                    .Select(s => s is CfnFunction { Name: "Fn::If" } f ? f.Argument.AsList()[1] : s)
                    .Select(s => s.Get("Sid") as string));
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

    /// <summary>The audience the role trusts: pAudience, or api://&lt;tenant&gt;/sgbridge-aws when it is empty (the Bicep default).</summary>
    private const string AudienceOrTenantDefault = "Fn::If[cHasAudience, Ref(pAudience), Fn::Sub(api://${pEntraTenantId}/sgbridge-aws)]";

    private static Dictionary<string, object?> EventPattern(string file) =>
        CloudFormationTemplate.Load(file).ResourcesOfType("AWS::Events::Rule").Single(r => r.Resource.Map("Properties").Get("EventPattern") is not null).Resource.Map("Properties").Map("EventPattern");

    /// <summary>The role's unconditional statements.</summary>
    private static List<object?> RolePermissions() => RoleStatements().Where(s => s is Dictionary<string, object?>).ToList();

    /// <summary>The statements present only when cPoliceEgress holds (!If [cPoliceEgress, statement, AWS::NoValue]).</summary>
    private static List<object?> ConditionalRolePermissions() => RoleStatements().OfType<CfnFunction>().Select(f =>
    {
        var args = f.Argument.AsList();
        Assert.Equal("Fn::If", f.Name);
        Assert.Equal("cPoliceEgress", args[0]);
        Assert.Equal(new CfnFunction("Ref", "AWS::NoValue"), args[2]);
        return args[1];
    }).ToList();

    private static List<object?> RoleStatements()
    {
        var role = CloudFormationTemplate.Load(MemberRole).Resources.Map("rExecutionRole").Map("Properties");
        return role.Get("Policies").AsList().SelectMany(p => p.Map("PolicyDocument").Get("Statement").AsList()).ToList();
    }

    private static CfnFunction TrustPolicyDocument()
    {
        var role = CloudFormationTemplate.Load(MemberRole).Resources.Map("rExecutionRole").Map("Properties");
        return Assert.IsType<CfnFunction>(Assert.IsType<CfnFunction>(role.Get("AssumeRolePolicyDocument")).Argument.AsList()[1]);
    }

    /// <summary>The variable map of a list-form !Sub.</summary>
    private static Dictionary<string, object?> SubVariables(CfnFunction sub)
    {
        Assert.Equal("Fn::Sub", sub.Name);
        return Assert.IsType<Dictionary<string, object?>>(sub.Argument.AsList()[1]);
    }

    /// <summary>A node as compact text, to compare nested functions: Fn::If[c, Ref(x), Fn::Sub(text)].</summary>
    internal static string Render(object? node) => node switch
    {
        CfnFunction { Argument: List<object?> list } f => $"{f.Name}[{string.Join(", ", list.Select(Render))}]",
        CfnFunction f => $"{f.Name}({Render(f.Argument)})",
        List<object?> list => $"[{string.Join(", ", list.Select(Render))}]",
        Dictionary<string, object?> map => $"{{{string.Join(", ", map.Select(p => $"{p.Key}: {Render(p.Value)}"))}}}",
        null => "null",
        _ => node.ToString()!,
    };

    /// <summary>The role's trust policy is !If [cWebIdentity, !Sub [json, vars], map].</summary>
    private static (JsonElement WebIdentity, Dictionary<string, object?> AssumeRole) TrustPolicies()
    {
        var role = CloudFormationTemplate.Load(MemberRole).Resources.Map("rExecutionRole").Map("Properties");
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
