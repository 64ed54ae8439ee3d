using System.Diagnostics;
using System.Globalization;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Microsoft.Extensions.Logging.Abstractions;
using SgBridge.Emulators;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Options;
using SgBridge.Shared.Slack;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace SgBridge.Bench;

/// <summary>
/// <c>--scenario approver-message</c>: what one approvers' message costs with and without the blast radius — EC2 calls
/// and wall time per message — on moto_server 5.2.1 with a group behind N instances (one with a public IP). Three
/// cases: without the blast radius (the builder only), with it on a cache miss (CacheTtl 0: one DescribeNetworkInterfaces
/// per message) and on a cache hit (default CacheTtl 2 min). Storage round trips are not part of it (the route row is
/// one point read per render, measured by the pipeline scenarios).
/// </summary>
public static class ApproverMessageCost
{
    public static async Task<int> RunAsync(string[] args)
    {
        var messages = Arg(args, "--messages", 200);
        var instances = Arg(args, "--instances", 20);
        if (Moto.FindCommand() is not { } command)
        {
            Console.Error.WriteLine(Moto.NotFoundMessage);
            return 2;
        }
        await using var moto = await Moto.StartAsync(command);
        var config = new AmazonEC2Config { ServiceURL = moto.Url, AuthenticationRegion = "eu-west-1" };
        using var ec2 = new AmazonEC2Client(new BasicAWSCredentials("AKIDBENCH", "bench-secret"), config);
        var group = await BuildAsync(ec2, instances);
        var counting = new CountingClient(new Ec2SecurityGroupClient(ec2, NullLogger<Ec2SecurityGroupClient>.Instance));
        var change = new SecurityGroupChange
        {
            EventId = Guid.NewGuid().ToString(),
            EventName = "AuthorizeSecurityGroupIngress",
            EventTime = DateTimeOffset.UtcNow,
            AccountId = "123456789012",
            Region = "eu-west-1",
            GroupId = group,
            Kind = ChangeKind.Add,
            Rules = [new SgBridge.Shared.Domain.SecurityGroupRule("tcp", 22, 22, RuleSource.Ipv4("0.0.0.0/0"), "debug")],
            Requester = new Requester(SgBridge.Shared.Domain.PrincipalType.IamUser, "arn:aws:iam::123456789012:user/bench", "123456789012", "AIDA", "bench", null, null, "198.51.100.1", "aws-cli", null),
        };
        var request = ChangeRequest.Open(RequestId.For(change.EventId), change, DateTimeOffset.UtcNow);
        request.MarkReverted(new CallOutcome("ec2:RevokeSecurityGroupIngress", true), DateTimeOffset.UtcNow);
        IReadOnlyList<ChangeRequest> batch = [request];

        var rows = new List<string>();
        var without = await MeasureAsync(messages, counting, () => Task.FromResult(ApprovalMessageBuilder.ForApprovers(batch, null, null)));
        rows.Add(Row("without blast radius", without, messages));
        foreach (var (name, ttl) in new[] { ("with blast radius, cache miss (CacheTtl 0)", TimeSpan.Zero), ("with blast radius, cache hit (CacheTtl 2 min)", TimeSpan.FromMinutes(2)) })
        {
            var reader = new BlastRadiusReader(counting, MsOptions.Create(new BlastRadiusOptions { CacheTtl = ttl }), TimeProvider.System, NullLogger<BlastRadiusReader>.Instance);
            await reader.ReadAsync(change.AccountId, change.Region, group, CancellationToken.None); // warm-up (JIT, connections; fills the cache)
            var cost = await MeasureAsync(messages, counting, async () =>
            {
                var radius = await reader.ReadAsync(change.AccountId, change.Region, group, CancellationToken.None);
                return ApprovalMessageBuilder.WithBlastRadius(ApprovalMessageBuilder.ForApprovers(batch, null, null), batch, radius!);
            });
            rows.Add(Row(name, cost, messages));
        }
        var report = $"""
            ## Approver-message cost (blast radius)

            `dotnet run -c Release --project bench -- --scenario approver-message --messages {messages} --instances {instances}` — moto_server 5.2.1, one group behind {instances} instances (one with a public IP), {messages} messages per case, sequential.

            | case | EC2 calls / message | mean ms / message | p95 ms |
            |---|---|---|---|
            {string.Join("\n", rows)}
            """;
        Console.Out.WriteLine(report);
        var results = Path.Combine(Program.RepoRoot(), "bench", "results");
        Directory.CreateDirectory(results);
        await File.WriteAllTextAsync(Path.Combine(results, "approver-message.md"), report + "\n");
        return 0;
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static string Row(string name, (double Calls, double MeanMs, double P95Ms) c, int messages) =>
        string.Create(CultureInfo.InvariantCulture, $"| {name} | {c.Calls / messages:F2} | {c.MeanMs:F2} | {c.P95Ms:F2} |");

    private static async Task<(double Calls, double MeanMs, double P95Ms)> MeasureAsync(int messages, CountingClient counting, Func<Task<SlackMessage>> build)
    {
        GC.KeepAlive(await build()); // warm-up: JIT and connection, not measured
        var before = counting.Calls;
        var times = new List<double>(messages);
        for (var i = 0; i < messages; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var message = await build();
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            GC.KeepAlive(message);
        }
        times.Sort();
        return (counting.Calls - before, times.Average(), times[(int)Math.Ceiling(times.Count * 0.95) - 1]);
    }

    private static async Task<string> BuildAsync(AmazonEC2Client ec2, int instances)
    {
        var vpc = (await ec2.CreateVpcAsync(new CreateVpcRequest { CidrBlock = "10.0.0.0/16" })).Vpc.VpcId;
        var subnet = (await ec2.CreateSubnetAsync(new CreateSubnetRequest { VpcId = vpc, CidrBlock = "10.0.1.0/24" })).Subnet.SubnetId;
        var group = (await ec2.CreateSecurityGroupAsync(new CreateSecurityGroupRequest { GroupName = "bench-web", Description = "bench", VpcId = vpc })).GroupId;
        for (var i = 0; i < instances; i++)
        {
            await ec2.RunInstancesAsync(new RunInstancesRequest
            {
                ImageId = "ami-12c6146b",
                MinCount = 1,
                MaxCount = 1,
                InstanceType = InstanceType.T3Micro,
                NetworkInterfaces = [new InstanceNetworkInterfaceSpecification { DeviceIndex = 0, SubnetId = subnet, Groups = [group], AssociatePublicIpAddress = i == 0 }],
            });
        }
        return group;
    }

    /// <summary>Counts the EC2 calls the blast radius makes (one per DescribeNetworkInterfaces page is one call on moto: it does not page).</summary>
    private sealed class CountingClient(ISecurityGroupClient inner) : ISecurityGroupClient, ISecurityGroupClientFactory
    {
        private long _calls;

        public long Calls => Interlocked.Read(ref _calls);

        public Task<ISecurityGroupClient> CreateAsync(string accountId, string region, CancellationToken cancellationToken) => Task.FromResult<ISecurityGroupClient>(this);

        public Task<GroupDescription?> DescribeGroupAsync(string? groupId, string? groupName, CancellationToken cancellationToken) => Count(inner.DescribeGroupAsync(groupId, groupName, cancellationToken));

        public Task<IReadOnlyList<SgBridge.Shared.Domain.SecurityGroupRule>> DescribeRulesAsync(string groupId, CancellationToken cancellationToken) => Count(inner.DescribeRulesAsync(groupId, cancellationToken));

        public Task<IReadOnlyList<GroupDescription>> DescribeRegionAsync(CancellationToken cancellationToken) => Count(inner.DescribeRegionAsync(cancellationToken));

        public Task<CallOutcome> ExecuteAsync(Ec2Write write, CancellationToken cancellationToken) => Count(inner.ExecuteAsync(write, cancellationToken));

        public Task<IReadOnlyList<NetworkInterfaceInfo>> DescribeNetworkInterfacesAsync(string groupId, CancellationToken cancellationToken) => Count(inner.DescribeNetworkInterfacesAsync(groupId, cancellationToken));

        public Task<IReadOnlyDictionary<string, string>?> DescribeGroupTagsAsync(string groupId, CancellationToken cancellationToken) => Count(inner.DescribeGroupTagsAsync(groupId, cancellationToken));

        private Task<T> Count<T>(Task<T> call)
        {
            Interlocked.Increment(ref _calls);
            return call;
        }
    }
}
