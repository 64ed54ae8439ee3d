metadata name = 'SgBridge workbook'
metadata description = 'An Azure Monitor workbook on the Function App\'s Application Insights: one request\'s end-to-end trace (intake → revert → Slack → decision → apply, found by the sgbridge.request_id span tag) and charts of the bridge\'s metrics (Meter "SgBridge": events, revert latency, requests, failures, STS calls, drift). The content is workbook.json beside this file.'

@description('Required. Resource ID of the Application Insights component the Function App sends telemetry to; the workbook reads it.')
param applicationInsightsResourceId string

@description('Optional. Name the workbook shows in the portal.')
@minLength(1)
param displayName string = 'SgBridge'

@description('Optional. Location of the workbook (the Application Insights region).')
param location string = resourceGroup().location

@description('Optional. Tags of the resource.')
param tags object = {}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A workbook's name is a GUID; this one is stable per resource group and display name, so a redeployment updates it.
  name: guid(resourceGroup().id, 'sgbridge-workbook', displayName)
  location: location
  // The portal lists a workbook under its hidden-title tag.
  tags: union(tags, { 'hidden-title': displayName })
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    version: 'Notebook/1.0'
    sourceId: applicationInsightsResourceId
    serializedData: loadTextContent('workbook.json')
  }
}

@description('The resource ID of the workbook.')
output resourceId string = workbook.id
