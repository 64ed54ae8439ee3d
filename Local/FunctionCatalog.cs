using System.Reflection;
using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace SgBridge.Local;

public enum TriggerKind
{
    Http,
    Queue,
    Timer,
}

/// <summary>
/// One function of the app, found as the Functions host finds it: a public method carrying <c>[Function]</c>, its
/// trigger read from the trigger parameter's attribute. Invoking it builds the function class from the service
/// provider for each invocation (as the isolated worker does) and binds the parameters the bridge's functions use.
/// </summary>
public sealed class FunctionDescriptor
{
    private readonly MethodInfo _method;

    private FunctionDescriptor(string name, MethodInfo method, TriggerKind kind)
    {
        Name = name;
        _method = method;
        Kind = kind;
    }

    public string Name { get; }

    public TriggerKind Kind { get; }

    /// <summary>HTTP: the route under the host's prefix; the methods; whether a function key is required.</summary>
    public string? Route { get; private init; }

    public IReadOnlyList<string> HttpMethods { get; private init; } = [];

    public AuthorizationLevel AuthLevel { get; private init; }

    /// <summary>Queue: the queue the trigger reads.</summary>
    public string? QueueName { get; private init; }

    /// <summary>Timer: the NCRONTAB schedule (six fields, with seconds) and whether it also runs at start-up.</summary>
    public string? Schedule { get; private init; }

    public bool RunOnStartup { get; private init; }

    public Type FunctionType => _method.DeclaringType!;

    /// <summary>Every <c>[Function]</c> in the assembly. A trigger or parameter the local host cannot bind stops it, naming the function.</summary>
    public static IReadOnlyList<FunctionDescriptor> Discover(Assembly assembly, IConfiguration configuration)
    {
        var found = new List<FunctionDescriptor>();
        foreach (var type in assembly.GetExportedTypes().Where(t => t is { IsClass: true, IsAbstract: false }))
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
            {
                if (method.GetCustomAttribute<FunctionAttribute>() is not { } function)
                {
                    continue;
                }
                found.Add(Describe(function.Name, method, configuration));
            }
        }
        var duplicate = found.GroupBy(f => f.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Two functions are named {duplicate.Key}.");
        }
        return found.OrderBy(f => f.Name, StringComparer.Ordinal).ToArray();
    }

    private static FunctionDescriptor Describe(string name, MethodInfo method, IConfiguration configuration)
    {
        FunctionDescriptor? descriptor = null;
        foreach (var parameter in method.GetParameters())
        {
            FunctionDescriptor? trigger = parameter.GetCustomAttribute<HttpTriggerAttribute>() is { } http
                ? new FunctionDescriptor(name, method, TriggerKind.Http)
                {
                    Route = (http.Route ?? name).Trim('/'),
                    HttpMethods = http.Methods is { Length: > 0 } m ? m.Select(x => x.ToUpperInvariant()).ToArray() : ["GET", "POST"],
                    AuthLevel = http.AuthLevel,
                }
                : parameter.GetCustomAttribute<QueueTriggerAttribute>() is { } queue
                    ? new FunctionDescriptor(name, method, TriggerKind.Queue) { QueueName = Resolve(queue.QueueName, configuration, name) }
                    : parameter.GetCustomAttribute<TimerTriggerAttribute>() is { } timer
                        ? new FunctionDescriptor(name, method, TriggerKind.Timer) { Schedule = Resolve(timer.Schedule, configuration, name), RunOnStartup = timer.RunOnStartup }
                        : null;
            if (trigger is null)
            {
                continue;
            }
            if (descriptor is not null)
            {
                throw new InvalidOperationException($"Function {name} has more than one trigger.");
            }
            descriptor = trigger;
        }
        if (descriptor is null)
        {
            throw new InvalidOperationException($"Function {name} has no trigger the local host knows (HTTP, queue or timer).");
        }
        foreach (var parameter in method.GetParameters())
        {
            if (!CanBind(descriptor.Kind, parameter.ParameterType))
            {
                throw new InvalidOperationException(
                    $"Function {name}: the local host cannot bind parameter '{parameter.Name}' of type {parameter.ParameterType.Name} for a {descriptor.Kind} trigger.");
            }
        }
        if (!CanReturn(descriptor.Kind, method.ReturnType))
        {
            throw new InvalidOperationException($"Function {name}: the local host cannot use a return type of {method.ReturnType.Name} for a {descriptor.Kind} trigger.");
        }
        return descriptor;
    }

    /// <summary>"%Setting%" in a trigger's argument is read from the app settings, as the host does.</summary>
    private static string Resolve(string value, IConfiguration configuration, string function)
    {
        if (value.Length > 2 && value[0] == '%' && value[^1] == '%')
        {
            var key = value[1..^1];
            return configuration[key.Replace("__", ":", StringComparison.Ordinal)]
                ?? throw new InvalidOperationException($"Function {function}: app setting {key} (named by its trigger) is not set.");
        }
        return value;
    }

    private static bool CanBind(TriggerKind kind, Type type) =>
        type == typeof(CancellationToken)
        || (kind == TriggerKind.Http && type == typeof(HttpRequest))
        || (kind == TriggerKind.Queue && (type == typeof(QueueMessage) || type == typeof(string) || type == typeof(BinaryData)))
        || (kind == TriggerKind.Timer && type == typeof(TimerInfo));

    private static bool CanReturn(TriggerKind kind, Type type) =>
        kind == TriggerKind.Http
            ? type == typeof(Task<IActionResult>) || type == typeof(IActionResult)
            : type == typeof(Task) || type == typeof(void) || type == typeof(ValueTask);

    /// <summary>Runs the function once; what it throws escapes (the caller decides: retry, poison, 500).</summary>
    public async Task<IActionResult?> InvokeAsync(IServiceProvider services, HttpRequest? request, QueueMessage? message, TimerInfo? timer, CancellationToken cancellationToken)
    {
        // Set synchronously here, so what the observer puts in an AsyncLocal flows into the function's awaits.
        using var observed = services.GetService<IFunctionInvocationObserver>()?.Begin(this, request, message);
        await using var scope = services.CreateAsyncScope();
        var instance = _method.IsStatic ? null : ActivatorUtilities.CreateInstance(scope.ServiceProvider, FunctionType);
        try
        {
            var arguments = _method.GetParameters().Select(p => Bind(p.ParameterType, request, message, timer, cancellationToken)).ToArray();
            object? result;
            try
            {
                result = _method.Invoke(instance, arguments);
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
                throw;
            }
            switch (result)
            {
                case Task<IActionResult> action:
                    return await action.ConfigureAwait(false);
                case IActionResult action:
                    return action;
                case Task task:
                    await task.ConfigureAwait(false);
                    return null;
                case ValueTask valueTask:
                    await valueTask.ConfigureAwait(false);
                    return null;
                default:
                    return null;
            }
        }
        finally
        {
            switch (instance)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
    }

    private object? Bind(Type type, HttpRequest? request, QueueMessage? message, TimerInfo? timer, CancellationToken cancellationToken)
    {
        if (type == typeof(CancellationToken))
        {
            return cancellationToken;
        }
        if (type == typeof(HttpRequest))
        {
            return request;
        }
        if (type == typeof(QueueMessage))
        {
            return message;
        }
        if (type == typeof(string))
        {
            return message?.MessageText;
        }
        if (type == typeof(BinaryData))
        {
            return message?.Body;
        }
        if (type == typeof(TimerInfo))
        {
            return timer;
        }
        throw new InvalidOperationException($"Function {Name}: the local host has no {type.Name} to pass.");
    }

    public override string ToString() => Kind switch
    {
        TriggerKind.Http => $"{Name}: {string.Join(',', HttpMethods)} /{Route} ({AuthLevel})",
        TriggerKind.Queue => $"{Name}: queue {QueueName}",
        _ => $"{Name}: timer {Schedule}{(RunOnStartup ? " (and at start-up)" : "")}",
    };
}

/// <summary>
/// Told when the local host starts a function (HTTP, queue or timer), before its first await: what it sets in an
/// <see cref="AsyncLocal{T}"/> flows into the function's calls (the bench attributes storage and AWS calls to the
/// function and event this way). Register it in <see cref="LocalBridgeOptions.ConfigureServices"/>; none by default.
/// </summary>
public interface IFunctionInvocationObserver
{
    /// <summary>Returns what is disposed when the invocation ends (or null).</summary>
    IDisposable? Begin(FunctionDescriptor function, HttpRequest? request, QueueMessage? message);
}
