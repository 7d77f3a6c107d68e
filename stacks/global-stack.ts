import type { Construct } from "constructs";
import type { FleetConfig } from "../cells/fleet-schema";
import { STACK_IDS, cellNames, fleetNames, replayNamePrefix, subscriberEndpoint } from "../cells/naming";
import { AlertTopics } from "./alert-topics";
import { deadLetterAlarmSpec } from "./cell-alarm-specs";
import { CellAlarms } from "./cell-alarms";
import { GLOBAL_REQUIRED_TAGS, applyPolicyAspects } from "./aspects";
import { ArchiveHub } from "./archive-hub";
import { CellKey } from "./cell-key";
import { addInvoiceAnalytics } from "./analytics/invoice-analytics";
import { Compliance } from "./compliance";
import { ApiGatewayAccountSettings } from "./api-gateway-account";
import { ApiKeySecrets } from "./api-key-secrets";
import { Dashboard, fleetDashboardBody } from "./dashboards";
import { FleetStack, stackFoundation } from "./stack-foundation";

export interface GlobalStackProps {
  readonly fleet: FleetConfig;
}

/**
 * The fleet's one global stack, in the control region: what spans cells or is one per account
 * and region (API key secrets replicated to every cell region, API Gateway's logging role), and
 * the home of the Route 53 cell router, the archive hub and the replay rules. Like every stack it derives what it needs of the cells
 * from config, never from their state, so it deploys alone.
 */
export class GlobalStack extends FleetStack {
  readonly hub: ArchiveHub;

  constructor(scope: Construct, props: GlobalStackProps) {
    super(scope, STACK_IDS.global);
    const { fleet } = props;
    const account = stackFoundation(this, {
      fleet,
      stackId: STACK_IDS.global,
      region: fleet.global.region,
      tags: { project: fleet.project, stack: STACK_IDS.global, region: fleet.global.region },
    });
    const names = fleetNames(fleet.project);
    const cellRegions = fleet.cells.map((cell) => cell.region);

    const secretsKey = new CellKey(this, "secrets-key", {
      alias: names.secretsKeyAlias,
      region: fleet.global.region,
      account,
      description: `${fleet.project}: API key secrets in every cell region`,
      multiRegion: true,
    });
    new ApiKeySecrets(this, "api-keys", {
      key: secretsKey,
      clients: fleet.api.clients.map((client) => client.name),
      secretName: names.apiKeySecret,
      primaryRegion: fleet.global.region,
      cellRegions,
    });
    const key = new CellKey(this, "key", {
      alias: names.globalKeyAlias,
      region: fleet.global.region,
      account,
      description: `${fleet.project} global stack: archive hub and alert dead letters`,
    });
    this.hub = new ArchiveHub(this, "archive-hub", {
      busName: names.hubBus,
      archiveName: names.archive,
      retentionDays: fleet.global.archiveRetentionDays,
      deadLetterQueueName: names.hubDlq,
      replayRoleName: names.replayRole,
      key,
      dlqRetentionDays: fleet.queues.dlqRetentionDays,
      account,
      cells: fleet.cells.map((cell) => ({
        id: cell.id,
        replayNamePrefix: replayNamePrefix(cell.id),
        ruleName: names.replayRule(cell.id),
        busArn: cellNames(cell.id).busArn(cell.region, account),
      })),
      retryAttempts: fleet.router.retryAttempts,
      maxEventAgeSeconds: fleet.router.maxEventAgeSeconds,
    });

    // The global stack's own dead letters page like a cell's.
    const topics = new AlertTopics(this, "alerts", {
      topicName: (severity) => names.globalAlertTopic(severity),
      deadLetterQueueName: names.globalAlertsDlq,
      alarmArnPattern: `arn:${account.partition}:cloudwatch:${fleet.global.region}:${account.account}:alarm:${names.globalAlarm("*")}`,
      subscriptions: {
        critical: fleet.operations.alerting.critical.map((s) => ({ ...s, endpoint: subscriberEndpoint(s.endpoint, { id: "global", region: fleet.global.region }) })),
        warning: fleet.operations.alerting.warning.map((s) => ({ ...s, endpoint: subscriberEndpoint(s.endpoint, { id: "global", region: fleet.global.region }) })),
        info: fleet.operations.alerting.info.map((s) => ({ ...s, endpoint: subscriberEndpoint(s.endpoint, { id: "global", region: fleet.global.region }) })),
      },
      key,
      dlqRetentionDays: fleet.queues.dlqRetentionDays,
    });
    new CellAlarms(this, "alarms", {
      specs: [deadLetterAlarmSpec("hub-dlq", names.hubDlq), deadLetterAlarmSpec("alerts-dlq", names.globalAlertsDlq)],
      alarmName: (what) => names.globalAlarm(what),
      topics,
      escalateAfterMinutes: fleet.operations.escalateAfterMinutes,
    });

    new Dashboard(this, "fleet-dashboard", {
      name: names.fleetDashboard,
      body: fleetDashboardBody({
        cells: fleet.cells.map((cell) => ({ names: cellNames(cell.id), region: cell.region, active: cell.active })),
        apiStageName: fleet.api.stageName,
        stages: fleet.stages,
        detectorPeriodSeconds: fleet.operations.stuckInvoices.scheduleMinutes * 60,
        canaryPeriodSeconds: fleet.operations.canary.enabled ? fleet.operations.canary.scheduleMinutes * 60 : undefined,
      }),
    });
    if (fleet.api.manageAccountSettings) {
      new ApiGatewayAccountSettings(this, "api-gateway-account", {
        roleName: names.apiGatewayCloudWatchRole,
        regions: cellRegions,
        account,
      });
    }
    addInvoiceAnalytics(this, fleet, account);
    if (fleet.compliance.enabled) {
      new Compliance(this, "compliance", {
        project: fleet.project,
        account,
        controlRegion: fleet.global.region,
        cellRegions,
        trailRetentionDays: fleet.compliance.trailRetentionDays,
        notificationKey: key,
      });
    }
    applyPolicyAspects(this, { requiredTags: GLOBAL_REQUIRED_TAGS });
  }
}
