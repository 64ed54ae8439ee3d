metadata name = 'SgBridge role assignments'
metadata description = 'Least-privilege data-plane roles for the Function App\'s user-assigned identity. Assignment names are guid(scope, principal, role) so a redeployment is idempotent.'

@description('Required. Principal (object) ID of the Function App\'s user-assigned managed identity.')
param principalId string

@description('Optional. Type of the principal.')
@allowed([
  'ServicePrincipal'
  'User'
  'Group'
])
param principalType string = 'ServicePrincipal'

@description('Required. Name of the storage account (host storage, deployment container, queues, tables).')
param storageAccountName string

@description('Required. Name of the Key Vault holding the Slack secrets.')
param keyVaultName string

@description('Required. Name of the Application Insights component.')
param applicationInsightsName string

@description('Optional. Object ID of the operator who queues onboarding and reconcile jobs and reads their results (docs/deploy.md step 7). Empty: no operator roles.')
param operatorPrincipalId string = ''

@description('Optional. Type of the operator principal.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param operatorPrincipalType string = 'User'

// Built-in role definition IDs (the same in every tenant).
var roles = {
  storageQueueDataMessageSender: 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
  storageTableDataReader: '76199698-9eea-4c19-bc75-cec21354c6b6'

  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

resource storageAccount 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource keyVault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Storage Blob Data Owner: the Functions host's identity-based AzureWebJobsStorage (leases, keys, timers)
// and the Flex Consumption deployment container the platform reads the package from.
resource storageBlobDataOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageAccount.id, principalId, roles.storageBlobDataOwner)
  scope: storageAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: principalId
    principalType: principalType
    description: 'SgBridge: Functions host storage and Flex Consumption deployment package.'
  }
}

// Storage Queue Data Contributor: queue triggers (read, delete, move to -poison) and enqueueing.
resource storageQueueDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageAccount.id, principalId, roles.storageQueueDataContributor)
  scope: storageAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: principalId
    principalType: principalType
    description: 'SgBridge: sgbridge-* queues and their poison queues.'
  }
}

// Storage Table Data Contributor: approval requests and each group's approved state.
resource storageTableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageAccount.id, principalId, roles.storageTableDataContributor)
  scope: storageAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: principalId
    principalType: principalType
    description: 'SgBridge: SgBridgeRequests, SgBridgeGroups and SgBridgeSlack tables.'
  }
}

// Key Vault Secrets User: resolve the @Microsoft.KeyVault(...) references for the Slack secrets.
resource keyVaultSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, principalId, roles.keyVaultSecretsUser)
  scope: keyVault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: principalId
    principalType: principalType
    description: 'SgBridge: read the Slack secrets through Key Vault references.'
  }
}

// Monitoring Metrics Publisher: send telemetry to Application Insights with Entra ID (local auth is disabled).
resource monitoringMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(applicationInsights.id, principalId, roles.monitoringMetricsPublisher)
  scope: applicationInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: principalId
    principalType: principalType
    description: 'SgBridge: Application Insights ingestion with Entra ID.'
  }
}

// The operator (optional): Storage Queue Data Message Sender to put jobs on sgbridge-reconcile (the app's worker does
// the AWS work with its own identity), Storage Table Data Reader to read their results (`sgbridge accounts`). No
// delete, no table write, no AWS role: onboarding needs nothing else from a workstation.
resource operatorQueueSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(storageAccount.id, operatorPrincipalId, roles.storageQueueDataMessageSender)
  scope: storageAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataMessageSender)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
    description: 'SgBridge operator: queue onboarding and reconcile jobs (sgbridge baseline/reconcile --enqueue).'
  }
}

resource operatorTableReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(storageAccount.id, operatorPrincipalId, roles.storageTableDataReader)
  scope: storageAccount
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataReader)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
    description: 'SgBridge operator: read onboarding results, known accounts and requests (sgbridge accounts, requests).'
  }
}

@description('The resource IDs of the role assignments.')
output roleAssignmentIds string[] = [
  storageBlobDataOwner.id
  storageQueueDataContributor.id
  storageTableDataContributor.id
  keyVaultSecretsUser.id
  monitoringMetricsPublisher.id
]
