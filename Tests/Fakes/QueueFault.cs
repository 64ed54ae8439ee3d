namespace SgBridge.Tests.Fakes;

/// <summary>How a queue send goes wrong.</summary>
public enum QueueFaultKind
{
    /// <summary>The send throws; nothing went in.</summary>
    Throw,

    /// <summary>The send never answers (until its token is cancelled); nothing went in.</summary>
    Hang,

    /// <summary>The message went in, but the sender saw an error (the answer was lost on the way back).</summary>
    LoseAnswer,
}

/// <summary>A fault on one queue for the next <paramref name="times"/> sends (set on <see cref="RecordingQueue.Fault"/>).</summary>
public sealed class QueueFault(string queue, QueueFaultKind kind, int times = 1)
{
    private readonly Lock _gate = new();
    private int _remaining = times;

    /// <summary>How many sends the fault hit.</summary>
    public int Hits { get; private set; }

    public async Task BeforeAsync(string queueName, CancellationToken cancellationToken)
    {
        if (kind == QueueFaultKind.LoseAnswer || queueName != queue || !Take())
        {
            return;
        }
        if (kind == QueueFaultKind.Hang)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        throw new SgBridge.Shared.Storage.StorageUnavailableException("The queue service is unavailable (injected fault).", null);
    }

    public void After(string queueName)
    {
        if (kind == QueueFaultKind.LoseAnswer && queueName == queue && Take())
        {
            throw new IOException("The connection was reset before the answer arrived (injected fault).");
        }
    }

    private bool Take()
    {
        lock (_gate)
        {
            if (_remaining == 0)
            {
                return false;
            }
            _remaining--;
            Hits++;
            return true;
        }
    }
}
