using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using SgBridge.FunctionApp.Functions;
using SgBridge.Shared.Intake;
using SgBridge.Shared.Storage;

namespace SgBridge.Tests.Infrastructure;

/// <summary>bicep/modules/alerts.bicep: an action group and the four alerts, each notifying it, with queries tied to the code.</summary>
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

        Assert.Equal(["changesQueueAgeAlert", "failuresAlert", "intake5xxAlert", "poisonAlert"], rules.Select(r => r.Symbol).Order(StringComparer.Ordinal));
        Assert.All(rules, r =>
        {
            var properties = r.Rule["properties"]!;
            Assert.Equal("LogAlert", (string?)r.Rule["kind"]);
            Assert.True((bool?)properties["enabled"]);
            Assert.Equal(["[parameters('applicationInsightsResourceId')]"], properties["scopes"]!.AsArray().Select(s => (string?)s));
            Assert.Equal([ActionGroupReference], properties["actions"]!["actionGroups"]!.AsArray().Select(a => (string?)a));
            var criterion = Assert.Single(properties["criteria"]!["allOf"]!.AsArray())!;
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
        typeof(EventIntake).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => m.GetCustomAttribute<LoggerMessageAttribute>()?.Message)
            .OfType<string>()
            .ToList();
}
