metadata name = 'SgBridge monitoring'
metadata description = 'Log Analytics workspace and workspace-based Application Insights with local (instrumentation key) authentication disabled: telemetry is sent with the managed identity (Monitoring Metrics Publisher).'

@description('Required. Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Required. Name of the Application Insights component.')
param applicationInsightsName string

@description('Optional. Location for all resources.')
param location string = resourceGroup().location

@description('Optional. Tags of the resource.')
param tags object = {}

@description('Optional. Days Log Analytics keeps data (30-730).')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

@description('Optional. Daily ingestion cap in GB (-1: no cap).')
param dailyQuotaGb int = -1

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    workspaceCapping: {
      dailyQuotaGb: dailyQuotaGb
    }
    features: {
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    IngestionMode: 'LogAnalytics'
    // Entra ID authentication only: the app sends with APPLICATIONINSIGHTS_AUTHENTICATION_STRING (managed identity).
    DisableLocalAuth: true
    publicNetworkAccessForIngestion: 'Enabled'
    publicNetworkAccessForQuery: 'Enabled'
  }
}

@description('The resource ID of the Log Analytics workspace.')
output logAnalyticsResourceId string = workspace.id

@description('The resource ID of the Application Insights component.')
output applicationInsightsResourceId string = applicationInsights.id

@description('The name of the Application Insights component.')
output applicationInsightsName string = applicationInsights.name

@description('The Application Insights connection string (ingestion endpoint; with local auth disabled it is not a credential).')
output connectionString string = applicationInsights.properties.ConnectionString
