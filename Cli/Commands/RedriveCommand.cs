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
        Exit code: 0 done (or nothing to move), 1 bad arguments, 3 settings invalid or storage unreachable.

        Examples:
          sgbridge redrive --dry-run --settings FunctionApp/local.settings.json
          sgbridge redrive --queue sgbridge-changes
        """;

    /// <summary>The queues with a poison queue the host fills.</summary>
    public static IReadOnlyList<string> Queues { get; } = [QueueNames.Changes, QueueNames.Effects, QueueNames.Reconcile];

    private const int ShownIds = 10;

    public Command Create(CliContext context)
    {
        var queue = new Option<string?>("--queue") { Description = $"The main queue whose poison queue to redrive ({string.Join(", ", Queues)}); default: all of them." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Count the poison messages and list the first ids; move nothing." };
        var command = new VerbCommand("redrive", "Moves poison messages back to their queue once the cause is fixed.", Description) { queue, dryRun };
        var settings = CliSettings.AddTo(command, context);
        VerbAction.Set(command, context, async (p, ct) =>
        {
            var names = Resolve(p.GetValue(queue));
            await using var services = settings.Load(p);
            var queues = services.Get<QueueServiceClient>();
            var total = 0;
            foreach (var name in names)
            {
                total += p.GetValue(dryRun)
                    ? await ListAsync(context, queues.GetQueueClient(QueueNames.Poison(name)), ct).ConfigureAwait(false)
                    : await MoveAsync(context, queues.GetQueueClient(QueueNames.Poison(name)), queues.GetQueueClient(name), ct).ConfigureAwait(false);
            }
            await context.Out.WriteLineAsync(p.GetValue(dryRun) ? $"Dry run: {total} poison message(s); nothing moved." : $"Redrive: {total} message(s) moved.").ConfigureAwait(false);
            return ExitCodes.Success;
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

    private static async Task<int> ListAsync(CliContext context, QueueClient poison, CancellationToken ct)
    {
        if (!(await poison.ExistsAsync(ct).ConfigureAwait(false)).Value)
        {
            await context.Out.WriteLineAsync($"{poison.Name}: 0 message(s)").ConfigureAwait(false);
            return 0;
        }
        var count = (await poison.GetPropertiesAsync(ct).ConfigureAwait(false)).Value.ApproximateMessagesCount;
        var first = (await poison.PeekMessagesAsync(ShownIds, ct).ConfigureAwait(false)).Value;
        await context.Out.WriteLineAsync($"{poison.Name}: {count} message(s)").ConfigureAwait(false);
        foreach (var m in first)
        {
            await context.Out.WriteLineAsync($"  {m.MessageId} (tries {m.DequeueCount}, inserted {m.InsertedOn:u})").ConfigureAwait(false);
        }
        return count;
    }

    private static async Task<int> MoveAsync(CliContext context, QueueClient poison, QueueClient main, CancellationToken ct)
    {
        if (!(await poison.ExistsAsync(ct).ConfigureAwait(false)).Value)
        {
            await context.Out.WriteLineAsync($"{poison.Name}: nothing to move").ConfigureAwait(false);
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
                    await context.Out.WriteLineAsync($"  {m.MessageId} -> {main.Name}").ConfigureAwait(false);
                }
                moved++;
            }
        }
        await context.Out.WriteLineAsync($"{poison.Name}: {moved} message(s) moved to {main.Name}").ConfigureAwait(false);
        return moved;
    }
}
