using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace SgBridge.Cli;

/// <summary>What a read-only Slack Web API call answered: ok, or Slack's error code (HTTP errors as "http_NNN").</summary>
public sealed record SlackAnswer(bool Ok, string? Error, JsonElement Body, string? Needed = null)
{
    public string? Text(params string[] path)
    {
        var e = Body;
        foreach (var name in path)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out e))
            {
                return null;
            }
        }
        return e.ValueKind switch
        {
            JsonValueKind.String => e.GetString(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        };
    }
}

/// <summary>
/// Read-only Slack Web API calls for <c>sgbridge doctor</c>: <c>auth.test</c> (is the bot token valid, and whose is it)
/// and <c>conversations.info</c> (does the channel exist, is the bot in it). Kept out of the app's Slack client on
/// purpose: the app never needs them, and the app manifest asks only for the scopes the app uses. Sends the bot
/// token as a Bearer header to <c>Slack:BaseUrl</c>; no retries (a diagnosis reports what it sees).
/// </summary>
public sealed class SlackDiagnostics(HttpClient http)
{
    public Task<SlackAnswer> AuthTestAsync(Uri baseUrl, string botToken, CancellationToken cancellationToken) =>
        CallAsync(baseUrl, botToken, "auth.test", [], cancellationToken);

    public Task<SlackAnswer> ConversationInfoAsync(Uri baseUrl, string botToken, string channel, CancellationToken cancellationToken) =>
        CallAsync(baseUrl, botToken, "conversations.info", [new("channel", channel)], cancellationToken);

    private async Task<SlackAnswer> CallAsync(Uri baseUrl, string botToken, string method, KeyValuePair<string, string>[] fields, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        var root = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(root, method)) { Content = new FormUrlEncodedContent(fields) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", botToken);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            return new SlackAnswer(false, "ratelimited", default);
        }
        if (!response.IsSuccessStatusCode)
        {
            return new SlackAnswer(false, $"http_{(int)response.StatusCode}", default);
        }
        JsonElement json;
        try
        {
            using var document = JsonDocument.Parse(body);
            json = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return new SlackAnswer(false, "not_json", default);
        }
        var answer = new SlackAnswer(false, null, json);
        return answer.Text("ok") == "true"
            ? answer with { Ok = true }
            : answer with { Error = answer.Text("error") ?? "unknown_error", Needed = answer.Text("needed") };
    }
}
