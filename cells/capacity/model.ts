import { PIPE_SOURCE_BATCH, SCHEDULED_FUNCTION_CONCURRENCY } from "../../stacks/settings";
import type { FleetConfig } from "../fleet-schema";

/**
 * The planner's working assumptions about how long things take and how big they are: estimates,
 * not AWS guarantees. They are constants here (not fleet.json knobs) because they describe the
 * code and the services, not a deployment; measure and change them when real numbers exist.
 */
export const PLANNING_MODEL = {
  consumer: {
    /** A consumer invocation: fixed part (parse, client reuse, one WriteRecords round trip). */
    perBatchSeconds: 0.2,
    /** ... plus this per record in the batch. */
    perRecordSeconds: 0.02,
  },
  /** The pipe in fifo mode, as `stacks/stage-pipeline.ts` configures it. */
  pipe: {
    batchSize: PIPE_SOURCE_BATCH.batchSize,
    batchingWindowSeconds: PIPE_SOURCE_BATCH.maximumBatchingWindowInSeconds,
    /** One pipe execution: receive a batch, send each message to the FIFO queue. */
    perBatchSeconds: 0.1,
    /** Poll, transform and send: the typical time an event spends in the pipe. */
    transitSeconds: 0.5,
  },
  /** Typical managed-hop latencies on the way from the client to the consumer's queue. */
  hops: {
    /** API Gateway request validation and the PutEvents integration. */
    ingestSeconds: 0.1,
    /** EventBridge rule match and delivery to the stage topic. */
    routeSeconds: 0.5,
    /** SNS delivery to the stage queue. */
    fanOutSeconds: 0.1,
  },
  /** Sizes behind the cost estimate. */
  sizes: {
    /** An invoice event as EventBridge carries it (archive volume). */
    eventKb: 1,
    /** Timestream write units per event: one multi-measure record, under 1 KB. */
    timestreamWritesPerEvent: 1,
    /** Stored size of one record in Timestream (memory and magnetic store). */
    storedRecordKb: 0.5,
    /** One API Gateway access-log line (the format in `stacks/ingest-api.ts`). */
    accessLogLineKb: 0.6,
    /** One WAF log record (every request is logged, headers included). */
    wafLogRecordKb: 1.5,
    /** Consumer log output per invocation (platform lines and one summary line). */
    consumerLogKbPerInvocation: 1,
  },
  /** X-Ray: the default sampling rule records about 5% of requests (plus one per second). */
  xraySampledFraction: 0.05,
  /** Hours in a month for monthly figures (AWS's convention). */
  hoursPerMonth: 730,
  /**
   * Concurrency each cell reserves besides its consumers (which reserve their maxConcurrency):
   * the stuck-invoice detector and the canary, as `stacks/cell-operations.ts` sets them (a test
   * keeps the two in step).
   */
  reservedConcurrency: { detector: SCHEDULED_FUNCTION_CONCURRENCY, canary: SCHEDULED_FUNCTION_CONCURRENCY },
  /** Lambda keeps this much of a region's concurrency unreserved: at most the quota less this can be reserved. */
  unreservedConcurrencyMinimum: 100,
} as const;

/** Concurrency one cell reserves in its region: every stage consumer's maxConcurrency, the detector, the canary. */
export function reservedConcurrency(fleet: Pick<FleetConfig, "stages" | "operations">): number {
  const { detector, canary } = PLANNING_MODEL.reservedConcurrency;
  const consumers = fleet.stages.reduce((sum, stage) => sum + stage.consumer.maxConcurrency, 0);
  return consumers + detector + (fleet.operations.canary.enabled ? canary : 0);
}

/** Seconds one consumer invocation takes for a batch of `records`. */
export function consumerSeconds(records: number): number {
  return PLANNING_MODEL.consumer.perBatchSeconds + PLANNING_MODEL.consumer.perRecordSeconds * records;
}
