// Parameters for `azd up` and `az deployment sub create`. Nothing deployment-specific is written here: every value
// that names your Slack workspace or your AWS accounts comes from the environment and has no default, so a
// deployment cannot go out with an example value. azd reads them from the azd environment (`azd env set NAME value`);
// with az, export them first. Never commit them.
//   export SLACK_BOT_TOKEN=xoxb-... SLACK_SIGNING_SECRET=...
//   export SLACK_APPROVERS_CHANNEL=C... SLACK_MONITORING_CHANNEL=C...
//   export SLACK_APPROVER_USER_IDS=U...,U...          # and/or SLACK_APPROVER_USER_GROUP_IDS=S...
//   export POLICY_ALLOWED_ACCOUNTS=111122223333,444455556666
//   export POLICY_ACCOUNT_ALIASES='{"111122223333":"prod"}'  # optional
//   export ALERT_EMAIL_ADDRESS=secops@example.com               # ALERT_WEBHOOK_URI=https://... optional
using './main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'sgbridge-dev')
param location = readEnvironmentVariable('AZURE_LOCATION', 'swedencentral')

param tags = {
  application: 'sgbridge'
}

// Slack
param slackBotToken = readEnvironmentVariable('SLACK_BOT_TOKEN')
param slackSigningSecret = readEnvironmentVariable('SLACK_SIGNING_SECRET')
param slackApproversChannel = readEnvironmentVariable('SLACK_APPROVERS_CHANNEL')
param slackMonitoringChannel = readEnvironmentVariable('SLACK_MONITORING_CHANNEL')

// Comma-separated lists, blanks dropped. The app refuses to start without an approver, so the deployment refuses first.
var approverUserIds = map(filter(split(readEnvironmentVariable('SLACK_APPROVER_USER_IDS', ''), ','), id => !empty(trim(id))), id => trim(id))
var approverUserGroupIds = map(filter(split(readEnvironmentVariable('SLACK_APPROVER_USER_GROUP_IDS', ''), ','), id => !empty(trim(id))), id => trim(id))
param slackApproverUserIds = empty(approverUserIds) && empty(approverUserGroupIds)
  ? fail('Set SLACK_APPROVER_USER_IDS (U...) and/or SLACK_APPROVER_USER_GROUP_IDS (S...), comma separated: SgBridge needs at least one approver.')
  : approverUserIds
param slackApproverUserGroupIds = approverUserGroupIds

// AWS: the role name must match pRoleName in aws-bootstrap/sgbridge-member-role.yaml. The audience defaults to
// api://<tenant-id>/sgbridge-aws, the identifier URI scripts/create-aws-federation-app.sh creates by default.
param awsRoleArnPattern = 'arn:aws:iam::{accountId}:role/SgBridgeExecutionRole'
param awsAuthMode = 'WebIdentity'

// Policy
var allowedAccounts = map(filter(split(readEnvironmentVariable('POLICY_ALLOWED_ACCOUNTS'), ','), id => !empty(trim(id))), id => trim(id))
param policyAllowedAccounts = empty(allowedAccounts)
  ? fail('Set POLICY_ALLOWED_ACCOUNTS: the AWS account IDs whose events the bridge accepts, comma separated.')
  : allowedAccounts
param policyExemptPrincipalArns = []
param policyExemptServiceLinkedRoles = true
param policyAccountAliases = json(readEnvironmentVariable('POLICY_ACCOUNT_ALIASES', '{}'))

// Alerts (modules/alerts.bicep)
param alertEmailAddress = readEnvironmentVariable('ALERT_EMAIL_ADDRESS')
param alertWebhookUri = readEnvironmentVariable('ALERT_WEBHOOK_URI', '')
