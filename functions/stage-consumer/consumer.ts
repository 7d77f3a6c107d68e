import {
  BatchProcessor,
  EventType,
  FullBatchFailureError,
  processPartialResponse,
  SqsFifoMessageGroupShortCircuitError,
} from "@aws-lambda-powertools/batch";
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { ConsumerConfig } from "./config";
import { parseStageRecord, type IssueLocation } from "./event";
import { checkRouting } from "./record";
import { RecordRejectedError, SinkWriteError, type InvoiceSink } from "./sink";

/** EMF metric names (namespace from config; dimensions service, stage, cell). */
export const ConsumerMetric = {
  /** Records stored. */
  RecordsWritten: "RecordsWritten",
  /** Late events whose record the store already holds in a newer version (acknowledged). */
  RecordsSuperseded: "RecordsSuperseded",
  /**
   * Events whose record is stored already at the same version with other ingest metadata (a
   * client retrying an accepted request). A producer that changed business values without
   * raising the sequence shows up here too: the first write stands.
   */
  DuplicateEvents: "DuplicateEvents",
  /** Records the store refused one by one (e.g. outside retention). */
  RecordsRejected: "RecordsRejected",
  /** Records whose write failed as a whole (throttling, access, outage). */
  WriteFailures: "WriteFailures",
  /** The part of WriteFailures caused by throttling. */
  WriteThrottles: "WriteThrottles",
  /** Messages that are not valid invoice events or reached the wrong consumer. */
  InvalidInvoiceEvents: "InvalidInvoiceEvents",
  /** Valid events that came from an EventBridge replay. */
  ReplayedEvents: "ReplayedEvents",
  /** Messages reported back to SQS for retry (then the DLQ), including FIFO followers. */
  BatchItemFailures: "BatchItemFailures",
} as const;
type ConsumerMetricName = (typeof ConsumerMetric)[keyof typeof ConsumerMetric];

/** A message that will never become a valid record; it fails so that it reaches the DLQ. */
export class InvalidInvoiceEventError extends Error {
  override readonly name = "InvalidInvoiceEventError";
}

export interface StageConsumerDeps {
  /** Where valid events are stored. */
  sink: InvoiceSink;
  /** Which stage and cell this function serves, and how its queue delivers. */
  config: Pick<ConsumerConfig, "stage" | "cellId" | "deliveryMode">;
  /** Structured logger; gets `stage` and `cell` as persistent keys. */
  logger: Logger;
  /** EMF metrics; gets `stage` and `cell` as default dimensions, flushed after every batch. */
  metrics: Metrics;
}

export type StageConsumerHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/**
 * Builds the stage consumer: each SQS message is parsed, checked for routing and handed to the
 * sink; failures are reported per message. In `standard` mode messages are processed
 * concurrently. In `fifo` mode each invoice's (message group's) messages are processed in order,
 * the invoices side by side, and a failure also fails the later messages of the same invoice
 * only (see {@link MessageGroups}). When every message fails the handler throws (Powertools'
 * FullBatchFailureError), so the whole batch is retried.
 */
export function createHandler({ sink, config, logger, metrics }: StageConsumerDeps): StageConsumerHandler {
  logger.appendPersistentKeys({ stage: config.stage, cell: config.cellId });
  metrics.setDefaultDimensions({ stage: config.stage, cell: config.cellId });
  const processor = new BatchProcessor(EventType.SQS);

  const recordHandler = (tally: Tally) => async (record: SQSRecord): Promise<void> => {
    const messageId = record.messageId;
    const parsed = parseStageRecord(record);
    if (!parsed.success) {
      tally.add("InvalidInvoiceEvents");
      logger.warn("Invalid invoice event", { messageId, issues: parsed.issues });
      throw new InvalidInvoiceEventError(`invalid invoice event: ${describeIssues(parsed.issues)}`);
    }

    const { event } = parsed;
    const keys = {
      messageId,
      invoiceId: event.detail.invoiceId,
      eventId: event.id,
      ...(event["replay-name"] === undefined ? {} : { replayName: event["replay-name"] }),
    };
    const routing = checkRouting(event, config);
    if (!routing.routed) {
      tally.add("InvalidInvoiceEvents");
      logger.warn("Misrouted invoice event", { ...keys, reason: routing.reason });
      throw new InvalidInvoiceEventError(`misrouted invoice event: ${routing.reason}`);
    }
    if (event["replay-name"] !== undefined) tally.add("ReplayedEvents");

    try {
      const outcome = await sink.write(event);
      if (outcome === "superseded") {
        tally.add("RecordsSuperseded");
        logger.info("A newer version of this invoice record is already stored", keys);
      } else if (outcome === "duplicate") {
        tally.add("DuplicateEvents");
        logger.warn("This invoice event is already stored at the same sequence; the first write stands", keys);
      } else {
        tally.add("RecordsWritten");
        logger.debug("Invoice record stored", keys);
      }
    } catch (error) {
      if (error instanceof RecordRejectedError) {
        tally.add("RecordsRejected");
        logger.error("Store rejected the invoice record", {
          ...keys,
          reason: error.reason,
          ...(error.existingVersion === undefined ? {} : { existingVersion: error.existingVersion }),
        });
      } else {
        tally.add("WriteFailures");
        const throttled = error instanceof SinkWriteError && error.throttled;
        if (throttled) tally.add("WriteThrottles");
        logger.warn("Invoice record write failed", { ...keys, errorName: errorName(error) });
      }
      throw error;
    }
  };

  return async (event, context) => {
    if (context !== undefined) logger.addContext(context);
    const tally = new Tally();
    const handleRecord = recordHandler(tally);
    try {
      let handler = handleRecord;
      if (config.deliveryMode === "fifo") {
        const groups = new MessageGroups();
        handler = (record) => groups.run(record.attributes.MessageGroupId, () => handleRecord(record));
      }
      const response = await processPartialResponse(event, handler, processor, { context });
      tally.add("BatchItemFailures", response.batchItemFailures.length);
      // Debug: the batch's EMF line (below) already carries these counts, once per invocation.
      logger.debug("Batch processed", { records: event.Records.length, ...tally.counts });
      return response;
    } catch (error) {
      if (error instanceof FullBatchFailureError) {
        tally.add("BatchItemFailures", event.Records.length);
        logger.error("Every message of the batch failed; the whole batch returns to the queue", {
          records: event.Records.length,
          ...tally.counts,
        });
      }
      throw error;
    } finally {
      for (const [name, value] of Object.entries(tally.counts)) metrics.addMetric(name, MetricUnit.Count, value);
      metrics.publishStoredMetrics();
    }
  };
}

/**
 * Runs a FIFO batch's message groups (invoices) side by side and each group's messages one after
 * another. Powertools' SQS FIFO processor runs the whole batch in sequence, so a batch of ten
 * invoices cost ten store round trips; here the first message of every invoice is stored in one
 * WriteRecords call, then the second ones, and so on. After a failure the group's later messages
 * fail without running, as the FIFO processor's `skipGroupOnError` does, so an invoice's events
 * are never stored out of order, and SQS redelivers them in order. One instance per batch.
 */
export class MessageGroups {
  readonly #tails = new Map<string | undefined, Promise<void>>();

  /** Runs `task` once the group's previous task succeeded; fails without running it if that one failed. */
  run(groupId: string | undefined, task: () => Promise<void>): Promise<void> {
    const previous = this.#tails.get(groupId);
    const next =
      previous === undefined
        ? task()
        : previous.then(task, () => {
            throw new SqsFifoMessageGroupShortCircuitError();
          });
    this.#tails.set(groupId, next);
    return next;
  }
}

/** Per-invocation counters, emitted once per batch (zeros included, so alarms see data). */
class Tally {
  readonly counts: Record<ConsumerMetricName, number> = {
    RecordsWritten: 0,
    RecordsSuperseded: 0,
    DuplicateEvents: 0,
    RecordsRejected: 0,
    WriteFailures: 0,
    WriteThrottles: 0,
    InvalidInvoiceEvents: 0,
    ReplayedEvents: 0,
    BatchItemFailures: 0,
  };

  add(name: ConsumerMetricName, value = 1): void {
    this.counts[name] += value;
  }
}

function describeIssues(issues: IssueLocation[]): string {
  return issues.map((issue) => `${issue.path || "(record)"} (${issue.code})`).join(", ");
}

function errorName(error: unknown): string {
  if (error instanceof SinkWriteError) return error.errorName;
  return error instanceof Error ? error.name : "UnknownError";
}
