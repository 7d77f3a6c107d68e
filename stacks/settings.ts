/**
 * Settings the stacks apply and the capacity planner reasons with, in one module without cdktf
 * imports (so `npm run capacity` does not load the provider).
 */

/** SQS visibility must outlast every retry of a batch: AWS asks for 6x the function timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/** How the pipe reads the stage queue: batches of 10, no batching window (no added latency). */
export const PIPE_SOURCE_BATCH = { batchSize: 10, maximumBatchingWindowInSeconds: 0 } as const;

/** The detector and the canary run one at a time: each reserves (and is capped at) this. */
export const SCHEDULED_FUNCTION_CONCURRENCY = 1;
