using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Options;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Slack.Requests;
using SgBridge.Tests.Fakes;

namespace SgBridge.Tests.Slack.Requests;

/// <summary>Requests from Slack on the <see cref="Bridge"/> composition: its stores, clock and views.open, and signed bodies.</summary>
public sealed class RequestRig
{
    public Bridge Bridge { get; } = new();
    public RecordingViews Views => Bridge.Views;
    public SlackRequestOptions Options => Bridge.SlackRequests;
    public ApprovalsOptions Durations => Bridge.Approvals;
    public ReconcileOptions Reconcile => Bridge.Reconcile;

    /// <summary>What the service looks groups up with (default: the bridge's fake EC2).</summary>
    public ISecurityGroupClientFactory? Aws { get; set; }

    public SlackOptions SlackOptions => Bridge.SlackOptions;

    private T Get<T>() where T : notnull => Bridge.Services(Aws is { } aws ? s => s.Replace(ServiceDescriptor.Singleton(aws)) : null).GetRequiredService<T>();

    public SlackRequestService Service() => Get<SlackRequestService>();

    public SlackRequestVerifier Verifier() => Get<SlackRequestVerifier>();

    /// <summary>The one Slack inbound endpoint (the command and interactions triggers' pipeline).</summary>
    public SlackEndpoint Endpoint() => Get<SlackEndpoint>();

    /// <summary>An interactions body (shortcut, submission, click), signed now.</summary>
    public Task<DecisionResult> InteractionAsync(string body) =>
        Endpoint().HandleInteractionAsync(System.Text.Encoding.UTF8.GetBytes(body), Now.ToString(CultureInfo.InvariantCulture), Sign(body), default);

    /// <summary>The bridge's modal seal (the rig's signing secret and clock).</summary>
    public ModalSeal Seal() => Get<ModalSeal>();

    public long Now => Bridge.Time.GetUtcNow().ToUnixTimeSeconds();

    public string Sign(string body, long? at = null, string? secret = null) => SlackSigning.Sign(body, at ?? Now, secret ?? SlackOptions.SigningSecret);

    public Task<DecisionResult> CommandAsync(string body, long? at = null, string? secret = null) =>
        Endpoint().HandleCommandAsync(System.Text.Encoding.UTF8.GetBytes(body), (at ?? Now).ToString(CultureInfo.InvariantCulture), Sign(body, at, secret), default);

    /// <summary>A valid form: TCP 443 from 10.0.0.0/8 on the fake group, for 8 hours.</summary>
    public static Dictionary<string, string?> ValidForm() => new()
    {
        [RequestBlocks.Account] = TestData.Account,
        [RequestBlocks.Region] = TestData.Region,
        [RequestBlocks.Group] = TestData.GroupId,
        [RequestBlocks.Protocol] = "tcp",
        [RequestBlocks.Ports] = "443",
        [RequestBlocks.Source] = "10.0.0.0/8",
        [RequestBlocks.Description] = "build agents",
        [RequestBlocks.Duration] = "8h",
        [RequestBlocks.Reason] = "CHG-1234: build agents fetch from the web tier",
    };

    public static SlackViewSubmission Submission(IReadOnlyDictionary<string, string?> values, string viewId = "V0001", string user = "UREQ1") =>
        new(viewId, RequestBlocks.RequestCallback, null, user, user.ToLowerInvariant(), "T0001", null, values);
}

/// <summary>A recording views.open: answers with a view id, or fails or hangs as told.</summary>
public sealed class RecordingViews
{
    public ConcurrentQueue<(string TriggerId, JsonObject View)> Opened { get; } = new();
    public Exception? Fail { get; set; }
    public bool Hang { get; set; }

    public async Task<string> OpenViewAsync(string triggerId, JsonObject view, CancellationToken cancellationToken)
    {
        if (Hang)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        if (Fail is not null)
        {
            throw Fail;
        }
        Opened.Enqueue((triggerId, view));
        return "V" + Opened.Count.ToString(CultureInfo.InvariantCulture);
    }
}

/// <summary>Form and JSON bodies as Slack sends them for commands, shortcuts and modal submissions.</summary>
public static class RequestPayloads
{
    public static readonly string[] Selects = [RequestBlocks.Region, RequestBlocks.Direction, RequestBlocks.Protocol, RequestBlocks.Duration];

    public static string Command(string text = "", string trigger = "13345224609.738474920.8088930838d88f008e0", string? omit = null, string user = "UREQ1")
    {
        var fields = new Dictionary<string, string>
        {
            ["token"] = "legacy-token", ["team_id"] = "T0001", ["team_domain"] = "acme", ["channel_id"] = "C2147483705", ["channel_name"] = "ops",
            ["user_id"] = user, ["user_name"] = user.ToLowerInvariant(), ["command"] = "/sgbridge", ["text"] = text, ["api_app_id"] = "A0001",
            ["is_enterprise_install"] = "false", ["response_url"] = "https://hooks.slack.com/commands/T0001/1/abc", ["trigger_id"] = trigger,
        };
        if (omit is not null)
        {
            fields.Remove(omit);
        }
        return string.Join('&', fields.Select(f => Uri.EscapeDataString(f.Key) + "=" + Uri.EscapeDataString(f.Value)));
    }

    public static string Shortcut(string callbackId = RequestBlocks.RequestCallback, string trigger = "1.2.3", string user = "UREQ1") =>
        Form(new JsonObject
        {
            ["type"] = "shortcut", ["token"] = "legacy", ["action_ts"] = "1700000000.1", ["callback_id"] = callbackId, ["trigger_id"] = trigger,
            ["team"] = new JsonObject { ["id"] = "T0001", ["domain"] = "acme" },
            ["user"] = new JsonObject { ["id"] = user, ["username"] = user.ToLowerInvariant(), ["team_id"] = "T0001" },
        });

    /// <summary>A view_submission; <paramref name="metadata"/> is the view's private_metadata (what the bridge sealed when it opened the view).</summary>
    public static JsonObject SubmissionPayload(IReadOnlyDictionary<string, string?> values, string viewId = "V0001", string user = "UREQ1", string callbackId = RequestBlocks.RequestCallback,
        string metadata = "")
    {
        var state = new JsonObject();
        foreach (var (block, value) in values)
        {
            state[block] = new JsonObject
            {
                [RequestBlocks.Value] = Selects.Contains(block)
                    ? new JsonObject { ["type"] = "static_select", ["selected_option"] = value is null ? null : new JsonObject { ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = value }, ["value"] = value } }
                    : new JsonObject { ["type"] = "plain_text_input", ["value"] = value },
            };
        }
        return new JsonObject
        {
            ["type"] = "view_submission", ["team"] = new JsonObject { ["id"] = "T0001", ["domain"] = "acme" },
            ["user"] = new JsonObject { ["id"] = user, ["username"] = user.ToLowerInvariant(), ["name"] = user.ToLowerInvariant(), ["team_id"] = "T0001" },
            ["api_app_id"] = "A0001", ["token"] = "legacy", ["trigger_id"] = "4.5.6",
            ["view"] = new JsonObject
            {
                ["id"] = viewId, ["team_id"] = "T0001", ["type"] = "modal", ["callback_id"] = callbackId, ["private_metadata"] = metadata,
                ["hash"] = "1700000000.abc", ["state"] = new JsonObject { ["values"] = state },
            },
            ["response_urls"] = new JsonArray(),
        };
    }

    public static string Submission(IReadOnlyDictionary<string, string?> values, string viewId = "V0001", string user = "UREQ1", string metadata = "") =>
        Form(SubmissionPayload(values, viewId, user, metadata: metadata));

    public static string Form(JsonNode payload) => "payload=" + Uri.EscapeDataString(payload.ToJsonString());
}
