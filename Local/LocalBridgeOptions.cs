using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SgBridge.Local;

/// <summary>Where the local host's AWS calls go.</summary>
public enum LocalAwsMode
{
    /// <summary>The in-process EC2/STS emulator served by the local host itself (<c>/aws/</c>): no Python, no account.</summary>
    Emulator,
    /// <summary>moto_server on a free loopback port, started and stopped by the host (<c>pip install 'moto[server]==5.2.1'</c>).</summary>
    Moto,
    /// <summary>
    /// An EC2/STS endpoint that is already running and accepts any web-identity token (<see cref="LocalBridgeOptions.AwsEndpoint"/>:
    /// a moto the tests share, or a fault-injecting proxy in front of it): nothing is started.
    /// </summary>
    Endpoint,
    /// <summary>Whatever the <c>Aws:*</c> settings say (real AWS, or an emulator you run): nothing is started or assumed.</summary>
    Settings,
}

/// <summary>How <see cref="LocalBridge.StartAsync"/> runs the bridge. Every default gives the whole loop on loopback.</summary>
public sealed class LocalBridgeOptions
{
    /// <summary>The repository (for node_modules/azurite). Blank: found upwards from the working directory, then from the app's directory.</summary>
    public string? RepoRoot { get; set; }

    /// <summary>A storage connection string to use instead of starting Azurite (e.g. an Azurite you run yourself).</summary>
    public string? StorageConnectionString { get; set; }

    public LocalAwsMode Aws { get; set; } = LocalAwsMode.Emulator;

    /// <summary>The endpoint for <see cref="LocalAwsMode.Endpoint"/> (e.g. http://127.0.0.1:5000).</summary>
    public string? AwsEndpoint { get; set; }

    /// <summary>Loopback port for the host (HTTP functions, the approvers' page, the local Slack and AWS). 0: a free one.</summary>
    public int Port { get; set; }

    /// <summary>The key <c>AuthorizationLevel.Function</c> routes require (x-functions-key or ?code=). Blank: a random one per run.</summary>
    public string? FunctionKey { get; set; }

    /// <summary>The Slack signing secret the bridge verifies and the page signs clicks with.</summary>
    public string SigningSecret { get; set; } = "local-signing-secret-" + Guid.NewGuid().ToString("N");

    /// <summary>App settings (<c>Section:Name</c> or <c>Section__Name</c>) over the local defaults; the same names as in Azure.</summary>
    public IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Queue triggers pumped on their own (off: messages wait on the queues until <see cref="LocalBridge.DrainAsync"/>
    /// runs the same triggers to quiescence, or a test hands them over itself).
    /// </summary>
    public bool QueueTriggers { get; set; } = true;

    /// <summary>Timer triggers on their schedules.</summary>
    public bool TimerTriggers { get; set; } = true;

    /// <summary>host.json's semantics. Blank: the repo's host.json, embedded at build time.</summary>
    public HostSettings? Host { get; set; }

    public LogLevel MinimumLogLevel { get; set; } = LogLevel.Warning;

    /// <summary>Where logs go (default: the console, at <see cref="MinimumLogLevel"/>).</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; set; }

    /// <summary>Runs after <c>AddSgBridge</c> and the local seams: a test replaces a clock or an I/O seam here.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; set; }

    /// <summary>
    /// Applied to the options of the storage clients the host's own triggers use (the queue listeners' receives, deletes
    /// and poison moves), e.g. to add a counting pipeline policy. The bridge's own clients come from <c>AddSgBridge</c>:
    /// replace them in <see cref="ConfigureServices"/>. Blank: the SDK's defaults.
    /// </summary>
    public Action<Azure.Core.ClientOptions>? ConfigureStorageClients { get; set; }

    /// <summary>Whether Slack would take a message (Slack's limits and escaping). Blank: the bridge's payload validator.</summary>
    public Slack.SlackPayloadCheck? SlackPayloadCheck { get; set; }
}
