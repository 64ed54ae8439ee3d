using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Events;
using SgBridge.Shared.Slack;

namespace SgBridge.Bench;

/// <summary>CloudTrailParser.Parse on every sample (the intake's CPU work per event).</summary>
[MemoryDiagnoser]
public class ParserBenchmarks
{
    private byte[] _body = [];

    public static IEnumerable<string> Samples => Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "samples"), "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    [ParamsSource(nameof(Samples))]
    public string Sample { get; set; } = "";

    [GlobalSetup]
    public void Setup() => _body = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "samples", Sample));

    [Benchmark]
    public ParseResult Parse() => CloudTrailParser.Parse(_body.AsSpan());
}

/// <summary>ApprovalMessageBuilder for a reverted request (what NotificationService renders per notification).</summary>
[MemoryDiagnoser]
public class MessageBuilderBenchmarks
{
    private ChangeRequest _request = null!;

    [GlobalSetup]
    public void Setup()
    {
        var body = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "samples", "authorize-mixed-sources.json"));
        if (!CloudTrailParser.Parse(body.AsSpan()).TryGetChange(out var change))
        {
            throw new InvalidOperationException("The sample did not parse.");
        }
        _request = ChangeRequest.Open(RequestId.For(change.EventId), change, DateTimeOffset.UtcNow);
        _request.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress", true), DateTimeOffset.UtcNow);
    }

    [Benchmark]
    public SlackMessage ForApprovers() => ApprovalMessageBuilder.ForApprovers([_request], "prod", "UREQUESTER");

    [Benchmark]
    public SlackMessage ForMonitoring() => ApprovalMessageBuilder.ForMonitoring([_request], "prod", "UREQUESTER");

    [Benchmark]
    public string ForApproversJson() => ApprovalMessageBuilder.ForApprovers([_request], "prod", "UREQUESTER").Blocks.ToJsonString();
}

public static class Micro
{
    /// <summary>In-process toolchain (no generated project to build), short runs: minutes, not tens of minutes, on 2 cores.</summary>
    public static int Run(string[] bdnArgs)
    {
        var config = ManualConfig.Create(DefaultConfig.Instance)
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator)
            .WithArtifactsPath(Path.Combine(Program.RepoRoot(), "bench", "results", "BenchmarkDotNet"));
        var summaries = BenchmarkSwitcher.FromTypes([typeof(ParserBenchmarks), typeof(MessageBuilderBenchmarks)]).Run(bdnArgs.Length == 0 ? ["--filter", "*"] : bdnArgs, config);
        return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
    }
}
