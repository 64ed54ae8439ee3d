namespace SgBridge.Tests.Events;

/// <summary>The records these tests hold (every rejection and invalid-value case), for tests elsewhere that must agree with the parser on all of them.</summary>
public sealed partial class CloudTrailParserTests
{
    internal static IEnumerable<(string Name, string Json)> Corpus() =>
        RejectionCases.Select(c => ("rejection: " + c.Key, c.Value.Json()))
            .Concat(InvalidValueCases.Select(c => ("invalid value: " + c.Key, c.Value.Json())));
}
