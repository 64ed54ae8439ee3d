metadata name = 'SgBridge private network'
metadata description = 'Optional (main.bicep privateNetworking): a virtual network with a subnet delegated to the Flex Consumption app (VNet integration) and a subnet for private endpoints to the storage account (blob, queue, table) and the Key Vault, each with its private DNS zone linked to the network. Storage and Key Vault then refuse public network access.'

@description('Required. Name prefix of the network resources.')
param namePrefix string

@description('Optional. Location for all resources.')
param location string = resourceGroup().location

@description('Optional. Tags of the resources.')
param tags object = {}

@description('Optional. Address space of the virtual network; the app\'s subnet and the private endpoints\' subnet are its first two /24s.')
param addressPrefix string = '10.20.0.0/16'

@description('Required. Resource ID of the storage account (private endpoints for blob, queue and table).')
param storageAccountId string

@description('Required. Resource ID of the Key Vault (private endpoint for vault).')
param keyVaultId string

var appSubnetName = 'snet-app'
var endpointSubnetName = 'snet-private-endpoints'

// One private endpoint per sub-resource the app uses, with the DNS zone that resolves the public name to it.
// Key Vault's zone has no environment() suffix; privatelink.vaultcore.azure.net is its name in the public cloud.
var endpoints = [
  { name: 'blob', vault: false, zone: 'privatelink.blob.${environment().suffixes.storage}' }
  { name: 'queue', vault: false, zone: 'privatelink.queue.${environment().suffixes.storage}' }
  { name: 'table', vault: false, zone: 'privatelink.table.${environment().suffixes.storage}' }
  { name: 'vault', vault: true, zone: 'privatelink.vaultcore.azure.net' }
]

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: '${namePrefix}-vnet'
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        // Flex Consumption's VNet integration needs a subnet delegated to Microsoft.App/environments.
        name: appSubnetName
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 0)
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: endpointSubnetName
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 1)
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [
  for e in endpoints: {
    name: e.zone
    location: 'global'
    tags: tags
  }
]

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [
  for (e, i) in endpoints: {
    parent: zones[i]
    name: '${namePrefix}-link'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: vnet.id
      }
    }
  }
]

resource privateEndpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [
  for (e, i) in endpoints: {
    name: '${namePrefix}-pe-${e.name}'
    location: location
    tags: tags
    properties: {
      subnet: {
        id: resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, endpointSubnetName)
      }
      privateLinkServiceConnections: [
        {
          name: '${namePrefix}-pe-${e.name}'
          properties: {
            privateLinkServiceId: e.vault ? keyVaultId : storageAccountId
            groupIds: [
              e.name
            ]
          }
        }
      ]
    }
  }
]

resource zoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [
  for (e, i) in endpoints: {
    parent: privateEndpoints[i]
    name: 'default'
    properties: {
      privateDnsZoneConfigs: [
        {
          name: e.name
          properties: {
            privateDnsZoneId: zones[i].id
          }
        }
      ]
    }
  }
]

@description('Resource ID of the subnet the Function App integrates with.')
output appSubnetId string = resourceId('Microsoft.Network/virtualNetworks/subnets', vnet.name, appSubnetName)

@description('Resource ID of the virtual network.')
output vnetId string = vnet.id
