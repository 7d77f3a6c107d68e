/**
 * The stage consumer, run in-process as its Lambda event source mapping would run it: the
 * environment is the synthesized function's (read through the consumer's own `loadConfig`,
 * plus AWS_REGION and the emulator as TIMESTREAM_ENDPOINT), the handler is `createHandler`
 * with the real `TimestreamSink` writing to moto, and one `poll()` is one invocation: receive
 * up to the mapping's batch size, hand the SQS records to the handler, delete what succeeded
 * and make the reported failures visible again (at once, instead of after the visibility
 * timeout), or all of them when the handler throws.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { TimestreamWriteClient } from "@aws-sdk/client-timestream-write";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { loadConfig, type ConsumerConfig } from "../../../functions/stage-consumer/config";
import { createHandler, type StageConsumerHandler } from "../../../functions/stage-consumer/consumer";
import { TimestreamSink } from "../../../functions/stage-consumer/sink";
import type { Emulator } from "./emulator";
import type { ConsumerDefinition } from "./provision";
import { deleteMessages, receiveOnce, releaseMessages, type ReceivedMessage } from "./queues";

/** Keeps each batch's EMF metrics instead of printing them. */
class RecordedMetrics extends Metrics {
  readonly batches: Record<string, number>[] = [];

  override publishStoredMetrics(): this {
    const emf = this.serializeMetrics() as unknown as Record<string, unknown>;
    const values: Record<string, number> = {};
    for (const [name, value] of Object.entries(emf)) if (typeof value === "number") values[name] = value;
    this.batches.push(values);
    this.clearMetrics();
    return this;
  }
}

export interface Invocation {
  readonly received: number;
  /** Message ids deleted after the handler reported them done. */
  readonly succeeded: readonly string[];
  /** Message ids returned to the queue (reported failures, or all when the handler threw). */
  readonly failed: readonly string[];
  /** The error the handler threw (Powertools' FullBatchFailureError when every record failed). */
  readonly error: unknown;
  /** The batch's consumer metrics (RecordsWritten, InvalidInvoiceEvents, ...). */
  readonly metrics: Readonly<Record<string, number>>;
}

export class StageConsumerRunner {
  readonly config: ConsumerConfig;
  readonly #handler: StageConsumerHandler;
  readonly #metrics: RecordedMetrics;

  constructor(
    private readonly emulator: Emulator,
    private readonly definition: ConsumerDefinition,
  ) {
    if (!definition.reportsBatchItemFailures) {
      throw new Error(`${definition.functionName}: the event source mapping does not report batch item failures`);
    }
    this.config = loadConfig({
      ...definition.environment,
      AWS_REGION: definition.region,
      TIMESTREAM_ENDPOINT: emulator.endpoint,
    });
    const client = new TimestreamWriteClient({
      ...emulator.clientConfig(this.config.timestream.region),
      endpoint: this.config.timestream.endpoint,
    });
    this.#metrics = new RecordedMetrics({ namespace: this.config.metricsNamespace, serviceName: this.config.serviceName });
    this.#handler = createHandler({
      config: this.config,
      sink: new TimestreamSink({
        client,
        database: this.config.timestream.database,
        table: this.config.timestream.table,
        region: this.config.region,
      }),
      logger: new Logger({ serviceName: this.config.serviceName, logLevel: "SILENT" }),
      metrics: this.#metrics,
    });
  }

  /**
   * One invocation; `undefined` when the queue had nothing to deliver. `timesOutAfterHandling`
   * plays an invocation that ran the handler but timed out before Lambda deleted anything: every
   * message returns to the queue.
   */
  async poll(options: { timesOutAfterHandling?: boolean } = {}): Promise<Invocation | undefined> {
    const queue = this.definition.queue;
    const messages: ReceivedMessage[] = [];
    while (messages.length < this.definition.batchSize) {
      const batch = await receiveOnce(this.emulator, queue, this.definition.batchSize - messages.length);
      if (batch.length === 0) break;
      messages.push(...batch);
    }
    if (messages.length === 0) return undefined;

    const event: SQSEvent = { Records: messages.map((message) => this.#record(message)) };
    let failedIds: Set<string>;
    let error: unknown;
    try {
      const response = await this.#handler(event);
      failedIds = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
    } catch (thrown) {
      error = thrown;
      failedIds = new Set(messages.map((message) => message.messageId));
    }
    const failed = messages.filter((message) => failedIds.has(message.messageId));
    const succeeded = messages.filter((message) => !failedIds.has(message.messageId));
    if (options.timesOutAfterHandling) {
      await releaseMessages(this.emulator, queue, messages);
    } else {
      await deleteMessages(this.emulator, queue, succeeded);
      await releaseMessages(this.emulator, queue, failed);
    }
    return {
      received: messages.length,
      succeeded: succeeded.map((message) => message.messageId),
      failed: failed.map((message) => message.messageId),
      error,
      metrics: this.#metrics.batches.at(-1) ?? {},
    };
  }

  /** Polls until the queue has nothing left to deliver; answers every invocation. */
  async pollUntilIdle(maxInvocations = 50): Promise<Invocation[]> {
    const invocations: Invocation[] = [];
    for (let i = 0; i < maxInvocations; i += 1) {
      const invocation = await this.poll();
      if (!invocation) return invocations;
      invocations.push(invocation);
    }
    throw new Error(`${this.definition.functionName}: queue still delivering after ${maxInvocations} invocations`);
  }

  #record(message: ReceivedMessage): SQSRecord {
    const queue = this.definition.queue;
    return {
      messageId: message.messageId,
      receiptHandle: message.receiptHandle,
      body: message.body,
      attributes: message.attributes as unknown as SQSRecord["attributes"],
      messageAttributes: {},
      md5OfBody: message.md5OfBody,
      eventSource: "aws:sqs",
      eventSourceARN: queue.arn,
      awsRegion: queue.region,
    };
  }
}
