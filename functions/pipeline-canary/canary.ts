import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { TimestreamQueryClient } from "@aws-sdk/client-timestream-query";
import type { Context } from "aws-lambda";
import type { InvoiceEvent } from "../shared/invoice-event";
import { ApiKeySource, ApiKeyUnavailableError } from "./api-key";
import type { CanaryConfig } from "./config";
import { buildCanaryEvent, CanaryEventError } from "./event";
import { findArrival, type StoredArrival } from "./store";

/** EMF metric names (namespace from config; dimensions service and cell). */
export const CanaryMetric = {
  /** Seconds from sending the canary event to finding its row in the store (successful runs only). */
  EndToEndSeconds: "CanaryEndToEndSeconds",
  /** 1 when a run failed, 0 when it succeeded: every run emits it, so alarms always see data. */
  Failures: "CanaryFailures",
} as const;

/**
 * Why a run failed. The first three are the pipeline's (or the API's) failures: the metric is
 * the signal and the run ends normally, since a retried invocation would send a second event.
 * The last two are configuration errors: they are counted too, then thrown (nothing was
 * accepted by the API, so a retry sends nothing twice).
 */
export type CanaryFailureReason = "send_failed" | "not_stored_in_time" | "query_failed" | "key_unavailable" | "invalid_event";

export type CanaryResult =
  | { outcome: "stored"; invoiceId: string; endToEndSeconds: number; polls: number }
  | { outcome: "failed"; invoiceId: string; reason: CanaryFailureReason; polls: number };

/** The part of a fetch `Response` the canary reads. */
export interface PostResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** A fetch-like POST; the deployed handler passes the global `fetch`. */
export type Post = (
  url: string,
  init: { method: "POST"; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<PostResponse>;

/** The API answers within 29 s (API Gateway's integration limit) or not at all; the canary waits less. */
export const SEND_TIMEOUT_MS = 10_000;

export interface PipelineCanaryDeps {
  /** Sends the event to the cell's API. */
  post: Post;
  /** Reads the API key secret (once per container, again after a 403). */
  secrets: SecretsManagerClient;
  /** Looks for the event's row in the cell's store. */
  timestream: TimestreamQueryClient;
  /** Structured logger; gets `cell` as a persistent key. */
  logger: Logger;
  /** EMF metrics; gets `cell` as a default dimension, flushed after every run. */
  metrics: Metrics;
  /** Epoch milliseconds. */
  clock: () => number;
  /** Waits between polls. */
  sleep: (milliseconds: number) => Promise<void>;
  config: Pick<CanaryConfig, "cellId" | "ingest" | "timestream" | "maxEndToEndSeconds" | "pollIntervalSeconds">;
}

export type PipelineCanaryHandler = (event?: unknown, context?: Context) => Promise<CanaryResult>;

type SendAnswer =
  | { answered: true; status: number; requestId: string | undefined; eventId: string | undefined; message: string | undefined }
  | { answered: false; errorName: string };

/**
 * Builds the pipeline canary. Each run posts one synthetic invoice event to the cell's first
 * stage through the public API, then looks for its row in the store every poll interval until
 * it is there or `maxEndToEndSeconds` have passed since sending. A stored event gives
 * `CanaryEndToEndSeconds` (sending to finding, so up to one poll interval more than the
 * pipeline took) and `CanaryFailures` = 0; anything else `CanaryFailures` = 1 and no
 * end-to-end time (a made-up maximum would only blur the percentiles).
 */
export function createHandler({ post, secrets, timestream, logger, metrics, clock, sleep, config }: PipelineCanaryDeps): PipelineCanaryHandler {
  logger.appendPersistentKeys({ cell: config.cellId });
  metrics.setDefaultDimensions({ cell: config.cellId });
  const apiKey = new ApiKeySource(secrets, config.ingest.apiKeySecretId);
  const maxMs = config.maxEndToEndSeconds * 1000;
  const intervalMs = config.pollIntervalSeconds * 1000;

  async function send(event: InvoiceEvent, key: string): Promise<SendAnswer> {
    try {
      const response = await post(config.ingest.url, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": key },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      const body = await readJsonObject(response);
      return {
        answered: true,
        status: response.status,
        requestId: asString(body.requestId) ?? response.headers.get("x-amzn-requestid") ?? undefined,
        eventId: asString(body.eventId),
        message: asString(body.message)?.slice(0, 200),
      };
    } catch (error) {
      return { answered: false, errorName: error instanceof Error ? error.name : "UnknownError" };
    }
  }

  async function run(): Promise<CanaryResult> {
    const event = buildCanaryEvent(config.cellId, clock());
    const { invoiceId } = event;
    const failed = (reason: CanaryFailureReason, polls: number, message: string, details: Record<string, unknown>): CanaryResult => {
      logger.error(message, { reason, invoiceId, polls, ...details });
      return { outcome: "failed", invoiceId, reason, polls };
    };

    let sentAt = clock();
    let answer = await send(event, await apiKey.get());
    if (answer.answered && answer.status === 403) {
      // The key may have been rotated since this container read it; a 403 accepted nothing.
      logger.warn("The API refused the canary's key; reading it again and retrying once", {
        invoiceId,
        requestId: answer.requestId,
      });
      const key = await apiKey.refresh();
      sentAt = clock();
      answer = await send(event, key);
    }
    if (!answer.answered) {
      // The API may still have accepted it; waiting would not make this run a success.
      return failed("send_failed", 0, "The canary event could not be sent", { errorName: answer.errorName });
    }
    if (answer.status !== 202) {
      return failed("send_failed", 0, "The API did not accept the canary event", {
        status: answer.status,
        requestId: answer.requestId,
        apiMessage: answer.message,
      });
    }
    logger.debug("Canary event accepted", { invoiceId, requestId: answer.requestId, eventId: answer.eventId });

    const lookup = {
      database: config.timestream.database,
      table: config.timestream.table,
      invoiceId,
      stage: config.ingest.firstStage,
      cellId: config.cellId,
      eventTimeMillis: Date.parse(event.eventTime),
    };
    const deadline = sentAt + maxMs;
    let polls = 0;
    for (;;) {
      // The last look happens at the deadline itself, not an interval after it.
      const wait = Math.min(intervalMs, deadline - clock());
      if (wait > 0) await sleep(wait);
      polls += 1;
      let stored: StoredArrival | undefined;
      try {
        stored = await findArrival(timestream, lookup);
      } catch (error) {
        return failed("query_failed", polls, "The store could not be queried for the canary event", {
          errorName: error instanceof Error ? error.name : "UnknownError",
          errorMessage: error instanceof Error ? error.message : undefined,
        });
      }
      const detectedAt = clock();
      if (stored !== undefined) {
        const endToEndSeconds = (detectedAt - sentAt) / 1000;
        logger.info("Canary event stored", {
          invoiceId,
          requestId: answer.requestId,
          endToEndSeconds,
          polls,
          // Where the time went: sending to the API edge, the rest is the pipeline (+ polling).
          ...(stored.receivedAt === undefined ? {} : { sendToEdgeSeconds: (stored.receivedAt - sentAt) / 1000 }),
        });
        return { outcome: "stored", invoiceId, endToEndSeconds, polls };
      }
      if (detectedAt >= deadline) {
        return failed("not_stored_in_time", polls, "The canary event was not stored in time", {
          requestId: answer.requestId,
          maxEndToEndSeconds: config.maxEndToEndSeconds,
        });
      }
    }
  }

  return async (_event, context) => {
    if (context !== undefined) logger.addContext(context);
    try {
      const result = await run();
      metrics.addMetric(CanaryMetric.Failures, MetricUnit.Count, result.outcome === "failed" ? 1 : 0);
      if (result.outcome === "stored") {
        metrics.addMetric(CanaryMetric.EndToEndSeconds, MetricUnit.Seconds, result.endToEndSeconds);
      }
      return result;
    } catch (error) {
      // Configuration errors: counted, so the alarm fires, and thrown, so the run shows as an error.
      metrics.addMetric(CanaryMetric.Failures, MetricUnit.Count, 1);
      const reason = configurationFailure(error);
      logger.error("The canary cannot run", {
        reason,
        errorName: error instanceof ApiKeyUnavailableError ? error.errorName : error instanceof Error ? error.name : "UnknownError",
        ...(error instanceof CanaryEventError ? { errorMessage: error.message } : {}),
      });
      throw error;
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

function configurationFailure(error: unknown): CanaryFailureReason | "unexpected" {
  if (error instanceof ApiKeyUnavailableError) return "key_unavailable";
  if (error instanceof CanaryEventError) return "invalid_event";
  return "unexpected";
}

/** The response body as a JSON object, or `{}` when it is not one or cannot be read. */
async function readJsonObject(response: PostResponse): Promise<Record<string, unknown>> {
  try {
    const parsed: unknown = JSON.parse(await response.text());
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function asString(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined;
}
