using SgBridge.Shared.Aws;
using SgBridge.Shared.Domain;
using SgBridge.Shared.Events;
using SgBridge.Shared.Options;
using SgBridge.Shared.Policy;

namespace SgBridge.Shared.Processing;

/// <summary>What the bridge would do with one event, decided by the same code the worker runs, with no cloud calls.</summary>
public sealed record DryRunResult(
    SecurityGroupChange Change,
    bool AccountAllowed,
    PolicyDecision Decision,
    string RoleArn,
    AwsAuthMode AuthMode,
    RevertPlan? Plan,
    ChangeRequest Request);

public static class DryRun
{
    /// <summary>Plans the event. <paramref name="snapshot"/> stands for the group's last approved rules (null: none yet).</summary>
    public static DryRunResult Plan(SecurityGroupChange change, ChangePolicy policy, AwsOptions aws, GroupSnapshot? snapshot, DateTimeOffset now)
    {
        var decision = policy.Evaluate(change);
        var id = RequestId.For(change.EventId);
        var groupId = change.GroupId ?? snapshot?.GroupId ?? $"<id of group '{change.GroupName}', looked up with ec2:DescribeSecurityGroups>";
        RevertPlan? plan = null;
        ChangeRequest request;
        if (decision.Verdict == Verdict.Exempt)
        {
            request = ChangeRequest.RecordExempt(id, change, decision.Reason, now);
        }
        else
        {
            request = ChangeRequest.Open(id, change, now);
            if (decision.Verdict == Verdict.Police)
            {
                plan = RevertPlanner.Plan(change, groupId, snapshot);
                request.Describe(groupId, change.GroupName, snapshot?.VpcId, plan.Rules, plan.UnresolvedRuleIds, plan.Edits, plan.PreviousContentUnknown, now);
            }
        }
        return new DryRunResult(change, policy.IsAllowedAccount(change.AccountId), decision, aws.RoleArnFor(change.AccountId), aws.AuthMode, plan, request);
    }
}
