metadata name = 'SgBridge'
metadata description = 'Azure side of SgBridge: a Flex Consumption Function App that receives AWS security group change events from EventBridge API destinations, reverts them through an assumed AWS role and asks Slack approvers. Subscription scope: creates the resource group, so `azd up` and `az deployment sub create` deploy it unchanged.'

targetScope = 'subscription'

// ---------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------

@description('Required. Environment name (azd: AZURE_ENV_NAME). Seeds resource names and the resource group name.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Required. Azure region for all resources (azd: AZURE_LOCATION). Must offer Flex Consumption.')
@minLength(1)
param location string

@description('Optional. Resource group name. Default: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Optional. Tags for every resource, in addition to azd-env-name.')
param tags object = {}

// ---------------------------------------------------------------------------------------------
// Function App
// ---------------------------------------------------------------------------------------------

@description('Optional. Always-ready instances for the HTTP functions (Flex Consumption group `http`): the intake must answer EventBridge within 5 s and Slack within 3 s, which a cold start can miss. Each instance is billed while idle; 0 turns it off.')
@minValue(0)
@maxValue(10)
param alwaysReadyHttpInstanceCount int = 1

@description('Optional. Concurrent HTTP invocations per Flex Consumption instance before another is added (docs/capacity.md).')
@minValue(1)
@maxValue(1000)
param httpPerInstanceConcurrency int = 16

@description('Optional. Maximum number of Flex Consumption instances (40-1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Optional. Memory of each Flex Consumption instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

// ---------------------------------------------------------------------------------------------
// Slack (section "Slack")
// ---------------------------------------------------------------------------------------------

@description('Required. Slack bot token (xoxb-…). Stored in Key Vault; the app reads it through a Key Vault reference.')
@secure()
@minLength(1)
param slackBotToken string

@description('Required. Slack signing secret. Stored in Key Vault; the app reads it through a Key Vault reference.')
@secure()
@minLength(1)
param slackSigningSecret string

@description('Required. Slack channel ID where approval requests are posted (Slack__ApproversChannel).')
@minLength(1)
param slackApproversChannel string

@description('Required. Slack channel ID for the monitoring channel: every request and outcome (Slack__MonitoringChannel).')
@minLength(1)
param slackMonitoringChannel string

@description('Optional. Slack user IDs allowed to approve (Slack__ApproverUserIds). At least one user or user group is required: the app refuses to start without an approver.')
param slackApproverUserIds string[] = []

@description('Optional. Slack user group IDs whose members may approve (Slack__ApproverUserGroupIds).')
param slackApproverUserGroupIds string[] = []

// ---------------------------------------------------------------------------------------------
// AWS (section "Aws")
// ---------------------------------------------------------------------------------------------

@description('Optional. ARN pattern of the role assumed in each account; {accountId} is replaced. The role name must match pRoleName of aws-bootstrap/sgbridge-member-role.yaml.')
param awsRoleArnPattern string = 'arn:aws:iam::{accountId}:role/SgBridgeExecutionRole'

@description('Optional. How the bridge reaches AWS: WebIdentity (Entra ID token of the managed identity, no AWS keys) or AssumeRole (ExternalId).')
@allowed([
  'WebIdentity'
  'AssumeRole'
])
param awsAuthMode string = 'WebIdentity'

@description('Optional. Application ID URI of the Entra application the token is issued for (scripts/create-aws-federation-app.sh); the AWS OIDC provider\'s client ID and the trust policy\'s aud. The default, api://<tenant-id>/sgbridge-aws, is a form tenants that require a unique tenant identifier in identifier URIs accept; it is also the default of the script and of pAudience in aws-bootstrap.')
@minLength(1)
param awsWebIdentityAudience string = 'api://${tenant().tenantId}/sgbridge-aws'

@description('Optional. ExternalId the member roles require in AssumeRole mode. Leave empty in WebIdentity mode.')
param awsExternalId string = ''

// ---------------------------------------------------------------------------------------------
// Policy (section "Policy")
// ---------------------------------------------------------------------------------------------

@description('Required. AWS account IDs (12 digits) whose events the bridge accepts, or [ \'*\' ] for every account the organisation-gated central bus lets through (main.bicepparam checks the format).')
@minLength(1)
param policyAllowedAccounts string[]

@description('Optional. IAM ARNs whose changes are recorded but not reverted (\'*\' is a wildcard).')
param policyExemptPrincipalArns string[] = []

@description('Optional. Exempt changes made by AWS service-linked roles (path /aws-service-role/).')
param policyExemptServiceLinkedRoles bool = true

@description('Optional. Display aliases for accounts: { \'111111111111\': \'prod\' }.')
param policyAccountAliases object = {}

@description('Optional. Police outbound rules too (egress events; egress rules in the approved state). Match pPoliceEgress in aws-bootstrap/.')
param policyPoliceEgress bool = false

@description('Required. AWS regions the drift sweep covers (every allowed, or with \'*\' every known, account × these regions), e.g. [ \'eu-west-1\' ]: the same list as pEventRegions of the member StackSet (main.bicepparam reads both from SGBRIDGE_REGIONS).')
@minLength(1)
param reconcileRegions string[]

@description('Optional. What the sweep does with drift no event explains: Enforce (revert it) or Report (only report it).')
@allowed([ 'Enforce', 'Report' ])
param reconcileMode string = 'Enforce'

@description('Optional. A group first seen after onboarding: Adopt (its rules become approved) or Enforce (it starts with no approved rules).')
@allowed([ 'Adopt', 'Enforce' ])
param reconcileUnknownGroups string = 'Adopt'

// ---------------------------------------------------------------------------------------------
// Operator (docs/deploy.md, step 7)
// ---------------------------------------------------------------------------------------------

@description('Optional. Object ID of the person or group who onboards accounts (`sgbridge baseline --enqueue`, `sgbridge reconcile --enqueue --report-only`): granted Storage Queue Data Message Sender and Storage Table Data Reader on the bridge\'s storage account, nothing in AWS. Empty: none.')
param operatorPrincipalId string = ''

@description('Optional. Type of operatorPrincipalId.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param operatorPrincipalType string = 'User'

// ---------------------------------------------------------------------------------------------
// Alerts (modules/alerts.bicep)
// ---------------------------------------------------------------------------------------------

@description('Required. E-mail address notified by every SgBridge alert (revert/apply failures, poison messages, intake 5xx, changes queue age).')
@minLength(3)
param alertEmailAddress string

@secure()
@description('Optional. HTTPS webhook also notified by every alert (common alert schema). Secure: such URLs usually carry a token.')
param alertWebhookUri string = ''

@description('Optional. Private network: storage and Key Vault refuse public network access and are reached through private endpoints in a new virtual network, which the Flex Consumption app integrates with (as the official Flex Consumption quickstart\'s VNET_ENABLED). Off by default. On, the operator\'s CLI reads storage only from inside that network (or through a peered one).')
param privateNetworking bool = false

@description('Optional. Address space of the private network (privateNetworking); its first two /24s are the app\'s subnet and the private endpoints\' subnet.')
param privateNetworkAddressPrefix string = '10.20.0.0/16'

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var allTags = union(tags, { 'azd-env-name': environmentName })
// Names are computed here, not read from module outputs, so What-If can predict every resource ID.
var functionAppName = '${abbrs.webSitesFunctions}${resourceToken}'
var storageAccountName = '${abbrs.storageStorageAccounts}${resourceToken}'
var keyVaultName = '${abbrs.keyVaultVaults}${resourceToken}'
var applicationInsightsName = '${abbrs.insightsComponents}${resourceToken}'
// Flex Consumption deploys from this container (one per app).
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'

// Shared/Core/Storage/QueueNames.cs: each queue and the -poison queue the host moves a message to after maxDequeueCount
// (listed literally so a review, and the infrastructure tests, see every name).
var queueNames = [
  'sgbridge-changes'
  'sgbridge-changes-poison'
  'sgbridge-effects'
  'sgbridge-effects-poison'
  'sgbridge-reconcile'
  'sgbridge-reconcile-poison'
]

// Shared/Core/Options/StorageOptions.cs defaults.
var requestsTable = 'SgBridgeRequests'
var groupsTable = 'SgBridgeGroups'
var slackTable = 'SgBridgeSlack'
// Time-bound approvals' expiry index (Approvals:ExpiryTable; the app's default name).
var accessExpiryTable = 'AccessExpiries'

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: allTags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: resourceGroup
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
    location: location
    tags: allTags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: resourceGroup
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: applicationInsightsName
    location: location
    tags: allTags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: resourceGroup
  params: {
    name: storageAccountName
    location: location
    tags: allTags
    deploymentContainerName: deploymentContainerName
    publicNetworkAccess: !privateNetworking
    queueNames: queueNames
    tableNames: [
      requestsTable
      groupsTable
      slackTable
      accessExpiryTable
    ]
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: resourceGroup
  params: {
    name: keyVaultName
    location: location
    tags: allTags
    slackBotToken: slackBotToken
    slackSigningSecret: slackSigningSecret
    publicNetworkAccess: !privateNetworking
  }
}

module network 'modules/network.bicep' = if (privateNetworking) {
  name: 'network'
  scope: resourceGroup
  params: {
    namePrefix: '${abbrs.networkVirtualNetworks}${resourceToken}'
    location: location
    tags: allTags
    addressPrefix: privateNetworkAddressPrefix
    storageAccountId: storage.outputs.resourceId
    keyVaultId: keyVault.outputs.resourceId
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  scope: resourceGroup
  params: {
    // The principal ID exists only once the identity does; the role assignment names need it (guid(scope, principal, role)).
    #disable-next-line what-if-short-circuiting
    principalId: identity.outputs.principalId
    storageAccountName: storageAccountName
    keyVaultName: keyVaultName
    applicationInsightsName: applicationInsightsName
    operatorPrincipalId: operatorPrincipalId
    operatorPrincipalType: operatorPrincipalType
  }
  // The names above are compile-time values, so the dependencies are stated explicitly.
  dependsOn: [
    storage
    keyVault
    monitoring
  ]
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: resourceGroup
  // The roles must exist before the host starts: it reads storage and resolves the Key Vault references at startup.
  // With privateNetworking, the app's subnet (network!.outputs) also orders it after the private endpoints.
  dependsOn: [
    rbac
  ]
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: allTags
    serviceName: 'api'
    identityResourceId: identity.outputs.resourceId
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    maximumInstanceCount: maximumInstanceCount
    alwaysReadyHttpInstanceCount: alwaysReadyHttpInstanceCount
    httpPerInstanceConcurrency: httpPerInstanceConcurrency
    instanceMemoryMB: instanceMemoryMB
    virtualNetworkSubnetId: privateNetworking ? network!.outputs.appSubnetId : ''
    appSettings: {
      // Functions host storage, identity-based (Flex Consumption has no connection-string default).
      AzureWebJobsStorage__accountName: storage.outputs.name
      AzureWebJobsStorage__blobServiceUri: storage.outputs.blobEndpoint
      AzureWebJobsStorage__queueServiceUri: storage.outputs.queueEndpoint
      AzureWebJobsStorage__tableServiceUri: storage.outputs.tableEndpoint
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identity.outputs.clientId

      // Application Insights with Entra ID authentication (local auth is disabled on the component).
      APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.outputs.clientId};Authorization=AAD'

      // Storage (StorageOptions): the app's own tables and queues, with the managed identity.
      Storage__AccountName: storage.outputs.name
      Storage__ClientId: identity.outputs.clientId
      Storage__RequestsTable: requestsTable
      Storage__GroupsTable: groupsTable
      Storage__SlackTable: slackTable
      Approvals__ExpiryTable: accessExpiryTable

      // Slack (SlackOptions): secrets are Key Vault references resolved with keyVaultReferenceIdentity.
      Slack__BotToken: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.botTokenUri})'
      Slack__SigningSecret: '@Microsoft.KeyVault(SecretUri=${keyVault.outputs.signingKeyUri})'
      Slack__ApproversChannel: slackApproversChannel
      Slack__MonitoringChannel: slackMonitoringChannel
      Slack__ApproverUserIds: join(slackApproverUserIds, ',')
      Slack__ApproverUserGroupIds: join(slackApproverUserGroupIds, ',')

      // Aws (AwsOptions).
      Aws__RoleArnPattern: awsRoleArnPattern
      Aws__AuthMode: awsAuthMode
      Aws__WebIdentityAudience: awsWebIdentityAudience
      Aws__ManagedIdentityClientId: identity.outputs.clientId
      Aws__ExternalId: awsExternalId

      // Policy (PolicyOptions).
      Policy__AllowedAccounts: join(policyAllowedAccounts, ',')
      Policy__ExemptPrincipalArns: join(policyExemptPrincipalArns, ',')
      Policy__ExemptServiceLinkedRoles: policyExemptServiceLinkedRoles ? 'true' : 'false'
      Policy__AccountAliases: join(map(items(policyAccountAliases), a => '${a.key}=${a.value}'), ', ')
      Policy__PoliceEgress: policyPoliceEgress ? 'true' : 'false'

      // Reconcile (ReconcileOptions).
      Reconcile__Regions: join(reconcileRegions, ',')
      Reconcile__Mode: reconcileMode
      Reconcile__UnknownGroups: reconcileUnknownGroups
    }
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: resourceGroup
  params: {
    actionGroupName: '${abbrs.insightsActionGroups}${resourceToken}'
    alertEmailAddress: alertEmailAddress
    alertWebhookUri: alertWebhookUri
    applicationInsightsResourceId: monitoring.outputs.applicationInsightsResourceId
    namePrefix: 'sgbridge-${environmentName}'
    location: location
    tags: allTags
  }
}

// Workbook: one request's end-to-end trace and the bridge's metrics (docs/operations-telemetry.md).
module workbook 'modules/workbook.bicep' = {
  name: 'workbook'
  scope: resourceGroup
  params: {
    applicationInsightsResourceId: monitoring.outputs.applicationInsightsResourceId
    displayName: 'SgBridge (${environmentName})'
    location: location
    tags: allTags
  }
}

// ---------------------------------------------------------------------------------------------
// Outputs (azd stores them in the environment; aws-bootstrap takes the last five as parameters)
// ---------------------------------------------------------------------------------------------

@description('The resource group name.')
output AZURE_RESOURCE_GROUP string = resourceGroup.name

@description('The Function App name.')
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name

@description('The storage account name: Storage__AccountName of the operator\'s CLI settings (sgbridge baseline --enqueue, sgbridge accounts).')
output AZURE_STORAGE_ACCOUNT_NAME string = storageAccountName

@description('The Key Vault name.')
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name

@description('The EventBridge API destination endpoint (pIntakeUrl of sgbridge-member-events.yaml).')
output INTAKE_URL string = 'https://${functionApp.outputs.defaultHostName}/api/aws/events'

@description('The Slack app\'s Interactivity Request URL.')
output SLACK_INTERACTIVITY_URL string = 'https://${functionApp.outputs.defaultHostName}/api/slack/interactions'

@description('The Slack app\'s /sgbridge slash command Request URL.')
output SLACK_COMMANDS_URL string = 'https://${functionApp.outputs.defaultHostName}/api/slack/commands'

@description('The Slack app\'s Event Subscriptions Request URL (app_home_opened: the Home tab).')
output SLACK_EVENTS_URL string = 'https://${functionApp.outputs.defaultHostName}/api/slack/events'

@description('Client ID of the managed identity (Aws__ManagedIdentityClientId).')
output MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId

@description('Principal (object) ID of the managed identity: the `sub` the AWS role trusts (pManagedIdentityPrincipalId).')
output MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId

@description('Entra ID tenant ID (pEntraTenantId).')
output AZURE_TENANT_ID string = tenant().tenantId

@description('Issuer of the v1 Entra ID tokens the managed identity gets: the AWS IAM OIDC provider URL.')
output OIDC_ISSUER_URL string = 'https://sts.windows.net/${tenant().tenantId}/'

@description('The audience (aud) AWS pins: ClientIdList of the OIDC provider (pAudience).')
output AWS_WEB_IDENTITY_AUDIENCE string = awsWebIdentityAudience
