using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Hosting;
using SgBridge.Shared;
using SgBridge.Shared.Telemetry;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddSgBridge(builder.Configuration);
builder.Services.AddSgBridgeTelemetry(builder.Configuration).UseFunctionsWorkerDefaults();
builder.Build().Run();
