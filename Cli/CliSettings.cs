using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using SgBridge.Shared;
using SgBridge.Shared.Options;
using SgBridge.Shared.Storage;

namespace SgBridge.Cli;

/// <summary>
/// Reads the function app's settings the way the app gets them, and builds the app's own service graph from them.
/// Sources, later winning: the <c>Values</c> of a Functions <c>local.settings.json</c> given with <c>--settings</c>,
/// then environment variables. Keys may be written <c>Section__Name</c> (app settings, environment) or
/// <c>Section:Name</c>. Every verb that talks to Azure, AWS or Slack gets its services here, so they all read the
/// same settings the same way.
/// </summary>
public sealed class CliSettings
{
    private readonly CliContext _context;

    private CliSettings(CliContext context)
    {
        _context = context;
        FileOption = new Option<string?>("--settings")
        {
            Description = "A Functions local.settings.json whose Values hold the app settings (Storage__ConnectionString, …). " +
                          "Environment variables (Section__Name) override it.",
            HelpName = "local.settings.json",
        };
    }

    public Option<string?> FileOption { get; }

    /// <summary>How long a Slack Web API call may take from the CLI.</summary>
    public static readonly TimeSpan SlackTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The CLI's own bounds, over whatever the settings say: AWS calls are retried once (a person is waiting).</summary>
    public static IReadOnlyDictionary<string, string?> Bounds { get; } = new Dictionary<string, string?>(StringComparer.Ordinal)
    {
        ["Aws:MaxErrorRetry"] = "1",
    };

    /// <summary>Adds <c>--settings</c> to <paramref name="command"/>; the verb calls <see cref="Load"/> in its action.</summary>
    public static CliSettings AddTo(Command command, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(command);
        var settings = new CliSettings(context);
        command.Options.Add(settings.FileOption);
        return settings;
    }

    /// <summary>
    /// The configuration and the app's services (<c>AddSgBridge</c>) plus the CLI's read-only helpers. Options are
    /// validated when a service needing them is first resolved, so a verb needs only the settings it uses.
    /// </summary>
    public CliServices Load(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        var configuration = new ConfigurationBuilder()
            .AddConfiguration(BuildConfiguration(_context.Environment, parseResult.GetValue(FileOption)))
            .AddInMemoryCollection(Bounds)
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton(_context.Time);
        services.AddLogging();
        services.AddSgBridge(configuration);
        services.TryAddSingleton<RequestQuery>();
        // Bounded storage clients (CliStorage): a person is waiting, and a bad connection string is a settings error.
        services.AddSingleton(sp => new Lazy<(TableServiceClient Tables, QueueServiceClient Queues)>(() => CliStorage.Create(sp.GetRequiredService<IOptions<StorageOptions>>().Value)));
        services.Replace(ServiceDescriptor.Singleton(sp => sp.GetRequiredService<Lazy<(TableServiceClient Tables, QueueServiceClient Queues)>>().Value.Tables));
        services.Replace(ServiceDescriptor.Singleton(sp => sp.GetRequiredService<Lazy<(TableServiceClient Tables, QueueServiceClient Queues)>>().Value.Queues));
        services.AddHttpClient<SlackDiagnostics>(http => http.Timeout = SlackTimeout);
        services.AddOptions<CliOptions>().BindConfiguration(CliOptions.SectionName);
        services.AddSingleton<Commands.SlackLinkReader>();
        // Who decides (requests approve|deny): the Entra user of the credential the CLI reaches storage with, if any.
        services.AddSingleton(sp => new EntraOperator(CliStorage.Credential(sp.GetRequiredService<IOptions<StorageOptions>>().Value)));
        _context.ConfigureServices?.Invoke(services);
        return new CliServices(configuration, services.BuildServiceProvider());
    }

    /// <summary>The settings file's Values, then the environment (the later source wins), keys as <c>Section:Name</c>.</summary>
    public static IConfigurationRoot BuildConfiguration(IReadOnlyDictionary<string, string?> environment, string? settingsFile)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var builder = new ConfigurationBuilder();
        if (settingsFile is not null)
        {
            builder.AddInMemoryCollection(ReadLocalSettings(settingsFile));
        }
        builder.AddInMemoryCollection(environment.Select(e => KeyValuePair.Create(ToConfigurationKey(e.Key), e.Value)));
        return builder.Build();
    }

    /// <summary>The <c>Values</c> object of a Functions local.settings.json.</summary>
    public static IReadOnlyList<KeyValuePair<string, string?>> ReadLocalSettings(string path)
    {
        if (!File.Exists(path))
        {
            throw new CliUsageException($"--settings: no such file: {path}");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new CliUsageException($"--settings: {path} is not valid JSON: {ex.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("Values", out var values) || values.ValueKind != JsonValueKind.Object)
            {
                throw new CliUsageException($"--settings: {path} has no \"Values\" object (the shape of a Functions local.settings.json).");
            }
            if (root.TryGetProperty("IsEncrypted", out var encrypted) && encrypted.ValueKind == JsonValueKind.True)
            {
                throw new CliUsageException($"--settings: {path} is encrypted; decrypt it first (func settings decrypt).");
            }
            return values.EnumerateObject()
                .Select(p => KeyValuePair.Create(ToConfigurationKey(p.Name), p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString(),
                    JsonValueKind.Null => null,
                    _ => p.Value.GetRawText(),
                }))
                .ToArray();
        }
    }

    /// <summary><c>Slack__BotToken</c> → <c>Slack:BotToken</c>, as the environment-variable configuration source does.</summary>
    public static string ToConfigurationKey(string key) => key.Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);

    /// <summary><c>Slack:BotToken</c> → <c>Slack__BotToken</c>, the form an app setting or an environment variable takes.</summary>
    public static string ToAppSettingName(string key) => key.Replace(ConfigurationPath.KeyDelimiter, "__", StringComparison.Ordinal);
}

/// <summary>The configuration and the service provider a verb works with.</summary>
public sealed class CliServices(IConfigurationRoot configuration, ServiceProvider provider) : IAsyncDisposable
{
    public IConfigurationRoot Configuration { get; } = configuration;

    public IServiceProvider Provider => provider;

    public T Get<T>()
        where T : notnull => provider.GetRequiredService<T>();

    public ValueTask DisposeAsync() => provider.DisposeAsync();
}

/// <summary>A mistake in the command line or in a file it names: reported with the verb's help hint, exit code 1.</summary>
public sealed class CliUsageException(string message) : Exception(message);
