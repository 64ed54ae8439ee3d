using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Amazon.EC2;
using Amazon.EC2.Model;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Azure;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using SgBridge.Shared.Aws;
using SgBridge.Shared.Options;
using SgBridge.Shared.Slack;
using SgBridge.Shared.Storage;

namespace SgBridge.Cli.Commands;

/// <summary>The checks behind <c>sgbridge doctor</c>, run with the app's own services, in order; each reads only.</summary>
internal sealed partial class DoctorChecks(CliServices services, Action<CheckResult>? onResult = null, DoctorDelivery? delivery = null, TimeProvider? time = null)
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The options types the app validates at start, with their sections.</summary>
    private static readonly (Type Type, string Section)[] Sections =
    [
        (typeof(PolicyOptions), PolicyOptions.SectionName),
        (typeof(ProcessingOptions), ProcessingOptions.SectionName),
        (typeof(StorageOptions), StorageOptions.SectionName),
        (typeof(AwsOptions), AwsOptions.SectionName),
        (typeof(SlackOptions), SlackOptions.SectionName),
    ];

    private readonly List<CheckResult> _results = [];
    private readonly HashSet<string> _invalidSections = new(StringComparer.Ordinal);

    /// <summary>No storage client could be built from the settings (see "storage access"): checks that read storage are skipped.</summary>
    private bool _storageUnusable;

    public async Task<IReadOnlyList<CheckResult>> RunAsync(IReadOnlyList<string> regions, CancellationToken cancellationToken)
    {
        CheckSettings();
        await CheckStorageAsync(cancellationToken).ConfigureAwait(false);
        var accounts = await CheckStsAsync(cancellationToken).ConfigureAwait(false);
        await CheckEc2Async(accounts, regions, cancellationToken).ConfigureAwait(false);
        await CheckSlackAsync(cancellationToken).ConfigureAwait(false);
        await CheckSlashCommandAsync(cancellationToken).ConfigureAwait(false);
        await CheckHeartbeatAsync(cancellationToken).ConfigureAwait(false);
        return _results;
    }

    /// <summary>Records a check's result and hands it to <c>onResult</c> at once (doctor streams each check as it finishes).</summary>
    private void Add(string area, string name, CheckState state, string detail, string? fix = null)
    {
        var result = new CheckResult(area, name, state, detail, fix);
        _results.Add(result);
        onResult?.Invoke(result);
    }

    // ---- settings -------------------------------------------------------------------------------------------------

    /// <summary>The app's own start-up validation (every ValidateOnStart options type), failures grouped by section.</summary>
    private void CheckSettings()
    {
        var failures = new List<OptionsValidationException>();
        try
        {
            services.Get<IStartupValidator>().Validate();
        }
        catch (OptionsValidationException ex)
        {
            failures.Add(ex);
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is OptionsValidationException))
        {
            failures.AddRange(ex.InnerExceptions.Cast<OptionsValidationException>());
        }

        foreach (var (type, section) in Sections)
        {
            var mine = failures.Where(f => f.OptionsType == type).SelectMany(f => f.Failures).ToArray();
            if (mine.Length == 0)
            {
                Add("settings", section, CheckState.Passed, "valid");
                continue;
            }
            _invalidSections.Add(section);
            foreach (var failure in mine)
            {
                var setting = SettingName(section, failure);
                Add("settings", CliSettings.ToAppSettingName(setting), CheckState.Failed, Clean(failure),
                    $"set {CliSettings.ToAppSettingName(setting)} in the app settings (locally: --settings local.settings.json Values, or an environment variable).");
            }
        }
        foreach (var other in failures.Where(f => Sections.All(s => s.Type != f.OptionsType)))
        {
            _invalidSections.Add(other.OptionsType.Name);
            foreach (var failure in other.Failures)
            {
                Add("settings", other.OptionsType.Name, CheckState.Failed, Clean(failure), "fix the setting named in the message.");
            }
        }
    }

    /// <summary>"Aws:WebIdentityAudience" from the message, else the member DataAnnotations names, else the section.</summary>
    internal static string SettingName(string section, string failure)
    {
        if (SettingInText().Match(failure) is { Success: true } named && named.Groups["section"].Value == section)
        {
            return named.Value;
        }
        if (MemberInText().Match(failure) is { Success: true } member)
        {
            return $"{section}:{member.Groups["member"].Value}";
        }
        return section;
    }

    private static string Clean(string failure) => VerbAction.CleanFailure(failure);

    // ---- storage --------------------------------------------------------------------------------------------------

    private async Task CheckStorageAsync(CancellationToken cancellationToken)
    {
        if (_invalidSections.Contains(StorageOptions.SectionName))
        {
            Add("storage", "access", CheckState.Skipped, "skipped: the Storage settings are not valid (see above).");
            return;
        }
        var options = services.Get<IOptions<StorageOptions>>().Value;
        var auth = string.IsNullOrWhiteSpace(options.ConnectionString)
            ? $"managed identity on account {options.AccountName}" + (string.IsNullOrWhiteSpace(options.ClientId) ? "" : $" (client id {options.ClientId})")
            : "connection string";
        TableServiceClient tables;
        QueueServiceClient queues;
        try
        {
            tables = services.Get<TableServiceClient>();
            queues = services.Get<QueueServiceClient>();
        }
        catch (CliFailureException ex)
        {
            _storageUnusable = true;
            Add("storage", "access", CheckState.Failed, ex.Error.Message, ex.Error.Fix);
            return;
        }
        foreach (var name in new[] { options.RequestsTable, options.GroupsTable })
        {
            await RunAsync("storage", $"table {name}", async ct =>
            {
                var exists = false;
                await foreach (var _ in tables.QueryAsync(t => t.Name == name, maxPerPage: 1, cancellationToken: ct).ConfigureAwait(false))
                {
                    exists = true;
                    break;
                }
                if (!exists)
                {
                    return (CheckState.Passed, $"reachable with the {auth}; not created yet (the app creates it on first use).");
                }
                await foreach (var _ in tables.GetTableClient(name).QueryAsync<TableEntity>(maxPerPage: 1, select: ["PartitionKey"], cancellationToken: ct).ConfigureAwait(false))
                {
                    break;
                }
                return (CheckState.Passed, $"exists and can be read with the {auth}.");
            }, StorageFix(options), cancellationToken).ConfigureAwait(false);
        }
        foreach (var name in new[] { QueueNames.Changes, QueueNames.Effects })
        {
            await RunAsync("storage", $"queue {name}", async ct =>
            {
                var queue = queues.GetQueueClient(name);
                if (!(await queue.ExistsAsync(ct).ConfigureAwait(false)).Value)
                {
                    return (CheckState.Passed, $"reachable with the {auth}; not created yet (the Bicep deployment or the first message creates it).");
                }
                var properties = await queue.GetPropertiesAsync(ct).ConfigureAwait(false);
                return (CheckState.Passed, $"exists, {properties.Value.ApproximateMessagesCount} message(s) waiting.");
            }, StorageFix(options), cancellationToken).ConfigureAwait(false);
        }
    }

    private static Func<Exception, string?> StorageFix(StorageOptions options) => ex => ex switch
    {
        RequestFailedException { Status: 403 } when !string.IsNullOrWhiteSpace(options.ConnectionString) =>
            "the account key in Storage__ConnectionString is wrong or rotated: copy the current connection string.",
        RequestFailedException { Status: 403 } =>
            "grant the identity 'Storage Table Data Contributor' and 'Storage Queue Data Contributor' on the account (bicep/modules/rbac.bicep), and check Storage__ClientId.",
        AuthenticationFailedException or CredentialUnavailableException =>
            "no Azure credential: run where the managed identity is, or `az login`; set Storage__ClientId for a user-assigned identity.",
        _ => "check Storage__ConnectionString / Storage__AccountName, the network path to the account and its firewall.",
    };

    // ---- AWS ------------------------------------------------------------------------------------------------------

    /// <summary>Assumes the member role in each allowed account; returns the accounts that worked.</summary>
    private async Task<IReadOnlyList<string>> CheckStsAsync(CancellationToken cancellationToken)
    {
        var rawAccounts = services.Configuration[$"{PolicyOptions.SectionName}:{nameof(PolicyOptions.AllowedAccounts)}"];
        if (SettingList.Parse(rawAccounts).Contains("*"))
        {
            Add("sts", "accounts", CheckState.Skipped,
                "skipped: Policy:AllowedAccounts is '*', so there is no list of accounts to try.",
                "to check member roles, run doctor with Policy__AllowedAccounts=<the accounts to check>.");
            return [];
        }
        if (_invalidSections.Contains(PolicyOptions.SectionName) || _invalidSections.Contains(AwsOptions.SectionName))
        {
            Add("sts", "accounts", CheckState.Skipped, "skipped: the Policy or Aws settings are not valid (see above).");
            return [];
        }
        var aws = services.Get<IOptions<AwsOptions>>().Value;
        var cache = services.Get<AssumedRoleCredentialCache>();
        var ok = new List<string>();
        foreach (var account in services.Get<IOptions<PolicyOptions>>().Value.AllowedAccountSet.Order(StringComparer.Ordinal))
        {
            var role = aws.RoleArnFor(account);
            var passed = await RunAsync("sts", $"account {account}", async ct =>
            {
                var credentials = await cache.GetAsync(account, ct).ConfigureAwait(false);
                return (CheckState.Passed, $"assumed {role} ({Verb(aws)}); credentials until {RequestView.Time(credentials.Expiration)}.");
            }, ex => StsFix(ex, aws, account, role), cancellationToken).ConfigureAwait(false);
            if (passed)
            {
                ok.Add(account);
            }
        }
        return ok;
    }

    private static string Verb(AwsOptions aws) => aws.AuthMode == AwsAuthMode.WebIdentity ? "sts:AssumeRoleWithWebIdentity" : "sts:AssumeRole";

    private static string? StsFix(Exception ex, AwsOptions aws, string account, string role) => ex switch
    {
        AmazonSecurityTokenServiceException { ErrorCode: "AccessDenied" } or SgBridge.Shared.Aws.RoleNotAssumableException =>
            $"the role {role} is missing in {account} or its trust policy does not admit the bridge: deploy aws-bootstrap/sgbridge-member-role.yaml there (StackSet) " +
            (aws.AuthMode == AwsAuthMode.WebIdentity
                ? $"and check its aud condition is {aws.WebIdentityAudience} and its sub the managed identity's object id."
                : "and check it requires the ExternalId in Aws__ExternalId and trusts the bridge's AWS principal."),
        AmazonSecurityTokenServiceException { ErrorCode: "InvalidIdentityToken" or "IDPRejectedClaim" } =>
            $"AWS does not accept the Entra token: account {account} needs the IAM OIDC provider for the tenant (https://sts.windows.net/<tenant-id>/) with client id {aws.WebIdentityAudience}.",
        AmazonSecurityTokenServiceException { ErrorCode: "RegionDisabledException" } =>
            $"activate STS in {aws.StsRegion} for account {account}, or set Aws__StsRegion to an active region.",
        AuthenticationFailedException or CredentialUnavailableException =>
            $"no Entra token for {aws.WebIdentityAudience}: run where the managed identity is (or `az login`), set Aws__ManagedIdentityClientId for a user-assigned identity.",
        AmazonServiceException or HttpRequestException or IOException =>
            "check Aws__StsEndpoint / Aws__StsRegion and the network path to STS.",
        _ => null,
    };

    private async Task CheckEc2Async(IReadOnlyList<string> accounts, IReadOnlyList<string> requestedRegions, CancellationToken cancellationToken)
    {
        if (accounts.Count == 0)
        {
            Add("ec2", "read", CheckState.Skipped, "skipped: no account's role could be assumed (see sts).");
            return;
        }
        var aws = services.Get<IOptions<AwsOptions>>().Value;
        var regions = requestedRegions.Count > 0 ? requestedRegions : [string.IsNullOrWhiteSpace(aws.StsRegion) ? "us-east-1" : aws.StsRegion];
        var cache = services.Get<AssumedRoleCredentialCache>();
        foreach (var account in accounts)
        {
            foreach (var region in regions)
            {
                await RunAsync("ec2", $"{account} {region}", async ct =>
                {
                    var c = (await cache.GetAsync(account, ct).ConfigureAwait(false)).Credentials;
                    using var ec2 = new AmazonEC2Client(new SessionAWSCredentials(c.AccessKey, c.SecretKey, c.Token), Ec2SecurityGroupClientFactory.BuildConfig(aws, region));
                    var groups = await ec2.DescribeSecurityGroupsAsync(new DescribeSecurityGroupsRequest { MaxResults = 5 }, ct).ConfigureAwait(false);
                    await ec2.DescribeSecurityGroupRulesAsync(new DescribeSecurityGroupRulesRequest { MaxResults = 5 }, ct).ConfigureAwait(false);
                    var n = groups.SecurityGroups?.Count ?? 0;
                    return (CheckState.Passed, $"DescribeSecurityGroups and DescribeSecurityGroupRules answered ({n} group(s) on a first page of at most 5).");
                }, ex => ex switch
                {
                    AmazonEC2Exception { ErrorCode: "UnauthorizedOperation" or "AccessDenied" } =>
                        $"the member role in {account} needs ec2:DescribeSecurityGroups and ec2:DescribeSecurityGroupRules: redeploy aws-bootstrap/sgbridge-member-role.yaml.",
                    AmazonEC2Exception { ErrorCode: "AuthFailure" or "OptInRequired" } =>
                        $"{region} is not enabled for account {account}: enable it, or leave it out of --region.",
                    _ => "check Aws__Ec2Endpoint and the network path to EC2.",
                }, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    // ---- Slack ----------------------------------------------------------------------------------------------------

    private async Task CheckSlackAsync(CancellationToken cancellationToken)
    {
        // Bound without validation: auth.test needs only the token, even when other Slack settings are wrong.
        var slack = services.Configuration.GetSection(SlackOptions.SectionName).Get<SlackOptions>() ?? new SlackOptions();
        if (string.IsNullOrWhiteSpace(slack.BotToken))
        {
            Add("slack", "auth.test", CheckState.Skipped, "skipped: Slack:BotToken is not set (see settings).");
            return;
        }
        if (!Uri.TryCreate(slack.BaseUrl, UriKind.Absolute, out var baseUrl))
        {
            Add("slack", "auth.test", CheckState.Skipped, "skipped: Slack:BaseUrl is not an absolute URL (see settings).");
            return;
        }
        var diagnostics = services.Get<SlackDiagnostics>();
        string? botUser = null;
        var authenticated = await RunAsync("slack", "auth.test", async ct =>
        {
            var answer = await diagnostics.AuthTestAsync(baseUrl, slack.BotToken, ct).ConfigureAwait(false);
            if (!answer.Ok)
            {
                return (CheckState.Failed, $"Slack answered {answer.Error}.");
            }
            botUser = answer.Text("user");
            return (CheckState.Passed, $"the bot token is valid: bot @{botUser} ({answer.Text("user_id")}) in team {answer.Text("team")}.");
        }, ex => ex is HttpRequestException or TimeoutException
            ? "check Slack__BaseUrl (default https://slack.com/api/) and the network path to Slack."
            : "Slack__BotToken must be the app's Bot User OAuth Token (xoxb-…) from OAuth & Permissions, of an installed app (docs/slack.md).",
            cancellationToken).ConfigureAwait(false);
        if (!authenticated)
        {
            Add("slack", "channels", CheckState.Skipped, "skipped: auth.test did not pass (see above).");
            return;
        }
        var invite = botUser is null ? "invite the app to it" : $"/invite @{botUser} in it";
        foreach (var (setting, channel) in new[] { ("ApproversChannel", slack.ApproversChannel), ("MonitoringChannel", slack.MonitoringChannel) })
        {
            if (string.IsNullOrWhiteSpace(channel))
            {
                Add("slack", setting, CheckState.Skipped, $"skipped: Slack:{setting} is not set (see settings).");
                continue;
            }
            var fix = "";
            await RunAsync("slack", $"{setting} {channel}", async ct =>
            {
                var answer = await diagnostics.ConversationInfoAsync(baseUrl, slack.BotToken, channel, ct).ConfigureAwait(false);
                var name = answer.Text("channel", "name") is { } n ? "#" + n : channel;
                (CheckState, string) result = answer switch
                {
                    { Ok: true } when answer.Text("channel", "is_member") == "true" => (CheckState.Passed, $"{name}: the bot is a member."),
                    { Ok: true } => (CheckState.Failed, $"{name}: the bot is not a member, so it cannot post there."),
                    { Error: "not_in_channel" } => (CheckState.Failed, $"{name}: Slack answered not_in_channel."),
                    { Error: "channel_not_found" } => (CheckState.Failed, $"Slack answered channel_not_found: no channel {channel}, or a private channel the bot is not in."),
                    { Error: "missing_scope" } => (CheckState.Warning,
                        $"cannot tell: conversations.info needs {answer.Needed ?? "channels:read"}, which the bot token lacks (the app needs it for nothing else)."),
                    _ => (CheckState.Failed, $"Slack answered {answer.Error}."),
                };
                fix = answer.Error switch
                {
                    "channel_not_found" => $"Slack__{setting} takes the channel id (C…, at the bottom of the channel's About tab); for a private channel, {invite}.",
                    "missing_scope" => $"to let doctor check membership, add the bot scope {answer.Needed ?? "channels:read"} (groups:read for private channels) to the app and reinstall it; until then check by hand that the bot is in the channel.",
                    _ => $"{invite} (or the channel's settings → Integrations → Add apps).",
                };
                return result;
            }, ex => ex is HttpRequestException or TimeoutException ? "check the network path to Slack." : fix, cancellationToken).ConfigureAwait(false);
        }
    }

    // ---- running a check ------------------------------------------------------------------------------------------

    /// <summary>Runs one check with a time limit; an exception is a failed check with its message and the fix for it.</summary>
    private async Task<bool> RunAsync(string area, string name, Func<CancellationToken, Task<(CheckState State, string Detail)>> check,
        Func<Exception, string?> fix, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CheckTimeout);
        try
        {
            var (state, detail) = await check(timeout.Token).ConfigureAwait(false);
            Add(area, name, state, detail, state == CheckState.Passed ? null : fix(new InvalidOperationException(detail)));
            return state == CheckState.Passed;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            Add(area, name, CheckState.Failed, $"no answer within {CheckTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.", fix(new TimeoutException()));
            return false;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Add(area, name, CheckState.Failed, Describe(ex), fix(ex));
            return false;
        }
    }

    private static string Describe(Exception ex) => ex switch
    {
        RequestFailedException { Status: 0 } r => $"cannot reach it: {FirstLine(r.Message)}",
        RequestFailedException r => $"Azure Storage answered {r.Status} {r.ErrorCode}: {FirstLine(r.Message)}",
        SgBridge.Shared.Aws.RoleNotAssumableException { InnerException: AmazonServiceException a } => $"AWS answered {(int)a.StatusCode} {a.ErrorCode}: {a.Message}",
        AmazonServiceException a when a.StatusCode != 0 => $"AWS answered {(int)a.StatusCode} {a.ErrorCode}: {a.Message}",
        AmazonServiceException a => $"AWS call failed: {a.Message}",
        // The Azure SDK's retry policy wraps each attempt's failure: say what failed and how often.
        AggregateException { InnerExceptions.Count: > 0 } agg => agg.InnerExceptions.Select(e => FirstLine(e.Message)).Distinct().Count() == 1
            ? $"{Describe(agg.InnerExceptions[0])} ({agg.InnerExceptions.Count} tries)"
            : string.Join("; ", agg.InnerExceptions.Select(Describe).Distinct()),
        HttpRequestException h => $"cannot reach it: {FirstLine(h.Message)}",
        _ => $"{ex.GetType().Name}: {FirstLine(ex.Message)}",
    };

    private static string FirstLine(string text)
    {
        var i = text.IndexOfAny(['\r', '\n']);
        return i < 0 ? text : text[..i];
    }

    [GeneratedRegex(@"\b(?<section>Policy|Processing|Storage|Aws|Slack):[A-Za-z]+")]
    private static partial Regex SettingInText();

    [GeneratedRegex(@"members: '(?<member>[A-Za-z]+)")]
    private static partial Regex MemberInText();
}
