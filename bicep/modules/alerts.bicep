metadata name = 'SgBridge alerts'
metadata description = 'An action group (e-mail, optional webhook) and log alerts on the Function App\'s Application Insights: revert and apply failures (log lines and the exact sgbridge.failures metric by kind), poison messages, the intake\'s 5xx rate, the age of the changes queue and the heartbeat\'s silence. Every alert notifies the action group.'

@description('Required. Name of the action group.')
@minLength(1)
param actionGroupName string

@description('Optional. Short name of the action group (at most 12 characters), shown in e-mails and SMS.')
@minLength(1)
@maxLength(12)
param actionGroupShortName string = 'sgbridge'

@description('Required. E-mail address that receives every SgBridge alert.')
@minLength(3)
param alertEmailAddress string

@secure()
@description('Optional. HTTPS webhook that also receives every alert (common alert schema), e.g. an incident tool. Secure because such URLs usually carry a token.')
param alertWebhookUri string = ''

@description('Required. Resource ID of the Application Insights component the Function App sends telemetry to.')
param applicationInsightsResourceId string

@description('Optional. Location of the alert rules (the Application Insights region).')
param location string = resourceGroup().location

@description('Optional. Tags of the resources.')
param tags object = {}

@description('Optional. Prefix of the alert rule names.')
param namePrefix string = 'sgbridge'

@description('Optional. Intake 5xx alert: percentage of ReceiveAwsEvent requests answered 5xx in 5 minutes above which it fires.')
@minValue(0)
@maxValue(100)
param intake5xxPercentThreshold int = 5

@description('Optional. Intake 5xx alert: fewest 5xx answers in 5 minutes that can fire it (one 503 in a quiet period is not an incident: EventBridge retries).')
@minValue(1)
param intake5xxMinimumCount int = 3

@description('Optional. Changes queue alert: minutes a change may wait in sgbridge-changes before the revert worker takes it.')
@minValue(1)
@maxValue(60)
param changesQueueMaxAgeMinutes int = 5

@description('Optional. Minutes between heartbeats: pHeartbeatMinutes of aws-bootstrap/sgbridge-central-bus.yaml. The heartbeat alert fires when none arrived for two intervals.')
@allowed([
  5
  15
  30
])
param heartbeatIntervalMinutes int = 5

// Log alerts see what Application Insights keeps. The worker's logs reach it through the Functions host; host.json
// keeps requests, exceptions and traces out of sampling (only dependencies are sampled above 20 items/s), so no
// failure, poison or queue-age line is sampled out. The metric alerts read customMetrics, which is never sampled.

// The app's own [LoggerMessage] texts for a change that is, or may still be, live and unapproved
// (Shared/Features/Processing/ChangeProcessor.cs, Shared/Features/Approvals/ApplyService.cs, Shared/Features/Intake/EventIntake.cs).
// Tests/Infrastructure checks that each phrase is still in a [LoggerMessage] in Shared/ (ignoring case, as `contains` does).
var failureLogPhrases = [
  'REVERT FAILED' // a revert attempt failed; the change may still be live
  'giving up the revert' // last try: the message goes to -poison, the change may still be live
  'apply failed' // an approved change could not be applied
  'Revert it by hand' // the intake could not queue an oversized change: nothing reverts it
]

// The intake's line for an event it queued (Shared/Features/Intake/EventIntake.cs, "Accepted event {EventId} as request ...").
var acceptedLogPhrase = 'Accepted event '

// The Functions host's line when a message has failed maxDequeueCount times and moves to <queue>-poison.
var poisonLogPhrase = 'Message has reached MaxDequeueCount'

// The bridge's own metrics (Shared/Core/Telemetry/BridgeTelemetry.cs), exported by OpenTelemetry to customMetrics: not sampled.
var heartbeatMetric = 'sgbridge.heartbeats'
var failuresMetric = 'sgbridge.failures'
// Failure kinds the metric alert leaves out: a failed STS call is a symptom, counted again as the failure it causes
// (a revert, a skipped account), and a missing role would otherwise alert on every sweep.
var failureKindsNotAlerted = [
  'sts'
]

var intakeFunctionName = 'ReceiveAwsEvent'
var changesFunctionName = 'RevertChange'

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: actionGroupShortName
    enabled: true
    emailReceivers: [
      {
        name: 'email'
        emailAddress: alertEmailAddress
        useCommonAlertSchema: true
      }
    ]
    webhookReceivers: empty(alertWebhookUri)
      ? []
      : [
          {
            name: 'webhook'
            serviceUri: alertWebhookUri
            useCommonAlertSchema: true
          }
        ]
  }
}

// Revert and apply failures: any one of these lines is an incident (an unapproved change may be live).
resource failuresAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-revert-apply-failures'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'SgBridge: revert or apply failed'
    description: 'A revert or an approved apply failed, or an oversized change could not be queued. The unapproved change may still be live in AWS: check the request in Slack and the group in the account.'
    severity: 1
    enabled: true
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    scopes: [
      applicationInsightsResourceId
    ]
    criteria: {
      allOf: [
        {
          query: 'traces | where ${join(map(failureLogPhrases, p => 'message contains "${p}"'), ' or ')} | project timestamp, message, severityLevel'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: false
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

// Poison messages. A log query on the host's line rather than a metric alert on QueueMessageCount: Azure Storage
// queue metrics are per account (no queue-name dimension), so a metric cannot tell sgbridge-changes-poison from the
// normal backlog of sgbridge-changes, and the capacity metric is only sampled about hourly. The host logs this line
// once per message it moves, naming the poison queue.
resource poisonAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-poison-messages'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'SgBridge: message moved to a poison queue'
    description: 'A queue message failed maxDequeueCount times and went to <queue>-poison (sgbridge-changes-poison: a change was not reverted; -applies-poison: an approval was not applied; -notifications-poison: Slack was not updated). Inspect and re-queue it.'
    severity: 1
    enabled: true
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    scopes: [
      applicationInsightsResourceId
    ]
    criteria: {
      allOf: [
        {
          query: 'traces | where message startswith "${poisonLogPhrase}" | extend poisonQueue = extract(@"to queue \'([^\']+)\'", 1, message) | project timestamp, poisonQueue, message'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: false
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

// Intake 5xx rate: EventBridge retries 5xx for up to 24 h, so a burst is survivable, but a steady rate means
// events pile up in EventBridge (and, after a day, in the central bus's dead-letter queue).
resource intake5xxAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-intake-5xx'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'SgBridge: intake answers 5xx'
    description: 'ReceiveAwsEvent answered 5xx to more than ${intake5xxPercentThreshold}% of requests (at least ${intake5xxMinimumCount}) in 5 minutes: EventBridge keeps retrying, changes are not reverted meanwhile. Usually the queue is unreachable (503).'
    severity: 2
    enabled: true
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    scopes: [
      applicationInsightsResourceId
    ]
    criteria: {
      allOf: [
        {
          query: 'requests | where name == "${intakeFunctionName}" | summarize total = count(), failed = countif(toint(resultCode) >= 500) | extend failedPercent = 100.0 * failed / total | where failed >= ${intake5xxMinimumCount} and failedPercent > ${intake5xxPercentThreshold}'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

// Age of sgbridge-changes. Storage has no per-queue age metric, so the age is read where the host logs it: each
// execution of RevertChange logs "Trigger Details: MessageId: ..., DequeueCount: n, InsertionTime: <when queued>".
// It fires when a change waited longer than the limit, or when the intake queued changes more than the limit ago
// and the worker took none in the window (a stopped worker logs nothing to measure).
resource changesQueueAgeAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-changes-queue-age'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'SgBridge: changes wait in the queue'
    description: 'A change waited more than ${changesQueueMaxAgeMinutes} minutes in sgbridge-changes before the revert worker took it, or none was taken although the intake queued some: unapproved changes stay live meanwhile.'
    severity: 2
    enabled: true
    evaluationFrequency: 'PT5M'
    windowSize: 'PT30M'
    scopes: [
      applicationInsightsResourceId
    ]
    criteria: {
      allOf: [
        {
          query: 'let maxAge = ${changesQueueMaxAgeMinutes}m; let started = traces | where message startswith "Trigger Details:" | where operation_Name =~ "${changesFunctionName}" or tostring(customDimensions.Category) =~ "Function.${changesFunctionName}" | extend insertedOn = todatetime(extract(@"InsertionTime: ([^,]+)", 1, message)); let late = started | where isnotnull(insertedOn) and timestamp - insertedOn > maxAge | project timestamp, reason = "dequeued late"; let stalled = traces | where message startswith "${acceptedLogPhrase}" and timestamp < ago(maxAge) | summarize accepted = count() | where accepted > 0 and toscalar(started | count) == 0 | project timestamp = now(), reason = "nothing dequeued"; union late, stalled'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

// Silence is not health: the heartbeat rule in the central account sends an event through the intake's API destination
// every heartbeatIntervalMinutes; the intake counts it (sgbridge.heartbeats). None for two intervals: a wrong or
// rotated function key, an app that does not start, a deleted rule or connection. Exported metrics are not sampled.
resource heartbeatAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-heartbeat-missing'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'SgBridge: no heartbeat'
    description: 'No heartbeat reached the intake for ${heartbeatIntervalMinutes * 2} minutes: security group events are not being delivered either. Check the function key (scripts/intake-function-key.sh list vs the central stack), that the app runs, and the heartbeat rule and API destination in the central account.'
    severity: 1
    enabled: true
    evaluationFrequency: 'PT5M'
    windowSize: 'PT${heartbeatIntervalMinutes * 2}M'
    scopes: [
      applicationInsightsResourceId
    ]
    criteria: {
      allOf: [
        {
          query: 'customMetrics | where name == "${heartbeatMetric}"'
          timeAggregation: 'Count'
          operator: 'LessThan'
          threshold: 1
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    autoMitigate: true
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

// The exact signal: every failure the code counts (sgbridge.failures, by kind), unsampled, one alert per kind.
resource failureMetricAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-failures-by-kind'
  location: location
  tags: tags
  kind: 'LogAlert'
  properties: {
    displayName: 'SgBridge: failures (by kind)'
    description: 'The bridge counted failures (sgbridge.failures): revert, apply, storage, drift_unrecorded, access_expiry, account_skipped, … The kind names the path; docs/operations-telemetry.md lists them. Unlike the log-line alert, this count is not sampled.'
    severity: 1
    enabled: true
    evaluationFrequency: 'PT5M'
    windowSize: 'PT5M'
    scopes: [
      applicationInsightsResourceId
    ]
    criteria: {
      allOf: [
        {
          query: 'customMetrics | where name == "${failuresMetric}" | extend kind = tostring(customDimensions["kind"]) | where kind !in (${join(map(failureKindsNotAlerted, k => '"${k}"'), ', ')}) | summarize failures = sum(valueSum) by kind'
          timeAggregation: 'Total'
          metricMeasureColumn: 'failures'
          dimensions: [
            {
              name: 'kind'
              operator: 'Include'
              values: [
                '*'
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    // A failure that repeats (e.g. access that cannot be ended) notifies once an hour, not every 5 minutes.
    autoMitigate: false
    muteActionsDuration: 'PT1H'
    actions: {
      actionGroups: [
        actionGroup.id
      ]
    }
  }
}

@description('The resource ID of the action group.')
output actionGroupResourceId string = actionGroup.id

@description('The resource IDs of the alert rules.')
output alertRuleResourceIds string[] = [
  failuresAlert.id
  poisonAlert.id
  intake5xxAlert.id
  changesQueueAgeAlert.id
  heartbeatAlert.id
  failureMetricAlert.id
]
