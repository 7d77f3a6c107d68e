/**
 * Every physical name and ARN in the fleet, derived from config. Stacks never share references:
 * what one stack needs of another is computed here, so each deploys alone.
 */

/** AWS limits on the names we create (length; charset is guaranteed by the config's slugs). */
const LIMITS = {
  sqsQueue: 80,
  eventRule: 64,
  eventBus: 256,
  snsTopic: 256,
  iamRole: 64,
  lambdaFunction: 64,
  pipe: 64,
  kmsAlias: 256,
  timestreamDatabase: 256,
  restApi: 1024,
  logGroup: 512,
  s3Bucket: 63,
  webAcl: 128,
  replayName: 64,
  dnsLabel: 63,
} as const;
type NameKind = keyof typeof LIMITS;

/** Account and partition, usually tokens from `aws_caller_identity` / `aws_partition`. */
export interface AccountRef {
  readonly partition: string;
  readonly account: string;
}

export const STACK_IDS = {
  global: "global",
  cell: (cellId: string) => `cell-${cellId}`,
};

/** The Terraform state key of a stack, unique per stack. */
export const stateKey = (keyPrefix: string, stackId: string) =>
  [keyPrefix, `${stackId}.tfstate`].filter(Boolean).join("/");

export const TIMESTREAM_TABLE = "invoice_events";

/** Names of one stage's resources inside a cell. */
export class StageNames {
  constructor(
    private readonly cell: string,
    readonly stage: string,
  ) {}
  private get base() {
    return `${this.cell}-${this.stage}`;
  }
  get rule() { return this.base; }
  get topic() { return this.base; }
  get queue() { return this.base; }
  get queueDlq() { return `${this.base}-dlq`; }
  get fanoutDlq() { return `${this.base}-fanout-dlq`; }
  get fifoQueue() { return `${this.base}.fifo`; }
  get fifoDlq() { return `${this.base}-dlq.fifo`; }
  get pipe() { return `${this.base}-buffer`; }
  get pipeRole() { return `${this.base}-buffer`; }
  get pipeLogGroup() { return `/aws/vendedlogs/pipes/${this.pipe}`; }
  get consumerFunction() { return `${this.base}-consumer`; }
  get consumerRole() { return `${this.base}-consumer`; }
  get consumerLogGroup() { return `/aws/lambda/${this.consumerFunction}`; }

  /** Every name with the AWS limit it must respect. */
  all(): [NameKind, string][] {
    return [
      ["eventRule", this.rule],
      ["snsTopic", this.topic],
      ["sqsQueue", this.queue],
      ["sqsQueue", this.queueDlq],
      ["sqsQueue", this.fanoutDlq],
      ["sqsQueue", this.fifoQueue],
      ["sqsQueue", this.fifoDlq],
      ["pipe", this.pipe],
      ["iamRole", this.pipeRole],
      ["logGroup", this.pipeLogGroup],
      ["lambdaFunction", this.consumerFunction],
      ["iamRole", this.consumerRole],
      ["logGroup", this.consumerLogGroup],
    ];
  }
}

/** Names and ARNs of one cell's resources. */
export class CellNames {
  constructor(readonly cell: string) {}

  get stackId() { return STACK_IDS.cell(this.cell); }
  get keyAlias() { return `alias/${this.cell}-cell`; }
  /** Key for a store kept in another region (Timestream is not in every region). */
  get storeKeyAlias() { return `alias/${this.cell}-store`; }
  get bus() { return `${this.cell}-invoices`; }
  get routerDlq() { return `${this.cell}-router-dlq`; }
  get api() { return `${this.cell}-ingest`; }
  get apiRole() { return `${this.cell}-ingest-putevents`; }
  get apiAccessLogGroup() { return `/aws/apigateway/${this.api}/access`; }
  /** API Gateway picks this name for execution logs; we create it first to own its retention. */
  apiExecutionLogGroup(apiId: string, stageName: string) { return `API-Gateway-Execution-Logs_${apiId}/${stageName}`; }
  apiKey(client: string) { return `${this.cell}-${client}`; }
  usagePlan(tier: string) { return `${this.cell}-${tier}`; }
  get webAcl() { return `${this.cell}-ingest`; }
  /** WAF only logs to log groups whose name starts with `aws-waf-logs-`. */
  get wafLogGroup() { return `aws-waf-logs-${this.cell}-ingest`; }
  alertTopic(severity: "critical" | "warning" | "info") { return `${this.cell}-${severity}`; }
  get alertsDlq() { return `${this.cell}-alerts-dlq`; }
  /** Invocations that failed or never happened: EventBridge Scheduler targets, Lambda async. */
  get asyncDlq() { return `${this.cell}-async-dlq`; }
  get schedulerRole() { return `${this.cell}-schedules`; }
  /** A scheduled function of the cell (`stuck-invoices`, `canary`): function, role, schedule. */
  opsFunction(job: string) {
    const name = `${this.cell}-${job}`;
    return { function: name, role: name, schedule: name, logGroup: `/aws/lambda/${name}` };
  }
  /** Alarm names start with the cell, so each cell's alarms sort together. */
  alarm(what: string) { return `${this.cell}-${what}`; }
  get dashboard() { return `${this.cell}`; }
  /** Forwards the cell's live events to the archive hub. */
  get forwardRule() { return `${this.cell}-forward-to-hub`; }
  get forwardRole() { return `${this.cell}-forward-to-hub`; }
  /** Timestream rejection reports: a rule in the store's region and one on the cell bus. */
  get rejectionReportsRule() { return `${this.cell}-store-rejections`; }
  get rejectionReportsRole() { return `${this.cell}-store-rejections`; }
  rejectionReportsRuleArn(storeRegion: string, { partition, account }: AccountRef) {
    return `arn:${partition}:events:${storeRegion}:${account}:rule/${this.rejectionReportsRule}`;
  }
  /** The cell's own public hostname, `<cell>.<domain>`. */
  hostname(domain: string) { return `${this.cell}.${domain}`; }
  get timestreamDatabase() { return `${this.cell}-invoices`; }
  get timestreamTable() { return TIMESTREAM_TABLE; }
  /** S3 bucket names are global: the account id makes this one unique. */
  rejectedRecordsBucket(account: string) { return `${this.cell}-${account}-ts-rejects`; }

  stage(stage: string) { return new StageNames(this.cell, stage); }

  busArn(region: string, { partition, account }: AccountRef) {
    return `arn:${partition}:events:${region}:${account}:event-bus/${this.bus}`;
  }
  forwardRuleArn(region: string, ref: AccountRef) {
    return `arn:${ref.partition}:events:${region}:${ref.account}:rule/${this.bus}/${this.forwardRule}`;
  }
  ruleArn(region: string, ref: AccountRef, stage: string) {
    return `arn:${ref.partition}:events:${region}:${ref.account}:rule/${this.bus}/${this.stage(stage).rule}`;
  }
  pipeArn(region: string, { partition, account }: AccountRef, stage: string) {
    return `arn:${partition}:pipes:${region}:${account}:pipe/${this.stage(stage).pipe}`;
  }
  timestreamTableArn(storeRegion: string, { partition, account }: AccountRef) {
    return `arn:${partition}:timestream:${storeRegion}:${account}:database/${this.timestreamDatabase}/table/${this.timestreamTable}`;
  }

  all(stages: readonly string[]): [NameKind, string][] {
    return [
      ["kmsAlias", this.keyAlias],
      ["eventBus", this.bus],
      ["sqsQueue", this.routerDlq],
      ["restApi", this.api],
      ["iamRole", this.apiRole],
      ["webAcl", this.webAcl],
      ["logGroup", this.wafLogGroup],
      ["dnsLabel", this.cell],
      ["lambdaFunction", this.opsFunction("stuck-invoices").function],
      ["iamRole", this.opsFunction("stuck-invoices").role],
      ["sqsQueue", this.asyncDlq],
      ["eventRule", this.forwardRule],
      ["iamRole", this.forwardRole],
      ["replayName", replayName(this.cell, new Date(0))],
      ["timestreamDatabase", this.timestreamDatabase],
      ["s3Bucket", this.rejectedRecordsBucket("123456789012")],
      ...stages.flatMap((stage) => this.stage(stage).all()),
    ];
  }
}

export const cellNames = (cellId: string) => new CellNames(cellId);

/** Names of fleet-wide resources (the global stack's, and what every cell shares). */
export const fleetNames = (project: string) => ({
  /** Secret holding one client's API key, replicated to every cell region. */
  apiKeySecret: (client: string) => `${project}/api-keys/${client}`,
  /** The per-account role API Gateway uses to write CloudWatch logs. */
  apiGatewayCloudWatchRole: `${project}-apigateway-cloudwatch`,
  fleetDashboard: `${project}-fleet`,
  globalKeyAlias: `alias/${project}-global`,
  globalAlertTopic: (severity: string) => `${project}-global-${severity}`,
  globalAlertsDlq: `${project}-global-alerts-dlq`,
  /** Alarm names of the global stack start with this, as a cell's start with the cell id. */
  globalAlarm: (what: string) => `${project}-global-${what}`,
  /** Multi-region key of the API key secrets; its replicas carry the same alias in every cell region. */
  secretsKeyAlias: `alias/${project}-secrets`,
  /** The archive hub: every cell's live events, archived for DR replays. */
  hubBus: `${project}-archive-hub`,
  archive: `${project}-archive`,
  hubDlq: `${project}-hub-dlq`,
  replayRole: `${project}-replay-to-cells`,
  /** The hub rule that sends a replay named `dr-<cell>-...` back to that cell's bus. */
  replayRule: (cell: string) => `${project}-replay-${cell}`,
  hubBusArn: (region: string, { partition, account }: AccountRef) =>
    `arn:${partition}:events:${region}:${account}:event-bus/${project}-archive-hub`,
  archiveArn: (region: string, { partition, account }: AccountRef) =>
    `arn:${partition}:events:${region}:${account}:archive/${project}-archive`,
  replayRuleArn: (region: string, { partition, account }: AccountRef, cell: string) =>
    `arn:${partition}:events:${region}:${account}:rule/${project}-archive-hub/${project}-replay-${cell}`,
});

/** The shared, latency-routed entry: `api.<domain>`. */
export const sharedHostname = (domain: string) => `api.${domain}`;
/** A tenant pinned to a cell: `<tenant>.<domain>`. */
export const tenantHostname = (tenant: string, domain: string) => `${tenant}.${domain}`;
export const ROUTER_STACK_ID = "router";

/**
 * Names of the optional compliance module's resources (global stack).
 */
export const complianceNames = (project: string) => ({
  trail: `${project}-trail`,
  trailArn: (region: string, { partition, account }: AccountRef) =>
    `arn:${partition}:cloudtrail:${region}:${account}:trail/${project}-trail`,
  trailKeyAlias: `alias/${project}-trail`,
  /** S3 bucket names are global: the account id makes these unique (at most 24 + 43 characters). */
  trailBucket: (account: string) => `${project}-${account}-trail`,
  trailAccessLogBucket: (account: string) => `${project}-${account}-trail-access-logs`,
  trailLogGroup: `/aws/cloudtrail/${project}`,
  trailLogsRole: `${project}-trail-to-logs`,
  /** CloudTrail's log-file delivery notifications, for a SIEM to subscribe to. */
  trailTopic: `${project}-trail-deliveries`,
  configRole: `${project}-config`,
  /** One recorder and one delivery channel per region (AWS allows one of each). */
  configRecorder: `${project}`,
  configDeliveryChannel: `${project}`,
  configRule: (rule: string) => `${project}-${rule}`,
});

/**
 * Names of the optional analytics module's QuickSight assets (global stack).
 *
 * QuickSight ids are unique per account and region, and every store region gets its own copy of
 * the assets (a Timestream data source reads its own region only), so the ids carry no region;
 * display names do, because a person may see several regions' dashboards side by side.
 */
export const analyticsNames = (project: string) => ({
  /** The Timestream data source of one store region. */
  dataSourceId: `${project}-timestream`,
  dataSourceName: (region: string) => `${project} invoice events (Timestream, ${region})`,
  dataSourceArn: (region: string, { partition, account }: AccountRef) =>
    `arn:${partition}:quicksight:${region}:${account}:datasource/${project}-timestream`,
  /** A dataset, e.g. `executive-volume`. */
  dataSetId: (dataSet: string) => `${project}-${dataSet}`,
  dataSetName: (dataSet: string, region: string) => `${project} ${dataSet} (${region})`,
  /** The SPICE refresh schedule of a dataset. */
  refreshScheduleId: (dataSet: string) => `${project}-${dataSet}-refresh`,
  /** A dashboard, e.g. `executive`. */
  dashboardId: (audience: string) => `${project}-${audience}`,
  dashboardName: (audience: string, region: string, cells: readonly string[]) =>
    `${project} ${audience}: ${region} (${cells.join(", ")})`,
  /** The inline policy on QuickSight's service role that lets it read the fleet's tables. */
  serviceRolePolicy: `${project}-invoice-analytics`,
});

/** The role QuickSight creates on subscription and queries Timestream with (its console can swap it). */
export const QUICKSIGHT_SERVICE_ROLE = "aws-quicksight-service-role-v0";

/** Replays for a DR drill are named for the cell they go to; the hub's replay rule matches the prefix. */
export const replayNamePrefix = (cell: string) => `dr-${cell}-`;

/** `dr-<cell>-<UTC yyyymmddThhmmssZ>` (at most 64 characters, as EventBridge allows). */
export function replayName(cell: string, at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `${replayNamePrefix(cell)}${stamp}`;
}

/**
 * Why a cell id cannot be used, or undefined: the name it would produce that overshoots its AWS
 * limit the most, e.g. `makes IAM role name "…-reconciliation-consumer" 66 characters long`.
 */
export function nameProblem(cellId: string, stages: readonly string[]): string | undefined {
  const labels: Record<NameKind, string> = {
    sqsQueue: "SQS queue name",
    eventRule: "EventBridge rule name",
    eventBus: "event bus name",
    snsTopic: "SNS topic name",
    iamRole: "IAM role name",
    lambdaFunction: "Lambda function name",
    pipe: "EventBridge Pipe name",
    kmsAlias: "KMS alias",
    timestreamDatabase: "Timestream database name",
    restApi: "REST API name",
    logGroup: "log group name",
    s3Bucket: "S3 bucket name",
    webAcl: "WAF web ACL name",
    replayName: "DR replay name",
    dnsLabel: "DNS label",
  };
  const [worst] = cellNames(cellId)
    .all(stages)
    .filter(([kind, name]) => name.length > LIMITS[kind])
    .sort(([a, x], [b, y]) => y.length - LIMITS[b] - (x.length - LIMITS[a]));
  if (!worst) return undefined;
  const [kind, name] = worst;
  return `too long: it makes ${labels[kind]} "${name}" ${name.length} characters; the limit is ${LIMITS[kind]}`;
}

/** A subscriber endpoint from config, with `{region}` and `{cell}` filled in for one cell. */
export const subscriberEndpoint = (template: string, cell: { id: string; region: string }) =>
  template.replaceAll("{region}", cell.region).replaceAll("{cell}", cell.id);
