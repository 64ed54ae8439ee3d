namespace SgBridge.Shared.Storage;

/// <summary>Queue names. Constants because trigger attributes need them at compile time; the Bicep creates the same names.</summary>
public static class QueueNames
{
    /// <summary>Validated security group changes, waiting to be reverted and opened as requests.</summary>
    public const string Changes = "sgbridge-changes";

    /// <summary>What follows a request's transitions: nudges to perform its pending effects, catch-up re-drives and debounced
    /// renders.</summary>
    public const string Effects = "sgbridge-effects";

    /// <summary>Reconcile work: sweeps and onboarding per account and region, settle checks per group.</summary>
    public const string Reconcile = "sgbridge-reconcile";

    /// <summary>Where the Functions host moves a message after maxDequeueCount failed tries.</summary>
    public static string Poison(string queue) => queue + "-poison";
}
