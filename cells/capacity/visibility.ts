import type { FleetConfig, StageConfig } from "../fleet-schema";
import { PLANNING_MODEL, consumerSeconds } from "./model";

import { VISIBILITY_TIMEOUT_FACTOR } from "../../stacks/settings";

export { VISIBILITY_TIMEOUT_FACTOR };


/** How one stage's consumer runs at a given arrival rate (events/s into one cell's stage). */
export interface ConsumerLoad {
  /** Events per second arriving at the stage in one cell. */
  readonly arrivalPerSecond: number;
  /** Records per invocation: full batches, or what the batching window gathers. */
  readonly batch: number;
  /** Seconds one invocation takes (`PLANNING_MODEL.consumer`). */
  readonly invocationSeconds: number;
  /** Invocations running at once on average (Little's law). */
  readonly concurrency: number;
  /** Pipe executions running at once (fifo mode; 0 otherwise). */
  readonly pipeConcurrency: number;
}

/**
 * Records per invocation. With a batching window (standard mode) Lambda sends a batch when it is
 * full or when the window ends, whichever is first; without one (fifo mode, or a window of 0) the
 * planner assumes full batches at peak, when the queue has a backlog to take them from.
 */
export function effectiveBatch(stage: StageConfig, arrivalPerSecond: number): number {
  const window = batchingWindowSeconds(stage);
  if (window === 0) return stage.consumer.batchSize;
  return Math.min(stage.consumer.batchSize, Math.max(1, arrivalPerSecond * window));
}

function batchingWindowSeconds(stage: StageConfig): number {
  return stage.delivery === "standard" ? stage.consumer.maxBatchingWindowSeconds : 0;
}

export function consumerLoad(stage: StageConfig, arrivalPerSecond: number): ConsumerLoad {
  const batch = effectiveBatch(stage, arrivalPerSecond);
  const invocationSeconds = consumerSeconds(batch);
  const pipe = PLANNING_MODEL.pipe;
  return {
    arrivalPerSecond,
    batch,
    invocationSeconds,
    concurrency: (arrivalPerSecond / batch) * invocationSeconds,
    pipeConcurrency: stage.delivery === "fifo" ? (arrivalPerSecond / pipe.batchSize) * pipe.perBatchSeconds : 0,
  };
}

/**
 * Expected time a batch waits for a free consumer: an M/M/c queue (Erlang C) with `servers`
 * consumers, batches arriving at `batchesPerSecond`, each taking `serviceSeconds`. Infinite when
 * the consumers cannot keep up (the backlog grows without bound).
 */
export function expectedQueueWaitSeconds(batchesPerSecond: number, serviceSeconds: number, servers: number): number {
  const offered = batchesPerSecond * serviceSeconds;
  if (offered === 0) return 0;
  if (offered >= servers) return Number.POSITIVE_INFINITY;
  let erlangB = 1;
  for (let k = 1; k <= servers; k++) erlangB = (offered * erlangB) / (k + offered * erlangB);
  const erlangC = (servers * erlangB) / (servers - offered * (1 - erlangB));
  return (erlangC * serviceSeconds) / (servers - offered);
}

export interface DelayPart {
  readonly part: string;
  readonly seconds: number;
}

export interface StageVisibility {
  readonly stage: string;
  readonly delivery: StageConfig["delivery"];
  /** The cell the figures are for: the busiest one at peak. */
  readonly cell: string;
  readonly arrivalPerSecond: number;
  /** The stage consumer's maxConcurrency (the servers of the queue-wait model). */
  readonly consumerMaxConcurrency: number;
  readonly expectedSeconds: number;
  readonly expected: readonly DelayPart[];
  /** Expected delay in the busiest surviving cell after the worst single loss (cell or region). */
  readonly expectedAfterLossSeconds: number | undefined;
  readonly afterLoss: { readonly scenario: string; readonly cell: string; readonly arrivalPerSecond: number } | undefined;
  /** An event that fails every delivery but the last before its DLQ. */
  readonly worstSeconds: number;
  readonly worst: readonly DelayPart[];
  /** How long the router retries an event it cannot hand to the stage topic before its DLQ. */
  readonly routerRetrySeconds: number;
  readonly objectiveSeconds: number;
  /** Expected delay (at peak and after the worst loss) within the objective. */
  readonly withinObjective: boolean;
}

type VisibilityFleet = Pick<FleetConfig, "queues" | "router">;

/** Ingest-to-store delay of one stage at `arrivalPerSecond` into one cell: the expected parts. */
export function expectedDelay(stage: StageConfig, arrivalPerSecond: number): DelayPart[] {
  const load = consumerLoad(stage, arrivalPerSecond);
  const { hops, pipe } = PLANNING_MODEL;
  const parts: DelayPart[] = [
    { part: "ingest (API Gateway -> PutEvents)", seconds: hops.ingestSeconds },
    { part: "route (rule -> stage topic)", seconds: hops.routeSeconds },
    { part: "fan out (topic -> stage queue)", seconds: hops.fanOutSeconds },
  ];
  if (stage.delivery === "fifo") {
    parts.push({ part: `pipe (batches of ${pipe.batchSize}, window ${pipe.batchingWindowSeconds} s) -> FIFO queue`, seconds: pipe.batchingWindowSeconds + pipe.transitSeconds });
  }
  const window = batchingWindowSeconds(stage);
  if (window > 0) {
    parts.push({ part: `batching window (fills ${round(load.batch)} of ${stage.consumer.batchSize} in at most ${window} s)`, seconds: Math.min(window, load.batch / Math.max(arrivalPerSecond, Number.MIN_VALUE)) });
  }
  const wait = expectedQueueWaitSeconds(load.arrivalPerSecond / load.batch, load.invocationSeconds, stage.consumer.maxConcurrency);
  parts.push({ part: `queue wait for one of ${stage.consumer.maxConcurrency} consumers (M/M/c)`, seconds: wait });
  parts.push({ part: `consumer run (batch of ${round(load.batch)}, write to the store)`, seconds: load.invocationSeconds });
  return parts;
}

/** The delay when every delivery but the last fails: SQS hides a received message for its visibility timeout. */
export function worstDelay(fleet: VisibilityFleet, stage: StageConfig, arrivalPerSecond: number): DelayPart[] {
  const expected = expectedDelay(stage, arrivalPerSecond).filter((part) => !part.part.startsWith("consumer run"));
  const visibility = VISIBILITY_TIMEOUT_FACTOR * stage.consumer.timeoutSeconds;
  const retries = fleet.queues.maxReceiveCount - 1;
  const parts = [...expected];
  if (stage.delivery === "fifo") {
    parts.push({ part: `pipe retries on the stage queue (${retries} × ${visibility} s visibility)`, seconds: retries * visibility });
  }
  const queue = stage.delivery === "fifo" ? "FIFO queue" : "stage queue";
  parts.push({ part: `consumer retries on the ${queue} (${retries} × ${visibility} s visibility = 6 × ${stage.consumer.timeoutSeconds} s timeout)`, seconds: retries * visibility });
  parts.push({ part: `last delivery runs to the ${stage.consumer.timeoutSeconds} s timeout`, seconds: stage.consumer.timeoutSeconds });
  return parts;
}

export function routerRetrySeconds(fleet: VisibilityFleet): number {
  return fleet.router.retryAttempts > 0 ? fleet.router.maxEventAgeSeconds : 0;
}

export const sumSeconds = (parts: readonly DelayPart[]): number => parts.reduce((total, part) => total + part.seconds, 0);

const round = (value: number): number => Math.round(value * 10) / 10;
