// Example parameters. `azd up` fills the AZURE_* values; with `az deployment sub create` export them first.
// Secrets come from the environment and are required (never commit them):
//   export SLACK_BOT_TOKEN=xoxb-... SLACK_SIGNING_SECRET=...
using './main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'sgbridge-dev')
param location = readEnvironmentVariable('AZURE_LOCATION', 'swedencentral')

param tags = {
  application: 'sgbridge'
}

param functionAppRuntimeVersion = '10.0'

// Slack
param slackBotToken = readEnvironmentVariable('SLACK_BOT_TOKEN')
param slackSigningSecret = readEnvironmentVariable('SLACK_SIGNING_SECRET')
param slackApproversChannel = readEnvironmentVariable('SLACK_APPROVERS_CHANNEL', 'C0123456789')
param slackMonitoringChannel = readEnvironmentVariable('SLACK_MONITORING_CHANNEL', 'C0987654321')
param slackApproverUserIds = [
  'U0123456789'
]
param slackApproverUserGroupIds = []

// AWS: the role name must match pRoleName in aws-bootstrap/sgbridge-member-role.yaml,
// the audience the identifier URI scripts/create-aws-federation-app.sh created.
param awsRoleArnPattern = 'arn:aws:iam::{accountId}:role/SgBridgeExecutionRole'
param awsAuthMode = 'WebIdentity'
param awsWebIdentityAudience = 'api://sgbridge-aws'

// Policy
param policyAllowedAccounts = [
  '111111111111'
  '222222222222'
]
param policyExemptPrincipalArns = []
param policyExemptServiceLinkedRoles = true
param policyAccountAliases = {
  '111111111111': 'prod'
  '222222222222': 'staging'
}
