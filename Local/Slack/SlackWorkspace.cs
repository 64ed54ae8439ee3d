using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using SgBridge.Shared.Slack;

namespace SgBridge.Local.Slack;

/// <summary>A message as the local Slack holds it: where it is, what it says now, and how many times it was updated.</summary>
public sealed record LocalSlackMessage(string Channel, string Ts, string? ThreadTs, string Text, JsonArray? Blocks, int Version, DateTimeOffset At, string? EphemeralUser = null);

/// <summary>A Web API call the local Slack refused, with Slack's error and what broke the limits.</summary>
public sealed record SlackRefusal(string Method, string Channel, string Error, IReadOnlyList<string> Problems, DateTimeOffset At);

/// <summary>A modal the bridge opened (views.open), shown on the page as Slack would show it to the user.</summary>
public sealed record LocalSlackView(string Id, JsonObject View, DateTimeOffset At);

/// <summary>
/// The Slack Web API methods the bridge calls, answered as Slack answers them (HTTP 200, <c>ok</c>, <c>error</c>), over
/// a workspace held in memory: chat.postMessage / chat.update / chat.postEphemeral keep the messages the approvers'
/// page shows, users.lookupByEmail and usergroups.users.list answer from the configured directory, views.open keeps the
/// modal. A message Slack would refuse (the payload check: Slack's limits and escaping) is refused with
/// <c>invalid_blocks</c> / <c>msg_too_long</c> and recorded so the page shows it. Unknown methods: <c>unknown_method</c>.
/// </summary>
public sealed class SlackWorkspace(TimeProvider time, SlackPayloadCheck check, ILogger logger)
{
    private readonly Lock _lock = new();
    private readonly List<LocalSlackMessage> _messages = [];
    private readonly List<SlackRefusal> _refusals = [];
    private readonly List<LocalSlackView> _views = [];
    private readonly Dictionary<string, LocalSlackView> _homes = new(StringComparer.Ordinal);
    private long _ts = 1_700_000_000_000_000;
    private long _version;

    /// <summary>Grows with every change; the page polls it.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>users.lookupByEmail: address → user id. Unknown addresses answer users_not_found.</summary>
    public Dictionary<string, string> UsersByEmail { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>usergroups.users.list: group id → members.</summary>
    public Dictionary<string, string[]> UserGroups { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<LocalSlackMessage> Messages
    {
        get
        {
            lock (_lock)
            {
                return [.. _messages];
            }
        }
    }

    public IReadOnlyList<SlackRefusal> Refusals
    {
        get
        {
            lock (_lock)
            {
                return [.. _refusals];
            }
        }
    }

    /// <summary>Each user's Home tab as last published (views.publish), by user id.</summary>
    public IReadOnlyDictionary<string, LocalSlackView> HomeTabs
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<string, LocalSlackView>(_homes);
            }
        }
    }

    public IReadOnlyList<LocalSlackView> Views
    {
        get
        {
            lock (_lock)
            {
                return [.. _views];
            }
        }
    }

    public LocalSlackMessage? Find(string channel, string ts)
    {
        lock (_lock)
        {
            return _messages.FirstOrDefault(m => m.Channel == channel && m.Ts == ts && m.EphemeralUser is null);
        }
    }

    /// <summary>POST /slack/api/{method}: JSON or form body in, Slack's JSON answer out.</summary>
    public async Task HandleAsync(HttpContext context, string method)
    {
        JsonObject body;
        if (context.Request.HasFormContentType)
        {
            var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
            body = new JsonObject(form.Select(f => KeyValuePair.Create(f.Key, (JsonNode?)JsonValue.Create(f.Value.ToString()))));
        }
        else
        {
            body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false) as JsonObject ?? [];
        }
        var answer = context.Request.Headers.Authorization.ToString().StartsWith("Bearer xox", StringComparison.Ordinal)
            ? Answer(method, body)
            : new JsonObject { ["ok"] = false, ["error"] = "not_authed" };
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(answer.ToJsonString(), context.RequestAborted).ConfigureAwait(false);
    }

    public JsonObject Answer(string method, JsonObject body)
    {
        var channel = (string?)body["channel"] ?? "";
        switch (method)
        {
            case "chat.postMessage":
            case "chat.update":
            {
                var text = (string?)body["text"];
                var blocks = body["blocks"] as JsonArray;
                var problems = check(text, blocks);
                if (problems.Count > 0)
                {
                    // Slack's own codes where it has one (no_text, msg_too_long); everything else it refuses as invalid_blocks.
                    var error = string.IsNullOrEmpty(text) && (blocks is null || blocks.Count == 0) ? "no_text"
                        : problems.All(p => p.StartsWith("top-level text has ", StringComparison.Ordinal)) ? "msg_too_long"
                        : "invalid_blocks";
                    return Refuse(method, channel, error, problems);
                }
                lock (_lock)
                {
                    if (method == "chat.update")
                    {
                        var ts = (string?)body["ts"] ?? "";
                        var index = _messages.FindIndex(m => m.Channel == channel && m.Ts == ts && m.EphemeralUser is null);
                        if (index < 0)
                        {
                            return Refuse(method, channel, "message_not_found", []);
                        }
                        var old = _messages[index];
                        _messages[index] = old with { Text = text!, Blocks = (JsonArray?)blocks?.DeepClone(), Version = old.Version + 1, At = time.GetUtcNow() };
                        Changed();
                        return new JsonObject { ["ok"] = true, ["channel"] = channel, ["ts"] = ts, ["text"] = text };
                    }
                    var threadTs = (string?)body["thread_ts"];
                    if (threadTs is not null && !_messages.Any(m => m.Channel == channel && m.Ts == threadTs))
                    {
                        return Refuse(method, channel, "thread_not_found", []);
                    }
                    var created = new LocalSlackMessage(channel, NextTs(), threadTs, text!, (JsonArray?)blocks?.DeepClone(), 1, time.GetUtcNow());
                    _messages.Add(created);
                    Changed();
                    return new JsonObject { ["ok"] = true, ["channel"] = channel, ["ts"] = created.Ts, ["message"] = new JsonObject { ["text"] = text, ["ts"] = created.Ts } };
                }
            }
            case "chat.postEphemeral":
            {
                var text = (string?)body["text"];
                var user = (string?)body["user"];
                if (string.IsNullOrEmpty(user))
                {
                    return Refuse(method, channel, "user_not_in_channel", ["no user"]);
                }
                var problems = check(text, body["blocks"] as JsonArray);
                if (problems.Count > 0)
                {
                    return Refuse(method, channel, "invalid_blocks", problems);
                }
                lock (_lock)
                {
                    var ts = NextTs();
                    _messages.Add(new LocalSlackMessage(channel, ts, null, text!, (JsonArray?)(body["blocks"] as JsonArray)?.DeepClone(), 1, time.GetUtcNow(), user));
                    Changed();
                    return new JsonObject { ["ok"] = true, ["message_ts"] = ts };
                }
            }
            case "users.lookupByEmail":
                return UsersByEmail.TryGetValue((string?)body["email"] ?? "", out var id)
                    ? new JsonObject { ["ok"] = true, ["user"] = new JsonObject { ["id"] = id } }
                    : new JsonObject { ["ok"] = false, ["error"] = "users_not_found" };
            case "usergroups.users.list":
                return UserGroups.TryGetValue((string?)body["usergroup"] ?? "", out var members)
                    ? new JsonObject { ["ok"] = true, ["users"] = new JsonArray([.. members.Select(m => (JsonNode?)JsonValue.Create(m))]) }
                    : new JsonObject { ["ok"] = false, ["error"] = "no_such_subteam" };
            case "views.open":
            {
                if (body["view"] is not JsonObject view || string.IsNullOrEmpty((string?)body["trigger_id"]))
                {
                    return Refuse(method, "", "invalid_arguments", ["views.open needs trigger_id and view"]);
                }
                lock (_lock)
                {
                    var opened = new LocalSlackView("V" + (_views.Count + 1).ToString("D8", CultureInfo.InvariantCulture), (JsonObject)view.DeepClone(), time.GetUtcNow());
                    _views.Add(opened);
                    Changed();
                    return new JsonObject { ["ok"] = true, ["view"] = new JsonObject { ["id"] = opened.Id } };
                }
            }
            case "views.publish":
            {
                var user = (string?)body["user_id"];
                if (body["view"] is not JsonObject home || string.IsNullOrEmpty(user))
                {
                    return Refuse(method, "", "invalid_arguments", ["views.publish needs user_id and view"]);
                }
                var problems = SlackPayloadValidator.CheckView(home);
                if (problems.Count > 0 || (string?)home["type"] != "home")
                {
                    return Refuse(method, user, "invalid_arguments", [.. problems, .. (string?)home["type"] == "home" ? Array.Empty<string>() : ["the view is not of type home"]]);
                }
                lock (_lock)
                {
                    var viewId = _homes.TryGetValue(user, out var old) ? old.Id : "VH" + (_homes.Count + 1).ToString("D8", CultureInfo.InvariantCulture);
                    _homes[user] = new LocalSlackView(viewId, (JsonObject)home.DeepClone(), time.GetUtcNow());
                    Changed();
                    return new JsonObject { ["ok"] = true, ["view"] = new JsonObject { ["id"] = viewId } };
                }
            }
            default:
                return new JsonObject { ["ok"] = false, ["error"] = "unknown_method" };
        }
    }

    private JsonObject Refuse(string method, string channel, string error, IReadOnlyList<string> problems)
    {
        lock (_lock)
        {
            _refusals.Add(new SlackRefusal(method, channel, error, problems, time.GetUtcNow()));
            Changed();
        }
        LocalLog.SlackRefused(logger, method, channel, error);
        var answer = new JsonObject { ["ok"] = false, ["error"] = error };
        if (problems.Count > 0)
        {
            answer["response_metadata"] = new JsonObject { ["messages"] = new JsonArray([.. problems.Select(p => (JsonNode?)JsonValue.Create("[ERROR] " + p))]) };
        }
        return answer;
    }

    /// <summary>Slack timestamps: seconds.microseconds, unique and increasing per workspace.</summary>
    private string NextTs()
    {
        var n = ++_ts;
        return (n / 1_000_000).ToString(CultureInfo.InvariantCulture) + "." + (n % 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
    }

    private void Changed() => Interlocked.Increment(ref _version);
}

/// <summary>Whether Slack would take a message: every problem found, empty when it would.</summary>
public delegate IReadOnlyList<string> SlackPayloadCheck(string? text, JsonArray? blocks);
