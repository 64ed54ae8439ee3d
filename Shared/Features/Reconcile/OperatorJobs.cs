using SgBridge.Shared.Storage;

namespace SgBridge.Shared.Reconcile;

/// <summary>
/// What an operator asks the function app to do, by queue message only (<c>baseline --enqueue</c>, <c>reconcile
/// --enqueue</c>): the app does the AWS work with its own identity, so the operator needs only queue send and table read.
/// </summary>
public sealed class OperatorJobs(IQueueSender queue)
{
    /// <summary>Onboarding of each account × region. Returns how many jobs were queued.</summary>
    public Task<int> EnqueueBaselineAsync(IEnumerable<string> accounts, IEnumerable<string> regions, bool force, CancellationToken cancellationToken) =>
        SendAsync(accounts, regions, (a, r) => new BaselineRegion(a, r, force), cancellationToken);

    /// <summary>A sweep of each account × region; <paramref name="reportOnly"/>: report every difference, change nothing in AWS.</summary>
    public Task<int> EnqueueReconcileAsync(IEnumerable<string> accounts, IEnumerable<string> regions, bool reportOnly, CancellationToken cancellationToken) =>
        SendAsync(accounts, regions, (a, r) => new SweepRegion(a, r, reportOnly), cancellationToken);

    private async Task<int> SendAsync(IEnumerable<string> accounts, IEnumerable<string> regions, Func<string, string, ReconcileMessage> job, CancellationToken cancellationToken)
    {
        var regionList = regions.ToArray();
        var messages = accounts.SelectMany(_ => regionList, job).ToArray();
        foreach (var message in messages)
        {
            await ReconcileMessage.SendAsync(queue, message, cancellationToken).ConfigureAwait(false);
        }
        return messages.Length;
    }
}
