using System.Text.RegularExpressions;
using SgBridge.FunctionApp;

namespace SgBridge.Tests.Infrastructure;

/// <summary>
/// Events are authenticated by AWS, not by a key in every account: member accounts forward to one central bus that
/// admits the organization only, and only the central account holds the connection (the function key), the API
/// destination, the retry policy, the dead-letter queue and its alarm.
/// </summary>
public sealed class OrganizationEventBusTests
{
    private const string CentralBus = "aws-bootstrap/sgbridge-central-bus.yaml";
    private const string MemberEvents = "aws-bootstrap/sgbridge-member-events.yaml";
    private const string Main = "aws-bootstrap/sgbridge-main.yaml";

    /// <summary>Every template in aws-bootstrap/, so a template added later is held to the same rules.</summary>
    public static TheoryData<string> AllTemplates()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(RepoPaths.Combine("aws-bootstrap"), "*.yaml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(RepoPaths.Root, file).Replace('\\', '/'));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllTemplates))]
    public void Intake_ConnectionApiDestinationAndKey_OnlyInTheCentralTemplate(string file)
    {
        var template = CloudFormationTemplate.Load(file);
        var expected = file == CentralBus ? 1 : 0;
        var noEcho = template.Parameters.Where(p => Equals(p.Value.Get("NoEcho"), "true")).Select(p => p.Key).ToList();

        Assert.Equal(expected, template.ResourcesOfType("AWS::Events::Connection").Count());
        Assert.Equal(expected, template.ResourcesOfType("AWS::Events::ApiDestination").Count());
        Assert.Equal(expected, template.ResourcesOfType("AWS::SQS::Queue").Count());
        Assert.Equal(3 * expected, template.ResourcesOfType("AWS::CloudWatch::Alarm").Count()); // dead letters, delivery, heartbeat
        Assert.Equal(file == CentralBus ? ["pFunctionKey"] : [], noEcho);
        Assert.Equal(file == CentralBus, template.Text.Contains(Routes.FunctionKeyHeader, StringComparison.Ordinal));
    }

    [Fact]
    public void MemberRule_Target_IsTheCentralBusArnWithARoleAllowedPutEventsOnExactlyThatBus()
    {
        var template = CloudFormationTemplate.Load(MemberEvents);
        var rule = template.SingleResource("AWS::Events::Rule").Resource.Map("Properties");
        var target = Assert.Single(rule.Get("Targets").AsList());
        var busParameter = template.Parameters.Map("pCentralEventBusArn");
        var busPattern = new Regex((string)busParameter.Get("AllowedPattern")!, RegexOptions.None, TimeSpan.FromSeconds(1));
        var role = template.Resources.Map(GetAttResource(target.Get("RoleArn"), "Arn")).Map("Properties");
        var statement = Assert.Single(Assert.Single(role.Get("Policies").AsList()).Map("PolicyDocument").Get("Statement").AsList());
        var trust = Assert.Single(role.Map("AssumeRolePolicyDocument").Get("Statement").AsList());

        Assert.Null(rule.Get("EventBusName")); // the account's default bus, where CloudTrail events arrive
        Assert.Equal(new CfnFunction("Ref", "pCentralEventBusArn"), target.Get("Arn"));
        Assert.Null(busParameter.Get("Default"));
        Assert.Matches(busPattern, "arn:aws:events:eu-west-1:123456789012:event-bus/sgbridge-central");
        Assert.Matches(busPattern, "arn:aws-us-gov:events:us-gov-west-1:123456789012:event-bus/sgbridge-central");
        Assert.DoesNotMatch(busPattern, "arn:aws:events:eu-west-1:123456789012:api-destination/sgbridge-intake/0f2c");
        Assert.DoesNotMatch(busPattern, "");

        Assert.Equal("Allow", statement.Get("Effect"));
        Assert.Equal(["events:PutEvents"], statement.Get("Action").Strings());
        Assert.Equal([new CfnFunction("Ref", "pCentralEventBusArn")], statement.Get("Resource").AsList());
        Assert.Equal("events.amazonaws.com", trust.Map("Principal").Get("Service"));
        Assert.Equal(new CfnFunction("Ref", "AWS::AccountId"), trust.Map("Condition").Map("StringEquals").Get("aws:SourceAccount"));
        Assert.Null(target.Get("InputTransformer")); // the envelope (account, region, detail) must reach the intake as it is
        Assert.Null(target.Get("Input"));
    }

    [Fact]
    public void CentralBus_Policy_AdmitsPutEventsFromTheOrganizationOnly()
    {
        var template = CloudFormationTemplate.Load(CentralBus);
        var bus = template.SingleResource("AWS::Events::EventBus").Resource.Map("Properties");
        var statement = Assert.Single(bus.Map("Policy").Get("Statement").AsList());
        var organization = template.Parameters.Map("pOrganizationId");
        var orgPattern = new Regex((string)organization.Get("AllowedPattern")!, RegexOptions.None, TimeSpan.FromSeconds(1));

        Assert.Equal("Allow", statement.Get("Effect"));
        Assert.Equal("*", statement.Get("Principal"));
        Assert.Equal(["events:PutEvents"], statement.Get("Action").Strings());
        Assert.Equal("arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/${pSolutionName}-central", SubText(statement.Get("Resource")));
        Assert.Equal(new CfnFunction("Fn::Sub", "${pSolutionName}-central"), bus.Get("Name"));
        var condition = statement.Map("Condition");
        Assert.Equal(["StringEquals"], condition.Keys);
        Assert.Equal(new CfnFunction("Ref", "pOrganizationId"), condition.Map("StringEquals").Get("aws:PrincipalOrgID"));
        Assert.Single(condition.Map("StringEquals"));

        Assert.Equal("^o-[a-z0-9]{10,32}$", organization.Get("AllowedPattern"));
        Assert.Null(organization.Get("Default"));
        Assert.Matches(orgPattern, "o-a1b2c3d4e5");
        Assert.DoesNotMatch(orgPattern, "o-abc");
        Assert.DoesNotMatch(orgPattern, "r-a1b2");
    }

    [Fact]
    public void CentralRule_IsOnTheCentralBusAndTargetsTheApiDestination()
    {
        var template = CloudFormationTemplate.Load(CentralBus);
        var rule = template.Resources.Map("rSecurityGroupChangeRule").Map("Properties");
        var target = Assert.Single(rule.Get("Targets").AsList());

        Assert.Equal(new CfnFunction("Ref", template.SingleResource("AWS::Events::EventBus").Name), rule.Get("EventBusName"));
        Assert.Equal(template.SingleResource("AWS::Events::ApiDestination").Name, GetAttResource(target.Get("Arn"), "Arn"));
        Assert.NotNull(target.Get("RetryPolicy"));
        Assert.NotNull(target.Get("DeadLetterConfig"));
        Assert.Null(target.Get("InputTransformer"));
    }

    [Fact]
    public void Alarms_Actions_AreTheRequiredSnsTopicParameter()
    {
        var template = CloudFormationTemplate.Load(CentralBus);
        var alarm = template.Resources.Map("rDeadLetterAlarm").Map("Properties");
        var topic = template.Parameters.Map("pAlarmTopicArn");
        var topicPattern = new Regex((string)topic.Get("AllowedPattern")!, RegexOptions.None, TimeSpan.FromSeconds(1));

        Assert.All(template.ResourcesOfType("AWS::CloudWatch::Alarm").Select(a => a.Resource.Map("Properties")), a =>
        {
            Assert.Equal([new CfnFunction("Ref", "pAlarmTopicArn")], a.Get("AlarmActions").AsList());
            Assert.Equal([new CfnFunction("Ref", "pAlarmTopicArn")], a.Get("OKActions").AsList());
        });
        Assert.Equal(template.SingleResource("AWS::SQS::Queue").Name, GetAttResource(Assert.Single(alarm.Get("Dimensions").AsList()).Get("Value"), "QueueName"));
        Assert.Null(topic.Get("Default"));
        Assert.DoesNotMatch(topicPattern, "");
        Assert.Matches(topicPattern, "arn:aws:sns:eu-west-1:123456789012:security-alerts");
    }

    [Fact]
    public void Main_StackSetsAndManagementStacks_PassTheCentralBusAndEgressSwitch()
    {
        var template = CloudFormationTemplate.Load(Main);
        var eventsStackSet = template.Resources.Map("rMemberEventsStackSet").Map("Properties");
        var roleStackSet = template.Resources.Map("rMemberRoleStackSet").Map("Properties");
        var eventsStack = template.Resources.Map("rManagementAccountEventsStack").Map("Properties").Map("Parameters");
        var roleStack = template.Resources.Map("rManagementAccountRoleStack").Map("Properties").Map("Parameters");

        Assert.Equal(
            new Dictionary<string, string> { ["pCentralEventBusArn"] = "pCentralEventBusArn", ["pPoliceEgress"] = "pPoliceEgress", ["pSolutionName"] = "pSolutionName" },
            StackSetParameters(eventsStackSet));
        Assert.Equal("pPoliceEgress", StackSetParameters(roleStackSet)["pPoliceEgress"]);
        Assert.Equal(new CfnFunction("Ref", "pCentralEventBusArn"), eventsStack.Get("pCentralEventBusArn"));
        Assert.Equal(new CfnFunction("Ref", "pPoliceEgress"), eventsStack.Get("pPoliceEgress"));
        Assert.Equal(new CfnFunction("Ref", "pPoliceEgress"), roleStack.Get("pPoliceEgress"));
        Assert.Equal("false", template.Parameters.Map("pPoliceEgress").Get("Default"));

        // Every parameter the main stack passes exists in the member template it targets.
        var memberEvents = CloudFormationTemplate.Load(MemberEvents).Parameters.Keys.ToHashSet(StringComparer.Ordinal);
        Assert.Subset(memberEvents, StackSetParameters(eventsStackSet).Keys.ToHashSet(StringComparer.Ordinal));
        Assert.Subset(memberEvents, eventsStack.Keys.ToHashSet(StringComparer.Ordinal));
        var memberRole = CloudFormationTemplate.Load("aws-bootstrap/sgbridge-member-role.yaml").Parameters.Keys.ToHashSet(StringComparer.Ordinal);
        Assert.Subset(memberRole, StackSetParameters(roleStackSet).Keys.ToHashSet(StringComparer.Ordinal));
        Assert.Subset(memberRole, roleStack.Keys.ToHashSet(StringComparer.Ordinal));
    }

    private static Dictionary<string, string> StackSetParameters(Dictionary<string, object?> stackSet) =>
        stackSet.Get("Parameters").AsList().ToDictionary(
            p => (string)p.Get("ParameterKey")!,
            p => (string)Assert.IsType<CfnFunction>(p.Get("ParameterValue")).Argument!,
            StringComparer.Ordinal);

    /// <summary>The logical ID in !GetAtt rX.Attribute.</summary>
    private static string GetAttResource(object? node, string attribute)
    {
        var getAtt = Assert.IsType<CfnFunction>(node);
        Assert.Equal("Fn::GetAtt", getAtt.Name);
        var text = Assert.IsType<string>(getAtt.Argument);
        Assert.EndsWith($".{attribute}", text, StringComparison.Ordinal);
        return text[..^(attribute.Length + 1)];
    }

    private static string SubText(object? node)
    {
        var sub = Assert.IsType<CfnFunction>(node);
        Assert.Equal("Fn::Sub", sub.Name);
        return Assert.IsType<string>(sub.Argument);
    }
}
