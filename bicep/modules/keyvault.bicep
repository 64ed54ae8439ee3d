metadata name = 'SgBridge Key Vault'
metadata description = 'Key Vault (RBAC authorization, soft delete, purge protection) holding the Slack bot token and signing secret, read by the Function App through Key Vault references.'

@description('Required. Name of the Key Vault (3-24 characters, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Optional. Location for all resources.')
param location string = resourceGroup().location

@description('Optional. Tags of the resource.')
param tags object = {}

@description('Optional. Days a deleted vault or secret is kept before it can be purged (7-90).')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

@description('Required. Slack bot token (xoxb-…), stored as secret slack-bot-token.')
@secure()
param slackBotToken string

@description('Required. Slack signing secret, stored as secret slack-signing-secret.')
@secure()
param slackSigningSecret string

@description('Optional. false: the vault refuses public network access (main.bicep privateNetworking: the app resolves its Key Vault references through a private endpoint, modules/network.bicep).')
param publicNetworkAccess bool = true

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    // Access through Azure RBAC only (Key Vault Secrets User for the app, see modules/rbac.bicep); no access policies.
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    // Purge protection cannot be turned off once on: a deleted vault can be recovered, never purged early.
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: publicNetworkAccess ? 'Enabled' : 'Disabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: publicNetworkAccess ? 'Allow' : 'Deny'
    }
  }

  resource botToken 'secrets' = {
    name: 'slack-bot-token'
    tags: tags
    properties: {
      value: slackBotToken
      contentType: 'text/plain'
    }
  }

  resource signingSecret 'secrets' = {
    name: 'slack-signing-secret'
    tags: tags
    properties: {
      value: slackSigningSecret
      contentType: 'text/plain'
    }
  }
}

@description('The resource ID of the Key Vault.')
output resourceId string = vault.id

@description('The name of the Key Vault.')
output name string = vault.name

@description('The URI of the Key Vault.')
output uri string = vault.properties.vaultUri

@description('Versionless URI of the Slack bot token (a Key Vault reference to it follows rotation).')
output botTokenUri string = vault::botToken.properties.secretUri

@description('Versionless URI of the Slack signing secret.')
output signingKeyUri string = vault::signingSecret.properties.secretUri
