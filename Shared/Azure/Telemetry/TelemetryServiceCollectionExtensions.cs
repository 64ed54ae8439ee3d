using Azure.Core;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace SgBridge.Shared.Telemetry;

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>Application Insights' connection string, as App Service sets it.</summary>
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>How to authenticate to Application Insights: <c>Authorization=AAD</c>, with <c>ClientId=…</c> for a user-assigned identity.</summary>
    public const string AuthenticationStringSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    /// <summary>Azure SDK clients emit spans through ActivitySources named "Azure.*" only with this switch on.</summary>
    public const string AzureSdkActivitySourceSwitch = "Azure.Experimental.EnableActivitySource";

    /// <summary>
    /// OpenTelemetry for the bridge: spans of the "SgBridge" source, the Azure SDK and HttpClient (EC2, STS and Slack
    /// calls); metrics of the "SgBridge" meter and HttpClient. With <see cref="ConnectionStringSetting"/> set, they go to
    /// Azure Monitor with the managed identity <see cref="AuthenticationStringSetting"/> names. Logs are left to the
    /// Functions host, which sends them already (exporting them here would store each line twice).
    /// </summary>
    public static IOpenTelemetryBuilder AddSgBridgeTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        AppContext.SetSwitch(AzureSdkActivitySourceSwitch, true);

        var builder = services.AddOpenTelemetry()
            .WithTracing(tracing => tracing
                .AddSource(BridgeTelemetry.Name, "Azure.*")
                .AddHttpClientInstrumentation())
            .WithMetrics(metrics => metrics
                .AddMeter(BridgeTelemetry.Name)
                .AddHttpClientInstrumentation());

        var connectionString = configuration[ConnectionStringSetting];
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            var credential = CredentialFor(configuration[AuthenticationStringSetting]);
            void Configure(AzureMonitorExporterOptions options)
            {
                options.ConnectionString = connectionString;
                options.Credential = credential;
            }
            builder.WithTracing(tracing => tracing.AddAzureMonitorTraceExporter(Configure))
                .WithMetrics(metrics => metrics.AddAzureMonitorMetricExporter(Configure));
        }
        return builder;
    }

    /// <summary>The credential an authentication string asks for: <c>Authorization=AAD;ClientId=&lt;id&gt;</c>, <c>Authorization=AAD</c>
    /// (system-assigned), or none.</summary>
    public static TokenCredential? CredentialFor(string? authenticationString)
    {
        if (string.IsNullOrWhiteSpace(authenticationString))
        {
            return null;
        }
        var parts = authenticationString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2, StringSplitOptions.TrimEntries))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1], StringComparer.OrdinalIgnoreCase);
        if (!parts.TryGetValue("Authorization", out var authorization) || !string.Equals(authorization, "AAD", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{AuthenticationStringSetting} must say Authorization=AAD (optionally with ClientId=<client id>).");
        }
        return parts.TryGetValue("ClientId", out var clientId) && !string.IsNullOrWhiteSpace(clientId)
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned);
    }
}
