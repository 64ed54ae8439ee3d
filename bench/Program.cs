using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Amazon.EC2.Model;
using Amazon.Runtime.Internal;

using SgBridge.Emulators;

namespace SgBridge.Bench;

public sealed class BenchOptions
{
    public string Scenario { get; set; } = "all";
    public string Ec2 { get; set; } = "auto";
    public int AwsDelayMs { get; set; } = 5;
    public int Receivers { get; set; } = 2;
    public int Batch { get; set; } = 32;
    public int IntakeConcurrency { get; set; } = 32;
    public int Approvals { get; set; } = 100;
    public int SmokeEvents { get; set; } = 50;
    public bool Smoke { get; set; }
    public bool Baseline { get; set; } = true;
    public TimeSpan? MaxPollingInterval { get; set; }

    /// <summary>Slack:BatchWindow for the bridge under test; zero turns batching off (one message per change).</summary>
    public TimeSpan? SlackBatchWindow { get; set; }

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--scenario": o.Scenario = Next(); break;
                case "--ec2": o.Ec2 = Next(); break;
                case "--aws-delay-ms": o.AwsDelayMs = Int(); break;
                case "--receivers": o.Receivers = Int(); break;
                case "--batch": o.Batch = Int(); break;
                case "--intake-concurrency": o.IntakeConcurrency = Int(); break;
                case "--approvals": o.Approvals = Int(); break;
                case "--smoke": o.Smoke = true; break;
                case "--events": o.SmokeEvents = Int(); break;
                case "--no-baseline": o.Baseline = false; break;
                case "--max-polling-ms": o.MaxPollingInterval = TimeSpan.FromMilliseconds(Int()); break;
                case "--slack-batch-window-s": o.SlackBatchWindow = TimeSpan.FromSeconds(Int()); break;
                default: throw new ArgumentException($"Unknown option {args[i]}. See docs/performance.md.");
            }
        }
        return o;
    }
}

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--serve-stubs")
        {
            return await StubServer.RunAsync(BenchOptions.Parse(args[1..]).AwsDelayMs);
        }
        var scenarioIndex = Array.IndexOf(args, "--scenario");
        if (scenarioIndex >= 0 && scenarioIndex + 1 < args.Length && args[scenarioIndex + 1] == "micro")
        {
            return Micro.Run(args.Where((_, i) => i != scenarioIndex && i != scenarioIndex + 1).ToArray());
        }
        var options = BenchOptions.Parse(args);
        return await RunAsync(options, args);
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SgBridge.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No SgBridge.sln above {AppContext.BaseDirectory}.");
    }

    private static async Task<int> RunAsync(BenchOptions options, string[] args)
    {
        var root = RepoRoot();
        var host = HostQueueSettings.Load(Path.Combine(root, "host.json"));
        if (options.MaxPollingInterval is { } poll)
        {
            host = host with { MaxPollingInterval = poll };
        }
        var motoCommand = options.Ec2 == "stub" ? null : Moto.FindCommand();
        if (options.Ec2 == "moto" && motoCommand is null)
        {
            Console.Error.WriteLine("--ec2 moto: moto_server not found (pip install 'moto[server]==5.2.1').");
            return 2;
        }
        var useMoto = motoCommand is not null;
        var counter = new AwsCallCounter();
        RuntimePipelineCustomizerRegistry.Instance.Register(counter);

        Console.Error.WriteLine("Starting Azurite, stubs" + (useMoto ? " and moto…" : "…"));
        var azuriteTask = Azurite.StartAsync(root);
        var stubsTask = StubProcess.StartAsync(options.AwsDelayMs);
        var motoTask = useMoto ? Moto.StartAsync(motoCommand!.Value) : Task.FromResult<Moto?>(null)!;
        await using var azurite = await azuriteTask;
        await using var stubs = await stubsTask;
        await using var moto = await motoTask;
        var awsUrl = moto?.Url ?? stubs.AwsUrl;
        var awsMode = useMoto ? "moto 5.2.1 (moto_server)" : $"stub EC2/STS (Kestrel, {options.AwsDelayMs} ms per call)";
        var workload = new Workload(awsUrl, useMoto, accounts: 10, groupsPerAccount: 10);
        await workload.CreateGroupsAsync();
        var ctx = new BenchContext
        {
            Options = options,
            Azurite = azurite,
            AwsUrl = awsUrl,
            SlackUrl = stubs.SlackUrl,
            AwsMode = awsMode,
            Stubs = stubs,
            Workload = workload,
            Host = host,
            Aws = counter,
            Template = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "samples", "authorize-ssh-from-internet.json")))!,
        };

        var run = new RunReport
        {
            Command = "dotnet run -c Release --project bench -- " + string.Join(' ', args),
            Aws = awsMode,
            Settings = new()
            {
                ["receivers/queue"] = options.Receivers.ToString(CultureInfo.InvariantCulture),
                ["batch"] = options.Batch.ToString(CultureInfo.InvariantCulture),
                ["newBatchThreshold"] = host.NewBatchThreshold.ToString(CultureInfo.InvariantCulture),
                ["maxPollingInterval"] = host.MaxPollingInterval.ToString(),
                ["maxDequeueCount"] = host.MaxDequeueCount.ToString(CultureInfo.InvariantCulture),
                ["intake concurrency"] = options.IntakeConcurrency.ToString(CultureInfo.InvariantCulture),
                ["accounts×groups"] = "10×10",
            },
        };

        if (options.Smoke)
        {
            var (smoke, _, _) = await Scenarios.RunEventsAsync(ctx, "smoke", options.SmokeEvents);
            run.Scenarios.Add(smoke);
            return await SmokeVerdictAsync(run, smoke, root);
        }

        if (useMoto)
        {
            run.MotoAloneMsPerCall = await MotoAloneAsync(workload);
        }
        var s = options.Scenario;
        if (s is "all" or "single")
        {
            // A first event warms the JIT and the connection pools, as a running host would be; then the measured one.
            await Scenarios.RunEventsAsync(ctx, "warmup", 20);
            run.Scenarios.Add((await Scenarios.RunEventsAsync(ctx, "single", 1)).Result);
        }
        if (s is "all" or "burst100" or "approvals")
        {
            var (burst, pipeline, events) = await Scenarios.RunEventsAsync(ctx, "burst-100", s == "approvals" ? options.Approvals : 100, keepPipeline: true);
            run.Scenarios.Add(burst);
            run.Scenarios.Add(await Scenarios.RunApprovalsAsync(ctx, pipeline, events.Take(options.Approvals).ToList()));
            await pipeline.DisposeAsync();
            await Scenarios.AddBaselinesAsync(ctx, burst);
        }
        if (s is "all" or "burst1000")
        {
            run.Scenarios.Add((await Scenarios.RunEventsAsync(ctx, "burst-1000", 1000)).Result);
        }
        run.Targets = Report.Targets(run);
        var markdown = Report.Markdown(run);
        Console.Out.WriteLine(markdown);
        await Report.WriteAsync(run, Path.Combine(root, "bench", "results"));
        Console.Error.WriteLine($"Wrote {Path.Combine(root, "bench", "results", "latest.md")} and latest.json");
        return 0;
    }

    /// <summary>Correctness only: every event stored and reverted, exactly one EC2 write each, nothing failed or poisoned.</summary>
    private static async Task<int> SmokeVerdictAsync(RunReport run, ScenarioResult r, string root)
    {
        var problems = new List<string>();
        if (r.IntakeStatuses.GetValueOrDefault("202") != r.Events) problems.Add($"intake accepted {r.IntakeStatuses.GetValueOrDefault("202")}/{r.Events}");
        if (r.RowsStored != r.Events) problems.Add($"stored {r.RowsStored}/{r.Events} requests");
        if (r.RowsByStatus.GetValueOrDefault("Pending") != r.Events) problems.Add($"statuses {string.Join(",", r.RowsByStatus.Select(kv => kv.Key + "=" + kv.Value))}, expected all Pending");
        if (r.Ec2WritesPerEvent is not { Min: 1, Max: 1 }) problems.Add($"EC2 writes per event {r.Ec2WritesPerEvent.Min}–{r.Ec2WritesPerEvent.Max}, expected exactly 1");
        if (r.Poisoned.Values.Sum() > 0 || r.Failed.Values.Sum() > 0) problems.Add($"failures {r.Failed.Values.Sum()}, poison {r.Poisoned.Values.Sum()}: {string.Join(" | ", r.ErrorSamples)}");
        if (r.StsPerAccount.Values.Any(n => n > 1)) problems.Add("more than one STS call for an account");
        run.Targets = Report.Targets(run);
        Console.Out.WriteLine(Report.Markdown(run));
        await Report.WriteAsync(run, Path.Combine(root, "bench", "results"));
        if (problems.Count > 0)
        {
            Console.Error.WriteLine("SMOKE FAILED: " + string.Join("; ", problems));
            return 1;
        }
        Console.Error.WriteLine($"SMOKE OK: {r.Events} events stored, 1 EC2 write each, no failures, no poison ({r.Aws}).");
        return 0;
    }

    /// <summary>moto's own time per EC2 call: sequential DescribeSecurityGroups through the SDK, nothing else running.</summary>
    private static async Task<double> MotoAloneAsync(Workload workload)
    {
        var account = workload.Accounts[0];
        var ec2 = workload.SetupClient(account);
        var group = workload.Groups[account][0];
        for (var i = 0; i < 20; i++)
        {
            await ec2.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { GroupIds = [group] });
        }
        var sw = Stopwatch.StartNew();
        const int n = 200;
        for (var i = 0; i < n; i++)
        {
            await ec2.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { GroupIds = [group] });
        }
        return sw.Elapsed.TotalMilliseconds / n;
    }
}
