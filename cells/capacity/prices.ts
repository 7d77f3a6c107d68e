/**
 * us-east-1 list prices (USD) behind `npm run capacity -- --cost`, each with the AWS pricing page
 * it comes from and the day it was read. First-tier rates: volume tiers (API Gateway above 333
 * million requests a month, SQS above 100 billion) would lower the bill, free tiers are ignored,
 * and other regions differ a little. Check the pages before budgeting.
 */
export const PRICES_AS_OF = "2026-11-25";
export const PRICES_REGION = "us-east-1";

export interface Price {
  /** USD per `per` units. */
  readonly usd: number;
  readonly per: number;
  readonly unit: string;
  readonly source: string;
  readonly note?: string;
}

const MILLION = 1_000_000;

export const PRICES = {
  apiGatewayRestRequest: {
    usd: 3.5, per: MILLION, unit: "REST API requests",
    source: "https://aws.amazon.com/api-gateway/pricing/",
    note: "first 333 million a month; $2.80 for the next 667 million (not applied)",
  },
  wafRequest: { usd: 0.6, per: MILLION, unit: "requests inspected", source: "https://aws.amazon.com/waf/pricing/" },
  wafWebAclMonth: { usd: 5, per: 1, unit: "web ACL-months", source: "https://aws.amazon.com/waf/pricing/" },
  wafRuleMonth: { usd: 1, per: 1, unit: "rule-months", source: "https://aws.amazon.com/waf/pricing/" },
  eventBridgeCustomEvent: {
    usd: 1, per: MILLION, unit: "custom events (64 KB chunks)",
    source: "https://aws.amazon.com/eventbridge/pricing/",
  },
  eventBridgeCrossRegionEvent: {
    usd: 1, per: MILLION, unit: "events delivered to a bus in another region",
    source: "https://aws.amazon.com/eventbridge/pricing/",
  },
  eventBridgeArchiveGb: { usd: 0.1, per: 1, unit: "GB archived", source: "https://aws.amazon.com/eventbridge/pricing/" },
  eventBridgeArchiveStorageGbMonth: { usd: 0.023, per: 1, unit: "GB-months stored", source: "https://aws.amazon.com/eventbridge/pricing/" },
  pipesRequest: { usd: 0.4, per: MILLION, unit: "pipe requests (64 KB chunks)", source: "https://aws.amazon.com/eventbridge/pricing/" },
  snsPublish: { usd: 0.5, per: MILLION, unit: "publishes (64 KB chunks)", source: "https://aws.amazon.com/sns/pricing/", note: "deliveries to SQS are free" },
  sqsStandardRequest: { usd: 0.4, per: MILLION, unit: "standard queue requests", source: "https://aws.amazon.com/sqs/pricing/" },
  sqsFifoRequest: { usd: 0.5, per: MILLION, unit: "FIFO queue requests", source: "https://aws.amazon.com/sqs/pricing/" },
  lambdaRequest: { usd: 0.2, per: MILLION, unit: "invocations", source: "https://aws.amazon.com/lambda/pricing/" },
  lambdaArmGbSecond: { usd: 0.0000133334, per: 1, unit: "GB-seconds (arm64)", source: "https://aws.amazon.com/lambda/pricing/" },
  timestreamWrite: { usd: 0.5, per: MILLION, unit: "1 KB writes", source: "https://aws.amazon.com/timestream/pricing/" },
  timestreamMemoryGbHour: { usd: 0.036, per: 1, unit: "GB-hours in the memory store", source: "https://aws.amazon.com/timestream/pricing/" },
  timestreamMagneticGbMonth: { usd: 0.03, per: 1, unit: "GB-months in the magnetic store", source: "https://aws.amazon.com/timestream/pricing/" },
  logsIngestGb: { usd: 0.5, per: 1, unit: "GB of logs ingested", source: "https://aws.amazon.com/cloudwatch/pricing/" },
  xrayTrace: { usd: 5, per: MILLION, unit: "traces recorded", source: "https://aws.amazon.com/xray/pricing/" },
  kmsKeyMonth: { usd: 1, per: 1, unit: "customer managed key-months", source: "https://aws.amazon.com/kms/pricing/" },
} as const satisfies Record<string, Price>;

export type PriceId = keyof typeof PRICES;

/** USD for `quantity` units of a price. */
export const cost = (id: PriceId, quantity: number): number => (PRICES[id].usd / PRICES[id].per) * quantity;
