using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SgBridge.Local.Aws;

namespace SgBridge.Local.Slack;

/// <summary>
/// The approvers' page at <c>/</c>: one HTML page, its script and stylesheet (embedded, no external assets). It polls
/// <c>/page/state</c> (the local Slack's channels, messages, threads, updates and refusals, and the emulated AWS groups)
/// and posts clicks to <c>/page/click</c>, which sends the signed <c>block_actions</c> request to the bridge.
/// </summary>
internal static class ApproversPage
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Map(WebApplication app, IReadOnlyDictionary<string, string?> settings)
    {
        app.MapGet("/", () => Asset("index.html", "text/html; charset=utf-8"));
        app.MapGet("/page/app.js", () => Asset("app.js", "text/javascript; charset=utf-8"));
        app.MapGet("/page/app.css", () => Asset("app.css", "text/css; charset=utf-8"));
        app.MapGet("/page/state", (HttpContext context) => Results.Json(State(context.RequestServices, settings), Json));
        app.MapPost("/page/click", async (HttpContext context, PageClick click) =>
        {
            if (string.IsNullOrWhiteSpace(click.Channel) || string.IsNullOrWhiteSpace(click.Ts) || string.IsNullOrWhiteSpace(click.ActionId) || string.IsNullOrWhiteSpace(click.User))
            {
                return Results.BadRequest(new { error = "channel, ts, actionId and user are required" });
            }
            var answer = await context.RequestServices.GetRequiredService<SlackClicks>().SendAsync(click, context.RequestAborted).ConfigureAwait(false);
            return Results.Json(answer, Json);
        });
    }

    private static IResult Asset(string name, string contentType)
    {
        using var stream = typeof(ApproversPage).Assembly.GetManifestResourceStream("wwwroot/" + name)
            ?? throw new InvalidOperationException($"wwwroot/{name} is not embedded.");
        using var reader = new StreamReader(stream);
        return Results.Text(reader.ReadToEnd(), contentType);
    }

    private static JsonObject State(IServiceProvider services, IReadOnlyDictionary<string, string?> settings)
    {
        var slack = services.GetRequiredService<SlackWorkspace>();
        var version = slack.Version;
        var approvers = settings.GetValueOrDefault("Slack:ApproversChannel") ?? LocalBridge.ApproversChannel;
        var monitoring = settings.GetValueOrDefault("Slack:MonitoringChannel") ?? LocalBridge.MonitoringChannel;
        var messages = slack.Messages;
        var channels = new List<string> { approvers, monitoring };
        channels.AddRange(messages.Select(m => m.Channel).Distinct(StringComparer.Ordinal).Where(c => !channels.Contains(c)));
        var users = (settings.GetValueOrDefault("Slack:ApproverUserIds") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(u => new JsonObject { ["id"] = u, ["label"] = u + " (approver)" })
            .Append(new JsonObject { ["id"] = "UREQUESTER", ["label"] = "UREQUESTER (made the change; not an approver)" });
        var state = new JsonObject
        {
            ["version"] = version,
            ["channels"] = new JsonArray([.. channels.Select(c => (JsonNode)new JsonObject
            {
                ["id"] = c,
                ["name"] = c == approvers ? "sg-approvals" : c == monitoring ? "sg-monitoring" : c.ToLowerInvariant(),
                // A post to a user id is Slack's direct message from the app to that user.
                ["dm"] = c.StartsWith('U') || c.StartsWith('D'),
            })]),
            ["users"] = new JsonArray([.. users]),
            ["messages"] = new JsonArray([.. messages.Select(m => (JsonNode)new JsonObject
            {
                ["channel"] = m.Channel,
                ["ts"] = m.Ts,
                ["threadTs"] = m.ThreadTs,
                ["text"] = m.Text,
                ["blocks"] = m.Blocks?.DeepClone(),
                ["version"] = m.Version,
                ["at"] = m.At.ToString("O"),
                ["ephemeralUser"] = m.EphemeralUser,
            })]),
            ["refusals"] = new JsonArray([.. slack.Refusals.Select(r => (JsonNode)new JsonObject
            {
                ["method"] = r.Method,
                ["channel"] = r.Channel,
                ["error"] = r.Error,
                ["problems"] = new JsonArray([.. r.Problems.Select(p => (JsonNode?)JsonValue.Create(p))]),
                ["at"] = r.At.ToString("O"),
            })]),
            ["views"] = new JsonArray([.. slack.Views.Select(v => (JsonNode)new JsonObject { ["id"] = v.Id, ["view"] = v.View.DeepClone(), ["at"] = v.At.ToString("O") })]),
        };
        if (services.GetService<AwsEmulator>() is { } aws)
        {
            state["aws"] = JsonSerializer.SerializeToNode(aws.Snapshot(), Json);
        }
        return state;
    }
}
