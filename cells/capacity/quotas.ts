import type { AwsRegion } from "../aws-regions";

/**
 * The AWS quotas a cell's data path runs into, per region, as data: the capacity planner reads
 * them, `capacity.quotaOverrides` in fleet.json replaces them where an account has had one raised.
 * Each names its source and the day it was read; AWS changes these, so check the source (or the
 * Service Quotas console of your account) before relying on a number.
 */

/** Every quota the planner checks: the keys of `capacity.quotaOverrides.<region>`. */
export const QUOTA_IDS = [
  "apigateway.rps",
  "apigateway.burst",
  "eventbridge.putEvents",
  "eventbridge.invocations",
  "sns.publish",
  "sqs.fifoThroughput",
  "pipes.concurrency",
  "lambda.concurrency",
  "timestream.ingestion",
] as const;
export type QuotaId = (typeof QUOTA_IDS)[number];

export interface QuotaDefinition {
  readonly id: QuotaId;
  /** What people call it, as in the Service Quotas console where it is listed there. */
  readonly name: string;
  readonly unit: string;
  /** `region`: one budget per account and region, shared by every cell there; `queue`: each FIFO queue has its own. */
  readonly scope: "region" | "queue";
  /** The default in regions `byRegion` does not list; undefined when AWS publishes none. */
  readonly default: number | undefined;
  readonly byRegion: Readonly<Partial<Record<AwsRegion, number>>>;
  /** Whether an increase can be requested (Service Quotas code where there is one). */
  readonly adjustable: boolean;
  readonly serviceQuotaCode?: string;
  readonly source: string;
  /** When the figures were read from the source (ISO date). */
  readonly asOf: string;
  readonly note?: string;
}

const READ_ON = "2026-11-25";

/** Regions where API Gateway's account throttle starts at 2,500 RPS / 1,250 burst. */
const SMALL_API_GATEWAY_REGIONS: readonly AwsRegion[] = [
  "af-south-1", "eu-south-1", "ap-southeast-3", "me-central-1", "ap-south-2", "ap-southeast-4", "eu-south-2",
  "eu-central-2", "il-central-1", "ca-west-1", "ap-southeast-5", "ap-southeast-7", "mx-central-1",
];
const each = (regions: readonly AwsRegion[], value: number): Partial<Record<AwsRegion, number>> =>
  Object.fromEntries(regions.map((region) => [region, value]));

export const QUOTAS: Readonly<Record<QuotaId, QuotaDefinition>> = {
  "apigateway.rps": {
    id: "apigateway.rps",
    name: "API Gateway throttle (account)",
    unit: "requests/s",
    scope: "region",
    default: 10_000,
    byRegion: each(SMALL_API_GATEWAY_REGIONS, 2_500),
    adjustable: true,
    serviceQuotaCode: "L-8A5B8E43",
    source: "https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html",
    asOf: READ_ON,
    note: "across every REST, HTTP and WebSocket API of the account in the region",
  },
  "apigateway.burst": {
    id: "apigateway.burst",
    name: "API Gateway burst (account)",
    unit: "requests",
    scope: "region",
    default: 5_000,
    byRegion: each(SMALL_API_GATEWAY_REGIONS, 1_250),
    adjustable: false,
    source: "https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html",
    asOf: READ_ON,
    note: "token-bucket size set by AWS from the RPS quota; compared with the sum of the cells' stage burst limits",
  },
  "eventbridge.putEvents": {
    id: "eventbridge.putEvents",
    name: "EventBridge PutEvents",
    unit: "requests/s",
    scope: "region",
    default: 400,
    byRegion: {
      "us-east-1": 10_000, "us-east-2": 2_400, "us-west-1": 1_200, "us-west-2": 10_000,
      "ap-east-1": 600, "ap-northeast-1": 1_200, "ap-northeast-2": 600, "ap-south-1": 600,
      "ap-southeast-1": 1_200, "ap-southeast-2": 1_200, "ca-central-1": 600, "eu-central-1": 2_400,
      "eu-north-1": 600, "eu-south-2": 2_400, "eu-west-1": 10_000, "eu-west-2": 1_200,
      "eu-west-3": 600, "sa-east-1": 600,
    },
    adjustable: true,
    serviceQuotaCode: "L-9B653E91",
    source: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html",
    asOf: READ_ON,
    note: "account-wide (all buses); the archive hub's region also receives every cell's forwarded events",
  },
  "eventbridge.invocations": {
    id: "eventbridge.invocations",
    name: "EventBridge rule invocations",
    unit: "invocations/s",
    scope: "region",
    default: 750,
    byRegion: {
      "us-east-1": 18_750, "us-east-2": 4_500, "us-west-1": 2_250, "us-west-2": 18_750,
      "ap-east-1": 1_100, "ap-northeast-1": 2_250, "ap-northeast-2": 1_100, "ap-south-1": 1_100,
      "ap-southeast-1": 2_250, "ap-southeast-2": 2_250, "ca-central-1": 1_100, "eu-central-1": 4_500,
      "eu-north-1": 1_100, "eu-south-2": 4_500, "eu-west-1": 18_750, "eu-west-2": 2_250,
      "eu-west-3": 1_100, "sa-east-1": 1_100,
    },
    adjustable: true,
    serviceQuotaCode: "L-5540C5E3",
    source: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html",
    asOf: READ_ON,
    note: "throttled invocations are delayed, not dropped; each event matches two rules (its stage, the hub forward)",
  },
  "sns.publish": {
    id: "sns.publish",
    name: "SNS Publish (standard topics)",
    unit: "messages/s",
    scope: "region",
    default: 300,
    byRegion: {
      "us-east-1": 30_000, "us-west-2": 9_000, "eu-west-1": 9_000,
      ...each(["us-east-2", "us-west-1", "ap-south-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "eu-central-1"], 1_500),
    },
    adjustable: true,
    source: "https://docs.aws.amazon.com/general/latest/gr/sns.html",
    asOf: READ_ON,
    note: "per account and region, Publish and PublishBatch together; the stage rule publishes each event once",
  },
  "sqs.fifoThroughput": {
    id: "sqs.fifoThroughput",
    name: "SQS FIFO high throughput (per queue)",
    unit: "messages/s",
    scope: "queue",
    default: 2_400,
    byRegion: {
      "us-east-1": 70_000, "us-west-2": 70_000, "eu-west-1": 70_000,
      "us-east-2": 19_000, "eu-central-1": 19_000,
      "ap-south-1": 9_000, "ap-southeast-1": 9_000, "ap-southeast-2": 9_000, "ap-northeast-1": 9_000,
      "eu-west-2": 4_500, "sa-east-1": 4_500,
    },
    adjustable: false,
    source: "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html",
    asOf: READ_ON,
    note: "transactions per second per API action without batching; counted as one SendMessage per event (the pipe)",
  },
  "pipes.concurrency": {
    id: "pipes.concurrency",
    name: "EventBridge Pipes concurrent executions",
    unit: "executions",
    scope: "region",
    default: 1_000,
    byRegion: { "us-east-1": 3_000, "us-west-2": 3_000, "eu-west-1": 3_000 },
    adjustable: true,
    source: "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html",
    asOf: READ_ON,
    note: "raised through AWS Support, not Service Quotas",
  },
  "lambda.concurrency": {
    id: "lambda.concurrency",
    name: "Lambda concurrent executions",
    unit: "executions",
    scope: "region",
    default: 1_000,
    byRegion: {},
    adjustable: true,
    serviceQuotaCode: "L-B99A9384",
    source: "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html",
    asOf: READ_ON,
    note: "new accounts can start lower: check the account's value in Service Quotas",
  },
  "timestream.ingestion": {
    id: "timestream.ingestion",
    name: "Timestream ingestion (memory store)",
    unit: "records/s",
    scope: "region",
    default: undefined,
    byRegion: {},
    adjustable: false,
    source: "https://docs.aws.amazon.com/timestream/latest/developerguide/ts-limits.html",
    asOf: READ_ON,
    note:
      "no published default: memory-store writes scale with demand (throttling while they scale); set an override " +
      "when AWS has agreed a figure with you. Counted in the cell's storeRegion",
  },
};

/** Where a limit came from: AWS's published default, or the fleet's override. */
export type LimitSource = "aws-default" | "override";

export type QuotaOverrides = Readonly<Partial<Record<string, Readonly<Partial<Record<QuotaId, number>>>>>>;

/** The limit in force for a quota in a region: an override from fleet.json, else AWS's default. */
export function quotaLimit(
  id: QuotaId,
  region: string,
  overrides: QuotaOverrides = {},
): { limit: number | undefined; source: LimitSource } {
  const override = overrides[region]?.[id];
  if (override !== undefined) return { limit: override, source: "override" };
  const quota = QUOTAS[id];
  return { limit: quota.byRegion[region as AwsRegion] ?? quota.default, source: "aws-default" };
}
