using System.Diagnostics;
using Amazon.SecurityToken.Model;
using Azure.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Options;
using SgBridge.Shared.Telemetry;
using SgBridge.Tests.Aws;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace SgBridge.Tests.Telemetry;

/// <summary>
/// AddSgBridgeTelemetry as Program.cs calls it, with OpenTelemetry's in-memory exporter in place of Azure Monitor:
/// the bridge's spans, HttpClient dependency spans (the AWS SDK's STS call and a plain HttpClient call, to a local
/// stub) and the bridge's metrics reach the exporter.
/// </summary>
public sealed class TelemetryRegistrationTests
{
    private static IConfiguration Configuration(Dictionary<string, string?>? settings = null) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings ?? []).Build();

    [Fact]
    public async Task Tracing_ExportsBridgeSpansAndHttpClientSpans_IncludingTheAwsSdksStsCall()
    {
        using var server = WireMockServer.Start();
        server.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(500).WithBody("stub"));
        var exported = new List<Activity>();
        var services = new ServiceCollection();
        services.AddSgBridgeTelemetry(Configuration()).WithTracing(t => t.AddInMemoryExporter(exported));
        await using var provider = services.BuildServiceProvider();
        var tracer = provider.GetRequiredService<TracerProvider>();

        ActivityTraceId traceId;
        using (var root = BridgeTelemetry.Source.StartActivity("test root"))
        {
            Assert.NotNull(root);
            traceId = root.TraceId;
            using var http = new HttpClient();
            await http.GetAsync(new Uri(server.Url + "/slack-like"));
            // The AWS SDK sends over HttpClient: its STS call shows up as an HTTP client span (the stub answers 500).
            var options = TestAwsOptions.Create(server.Url);
            options.MaxErrorRetry = 0;
            using var sts = AwsServiceCollectionExtensions.CreateStsClient(options);
            await Assert.ThrowsAnyAsync<Exception>(() => sts.AssumeRoleWithWebIdentityAsync(new AssumeRoleWithWebIdentityRequest
            {
                RoleArn = "arn:aws:iam::111111111111:role/SgBridgeExecutionRole",
                RoleSessionName = "sgbridge",
                WebIdentityToken = "token",
            }));
        }
        tracer.ForceFlush();

        var trace = exported.Where(a => a.TraceId == traceId).ToList();
        Assert.Contains(trace, a => a.Source.Name == BridgeTelemetry.Name && a.OperationName == "test root");
        var clientSpans = trace.Where(a => a.Kind == ActivityKind.Client).ToList();
        Assert.Contains(clientSpans, a => ((string?)a.GetTagItem("url.full"))?.EndsWith("/slack-like", StringComparison.Ordinal) == true);
        Assert.Contains(clientSpans, a => (string?)a.GetTagItem("http.request.method") == "POST" && Equals(a.GetTagItem("http.response.status_code"), 500));
    }

    [Fact]
    public void Metrics_ExportsTheBridgeMeter()
    {
        var exported = new List<Metric>();
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddSgBridgeTelemetry(Configuration()).WithMetrics(m => m.AddInMemoryExporter(exported));
        services.AddSingleton(sp => sp.GetService<System.Diagnostics.Metrics.IMeterFactory>() is { } meters ? new BridgeTelemetry(meters) : new BridgeTelemetry());
        using var provider = services.BuildServiceProvider();
        var meters = provider.GetRequiredService<MeterProvider>();
        var telemetry = provider.GetRequiredService<BridgeTelemetry>();

        telemetry.Events.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Outcome, "accepted"));
        telemetry.StsCalls.Add(1, new KeyValuePair<string, object?>(TelemetryTags.Account, "111111111111"));
        telemetry.RevertLatency.Record(3.5);
        meters.ForceFlush();

        var names = exported.Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("sgbridge.events", names);
        Assert.Contains("sgbridge.sts.calls", names);
        Assert.Contains("sgbridge.revert.latency", names);
    }

    [Fact]
    public void AzureMonitor_WithAConnectionString_BuildsTheExporters()
    {
        var services = new ServiceCollection();
        services.AddSgBridgeTelemetry(Configuration(new()
        {
            [TelemetryServiceCollectionExtensions.ConnectionStringSetting] = "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://localhost:1/",
            [TelemetryServiceCollectionExtensions.AuthenticationStringSetting] = "ClientId=00000000-0000-0000-0000-00000000c11d;Authorization=AAD",
        }));
        using var provider = services.BuildServiceProvider();

        Assert.NotNull(provider.GetRequiredService<TracerProvider>());
        Assert.NotNull(provider.GetRequiredService<MeterProvider>());
    }

    [Theory]
    [InlineData("ClientId=00000000-0000-0000-0000-00000000c11d;Authorization=AAD")]
    [InlineData("Authorization=AAD")]
    public void CredentialFor_AadAuthenticationString_IsAManagedIdentity(string authentication) =>
        Assert.IsType<ManagedIdentityCredential>(TelemetryServiceCollectionExtensions.CredentialFor(authentication));

    [Fact]
    public void CredentialFor_Nothing_IsNoCredential() => Assert.Null(TelemetryServiceCollectionExtensions.CredentialFor(null));

    [Fact]
    public void CredentialFor_AnotherScheme_Throws() =>
        Assert.Throws<InvalidOperationException>(() => TelemetryServiceCollectionExtensions.CredentialFor("Authorization=Basic"));
}
