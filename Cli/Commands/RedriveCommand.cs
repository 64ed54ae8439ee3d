using System.CommandLine;
using Azure.Storage.Queues;
using SgBridge.Shared.Storage;

namespace SgBridge.Cli.Commands;

/// <summary><c>sgbridge redrive</c>: moves messages from a poison queue back to the queue they came from.</summary>
public sealed class RedriveCommand : ICliVerb
{
    private const string Description = """
        Moves the messages in <queue>-poison back to <queue>, once the cause of the failures is fixed: each is received,
        sent to the main queue as it was (its tries start again from one) and only then deleted from the poison queue, so
        a failure half-way leaves a message in both queues rather than in neither (the workers are idempotent).
        The poison readers record and remove what they can; what is left in a poison queue is what they could not record
        (storage down) or what arrived while they were disabled (AzureWebJobs.<Function>.Disabled=true keeps messages for
        redrive). --dry-run only counts the messages and lists the first ids. Uses the function app's storage (Storage:*).
        A queue that fails (storage refuses or cannot be reached) is reported and the others go on.
        Exit code: 0 done (or nothing to move), 4 some queue failed (the others are done), 1 bad arguments,
        3 settings invalid or storage unreachable (every queue failed).

        Examples:
          sgbridge redrive --dry-run --settings FunctionApp/local.settings.json
          sgbridge redrive --queue sgbridge-changes
          sgbridge redrive --dry-run --json
        """;

    /// <summary>The queues with a poison queue the host fills.</summary>
    public static IReadOnlyList<string> Queues { get; } = [QueueNames.Changes, QueueNames.Effects, QueueNames.Reconcile];

    private const int ShownIds = 10;

    public Command Create(CliContext context)
    {
        var queue = new Option<string?>("--queue") { Description = $"The main queue whose poison queue to redrive ({string.Join(", ", Queues)}); default: all of them." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Count the poison messages and list the first ids; move nothing." };
        var json = new Option<bool>("--json") { Description = "Print the result as one sgbridge/v1 JSON document (per queue: moved or counted, or its error)." };
        var command = new VerbCommand("redrive", "Moves poison messages back to their queue once the cause is fixed.", Description) { queue, dryRun, json };
        var settings = CliSettings.AddTo(command, context);
        VerbAction.Set(command, context, async (p, ct) =>
        {
            var names = Resolve(p.GetValue(queue));
            var asJson = p.GetValue(json);
            var o = asJson ? TextWriter.Null : context.Out;
            await using var services = settings.Load(p);
            var queues = services.Get<QueueServiceClient>();
            var results = new List<(string Queue, int Count, CliError? Error)>();
            foreach (var name in names)
            {
                // One queue failing (a storage error) does not stop the others; the exit code says so at the end.
                try
                {
                    var count = p.GetValue(dryRun)
                        ? await ListAsync(o, queues.GetQueueClient(QueueNames.Poison(name)), ct).ConfigureAwait(false)
                        : await MoveAsync(o, queues.GetQueueClient(QueueNames.Poison(name)), queues.GetQueueClient(name), ct).ConfigureAwait(false);
                    results.Add((name, count, null));
                }
                catch (Exception ex) when (ex is not OperationCanceledException && CliErrors.Map(ex) is { Kind: not "internal" } error)
                {
                    if (error.Kind == "settings")
                    {
                        throw;
                    }
                    results.Add((name, 0, error));
                    await o.WriteLineAsync($"{QueueNames.Poison(name)}: FAILED: {error.Message} Fix: {error.Fix}").ConfigureAwait(false);
                }
            }
            var total = results.Sum(r => r.Count);
            var failed = results.Count(r => r.Error is not null);
            var exit = failed == 0 ? ExitCodes.Success : failed == results.Count ? ExitCodes.CannotRun : ExitCodes.PartlyFailed;
            if (asJson)
            {
                await context.Out.WriteLineAsync(CliJson.Document("redrive", exit, new
                {
                    DryRun = p.GetValue(dryRun),
                    Queues = results.Select(r => new { r.Queue, Poison = QueueNames.Poison(r.Queue), Messages = r.Count, Error = r.Error is null ? null : new { r.Error.Kind, r.Error.Message, r.Error.Fix } }),
                    Total = total,
                })).ConfigureAwait(false);
            }
            else
            {
                await context.Out.WriteLineAsync((p.GetValue(dryRun) ? $"Dry run: {total} poison message(s); nothing moved." : $"Redrive: {total} message(s) moved.")
                    + (failed == 0 ? "" : $" {failed} queue(s) failed (see above).")).ConfigureAwait(false);
            }
            if (failed == results.Count && results.Count > 0)
            {
                var first = results[0].Error!;
                await context.Error.WriteLineAsync(first.Line("redrive")).ConfigureAwait(false);
            }
            return exit;
        });
        return command;
    }

    private static IReadOnlyList<string> Resolve(string? queue)
    {
        if (queue is null)
        {
            return Queues;
        }
        var main = queue.EndsWith("-poison", StringComparison.Ordinal) ? queue[..^"-poison".Length] : queue;
        return Queues.Contains(main, StringComparer.Ordinal)
            ? [main]
            : throw new CliUsageException($"Unknown queue '{queue}': use one of {string.Join(", ", Queues)}.");
    }

    private static async Task<int> ListAsync(TextWriter o, QueueClient poison, CancellationToken ct)
    {
        if (!(await poison.ExistsAsync(ct).ConfigureAwait(false)).Value)
        {
            await o.WriteLineAsync($"{poison.Name}: 0 message(s)").ConfigureAwait(false);
            return 0;
        }
        var count = (await poison.GetPropertiesAsync(ct).ConfigureAwait(false)).Value.ApproximateMessagesCount;
        var first = (await poison.PeekMessagesAsync(ShownIds, ct).ConfigureAwait(false)).Value;
        await o.WriteLineAsync($"{poison.Name}: {count} message(s)").ConfigureAwait(false);
        foreach (var m in first)
        {
            await o.WriteLineAsync($"  {m.MessageId} (tries {m.DequeueCount}, inserted {m.InsertedOn:u})").ConfigureAwait(false);
        }
        return count;
    }

    private static async Task<int> MoveAsync(TextWriter o, QueueClient poison, QueueClient main, CancellationToken ct)
    {
        if (!(await poison.ExistsAsync(ct).ConfigureAwait(false)).Value)
        {
            await o.WriteLineAsync($"{poison.Name}: nothing to move").ConfigureAwait(false);
            return 0;
        }
        await main.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
        var moved = 0;
        while (true)
        {
            // Received messages stay invisible for a minute: a crash here leaves them to reappear, not lost.
            var batch = (await poison.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(1), ct).ConfigureAwait(false)).Value;
            if (batch.Length == 0)
            {
                break;
            }
            foreach (var m in batch)
            {
                await main.SendMessageAsync(m.Body, cancellationToken: ct).ConfigureAwait(false);
                await poison.DeleteMessageAsync(m.MessageId, m.PopReceipt, ct).ConfigureAwait(false);
                if (moved < ShownIds)
                {
                    await o.WriteLineAsync($"  {m.MessageId} -> {main.Name}").ConfigureAwait(false);
                }
                moved++;
            }
        }
        await o.WriteLineAsync($"{poison.Name}: {moved} message(s) moved to {main.Name}").ConfigureAwait(false);
        return moved;
    }
}
