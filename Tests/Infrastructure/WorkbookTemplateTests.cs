using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SgBridge.Shared.Telemetry;

namespace SgBridge.Tests.Infrastructure;

/// <summary>bicep/modules/workbook.bicep: a workbook on Application Insights with a request's trace and a chart per metric of the code.</summary>
public sealed partial class WorkbookTemplateTests(BicepTemplateFixture fixture) : IClassFixture<BicepTemplateFixture>
{
    private JsonObject Template => fixture.ModuleTemplate("workbook");

    private JsonObject Workbook => Assert.Single(BicepTemplateFixture.Resources(Template), r => (string?)r.Resource["type"] == "Microsoft.Insights/workbooks").Resource;

    /// <summary>The workbook content as ARM carries it (bicep puts loadTextContent in a variable).</summary>
    private JsonObject Content =>
        JsonNode.Parse((string)BicepTemplateFixture.ResolveVariable(Template, Workbook["properties"]!["serializedData"])!)!.AsObject();

    private IEnumerable<string> Queries =>
        Content["items"]!.AsArray().Select(i => (string?)i!["content"]!["query"]).OfType<string>();

    [Fact]
    public void Module_IsDeployedFromMain_OnTheAppsApplicationInsights()
    {
        var parameters = fixture.Module("workbook")["properties"]!["parameters"]!;

        Assert.Equal("[reference('monitoring').outputs.applicationInsightsResourceId.value]", (string?)parameters["applicationInsightsResourceId"]!["value"]);
        Assert.Equal("shared", (string?)Workbook["kind"]);
        Assert.Equal("workbook", (string?)Workbook["properties"]!["category"]);
        Assert.Equal("[parameters('applicationInsightsResourceId')]", (string?)Workbook["properties"]!["sourceId"]);
        Assert.StartsWith("[guid(", (string?)Workbook["name"], StringComparison.Ordinal);
    }

    [Fact]
    public void Parameters_AllHaveRequiredOrOptionalDescriptions() =>
        Assert.All(Template["parameters"]!.AsObject(), p => Assert.Matches("^(Required|Optional)\\. ", (string?)p.Value!["metadata"]?["description"] ?? ""));

    [Fact]
    public void Content_IsAWorkbookWithTheRequestTraceQuery()
    {
        Assert.Equal("Notebook/1.0", (string?)Content["version"]);
        var trace = Assert.Single(Queries, q => q.Contains("{RequestId}", StringComparison.Ordinal));

        Assert.Contains($"customDimensions['{TelemetryTags.RequestId}']", trace, StringComparison.Ordinal);
        Assert.Contains($"customDimensions['{TelemetryTags.EventId}']", trace, StringComparison.Ordinal);
        Assert.Contains("union isfuzzy=true requests, dependencies, exceptions, traces", trace, StringComparison.Ordinal);
        Assert.Contains("operation_Id in (operations)", trace, StringComparison.Ordinal);
        Assert.Contains("message contains requestId", trace, StringComparison.Ordinal);
    }

    [Fact]
    public void Content_ChartsEveryMetricOfTheCode_AndNoOther()
    {
        var instruments = InstrumentNames();
        var charted = Queries.SelectMany(q => MetricName().Matches(q).Select(m => m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal);

        Assert.Contains("sgbridge.events", instruments);
        Assert.Equal(instruments.Order(StringComparer.Ordinal), charted.Order(StringComparer.Ordinal));
    }

    /// <summary>The names of BridgeTelemetry's instruments, as a MeterListener sees them published.</summary>
    private static List<string> InstrumentNames()
    {
        using var telemetry = new BridgeTelemetry();
        var names = new List<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (ReferenceEquals(instrument.Meter, telemetry.Meter))
                {
                    names.Add(instrument.Name);
                }
            },
        };
        listener.Start();
        return names;
    }

    [GeneratedRegex("customMetrics\\s*\\| where name == '([^']+)'")]
    private static partial Regex MetricName();
}
