using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using SgBridge.FunctionApp.Functions;
using SgBridge.Shared.Intake;
using SgBridge.Shared.Storage;

namespace SgBridge.Tests.Infrastructure;

/// <summary>bicep/modules/alerts.bicep: an action group and the six alerts, each notifying it, with queries tied to the code.</summary>
public sealed class AlertsTemplateTests(BicepTemplateFixture fixture) : IClassFixture<BicepTemplateFixture>
{
    private const string ActionGroupReference = "[resourceId('Microsoft.Insights/actionGroups', parameters('actionGroupName'))]";

    [Fact]
    public void ActionGroup_Receivers_AreTheEmailAndTheOptionalWebhook()
    {
        var properties = Resource("Microsoft.Insights/actionGroups")["properties"]!;
        var email = Assert.Single(properties["emailReceivers"]!.AsArray())!;
        var module = fixture.Module("alerts")["properties"]!["parameters"]!;

        Assert.Equal("[parameters('alertEmailAddress')]", (string?)email["emailAddress"]);
        Assert.True((bool?)email["useCommonAlertSchema"]);
        Assert.Equal(
            "[if(empty(parameters('alertWebhookUri')), createArray(), createArray(createObject('name', 'webhook', 'serviceUri', parameters('alertWebhookUri'), 'useCommonAlertSchema', true())))]",
            (string?)properties["webhookReceivers"]);
        Assert.Equal("securestring", (string?)Template["parameters"]!["alertWebhookUri"]!["type"]);
        Assert.Null(fixture.Template["parameters"]!["alertEmailAddress"]!["defaultValue"]);
        Assert.Equal("[parameters('alertEmailAddress')]", (string?)module["alertEmailAddress"]!["value"]);
        Assert.Equal("[reference('monitoring').outputs.applicationInsightsResourceId.value]", (string?)module["applicationInsightsResourceId"]!["value"]);
    }

    [Fact]
    public void AlertRules_All_QueryApplicationInsightsAndNotifyTheActionGroup()
    {
        var rules = Rules().ToList();

        Assert.Equal(["changesQueueAgeAlert", "failureMetricAlert", "failuresAlert", "heartbeatAlert", "intake5xxAlert", "poisonAlert"], rules.Select(r => r.Symbol).Order(StringComparer.Ordinal));
        Assert.All(rules, r =>
        {
            var properties = r.Rule["properties"]!;
            Assert.Equal("LogAlert", (string?)r.Rule["kind"]);
            Assert.True((bool?)properties["enabled"]);
            Assert.Equal(["[parameters('applicationInsightsResourceId')]"], properties["scopes"]!.AsArray().Select(s => (string?)s));
            Assert.Equal([ActionGroupReference], properties["actions"]!["actionGroups"]!.AsArray().Select(a => (string?)a));
        });
        Assert.All(rules.Where(r => r.Symbol is not ("heartbeatAlert" or "failureMetricAlert")), r =>
        {
            var criterion = Assert.Single(r.Rule["properties"]!["criteria"]!["allOf"]!.AsArray())!;
            Assert.Equal("Count", (string?)criterion["timeAggregation"]);
            Assert.Equal("GreaterThan", (string?)criterion["operator"]);
            Assert.Equal(0, (int?)criterion["threshold"]);
        });
    }

    [Fact]
    public void FailuresAlert_Phrases_AreStillLoggedByTheCode()
    {
        var phrases = Variable("failureLogPhrases").AsArray().Select(p => (string)p!).ToList();
        var messages = LoggerMessages();

        Assert.Contains("variables('failureLogPhrases')", Query("failuresAlert"), StringComparison.Ordinal);
        Assert.Contains("traces", Query("failuresAlert"), StringComparison.Ordinal);
        Assert.Equal(["REVERT FAILED", "giving up the revert", "apply failed", "Revert it by hand"], phrases);
        // KQL `contains` is case-insensitive, so the code may log "APPLY FAILED" or "apply failed" alike.
        Assert.All(phrases, p => Assert.True(
            messages.Any(m => m.Contains(p, StringComparison.OrdinalIgnoreCase)),
            $"No [LoggerMessage] in Shared/ contains '{p}': the failures alert would never fire."));
        Assert.Contains(messages, m => m.StartsWith((string)Variable("acceptedLogPhrase")!, StringComparison.Ordinal));
    }

    [Fact]
    public void PoisonAlert_Query_MatchesTheHostsPoisonLine()
    {
        Assert.Equal("Message has reached MaxDequeueCount", (string?)Variable("poisonLogPhrase"));
        Assert.Contains("traces | where message startswith \"{0}\"", Query("poisonAlert"), StringComparison.Ordinal);
        Assert.Contains("variables('poisonLogPhrase')", Query("poisonAlert"), StringComparison.Ordinal);
    }

    [Fact]
    public void Intake5xxAlert_Query_CountsServerErrorsOfTheIntakeFunction()
    {
        var query = Query("intake5xxAlert");

        Assert.Equal(nameof(ReceiveAwsEvent), (string?)Variable("intakeFunctionName"));
        Assert.StartsWith("[format('requests | where name == \"{0}\"", query, StringComparison.Ordinal);
        Assert.Contains("countif(toint(resultCode) >= 500)", query, StringComparison.Ordinal);
        Assert.Contains("failedPercent > {2}", query, StringComparison.Ordinal);
    }

    [Fact]
    public void ChangesQueueAgeAlert_Function_IsTheChangesQueueTrigger()
    {
        var query = Query("changesQueueAgeAlert");
        var trigger = typeof(RevertChange).GetMethod(nameof(RevertChange.RunAsync))!.GetParameters()
            .Select(p => p.GetCustomAttribute<QueueTriggerAttribute>())
            .Single(a => a is not null)!;

        Assert.Equal(nameof(RevertChange), (string?)Variable("changesFunctionName"));
        Assert.Equal(QueueNames.Changes, trigger.QueueName);
        Assert.Contains("InsertionTime: ", query, StringComparison.Ordinal);
        Assert.Contains("timestamp - insertedOn > maxAge", query, StringComparison.Ordinal);
        Assert.Contains("union late, stalled", query, StringComparison.Ordinal);
    }

    [Fact]
    public void FailureMetricAlert_ReadsTheUnsampledMetric_OneAlertPerKind_WithoutStsSymptoms()
    {
        var rule = Rules().Single(r => r.Symbol == "failureMetricAlert").Rule["properties"]!;
        var criterion = rule["criteria"]!["allOf"]![0]!;
        var query = (string)criterion["query"]!;

        Assert.Equal("sgbridge.failures", (string?)Variable("failuresMetric"));
        Assert.Equal(["sts"], Variable("failureKindsNotAlerted").AsArray().Select(k => (string?)k));
        Assert.StartsWith("[format('customMetrics | where name == \"{0}\"", query, StringComparison.Ordinal);
        Assert.Contains("summarize failures = sum(valueSum) by kind", query, StringComparison.Ordinal);
        Assert.Equal(("Total", "failures", "GreaterThan", 0), ((string?)criterion["timeAggregation"], (string?)criterion["metricMeasureColumn"], (string?)criterion["operator"], (int?)criterion["threshold"]));
        Assert.Equal("kind", (string?)Assert.Single(criterion["dimensions"]!.AsArray())!["name"]);
        // The metric the alert reads is the one the code counts failures on.
        using var telemetry = new SgBridge.Shared.Telemetry.BridgeTelemetry();
        Assert.Equal((string?)Variable("failuresMetric"), telemetry.Failures.Name);
    }

    [Fact]
    public void HeartbeatAlert_Window_IsTwoIntervals_OfTheCentralStacksSchedule()
    {
        var rule = Rules().Single(r => r.Symbol == "heartbeatAlert").Rule["properties"]!;
        var interval = CloudFormationTemplate.Load("aws-bootstrap/sgbridge-central-bus.yaml").Parameters.Map("pHeartbeatMinutes").Get("Default");

        Assert.Equal("5", interval);
        Assert.Equal(5, (int?)Template["parameters"]!["heartbeatIntervalMinutes"]!["defaultValue"]);
        Assert.Equal("[format('PT{0}M', mul(parameters('heartbeatIntervalMinutes'), 2))]", (string?)rule["windowSize"]);
        using var telemetry = new SgBridge.Shared.Telemetry.BridgeTelemetry();
        Assert.Equal((string?)Variable("heartbeatMetric"), telemetry.Heartbeats.Name);
    }

    /// <summary>
    /// The heartbeat alert's condition executed against fixtures: the rule's own query (from the built ARM) is run by
    /// <see cref="MiniKql"/> over a customMetrics fixture for the window ending at each evaluation, and the rule's
    /// operator and threshold decide. Beats every 5 minutes until 10:00, then silence.
    /// </summary>
    [Theory]
    [InlineData("10:00", false)]
    [InlineData("10:05", false)] // the 10:00 beat is inside the 10-minute window
    [InlineData("10:09", false)]
    [InlineData("10:11", true)] // two intervals without a beat
    [InlineData("11:00", true)]
    public void HeartbeatAlert_Condition_FiresAfterTwoIntervalsOfSilence_Only(string at, bool fires)
    {
        var rule = Rules().Single(r => r.Symbol == "heartbeatAlert").Rule["properties"]!;
        var criterion = rule["criteria"]!["allOf"]![0]!;
        var query = ArmFormat((string)criterion["query"]!);
        var window = TimeSpan.FromMinutes(2 * (int)Template["parameters"]!["heartbeatIntervalMinutes"]!["defaultValue"]!);
        var day = new DateTimeOffset(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);
        var rows = new List<Dictionary<string, object?>>();
        for (var t = day.AddHours(9); t <= day.AddHours(10); t = t.AddMinutes(5))
        {
            rows.Add(new() { ["timestamp"] = t, ["name"] = "sgbridge.heartbeats", ["valueSum"] = 1.0 });
        }
        for (var t = day.AddHours(9); t <= day.AddHours(11); t = t.AddMinutes(1))
        {
            rows.Add(new() { ["timestamp"] = t, ["name"] = "sgbridge.events", ["valueSum"] = 3.0 }); // other metrics keep flowing
        }
        var now = day.Add(TimeSpan.Parse(at, System.Globalization.CultureInfo.InvariantCulture));

        var result = MiniKql.Run(query, new Dictionary<string, IReadOnlyList<Dictionary<string, object?>>> { ["customMetrics"] = rows.Where(r => (DateTimeOffset)r["timestamp"]! > now - window && (DateTimeOffset)r["timestamp"]! <= now).ToList() });

        Assert.Equal("Count", (string?)criterion["timeAggregation"]);
        Assert.Equal(fires, MiniKql.Breaches(result.Count, (string)criterion["operator"]!, (double)criterion["threshold"]!));
    }

    /// <summary>Resolves the built query's ARM expression: [format('…{0}…', variables('x'))] with the module's variables.</summary>
    private string ArmFormat(string expression)
    {
        var m = System.Text.RegularExpressions.Regex.Match(expression, @"^\[format\('(?<f>.*)', (?<args>.*)\)\]$");
        if (!m.Success)
        {
            return expression;
        }
        var args = m.Groups["args"].Value.Split(", ").Select(a => System.Text.RegularExpressions.Regex.Match(a, @"^variables\('(\w+)'\)$"))
            .Select(v => v.Success ? (string)Variable(v.Groups[1].Value)! : throw new NotSupportedException($"argument {v.Value}")).ToArray();
        return string.Format(System.Globalization.CultureInfo.InvariantCulture, m.Groups["f"].Value.Replace("''", "'", StringComparison.Ordinal), args);
    }

    private JsonObject Template => fixture.ModuleTemplate("alerts");

    private JsonNode Variable(string name) => Template["variables"]![name]!;

    private JsonObject Resource(string type) =>
        BicepTemplateFixture.Resources(Template).Select(r => r.Resource).Single(r => (string?)r["type"] == type);

    private IEnumerable<(string Symbol, JsonObject Rule)> Rules() =>
        BicepTemplateFixture.Resources(Template).Where(r => (string?)r.Resource["type"] == "Microsoft.Insights/scheduledQueryRules");

    private string Query(string symbol) =>
        (string)Rules().Single(r => r.Symbol == symbol).Rule["properties"]!["criteria"]!["allOf"]![0]!["query"]!;

    /// <summary>The message templates of every [LoggerMessage] in Shared.</summary>
    private static List<string> LoggerMessages() =>
        SgBridge.Tests.Architecture.SharedAssemblies.Types()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => m.GetCustomAttribute<LoggerMessageAttribute>()?.Message)
            .OfType<string>()
            .ToList();
}
