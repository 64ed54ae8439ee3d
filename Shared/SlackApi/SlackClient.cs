using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Domain;
using static SgBridge.Shared.Slack.ApprovalMessageBuilder;

namespace SgBridge.Shared.Slack;

/// <summary>The Slack Web API client and its only retry layer: 429 honours Retry-After, 5xx backs off exponentially.</summary>
public sealed partial class SlackClient(HttpClient http, IOptions<SlackOptions> options, TimeProvider time, ILogger<SlackClient> logger)
    : ISlackClient
{
    /// <summary>First backoff after a 5xx (doubled on each retry), and the wait after a 429 without Retry-After.</summary>
    internal static readonly TimeSpan RetryBaseDelay = TimeSpan.FromSeconds(1);

    /// <summary>A 429 asking to wait longer than this fails at once, so the queue retries later instead of blocking.</summary>
    internal static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private readonly SlackOptions _options = options.Value;

    public Task<SlackMessageRef> PostMessageAsync(string channel, string text, JsonArray? blocks, string? threadTs, CancellationToken cancellationToken) =>
        SendMessageAsync("chat.postMessage", Json(("channel", channel), ("text", text), ("blocks", blocks?.DeepClone()), ("thread_ts", threadTs)), cancellationToken);

    public Task<SlackMessageRef> UpdateMessageAsync(string channel, string ts, string text, JsonArray? blocks, CancellationToken cancellationToken) =>
        SendMessageAsync("chat.update", Json(("channel", channel), ("ts", ts), ("text", text), ("blocks", blocks?.DeepClone())), cancellationToken);

    public async Task PostEphemeralAsync(string channel, string user, string text, CancellationToken cancellationToken)
    {
        using var response = await SendJsonAsync("chat.postEphemeral", Json(("channel", channel), ("user", user), ("text", text)), cancellationToken);
    }

    public async Task<IReadOnlyList<string>> GetUserGroupMembersAsync(string userGroupId, CancellationToken cancellationToken)
    {
        const string method = "usergroups.users.list";
        using var response = await SendFormAsync(method, [new("usergroup", userGroupId)], cancellationToken);
        if (!response.RootElement.TryGetProperty("users", out var users) || users.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidOperationException($"Slack {method} answered ok without a users array.");
        }
        return users.EnumerateArray().Where(u => u.ValueKind == JsonValueKind.String).Select(u => u.GetString()!).ToArray();
    }

    public async Task<string?> LookupUserByEmailAsync(string email, CancellationToken cancellationToken)
    {
        const string method = "users.lookupByEmail";
        try
        {
            using var response = await SendFormAsync(method, [new("email", email)], cancellationToken);
            return Text(Property(response.RootElement, "user"), "id") ?? throw new InvalidOperationException($"Slack {method} answered ok without user.id.");
        }
        catch (SlackApiException ex) when (ex.Error == "users_not_found")
        {
            return null;
        }
    }

    public async Task PublishHomeAsync(string userId, JsonObject view, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(userId);
        using var response = await SendJsonAsync("views.publish", Json(("user_id", userId), ("view", view.DeepClone())), cancellationToken);
    }

    public async Task<string> OpenViewAsync(string triggerId, JsonObject view, CancellationToken cancellationToken)
    {
        const string method = "views.open";
        using var response = await SendJsonAsync(method, Json(("trigger_id", triggerId), ("view", view.DeepClone())), cancellationToken);
        return Text(Property(response.RootElement, "view"), "id") ?? throw new InvalidOperationException($"Slack {method} answered ok without view.id.");
    }

    private async Task<SlackMessageRef> SendMessageAsync(string method, JsonObject body, CancellationToken cancellationToken)
    {
        using var response = await SendJsonAsync(method, body, cancellationToken);
        return Text(response.RootElement, "channel") is { } channel && Text(response.RootElement, "ts") is { } ts
            ? new SlackMessageRef(channel, ts)
            : throw new InvalidOperationException($"Slack {method} answered ok without channel and ts.");
    }

    private static JsonElement? Property(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value) ? value : null;

    private static string? Text(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private Task<JsonDocument> SendJsonAsync(string method, JsonObject body, CancellationToken cancellationToken)
    {
        // Serialised once: each attempt needs a fresh HttpContent, and the JsonObject must not be reused across requests.
        var json = body.ToJsonString();
        return SendAsync(method, () => new StringContent(json, Encoding.UTF8, "application/json"), cancellationToken);
    }

    private Task<JsonDocument> SendFormAsync(string method, KeyValuePair<string, string>[] fields, CancellationToken cancellationToken) =>
        SendAsync(method, () => new FormUrlEncodedContent(fields), cancellationToken);

    private async Task<JsonDocument> SendAsync(string method, Func<HttpContent> createContent, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, method) { Content = createContent() };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.BotToken);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var retryAfter = GetRetryAfter(response) ?? RetryBaseDelay;
                if (attempt >= _options.MaxRetries || retryAfter > MaxRetryDelay)
                {
                    LogRateLimitedGivingUp(logger, method, attempt + 1, retryAfter);
                    throw new SlackRateLimitedException(method, retryAfter);
                }
                LogRateLimited(logger, method, retryAfter, attempt + 1);
                await Task.Delay(retryAfter, time, cancellationToken);
                continue;
            }
            if ((int)response.StatusCode >= 500)
            {
                if (attempt >= _options.MaxRetries)
                {
                    throw new HttpRequestException($"Slack {method} failed with HTTP {(int)response.StatusCode} after {attempt + 1} attempts.", null, response.StatusCode);
                }
                var backoff = RetryBaseDelay * Math.Pow(2, attempt);
                LogServerError(logger, method, (int)response.StatusCode, backoff, attempt + 1);
                await Task.Delay(backoff, time, cancellationToken);
                continue;
            }
            if (!response.IsSuccessStatusCode)
            {
                throw new HttpRequestException($"Slack {method} failed with HTTP {(int)response.StatusCode}.", null, response.StatusCode);
            }
            return await ReadResultAsync(method, response, cancellationToken);
        }
    }

    private static async Task<JsonDocument> ReadResultAsync(string method, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
        }
        catch (JsonException ex)
        {
            throw new HttpRequestException($"Slack {method} answered HTTP 200 with a body that is not JSON.", ex);
        }
        var root = document.RootElement;
        if (Property(root, "ok")?.ValueKind == JsonValueKind.True)
        {
            return document;
        }
        var error = Text(root, "error") ?? "unknown_error";
        document.Dispose();
        throw new SlackApiException(method, error);
    }

    private TimeSpan? GetRetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var wait = header?.Delta ?? (header?.Date is { } date ? date - time.GetUtcNow() : (TimeSpan?)null);
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
    }

    [LoggerMessage(4101, LogLevel.Warning, "Slack {SlackMethod} rate limited; retrying in {RetryAfter} (attempt {Attempt})")]
    private static partial void LogRateLimited(ILogger logger, string slackMethod, TimeSpan retryAfter, int attempt);

    [LoggerMessage(4102, LogLevel.Warning, "Slack {SlackMethod} still rate limited after {Attempts} attempts; Retry-After {RetryAfter}")]
    private static partial void LogRateLimitedGivingUp(ILogger logger, string slackMethod, int attempts, TimeSpan retryAfter);

    [LoggerMessage(4103, LogLevel.Warning, "Slack {SlackMethod} answered HTTP {StatusCode}; retrying in {Backoff} (attempt {Attempt})")]
    private static partial void LogServerError(ILogger logger, string slackMethod, int statusCode, TimeSpan backoff, int attempt);
}
