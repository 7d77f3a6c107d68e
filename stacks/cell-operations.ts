import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { Construct } from "constructs";
import type { CellConfig, FleetConfig } from "../cells/fleet-schema";
import { fleetNames, subscriberEndpoint, type AccountRef, type CellNames } from "../cells/naming";
import { AlertTopics } from "./alert-topics";
import type { CellKey } from "./cell-key";
import { cellAlarmSpecs, SERVICES } from "./cell-alarm-specs";
import { CellAlarms } from "./cell-alarms";
import { Dashboard, cellDashboardBody } from "./dashboards";
import type { EncryptedQueue } from "./encrypted-queue";
import type { FunctionCode } from "./function-code";
import type { IngestApi } from "./ingest-api";
import { rejectionReportPattern, type InvoiceStore } from "./invoice-store";
import { ScheduledFunction, type ScheduledFunctionProps } from "./scheduled-function";
import { ServiceRole } from "./service-role";
import { SCHEDULED_FUNCTION_CONCURRENCY } from "./settings";

/** The scheduled-function props CellOperations sets the same for the detector and the canary. */
type SharedScheduledProps =
  | "functionName"
  | "roleName"
  | "logGroupName"
  | "scheduleName"
  | "schedulerRole"
  | "deadLetterQueue"
  | "asyncDeadLetterQueue"
  | "key"
  | "logRetentionDays"
  | "reservedConcurrency";

export interface CellOperationsProps {
  readonly fleet: FleetConfig;
  readonly cell: CellConfig;
  readonly names: CellNames;
  readonly account: AccountRef;
  readonly key: CellKey;
  readonly store: InvoiceStore;
  readonly api: IngestApi;
  readonly code: { readonly detector: FunctionCode; readonly canary: FunctionCode };
  /** The cell bus, where rejection reports arrive. */
  readonly busName: string;
  /** The cell's dead-letter queue for scheduler targets and asynchronous invocations. */
  readonly asyncDeadLetterQueue: EncryptedQueue;
}

/**
 * Operating a cell: severity topics, every alarm (with escalation), the stuck-invoice detector,
 * the end-to-end canary and the cell's dashboard.
 */
export class CellOperations extends Construct {
  readonly topics: AlertTopics;
  readonly alarms: CellAlarms;
  readonly detector: ScheduledFunction;
  readonly canary?: ScheduledFunction;

  constructor(scope: Construct, id: string, props: CellOperationsProps) {
    super(scope, id);
    const { fleet, cell, names, account, key, store } = props;
    const ops = fleet.operations;
    const region = cell.region;

    this.topics = new AlertTopics(this, "alerts", {
      topicName: (severity) => names.alertTopic(severity),
      deadLetterQueueName: names.alertsDlq,
      alarmArnPattern: `arn:${account.partition}:cloudwatch:${region}:${account.account}:alarm:${names.alarm("*")}`,
      subscriptions: {
        critical: withCellEndpoints(ops.alerting.critical, cell),
        warning: withCellEndpoints(ops.alerting.warning, cell),
        info: withCellEndpoints(ops.alerting.info, cell),
      },
      key,
      dlqRetentionDays: fleet.queues.dlqRetentionDays,
    });

    const asyncDlq = props.asyncDeadLetterQueue;
    const schedulerRole = new ServiceRole(this, "scheduler-role", {
      roleName: names.schedulerRole,
      service: "scheduler.amazonaws.com",
      description: "EventBridge Scheduler invokes the cell's scheduled functions",
      trustConditions: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [account.account] }],
    });
    const terminal = fleet.stages.find((stage) => stage.terminal)!;
    const storeEnvironment = store.environment;

    // What both scheduled functions share: their names in the cell, the scheduler, the async
    // DLQ, the key, log retention and reserved concurrency.
    const scheduled = (id: string, opsName: string, own: Omit<ScheduledFunctionProps, SharedScheduledProps>) => {
      const functionNames = names.opsFunction(opsName);
      return new ScheduledFunction(this, id, {
        functionName: functionNames.function,
        roleName: functionNames.role,
        logGroupName: functionNames.logGroup,
        scheduleName: functionNames.schedule,
        schedulerRole,
        deadLetterQueue: asyncDlq,
        asyncDeadLetterQueue: asyncDlq,
        key,
        logRetentionDays: fleet.logRetentionDays,
        reservedConcurrency: SCHEDULED_FUNCTION_CONCURRENCY,
        ...own,
      });
    };

    this.detector = scheduled("stuck-invoice-detector", "stuck-invoices", {
      description: "Finds invoices stuck in a stage past its SLA and alerts with their ids",
      code: props.code.detector,
      serviceName: SERVICES.detector,
      environment: {
        CELL_ID: cell.id,
        ...storeEnvironment,
        TERMINAL_STAGE: terminal.name,
        STAGE_SLAS_MINUTES: JSON.stringify(
          Object.fromEntries(fleet.stages.filter((stage) => !stage.terminal).map((stage) => [stage.name, stage.slaMinutes])),
        ),
        MAX_LISTED: String(ops.stuckInvoices.maxListed),
        LOOKBACK_DAYS: String(ops.stuckInvoices.lookbackDays),
        ALERT_TOPIC_ARN: this.topics.arn("warning"),
      },
      memoryMb: 256,
      timeoutSeconds: 120,
      everyMinutes: ops.stuckInvoices.scheduleMinutes,
    });
    store.grantQuery(this.detector.lambda.role);
    this.topics.topics.warning.grantPublish(this.detector.lambda.role);

    if (ops.canary.enabled) {
      const secretName = fleetNames(fleet.project).apiKeySecret(ops.canary.client);
      this.canary = scheduled("canary", "canary", {
        description: "Sends a synthetic invoice through the public API and times its arrival in the store",
        code: props.code.canary,
        serviceName: SERVICES.canary,
        environment: {
          CELL_ID: cell.id,
          INGEST_URL: props.api.url,
          FIRST_STAGE: fleet.stages[0]!.name,
          API_KEY_SECRET_ID: secretName,
          ...storeEnvironment,
          MAX_END_TO_END_SECONDS: String(ops.canary.maxEndToEndSeconds),
        },
        memoryMb: 256,
        timeoutSeconds: ops.canary.maxEndToEndSeconds + 60,
        everyMinutes: ops.canary.scheduleMinutes,
      });
      store.grantQuery(this.canary.lambda.role);
      this.canary.lambda.role.addToPolicy({
        actions: ["secretsmanager:GetSecretValue"],
        // Secrets Manager appends six random characters to a secret's ARN.
        resources: [`arn:${account.partition}:secretsmanager:${region}:${account.account}:secret:${secretName}-??????`],
      });
      this.canary.lambda.role.addToPolicy({
        // The secret's replica key is created by the global stack: known here by its alias only.
        actions: ["kms:Decrypt"],
        resources: [`arn:${account.partition}:kms:${region}:${account.account}:key/*`],
        conditions: [
          { test: "ForAnyValue:StringEquals", variable: "kms:ResourceAliases", values: [fleetNames(fleet.project).secretsKeyAlias] },
          { test: "StringEquals", variable: "kms:ViaService", values: [`secretsmanager.${region}.amazonaws.com`] },
        ],
      });
    }

    // Rejection reports arrive on the cell bus (InvoiceStore.reportRejectionsTo) and page.
    const rejections = new CloudwatchEventRule(this, "store-rejections", {
      name: names.rejectionReportsRule,
      eventBusName: props.busName,
      description: "Timestream rejected records after accepting them: they are not in the store",
      eventPattern: JSON.stringify(rejectionReportPattern(props.store.rejectedRecordsBucketName)),
    });
    new CloudwatchEventTarget(this, "store-rejections-target", {
      rule: rejections.name,
      eventBusName: props.busName,
      arn: this.topics.arn("critical"),
      retryPolicy: { maximumRetryAttempts: fleet.router.retryAttempts, maximumEventAgeInSeconds: fleet.router.maxEventAgeSeconds },
      deadLetterConfig: { arn: asyncDlq.arn },
    });
    this.topics.topics.critical.allowPublishFrom("events.amazonaws.com", [rejections.arn]);
    asyncDlq.allowSendFrom("events.amazonaws.com", [rejections.arn]);

    const specs = cellAlarmSpecs({
      names,
      stages: fleet.stages,
      apiStageName: fleet.api.stageName,
      thresholds: ops.thresholds,
      stuckInvoices: ops.stuckInvoices,
      canary: ops.canary,
    });
    this.alarms = new CellAlarms(this, "alarms", {
      specs,
      alarmName: (what) => names.alarm(what),
      topics: this.topics,
      escalateAfterMinutes: ops.escalateAfterMinutes,
    });
    new Dashboard(this, "dashboard", {
      name: names.dashboard,
      body: cellDashboardBody({
        names,
        region,
        apiStageName: fleet.api.stageName,
        stages: fleet.stages,
        alarmArns: [...this.alarms.alarms.values()].map((alarm) => alarm.arn),
        detectorPeriodSeconds: ops.stuckInvoices.scheduleMinutes * 60,
        canaryPeriodSeconds: ops.canary.enabled ? ops.canary.scheduleMinutes * 60 : undefined,
      }),
    });
  }
}

/** Alert subscriptions with `{region}` and `{cell}` filled in for this cell. */
function withCellEndpoints<T extends { readonly endpoint: string }>(subscriptions: readonly T[], cell: CellConfig): T[] {
  return subscriptions.map((subscription) => ({ ...subscription, endpoint: subscriberEndpoint(subscription.endpoint, cell) }));
}
