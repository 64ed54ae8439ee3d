using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Processing;

/// <summary>
/// Sends the effects nudges of concurrent transitions together (a group commit). A nudge raised while no send is in
/// flight goes at once, alone; nudges raised while one is in flight wait for it and then go as one
/// <see cref="NudgeMany"/> message. There is no timer and no linger: a lone transition is nudged as soon as it would be
/// alone, and a burst sends one message per send's round trip instead of one per request. Each caller waits for the
/// send that carries its nudge (and may stop waiting: the send goes on, bounded by <see cref="RequestLifecycle.NudgeBudget"/>).
/// </summary>
public sealed class NudgeSender(IQueueSender queue)
{
    /// <summary>At most this many nudges in one message (each may carry its request: the queue's 64 KB limit).</summary>
    public const int MaxPerMessage = 16;

    private readonly Lock _gate = new();
    private List<Waiting> _waiting = [];
    private bool _draining;

    /// <summary>A nudge waiting to be sent, with its caller's context: a round's message goes out in the context of its first
    /// nudge's caller (its trace, and the invocation it is counted for), not in the previous round's.</summary>
    private sealed record Waiting(NudgeEffects Nudge, TaskCompletionSource Sent, ExecutionContext? Context);

    /// <summary>Sends <paramref name="nudge"/>, alone or with the nudges raised while the previous send was in flight.</summary>
    public Task SendAsync(NudgeEffects nudge, CancellationToken cancellationToken)
    {
        var waiting = new Waiting(nudge, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), ExecutionContext.Capture());
        bool lead;
        lock (_gate)
        {
            _waiting.Add(waiting);
            lead = !_draining;
            _draining = true;
        }
        if (lead)
        {
            _ = DrainAsync();
        }
        return waiting.Sent.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Sends what is waiting, one message per round, until nothing is (never throws: each caller gets its send's outcome).</summary>
    private async Task DrainAsync()
    {
        while (true)
        {
            List<Waiting> round;
            lock (_gate)
            {
                if (_waiting.Count == 0)
                {
                    _draining = false;
                    return;
                }
                round = _waiting.Count <= MaxPerMessage ? _waiting : _waiting[..MaxPerMessage];
                _waiting = _waiting.Count <= MaxPerMessage ? [] : _waiting[MaxPerMessage..];
            }
            using var limit = new CancellationTokenSource(RequestLifecycle.NudgeBudget);
            try
            {
                IReadOnlyList<NudgeEffects> nudges = [.. round.Select(w => w.Nudge)];
                Task send = null!;
                if (round[0].Context is { } context)
                {
                    ExecutionContext.Run(context, _ => send = SendRoundAsync(nudges, limit.Token), null);
                }
                else
                {
                    send = SendRoundAsync(nudges, limit.Token);
                }
                await send.WaitAsync(limit.Token).ConfigureAwait(false);
                round.ForEach(w => w.Sent.TrySetResult());
            }
            catch (Exception ex)
            {
                round.ForEach(w => w.Sent.TrySetException(ex));
            }
        }
    }

    /// <summary>One message; one too large for the queue goes as one message per nudge, each without its row if need be.</summary>
    private async Task SendRoundAsync(IReadOnlyList<NudgeEffects> nudges, CancellationToken ct)
    {
        try
        {
            await EffectsMessage.SendAsync(queue, nudges.Count == 1 ? nudges[0] : new NudgeMany(nudges), TimeSpan.Zero, ct).ConfigureAwait(false);
            return;
        }
        catch (QueueMessageTooLargeException) when (nudges.Count > 1 || nudges[0].Written is not null)
        {
        }
        foreach (var nudge in nudges)
        {
            try
            {
                await EffectsMessage.SendAsync(queue, nudge, TimeSpan.Zero, ct).ConfigureAwait(false);
            }
            catch (QueueMessageTooLargeException) when (nudge.Written is not null)
            {
                await EffectsMessage.SendAsync(queue, nudge with { Written = null }, TimeSpan.Zero, ct).ConfigureAwait(false);
            }
        }
    }
}
