metadata name = 'SgBridge storage'
metadata description = 'Storage account for the Functions host (identity-based AzureWebJobsStorage), the Flex Consumption deployment container, and the bridge\'s queues and tables. Shared keys are disabled: every caller uses Entra ID.'

@description('Required. Name of the storage account (3-24 lowercase letters and digits, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Optional. Location for all resources.')
param location string = resourceGroup().location

@description('Optional. Tags of the resource.')
param tags object = {}

@description('Required. Name of the blob container Flex Consumption deploys the app package to.')
@minLength(3)
@maxLength(63)
param deploymentContainerName string

@description('Required. Queues to create (include each queue\'s -poison queue: the host creates it on first use only if it may, and listing it keeps names reviewable).')
param queueNames string[]

@description('Required. Tables to create.')
param tableNames string[]

@description('Optional. Storage account SKU.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param skuName string = 'Standard_LRS'

@description('Optional. false: the account refuses public network access (main.bicep privateNetworking: the app reaches it through private endpoints, modules/network.bicep).')
param publicNetworkAccess bool = true

resource storageAccount 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    // Entra ID only: the Function's managed identity holds data-plane roles (modules/rbac.bicep).
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: publicNetworkAccess ? 'Enabled' : 'Disabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: publicNetworkAccess ? 'Allow' : 'Deny'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: false
      services: {
        blob: { enabled: true }
        file: { enabled: true }
        queue: { enabled: true, keyType: 'Account' }
        table: { enabled: true, keyType: 'Account' }
      }
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'
    properties: {
      deleteRetentionPolicy: {
        enabled: true
        days: 7
      }
    }

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }

  resource queueService 'queueServices' = {
    name: 'default'

    resource queues 'queues' = [
      for queueName in queueNames: {
        name: queueName
      }
    ]
  }

  resource tableService 'tableServices' = {
    name: 'default'

    resource tables 'tables' = [
      for tableName in tableNames: {
        name: tableName
      }
    ]
  }
}

@description('The resource ID of the storage account.')
output resourceId string = storageAccount.id

@description('The name of the storage account.')
output name string = storageAccount.name

@description('The blob endpoint, e.g. https://<name>.blob.core.windows.net/.')
output blobEndpoint string = storageAccount.properties.primaryEndpoints.blob

@description('The queue endpoint.')
output queueEndpoint string = storageAccount.properties.primaryEndpoints.queue

@description('The table endpoint.')
output tableEndpoint string = storageAccount.properties.primaryEndpoints.table

@description('The URL of the Flex Consumption deployment container.')
output deploymentContainerUrl string = '${storageAccount.properties.primaryEndpoints.blob}${deploymentContainerName}'
