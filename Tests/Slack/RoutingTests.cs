using SgBridge.Shared.Options;
using SgBridge.Shared.Slack;
using O = Microsoft.Extensions.Options.Options;

namespace SgBridge.Tests.Slack;

/// <summary>Choosing a route (tag over account over alias, first listed within a kind, else the global settings) and validating Slack:Routes.</summary>
public sealed class RoutingTests
{
    private const string Prod = "222222222222";
    private const string Dev = "333333333333";

    private static SlackOptions Options(params SlackRoute[] routes) => SlackTestOptions.Create(o =>
    {
        o.Routes = [.. routes];
        o.BreakGlassUserIds = "UBREAK";
    });

    private static SlackRoute Route(string match, string channel, string users = "UROUTE", bool includeGlobal = false, string? monitoring = null) =>
        new() { Match = match, ApproversChannel = channel, ApproverUserIds = users, IncludeGlobalApprovers = includeGlobal, MonitoringChannel = monitoring };

    private static ApprovalRouter Router(SlackOptions options) =>
        new(O.Create(options), O.Create(new PolicyOptions { AllowedAccounts = $"{Prod},{Dev}", AccountAliases = $"{Prod}=prod, {Dev}=dev" }));

    private static readonly Dictionary<string, string> ProdTag = new(StringComparer.Ordinal) { ["env"] = "prod" };

    [Fact]
    public void Select_NoRoutes_IsTheGlobalDefault()
    {
        var route = Router(Options()).Select(Prod, ProdTag);

        Assert.True(route.IsDefault);
        Assert.Equal(("C0APPROVERS", "C0MONITOR"), (route.ApproversChannel, route.MonitoringChannel));
        Assert.Equal(["U111", "U222"], route.ApproverUserIds);
    }

    [Fact]
    public void Select_TagBeatsAccountBeatsAlias_WhateverTheOrder()
    {
        var router = Router(Options(Route("alias:prod", "CALIAS"), Route($"account:{Prod}", "CACCOUNT"), Route("tag:env=prod", "CTAG")));

        Assert.Equal("CTAG", router.Select(Prod, ProdTag).ApproversChannel);
        Assert.Equal("CACCOUNT", router.Select(Prod, new Dictionary<string, string> { ["env"] = "dev" }).ApproversChannel);
        Assert.Equal("CACCOUNT", router.Select(Prod, null).ApproversChannel);
        Assert.Equal("C0APPROVERS", router.Select(Dev, null).ApproversChannel);
    }

    [Fact]
    public void Select_AliasRoute_MatchesTheAliasCaseInsensitively_AndOnlyThatAccount()
    {
        var router = Router(Options(Route("alias:PROD", "CALIAS")));

        Assert.Equal("CALIAS", router.Select(Prod, null).ApproversChannel);
        Assert.True(router.Select(Dev, null).IsDefault);
    }

    [Fact]
    public void Select_TwoRoutesOfOneKind_FirstListedWins()
    {
        var router = Router(Options(Route("tag:env=prod", "CFIRST"), Route("tag:team=pay", "CSECOND")));
        var both = new Dictionary<string, string> { ["env"] = "prod", ["team"] = "pay" };

        Assert.Equal("CFIRST", router.Select(Dev, both).ApproversChannel);
    }

    [Fact]
    public void Select_TagValueMustMatchExactly_AndUnknownTagsMatchNoTagRoute()
    {
        var router = Router(Options(Route("tag:env=prod", "CTAG")));

        Assert.True(router.Select(Dev, new Dictionary<string, string> { ["env"] = "Prod" }).IsDefault);
        Assert.True(router.Select(Dev, new Dictionary<string, string> { ["ENV"] = "prod" }).IsDefault);
        Assert.True(router.Select(Dev, null).IsDefault);
        Assert.True(router.NeedsTags);
        Assert.False(Router(Options(Route($"account:{Prod}", "CA"))).NeedsTags);
    }

    [Fact]
    public void Route_WithoutMonitoringChannel_UsesTheGlobalOne_AndGlobalApproversOnlyWhenIncluded()
    {
        var router = Router(Options(Route($"account:{Prod}", "CPROD", monitoring: "CPRODMON"), Route($"account:{Dev}", "CDEV", includeGlobal: true)));

        var prod = router.Select(Prod, null);
        var dev = router.Select(Dev, null);

        Assert.Equal("CPRODMON", prod.MonitoringChannel);
        Assert.Equal(["UROUTE"], prod.ApproverUserIds);
        Assert.Equal("C0MONITOR", dev.MonitoringChannel);
        Assert.Equal(["UROUTE", "U111", "U222"], dev.ApproverUserIds);
    }

    [Fact]
    public void ByName_FindsTheRecordedRoute_AndNullForOneNoLongerConfigured()
    {
        var router = Router(Options(Route("tag:env=prod", "CTAG")));

        Assert.Equal("CTAG", router.ByName("tag:env=prod")!.ApproversChannel);
        Assert.True(router.ByName(ApprovalRoute.DefaultName)!.IsDefault);
        Assert.Null(router.ByName("tag:env=gone"));
    }

    [Fact]
    public void Validate_GoodRoutes_Succeeds()
    {
        var result = new SlackOptionsValidator().Validate(null, Options(
            Route($"account:{Prod}", "CPROD"), Route("alias:dev", "GPRIVATE", users: "W0ENTERPRISE"), Route("tag:env=prod", "CTAG", users: "", includeGlobal: true)));

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData("", "Slack:Routes:0:Match '' must be")]
    [InlineData("account:12345", "Slack:Routes:0:Match 'account:12345' must be")]
    [InlineData("account:1234567890123", "Slack:Routes:0:Match")]
    [InlineData("alias:", "Slack:Routes:0:Match 'alias:'")]
    [InlineData("tag:env", "Slack:Routes:0:Match 'tag:env'")]
    [InlineData("tag:=prod", "Slack:Routes:0:Match 'tag:=prod'")]
    [InlineData("region:eu-west-1", "Slack:Routes:0:Match 'region:eu-west-1'")]
    public void Validate_BadMatch_FailsNamingTheSetting(string match, string expected)
    {
        var result = new SlackOptionsValidator().Validate(null, Options(Route(match, "CPROD")));

        Assert.False(result.Succeeded);
        Assert.Contains(expected, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EdgeLengths_TagKey128AndValue256Accepted_LongerRefused()
    {
        var ok = new SlackOptionsValidator().Validate(null, Options(Route($"tag:{new string('k', 128)}={new string('v', 256)}", "CTAG")));
        var longKey = new SlackOptionsValidator().Validate(null, Options(Route($"tag:{new string('k', 129)}=v", "CTAG")));
        var longValue = new SlackOptionsValidator().Validate(null, Options(Route($"tag:k={new string('v', 257)}", "CTAG")));
        var emptyValue = new SlackOptionsValidator().Validate(null, Options(Route("tag:k=", "CTAG")));

        Assert.True(ok.Succeeded, ok.FailureMessage);
        Assert.False(longKey.Succeeded);
        Assert.False(longValue.Succeeded);
        Assert.True(emptyValue.Succeeded, emptyValue.FailureMessage);
    }

    [Fact]
    public void Validate_EveryFieldChecked_EachErrorNamesItsField()
    {
        var result = new SlackOptionsValidator().Validate(null, SlackTestOptions.Create(o =>
        {
            o.Routes =
            [
                new SlackRoute { Match = $"account:{Prod}", ApproversChannel = "#prod", ApproverUserIds = "alice", ApproverUserGroupIds = "G123", MonitoringChannel = "mon" },
                new SlackRoute { Match = $"account:{Prod}", ApproversChannel = "CPROD" },
            ];
            o.BreakGlassUserIds = "UOK, bob";
        }));

        Assert.False(result.Succeeded);
        var message = result.FailureMessage;
        Assert.Contains("Slack:Routes:0:ApproversChannel '#prod'", message, StringComparison.Ordinal);
        Assert.Contains("Slack:Routes:0:MonitoringChannel 'mon'", message, StringComparison.Ordinal);
        Assert.Contains("Slack:Routes:0:ApproverUserIds has 'alice'", message, StringComparison.Ordinal);
        Assert.Contains("Slack:Routes:0:ApproverUserGroupIds has 'G123'", message, StringComparison.Ordinal);
        Assert.Contains("Slack:Routes:1:Match 'account:222222222222' is listed twice", message, StringComparison.Ordinal);
        Assert.Contains("Slack:Routes:1 has no approvers", message, StringComparison.Ordinal);
        Assert.Contains("Slack:BreakGlassUserIds has 'bob'", message, StringComparison.Ordinal);
        Assert.DoesNotContain("'UOK'", message, StringComparison.Ordinal);
    }
}
