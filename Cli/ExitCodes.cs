namespace SgBridge.Cli;

/// <summary>
/// The exit codes of every verb (docs/cli.md lists them). Scripts can tell "you called it wrong" (1) from
/// "it ran and the answer is bad" (2) from "it could not run" (3)
/// from "it ran over the fleet, and some accounts or regions failed" (4).
/// </summary>
public static class ExitCodes
{
    /// <summary>Done; the answer is good (or there is nothing to report).</summary>
    public const int Success = 0;

    /// <summary>Bad arguments or options, an unknown verb, an unreadable --settings file: nothing was done.</summary>
    public const int Usage = 1;

    /// <summary>It ran and the answer is negative: plan rejected an event, doctor found a failing check, no such request.</summary>
    public const int Failed = 2;

    /// <summary>It could not do its job: the settings it needs are invalid, storage is unreachable, the output cannot be written.</summary>
    public const int CannotRun = 3;

    /// <summary>A fleet run (baseline, reconcile) finished, but one account × region or more failed: the summary table says which and why.</summary>
    public const int PartlyFailed = 4;
}
