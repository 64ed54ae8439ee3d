metadata name = 'SgBridge identity'
metadata description = 'The user-assigned managed identity the Function App runs as: storage, Key Vault references, Application Insights, and the Entra ID token AWS trusts (sub = principal id).'

@description('Required. Name of the user-assigned managed identity.')
param name string

@description('Optional. Location for all resources.')
param location string = resourceGroup().location

@description('Optional. Tags of the resource.')
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

@description('The resource ID of the identity.')
output resourceId string = identity.id

@description('The name of the identity.')
output name string = identity.name

@description('The client (application) ID of the identity: Storage__ClientId, AzureWebJobsStorage__clientId, Aws__ManagedIdentityClientId.')
output clientId string = identity.properties.clientId

@description('The principal (object) ID of the identity: the RBAC principal and the `sub` claim AWS pins.')
output principalId string = identity.properties.principalId

@description('The tenant ID of the identity.')
output tenantId string = identity.properties.tenantId
