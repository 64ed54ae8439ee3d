using Microsoft.Extensions.Options;

namespace SgBridge.Shared.Slack;

/// <summary>Cross-field rules that data annotations cannot express. Runs alongside ValidateDataAnnotations.</summary>
public sealed class SlackOptionsValidator : IValidateOptions<SlackOptions>
{
    public ValidateOptionsResult Validate(string? name, SlackOptions options)
    {
        var failures = new List<string>();

        if (options.GetApproverUserIds().Count == 0 && options.GetApproverUserGroupIds().Count == 0)
        {
            failures.Add("Slack:ApproverUserIds or Slack:ApproverUserGroupIds must list at least one approver.");
        }

        if (!Uri.TryCreate(options.BaseUrl, UriKind.Absolute, out var baseUri)
            || (baseUri.Scheme != Uri.UriSchemeHttps && baseUri.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add("Slack:BaseUrl must be an absolute http or https URL.");
        }

        if (options.RequestTimestampTolerance <= TimeSpan.Zero
            || options.RequestTimestampTolerance > SlackOptions.MaxRequestTimestampTolerance)
        {
            failures.Add("Slack:RequestTimestampTolerance must be greater than zero and at most 5 minutes.");
        }

        if (options.RetryBaseDelay < TimeSpan.Zero)
        {
            failures.Add("Slack:RetryBaseDelay must not be negative.");
        }

        if (options.MaxRetryDelay < TimeSpan.Zero)
        {
            failures.Add("Slack:MaxRetryDelay must not be negative.");
        }

        if (options.ModalSigningKey is { } modalKey && modalKey.Length < 32)
        {
            failures.Add("Slack:ModalSigningKey must have at least 32 characters when set.");
        }

        if (options.ModalLifetime <= TimeSpan.Zero || options.ModalLifetime > TimeSpan.FromDays(7))
        {
            failures.Add("Slack:ModalLifetime must be greater than zero and at most 7 days.");
        }

        foreach (var entry in options.MalformedRequesterMapEntries())
        {
            failures.Add($"Slack:RequesterMap entry '{entry}' must be <ARN pattern>=<Slack user id (U… or W…)>.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
