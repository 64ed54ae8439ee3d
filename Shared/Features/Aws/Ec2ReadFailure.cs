namespace SgBridge.Shared.Aws;

/// <summary>An EC2 read for a message or a policy decision: bounded by a budget, its failure put in words an approver can act on.</summary>
public static class Ec2ReadFailure
{
    /// <summary>
    /// Runs <paramref name="read"/> within <paramref name="budget"/>; any failure but the caller's cancellation becomes a
    /// reason (AWS error codes only, no secrets). <c>WaitAsync</c>: a call that ignores its token still cannot hold the caller.
    /// </summary>
    public static async Task<(T? Value, string? Failure)> TryAsync<T>(
        Func<CancellationToken, Task<T>> read, TimeSpan budget, string call, string? remedy, CancellationToken cancellationToken)
    {
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(budget);
        try
        {
            return (await read(bounded.Token).WaitAsync(bounded.Token).ConfigureAwait(false), null);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return (default, Reason(ex, budget, call, remedy));
        }
    }

    public static string Reason(Exception ex, TimeSpan budget, string call, string? remedy) => ex switch
    {
        OperationCanceledException or TimeoutException => $"no answer from EC2 within {budget.TotalSeconds:0.##} s",
        AwsServiceException { Service: "EC2" } e when Ec2ErrorText.Normalise(e.ErrorCode) is "RequestLimitExceeded" or "Throttling" =>
            $"EC2 throttled the read ({Ec2ErrorText.Normalise(e.ErrorCode)})",
        AwsServiceException { Service: "EC2" } e when Ec2ErrorText.Normalise(e.ErrorCode) is "UnauthorizedOperation" or "AccessDenied" or "AccessDeniedException" =>
            $"the bridge's role may not call ec2:{call} ({Ec2ErrorText.Normalise(e.ErrorCode)}){remedy}",
        AwsServiceException { Service: "EC2" } e => $"EC2 error {(Ec2ErrorText.Normalise(e.ErrorCode) is { Length: > 0 } code ? code : "HTTP " + e.StatusCode)}",
        AwsServiceException e => $"AWS error {(e.ErrorCode is { Length: > 0 } code ? code : e.Service)}",
        HttpRequestException => "EC2 could not be reached",
        _ => ex.GetType().Name,
    };
}
