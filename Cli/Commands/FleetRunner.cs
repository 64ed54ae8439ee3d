using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace SgBridge.Cli.Commands;

public enum FleetState
{
    /// <summary>Done, nothing to report.</summary>
    Ok,
    /// <summary>Done, and it found something (reconcile: differences).</summary>
    Found,
    /// <summary>Could not be done: the error says why; the other pairs went on.</summary>
    Failed,
}

/// <summary>What one account × region came to: a one-line summary, detail lines, and the JSON fields of the pair.</summary>
public sealed record FleetOutcome(FleetState State, string Summary, IReadOnlyList<string> Details, object? Json = null);

/// <summary>One account × region of a fleet run, with its outcome or its error.</summary>
public sealed record FleetResult(string Account, string Region, FleetOutcome Outcome, CliError? Error, TimeSpan Took);

/// <summary>
/// Runs a verb over accounts × regions: at most <c>parallel</c> pairs at once (each pair is one EC2 rate bucket, so a
/// pair's calls never compete with another's), each within <c>timeout</c>; a failed pair is recorded with its error and
/// the run goes on. Progress goes to stderr as each pair finishes; the detail and the summary table to stdout in a
/// fixed order (account, then region).
/// </summary>
public sealed class FleetRunner(CliContext context, int parallel, TimeSpan timeout)
{
    public const int DefaultParallel = 4;

    public const int MaxParallel = 16;

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    /// <summary>Draw a Spectre.Console progress bar (a terminal, no --json) instead of one stderr line per pair.</summary>
    public bool ShowProgress { get; init; }

    public async Task<IReadOnlyList<FleetResult>> RunAsync(IReadOnlyList<string> accounts, IReadOnlyList<string> regions,
        Func<string, string, CancellationToken, Task<FleetOutcome>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        var pairs = accounts.SelectMany(a => regions.Select(r => (Account: a, Region: r))).ToArray();
        if (!ShowProgress)
        {
            return await RunAsync(pairs, work, (done, result) =>
            {
                context.Error.WriteLine(ProgressLine(done, pairs.Length, result));
                context.Error.Flush();
            }, cancellationToken).ConfigureAwait(false);
        }
        var console = context.Terminal ?? AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        IReadOnlyList<FleetResult> results = [];
        await console.Progress().AutoClear(false).HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async progress =>
            {
                var bar = progress.AddTask(Markup.Escape($"{pairs.Length} account × region pair(s)"), maxValue: Math.Max(1, pairs.Length));
                var failed = 0;
                results = await RunAsync(pairs, work, (done, result) =>
                {
                    failed += result.Outcome.State == FleetState.Failed ? 1 : 0;
                    bar.Increment(1);
                    bar.Description = Markup.Escape($"{done}/{pairs.Length} done, {failed} failed; last {result.Account} {result.Region}: {Label(result.Outcome.State)}");
                }, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
        return results;
    }

    private static string ProgressLine(int done, int total, FleetResult result) =>
        $"[{done}/{total}] {result.Account} {result.Region}: {Label(result.Outcome.State)} ({result.Took.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s)";

    private async Task<IReadOnlyList<FleetResult>> RunAsync((string Account, string Region)[] pairs,
        Func<string, string, CancellationToken, Task<FleetOutcome>> work, Action<int, FleetResult> finished, CancellationToken cancellationToken)
    {
        var results = new FleetResult?[pairs.Length];
        var done = 0;
        var gate = new object();
        await Parallel.ForEachAsync(Enumerable.Range(0, pairs.Length), new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var (account, region) = pairs[i];
                var watch = Stopwatch.StartNew();
                using var bound = CancellationTokenSource.CreateLinkedTokenSource(ct);
                bound.CancelAfter(timeout);
                FleetResult result;
                try
                {
                    var outcome = await work(account, region, bound.Token).ConfigureAwait(false);
                    result = new FleetResult(account, region, outcome, null, watch.Elapsed);
                }
                catch (OperationCanceledException) when (bound.IsCancellationRequested && !ct.IsCancellationRequested)
                {
                    var error = new CliError("timeout", $"no answer within {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.",
                        "check the network path to AWS and storage, or give more --timeout.", ExitCodes.CannotRun);
                    result = new FleetResult(account, region, new FleetOutcome(FleetState.Failed, error.Message, []), error, watch.Elapsed);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    var error = CliErrors.Map(ex);
                    result = new FleetResult(account, region, new FleetOutcome(FleetState.Failed, error.Message, []), error, watch.Elapsed);
                }
                results[i] = result;
                lock (gate)
                {
                    done++;
                    finished(done, result);
                }
            }).ConfigureAwait(false);
        return results.Select(r => r!).ToArray();
    }

    public static string Label(FleetState state) => state switch
    {
        FleetState.Ok => "ok",
        FleetState.Found => "found",
        _ => "FAILED",
    };

    /// <summary>The detail lines of each pair, then the summary table: one row per account × region.</summary>
    public static void Print(IReadOnlyList<FleetResult> results, TextWriter o)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(o);
        foreach (var r in results)
        {
            o.WriteLine($"{r.Account} {r.Region}: {r.Outcome.Summary}");
            foreach (var line in r.Outcome.Details)
            {
                o.WriteLine("  " + line);
            }
            if (r.Error?.Fix is { } fix)
            {
                o.WriteLine("  fix: " + fix);
            }
        }
        o.WriteLine();
        var regionWidth = Math.Max("REGION".Length, results.Select(r => r.Region.Length).DefaultIfEmpty(0).Max());
        o.WriteLine($"{"ACCOUNT",-12}  {"REGION".PadRight(regionWidth)}  {"RESULT",-6}  {"TIME",6}  DETAIL");
        foreach (var r in results)
        {
            o.WriteLine($"{r.Account,-12}  {r.Region.PadRight(regionWidth)}  {Label(r.Outcome.State),-6}  {r.Took.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s",6}  {r.Outcome.Summary}");
        }
    }

    /// <summary>The JSON fields of a fleet run: one entry per pair.</summary>
    public static object Json(IReadOnlyList<FleetResult> results) => new
    {
        Results = results.Select(r => new
        {
            r.Account,
            r.Region,
            Result = Label(r.Outcome.State).ToLowerInvariant(),
            r.Outcome.Summary,
            Seconds = Math.Round(r.Took.TotalSeconds, 1),
            Detail = r.Outcome.Json,
            Error = r.Error is null ? null : new { r.Error.Kind, r.Error.Message, r.Error.Fix },
        }),
        Failed = results.Count(r => r.Outcome.State == FleetState.Failed),
    };
}
