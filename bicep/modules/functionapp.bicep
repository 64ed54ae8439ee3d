metadata name = 'SgBridge Function App'
metadata description = 'Flex Consumption (FC1, Linux) plan and .NET isolated Function App running as a user-assigned managed identity: identity-based host storage, Flex deployment container, Key Vault references resolved with the same identity.'

@description('Required. Name of the Function App (globally unique host name).')
param name string

@description('Required. Name of the Flex Consumption plan.')
param planName string

@description('Optional. Location for all resources.')
param location string = resourceGroup().location

@description('Optional. Tags of the resources.')
param tags object = {}

@description('Optional. azd service name (tag azd-service-name) that `azd deploy` matches to azure.yaml.')
param serviceName string = 'api'

@description('Required. Resource ID of the user-assigned managed identity the app runs as.')
param identityResourceId string

@description('Required. URL of the blob container Flex Consumption deploys the app package to.')
param deploymentContainerUrl string

@description('Optional. Worker runtime.')
@allowed([
  'dotnet-isolated'
])
param runtimeName string = 'dotnet-isolated'

@description('Optional. Worker runtime version: .NET 10 only, the framework the app is built for (net10.0). The schema types it as a free string; the service accepts the versions `az functionapp list-flexconsumption-runtimes --location <region> --runtime dotnet-isolated` lists.')
@allowed([
  '10.0'
])
param runtimeVersion string = '10.0'

@description('Optional. Maximum number of instances the app scales out to (40-1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Optional. Memory of each instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Optional. Always-ready instances of the `http` group (every HTTP-triggered function); 0 for none.')
@minValue(0)
@maxValue(10)
param alwaysReadyHttpInstanceCount int = 1

@description('Optional. Concurrent HTTP invocations per instance before Flex Consumption adds one (intake and Slack share it).')
@minValue(1)
@maxValue(1000)
param httpPerInstanceConcurrency int = 16

@description('Optional. Resource ID of a subnet delegated to Microsoft.App/environments: VNet integration (main.bicep privateNetworking). Empty: none.')
param virtualNetworkSubnetId string = ''

@description('Required. App settings (name: value). Secrets must be Key Vault references, never values.')
param appSettings object

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    // Linux.
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityResourceId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    // Key Vault references (@Microsoft.KeyVault(SecretUri=...)) are resolved with the user-assigned identity.
    keyVaultReferenceIdentity: identityResourceId
    // Private network (optional): outbound traffic goes through the integrated subnet, where the private endpoints
    // of storage and Key Vault resolve (modules/network.bicep).
    virtualNetworkSubnetId: !empty(virtualNetworkSubnetId) ? virtualNetworkSubnetId : null
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      // Flex Consumption rejects FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION and WEBSITE_RUN_FROM_PACKAGE:
      // runtime and deployment live in functionAppConfig below.
      appSettings: [
        for setting in items(appSettings): {
          name: setting.key
          value: setting.value
        }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityResourceId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        // Warm instances for the HTTP triggers (intake: 5 s EventBridge budget; Slack: 3 s). Queue and timer
        // functions scale from zero as usual.
        alwaysReady: alwaysReadyHttpInstanceCount > 0
          ? [
              {
                name: 'http'
                instanceCount: alwaysReadyHttpInstanceCount
              }
            ]
          : []
        // Set, not left to the platform's memory-based default: each inline intake call holds its HTTP slot for the
        // revert's AWS round trips (≈ 0.2 s), so this number sets the events/s one instance takes (docs/capacity.md).
        triggers: {
          http: {
            perInstanceConcurrency: httpPerInstanceConcurrency
          }
        }
      }
      runtime: {
        name: runtimeName
        version: runtimeVersion
      }
    }
  }

  // No publishing passwords: azd and `func azure functionapp publish` deploy with Entra ID tokens.
  resource ftpCredentials 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: {
      allow: false
    }
  }

  resource scmCredentials 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: {
      allow: false
    }
  }
}

@description('The resource ID of the Function App.')
output resourceId string = functionApp.id

@description('The name of the Function App.')
output name string = functionApp.name

@description('The default host name of the Function App.')
output defaultHostName string = functionApp.properties.defaultHostName

@description('The resource ID of the Flex Consumption plan.')
output planResourceId string = plan.id
