// Parameters for `azd up` and `az deployment sub create`. Nothing deployment-specific is written here: every value
// that names your Slack workspace or your AWS accounts comes from the environment and has no default, so a
// deployment cannot go out with an example value. azd reads them from the azd environment (`azd env set NAME value`);
// with az, export them first. Never commit them.
//   export SLACK_BOT_TOKEN=xoxb-... SLACK_SIGNING_SECRET=...
//   export SLACK_APPROVERS_CHANNEL=C... SLACK_MONITORING_CHANNEL=C...
//   export SLACK_APPROVER_USER_IDS=U...,U...          # and/or SLACK_APPROVER_USER_GROUP_IDS=S...
//   export POLICY_ALLOWED_ACCOUNTS=111122223333,444455556666   # or '*': every account the organisation's bus admits
//   export SGBRIDGE_REGIONS=us-east-1,eu-west-1                # the regions you protect: the sweep's, and pEventRegions of the StackSet
//   export SGBRIDGE_OPERATOR_PRINCIPAL_ID=<object id>           # optional: who may queue onboarding and read results
//   export POLICY_ACCOUNT_ALIASES='{"111122223333":"prod"}'  # optional
//   export ALERT_EMAIL_ADDRESS=secops@example.com               # ALERT_WEBHOOK_URI=https://... optional
//   export SGBRIDGE_PRIVATE_NETWORK=true                        # optional: storage and Key Vault on private endpoints only
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

// Policy. An account ID is 12 digits: checked here, so a typo fails `build-params` (every deployment) instead of
// stopping the app at start-up. '*' alone: every account the organisation-gated central bus lets through.
var allowedAccounts = map(filter(split(readEnvironmentVariable('POLICY_ALLOWED_ACCOUNTS'), ','), id => !empty(trim(id))), id => trim(id))
var digitsLeft = map(allowedAccounts, id => replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(id, '0', ''), '1', ''), '2', ''), '3', ''), '4', ''), '5', ''), '6', ''), '7', ''), '8', ''), '9', ''))
var badAccounts = filter(range(0, length(allowedAccounts)), i => allowedAccounts[i] != '*' && (length(allowedAccounts[i]) != 12 || !empty(digitsLeft[i])))
param policyAllowedAccounts = empty(allowedAccounts)
  ? fail('Set POLICY_ALLOWED_ACCOUNTS: the AWS account IDs whose events the bridge accepts, comma separated (or * for every account of the organisation).')
  : !empty(badAccounts)
      ? fail('POLICY_ALLOWED_ACCOUNTS has \'${allowedAccounts[badAccounts[0]]}\', which is not a 12-digit AWS account ID (or * alone).')
      : length(allowedAccounts) > 1 && contains(allowedAccounts, '*')
          ? fail('POLICY_ALLOWED_ACCOUNTS mixes * with account IDs: write * alone (every account) or only account IDs.')
          : allowedAccounts
param policyExemptPrincipalArns = []
param policyExemptServiceLinkedRoles = true
param policyAccountAliases = json(readEnvironmentVariable('POLICY_ACCOUNT_ALIASES', '{}'))

// Reconcile: the regions the drift sweep covers, one list for the whole deployment (the same value goes to
// pEventRegions of aws-bootstrap/sgbridge-main.yaml, docs/deploy.md). Required: without it the sweep is off.
var regions = map(filter(split(readEnvironmentVariable('SGBRIDGE_REGIONS', ''), ','), r => !empty(trim(r))), r => trim(r))
var badRegions = filter(regions, r => r != toLower(r) || length(split(r, '-')) < 3 || !contains('0123456789', last(r)))
param reconcileRegions = empty(regions)
  ? fail('Set SGBRIDGE_REGIONS: the AWS regions you protect, comma separated (e.g. us-east-1,eu-west-1). The drift sweep covers them, and the member StackSet deploys the event rule to them (pEventRegions).')
  : !empty(badRegions)
      ? fail('SGBRIDGE_REGIONS has \'${badRegions[0]}\', which is not an AWS region name (e.g. eu-west-1).')
      : regions

// Onboarding from a workstation without AWS rights: this principal may queue jobs for the app and read their results.
param operatorPrincipalId = readEnvironmentVariable('SGBRIDGE_OPERATOR_PRINCIPAL_ID', '')
param operatorPrincipalType = readEnvironmentVariable('SGBRIDGE_OPERATOR_PRINCIPAL_TYPE', 'User')

// Private network (optional, default off): storage and Key Vault behind private endpoints, the app VNet-integrated.
param privateNetworking = bool(readEnvironmentVariable('SGBRIDGE_PRIVATE_NETWORK', 'false'))

// Alerts (modules/alerts.bicep)
param alertEmailAddress = readEnvironmentVariable('ALERT_EMAIL_ADDRESS')
param alertWebhookUri = readEnvironmentVariable('ALERT_WEBHOOK_URI', '')
