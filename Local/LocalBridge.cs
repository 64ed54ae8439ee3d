using System.Globalization;
using System.Security.Cryptography;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SgBridge.Emulators;
using SgBridge.FunctionApp;
using SgBridge.Local.Aws;
using SgBridge.Local.Slack;
using SgBridge.Shared;
using SgBridge.Shared.Aws;

namespace SgBridge.Local;

/// <summary>
/// The bridge on one machine: the FunctionApp's function classes, found by their <c>[Function]</c> attributes, behind
/// Kestrel on the app's routes (<c>/api/…</c>, function keys enforced), queue triggers pumped with host.json's
/// semantics and timers on their schedules — composed only through <c>AddSgBridge</c>. By default it also starts
/// Azurite, serves an EC2/STS emulator (<c>/aws/</c>) and stands in for Slack (<c>/slack/api/…</c>), with the
/// approvers' page at <c>/</c>. <see cref="StartAsync"/> returns once everything answers; dispose to stop it all.
/// </summary>
public sealed class LocalBridge : IAsyncDisposable
{
    public const string Region = "eu-west-1";
    public const string ApproversChannel = "CAPPROVERS";
    public const string MonitoringChannel = "CMONITORING";
    public static readonly string[] Approvers = ["UAPPROVER1", "UAPPROVER2"];

    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private readonly List<QueueListener> _listeners = [];
    private readonly Dictionary<string, FunctionDescriptor> _functions;
    private readonly Azurite? _azurite;
    private readonly Moto? _moto;
    private bool _disposed;
    private bool _pumping;

    private LocalBridge(WebApplication app, Uri baseUrl, string functionKey, string signingSecret, IReadOnlyList<FunctionDescriptor> functions,
        HostSettings host, SlackWorkspace slack, AwsEmulator? aws, Azurite? azurite, Moto? moto, string storage, IReadOnlyDictionary<string, string?> settings)
    {
        Settings = settings;
        _app = app;
        BaseUrl = baseUrl;
        FunctionKey = functionKey;
        SigningSecret = signingSecret;
        Functions = functions;
        _functions = functions.ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);
        Host = host;
        Slack = slack;
        AwsEmulator = aws;
        _azurite = azurite;
        _moto = moto;
        StorageConnectionString = storage;
    }

    /// <summary>http://127.0.0.1:port/ — the approvers' page; the functions are under <c>api/</c>.</summary>
    public Uri BaseUrl { get; }

    public Uri AwsEventsUrl => new(BaseUrl, $"{Host.RoutePrefix}/{Routes.AwsEvents}");

    public Uri SlackInteractionsUrl => new(BaseUrl, $"{Host.RoutePrefix}/{Routes.SlackInteractions}");

    public string FunctionKey { get; }

    public string SigningSecret { get; }

    public IReadOnlyList<FunctionDescriptor> Functions { get; }

    public HostSettings Host { get; }

    /// <summary>The bridge's service provider (the one the functions run on).</summary>
    public IServiceProvider Services => _app.Services;

    /// <summary>The local Slack: the messages the page shows, the refusals, the directory.</summary>
    public SlackWorkspace Slack { get; }

    /// <summary>The in-process EC2/STS (null unless <see cref="LocalAwsMode.Emulator"/>).</summary>
    public AwsEmulator? AwsEmulator { get; }

    /// <summary>The endpoint the bridge's STS and EC2 clients use (the emulator, moto or the configured one).</summary>
    public string? AwsEndpoint => Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Shared.Options.AwsOptions>>().Value.Ec2Endpoint;

    public string StorageConnectionString { get; }

    /// <summary>The app settings the bridge runs with (<c>Section:Name</c>): the local defaults with the given ones over them.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; }

    public LocalCounters Counters => Services.GetRequiredService<LocalCounters>();

    /// <summary>The page's click path, as a library call: the same signed request the page sends.</summary>
    public SlackClicks Clicks => Services.GetRequiredService<SlackClicks>();

    public static async Task<LocalBridge> StartAsync(LocalBridgeOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LocalBridgeOptions();
        var host = options.Host ?? HostSettings.Embedded();
        Azurite? azurite = null;
        Moto? moto = null;
        try
        {
            var storage = options.StorageConnectionString;
            if (string.IsNullOrWhiteSpace(storage))
            {
                azurite = await Azurite.StartAsync(LocalRepoRoot.Find(options.RepoRoot)).ConfigureAwait(false);
                storage = azurite.ConnectionString;
            }
            if (options.Aws == LocalAwsMode.Moto)
            {
                moto = await Moto.StartAsync().ConfigureAwait(false);
            }
            // The port is chosen before the settings are built (the bridge's Slack and AWS endpoints point at this host).
            for (var attempt = 1; ; attempt++)
            {
                var port = options.Port != 0 ? options.Port : ChildProcess.FreePort();
                try
                {
                    return await StartOnAsync(options, host, port, storage, azurite, moto, cancellationToken).ConfigureAwait(false);
                }
                catch (IOException) when (options.Port == 0 && attempt < 5)
                {
                    // Another process took the free port between the probe and the bind: try another.
                }
            }
        }
        catch
        {
            if (moto is not null)
            {
                await moto.DisposeAsync().ConfigureAwait(false);
            }
            if (azurite is not null)
            {
                await azurite.DisposeAsync().ConfigureAwait(false);
            }
            throw;
        }
    }

    private static async Task<LocalBridge> StartOnAsync(LocalBridgeOptions options, HostSettings host, int port, string storage, Azurite? azurite, Moto? moto, CancellationToken cancellationToken)
    {
        var baseUrl = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/");
        var functionKey = string.IsNullOrWhiteSpace(options.FunctionKey) ? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)) : options.FunctionKey;
        var settings = DefaultSettings(options, host, baseUrl, storage, moto);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        // Only the settings given here: the machine's environment variables are not the app's settings.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls(baseUrl.ToString().TrimEnd('/'));
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(options.MinimumLogLevel);
        if (options.ConfigureLogging is { } configureLogging)
        {
            configureLogging(builder.Logging);
        }
        else
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        }
        // The functions' IActionResults are executed as the Functions ASP.NET Core integration executes them.
        builder.Services.AddMvcCore();

        builder.Services.AddSgBridge(builder.Configuration);
        if (options.Aws != LocalAwsMode.Settings)
        {
            // The one seam: there is no Entra ID here; the emulators accept any token.
            builder.Services.AddSingleton<IWebIdentityTokenSource, LocalWebIdentityToken>();
        }
        var aws = options.Aws == LocalAwsMode.Emulator ? new AwsEmulator() : null;
        if (aws is not null)
        {
            builder.Services.AddSingleton(aws);
        }
        var time = TimeProvider.System;
        var functions = FunctionDescriptor.Discover(typeof(Routes).Assembly, builder.Configuration);
        builder.Services.AddSingleton<LocalCounters>();
        builder.Services.AddSingleton(sp => new SlackWorkspace(sp.GetRequiredService<TimeProvider>(),
            options.SlackPayloadCheck ?? SlackChecks.Default, sp.GetRequiredService<ILoggerFactory>().CreateLogger("SgBridge.Local.Slack")));
        builder.Services.AddHttpClient(nameof(SlackClicks));
        builder.Services.AddSingleton(sp => new SlackClicks(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(SlackClicks)),
            new Uri(baseUrl, $"{host.RoutePrefix}/{Routes.SlackInteractions}"),
            options.SigningSecret, sp.GetRequiredService<SlackWorkspace>(), sp.GetRequiredService<TimeProvider>()));
        options.ConfigureServices?.Invoke(builder.Services);

        var app = builder.Build();
        var slack = app.Services.GetRequiredService<SlackWorkspace>();
        SeedDirectory(slack, settings);
        MapFunctions(app, functions, host, functionKey);
        if (aws is not null)
        {
            app.MapPost("/aws/", aws.HandleAsync);
        }
        app.MapPost("/slack/api/{method}", (HttpContext context, string method) => slack.HandleAsync(context, method));
        ApproversPage.Map(app, settings);

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var bridge = new LocalBridge(app, baseUrl, functionKey, options.SigningSecret, functions, host, slack, aws, azurite, moto, storage, settings);
        try
        {
            await bridge.StartTriggersAsync(options, storage, time, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await bridge.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return bridge;
    }

    private static Dictionary<string, string?> DefaultSettings(LocalBridgeOptions options, HostSettings host, Uri baseUrl, string storage, Moto? moto)
    {
        var aws = options.Aws switch
        {
            LocalAwsMode.Emulator => new Uri(baseUrl, "aws/").ToString(),
            LocalAwsMode.Moto => moto!.Url,
            LocalAwsMode.Endpoint => string.IsNullOrWhiteSpace(options.AwsEndpoint)
                ? throw new InvalidOperationException("LocalAwsMode.Endpoint needs LocalBridgeOptions.AwsEndpoint.")
                : options.AwsEndpoint,
            _ => null,
        };
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Storage:ConnectionString"] = storage,
            ["Policy:AllowedAccounts"] = "*",
            ["Aws:RoleArnPattern"] = "arn:aws:iam::{accountId}:role/SgBridgeExecutionRole",
            ["Aws:AuthMode"] = "WebIdentity",
            ["Aws:WebIdentityAudience"] = "api://sgbridge-local",
            // A per-run token in Slack's bot-token shape (the local Slack checks the shape, as Slack checks the token).
            ["Slack:BotToken"] = "xoxb-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)),
            ["Slack:SigningSecret"] = options.SigningSecret,
            ["Slack:ApproversChannel"] = ApproversChannel,
            ["Slack:MonitoringChannel"] = MonitoringChannel,
            ["Slack:ApproverUserIds"] = string.Join(',', Approvers),
            ["Slack:BaseUrl"] = new Uri(baseUrl, "slack/api/").ToString(),
            // host.json and the app must agree (the app checks it names the same count).
            ["Processing:MaxDequeueCount"] = host.MaxDequeueCount.ToString(CultureInfo.InvariantCulture),
        };
        if (aws is not null)
        {
            settings["Aws:StsEndpoint"] = aws;
            settings["Aws:Ec2Endpoint"] = aws;
            settings["Aws:MaxErrorRetry"] = "1";
        }
        foreach (var (key, value) in options.Settings)
        {
            settings[key.Replace("__", ":", StringComparison.Ordinal)] = value;
        }
        return settings;
    }

    /// <summary>users.lookupByEmail answers for the requester map's addresses (Slack:RequesterMap "arn-or-name=email" is not read here: a fixed demo directory).</summary>
    private static void SeedDirectory(SlackWorkspace slack, IReadOnlyDictionary<string, string?> settings)
    {
        slack.UsersByEmail["alice@example.com"] = "UREQUESTER";
        foreach (var key in settings.Keys.Where(k => k.StartsWith("Local:Users:", StringComparison.OrdinalIgnoreCase)))
        {
            slack.UsersByEmail[key["Local:Users:".Length..]] = settings[key] ?? "";
        }
    }

    private static void MapFunctions(WebApplication app, IReadOnlyList<FunctionDescriptor> functions, HostSettings host, string functionKey)
    {
        var prefix = string.IsNullOrEmpty(host.RoutePrefix) ? "" : "/" + host.RoutePrefix.Trim('/');
        foreach (var function in functions.Where(f => f.Kind == TriggerKind.Http))
        {
            app.MapMethods($"{prefix}/{function.Route}", function.HttpMethods, async (HttpContext context) =>
            {
                if (function.AuthLevel != Microsoft.Azure.Functions.Worker.AuthorizationLevel.Anonymous && !HasKey(context.Request, functionKey))
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    return;
                }
                IActionResult? result;
                try
                {
                    result = await function.InvokeAsync(context.RequestServices, context.Request, null, null, context.RequestAborted).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
                {
                    LocalLog.HttpFailed(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("SgBridge.Local.Http"), ex, function.Name);
                    context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                    return;
                }
                if (result is not null)
                {
                    await result.ExecuteResultAsync(new ActionContext(context, context.GetRouteData(), new ActionDescriptor())).ConfigureAwait(false);
                }
            });
        }
    }

    /// <summary>The host's function-key check: x-functions-key header or ?code=, compared in constant time.</summary>
    private static bool HasKey(HttpRequest request, string functionKey)
    {
        var given = request.Headers[Routes.FunctionKeyHeader].ToString();
        if (string.IsNullOrEmpty(given))
        {
            given = request.Query["code"].ToString();
        }
        return !string.IsNullOrEmpty(given)
            && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(given), System.Text.Encoding.UTF8.GetBytes(functionKey));
    }

    private async Task StartTriggersAsync(LocalBridgeOptions options, string storage, TimeProvider time, CancellationToken cancellationToken)
    {
        var logger = Services.GetRequiredService<ILoggerFactory>().CreateLogger("SgBridge.Local.Triggers");
        var counters = Services.GetRequiredService<LocalCounters>();
        _pumping = options.QueueTriggers;
        foreach (var function in Functions.Where(f => f.Kind == TriggerKind.Queue))
        {
            var listener = new QueueListener(storage, function, Host, Services, logger, counters, options.ConfigureStorageClients);
            await listener.CreateQueuesAsync(cancellationToken).ConfigureAwait(false);
            _listeners.Add(listener);
            if (options.QueueTriggers)
            {
                _loops.Add(Task.Run(() => listener.RunAsync(_stop.Token)));
            }
        }
        if (options.TimerTriggers)
        {
            foreach (var function in Functions.Where(f => f.Kind == TriggerKind.Timer))
            {
                var scheduler = new TimerScheduler(function, Services, time, logger, counters);
                _loops.Add(Task.Run(() => scheduler.RunAsync(_stop.Token)));
            }
        }
        else
        {
            // Schedules are still checked, so a bad one stops the host whether or not timers run.
            foreach (var function in Functions.Where(f => f.Kind == TriggerKind.Timer))
            {
                TimerScheduler.Parse(function);
            }
        }
    }

    /// <summary>Runs a function once now, as its trigger would (a timer tick, or a queue message given as text).</summary>
    public async Task RunAsync(string functionName, string? queueMessage = null, CancellationToken cancellationToken = default)
    {
        var function = _functions.GetValueOrDefault(functionName) ?? throw new ArgumentException($"No function is named {functionName}.", nameof(functionName));
        switch (function.Kind)
        {
            case TriggerKind.Timer:
                var now = TimeProvider.System.GetUtcNow().UtcDateTime;
                await function.InvokeAsync(Services, null, null, new Microsoft.Azure.Functions.Worker.TimerInfo
                {
                    ScheduleStatus = new Microsoft.Azure.Functions.Worker.ScheduleStatus { Last = now, Next = TimerScheduler.Parse(function).GetNextOccurrence(now), LastUpdated = now },
                }, cancellationToken).ConfigureAwait(false);
                break;
            case TriggerKind.Queue:
                var message = Azure.Storage.Queues.Models.QueuesModelFactory.QueueMessage(
                    Guid.NewGuid().ToString(), "local", BinaryData.FromString(queueMessage ?? ""), 1);
                await function.InvokeAsync(Services, null, message, null, cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new ArgumentException($"{functionName} is an HTTP function: call {BaseUrl}{Host.RoutePrefix}/{function.Route}.", nameof(functionName));
        }
    }

    /// <summary>
    /// The queue triggers of a host started with <see cref="LocalBridgeOptions.QueueTriggers"/> off, run until no
    /// queue in <paramref name="queues"/> (default: every triggered queue, poison queues last) yields a message: each
    /// round receives one batch per queue, in the order given, and handles it exactly as the running listener does
    /// (batch run concurrently; success deletes; failure releases the message for host.json's visibilityTimeout;
    /// the last try moves it to "&lt;queue&gt;-poison"), for at most <paramref name="maxRounds"/> rounds. A test sees
    /// every step finish before it looks.
    /// </summary>
    public async Task<DrainResult> DrainAsync(IReadOnlyList<string>? queues = null, int maxRounds = 500, CancellationToken cancellationToken = default)
    {
        if (_pumping)
        {
            throw new InvalidOperationException("The queue triggers are running on their own (LocalBridgeOptions.QueueTriggers): there is nothing to drain by hand.");
        }
        var listeners = queues is null
            ? _listeners.OrderBy(l => l.QueueName.EndsWith("-poison", StringComparison.Ordinal)).ToList()
            : queues.Select(q => _listeners.SingleOrDefault(l => l.QueueName == q) ?? throw new ArgumentException($"No queue trigger reads {q}.", nameof(queues))).ToList();
        int handled = 0, failed = 0, poisoned = 0, lost = 0;
        for (var round = 0; round < maxRounds; round++)
        {
            var received = 0;
            foreach (var listener in listeners)
            {
                var outcomes = await listener.RunBatchAsync(cancellationToken).ConfigureAwait(false);
                received += outcomes.Count;
                handled += outcomes.Count(o => o == QueueListener.Outcome.Handled);
                failed += outcomes.Count(o => o == QueueListener.Outcome.Failed);
                var moved = outcomes.Count(o => o == QueueListener.Outcome.Poisoned);
                if (listener.QueueName.EndsWith("-poison", StringComparison.Ordinal))
                {
                    lost += moved;
                }
                else
                {
                    poisoned += moved;
                }
            }
            if (received == 0)
            {
                return new DrainResult(handled, failed, poisoned, lost, Drained: true);
            }
        }
        return new DrainResult(handled, failed, poisoned, lost, Drained: false);
    }

    /// <summary>
    /// Holds the running triggers of <paramref name="queues"/>: they receive nothing (messages wait in the queue) until
    /// <see cref="ResumeQueues"/>. The benchmark uses it to measure the intake and revert path alone.
    /// </summary>
    public void HoldQueues(params string[] queues)
    {
        foreach (var queue in queues)
        {
            (_listeners.SingleOrDefault(l => l.QueueName == queue) ?? throw new ArgumentException($"No queue trigger reads {queue}.", nameof(queues))).Hold();
        }
    }

    /// <summary>Every held trigger receives again.</summary>
    public void ResumeQueues() => _listeners.ForEach(l => l.Resume());

    /// <summary>True when every pumped queue is empty and no message is being handled, seen twice 150 ms apart.</summary>
    public async Task<bool> IsIdleAsync(CancellationToken cancellationToken = default)
    {
        for (var check = 0; check < 2; check++)
        {
            foreach (var listener in _listeners)
            {
                if (!await listener.IsEmptyAsync(cancellationToken).ConfigureAwait(false))
                {
                    return false;
                }
            }
            await Task.Delay(150, cancellationToken).ConfigureAwait(false);
        }
        return _listeners.All(l => l.InFlight == 0);
    }

    /// <summary>A queue client with the host's encoding (to look at a queue, or put a message on it as the bridge does).</summary>
    public QueueClient Queue(string name) =>
        new(StorageConnectionString, name, new QueueClientOptions { MessageEncoding = Host.Base64Messages ? QueueMessageEncoding.Base64 : QueueMessageEncoding.None });

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
        }
        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
        if (_moto is not null)
        {
            await _moto.DisposeAsync().ConfigureAwait(false);
        }
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>What <see cref="DrainAsync"/> did: tries that succeeded, tries that failed (and were released), messages moved to
    /// a poison queue, poison messages whose reader failed too (moved on to "-poison-poison", which nothing reads), and
    /// whether the queues were empty at the end (false: <c>maxRounds</c> ran out first).</summary>
    public sealed record DrainResult(int Handled, int Failed, int Poisoned, int Lost, bool Drained);

    private sealed class LocalWebIdentityToken : IWebIdentityTokenSource
    {
        public Task<string> GetTokenAsync(CancellationToken cancellationToken) => Task.FromResult("local-web-identity-token");
    }
}
