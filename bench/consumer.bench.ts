/**
 * Consumer benchmark: invoice events per second on one core through the real stage consumer
 * (`createHandler` + `TimestreamSink`), against a floor of JSON.parse + zod parse of the same
 * SQS records with the consumer's own schema. Batches of 10 (fifo) and 100 (standard).
 *
 * The Timestream client is the real SDK client (serialize, sign, retry, deserialize); only its
 * HTTP handler is replaced by one that answers `{}` in-process. Logger and Metrics format their
 * JSON as in Lambda, but stdout/stderr are a null sink while measuring.
 *
 * Run alone with `node_modules/.bin/tsx bench/consumer.bench.ts [--seconds N] [--json]`;
 * `npm run bench` runs it pinned to one core (taskset) after the synth benchmark.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { TimestreamWriteClient } from "@aws-sdk/client-timestream-write";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import type { DeliveryMode } from "../functions/stage-consumer/config";
import { createHandler, type StageConsumerHandler } from "../functions/stage-consumer/consumer";
import { StageQueueRecordSchema } from "../functions/stage-consumer/event";
import { TimestreamSink, type InvoiceSink } from "../functions/stage-consumer/sink";
import { CELL, REGION, STAGE, numberedInvoiceEvent, sqsRecord } from "../__tests__/support/invoice-records";

/** Distinct batches cycled through, so every batch is not the same 10 invoices. */
const DISTINCT_BATCHES = 16;

export interface ConsumerCaseResult {
  mode: DeliveryMode;
  batchSize: number;
  /** Events per second through the real handler (median over rounds). */
  handlerEventsPerSecond: number;
  /** Events per second through the floor (median over rounds). */
  floorEventsPerSecond: number;
  /** Handler time per event / floor time per event: median of the per-round ratios. */
  ratio: number;
  /** Events per CPU-second of this process (all its threads), handler and floor. */
  handlerEventsPerCpuSecond: number;
  floorEventsPerCpuSecond: number;
  rounds: number;
  /** WriteRecords calls answered per batch (fifo: one per round of the batch's invoices, see MessageGroups). */
  writeCallsPerBatch: number;
  /**
   * Diagnostic: the same handler with a sink that stores nothing and resolves at once (our
   * code + Powertools batch, Logger, Metrics, no SDK): events/s and ratio to the floor.
   */
  nullSinkEventsPerSecond: number;
  nullSinkRatio: number;
  /** Derived: what one WriteRecords call through the SDK costs (handler minus null sink), in µs. */
  sdkMicrosPerWriteCall: number;
}

export interface ConsumerBenchResult {
  secondsPerRound: number;
  rounds: number;
  cases: ConsumerCaseResult[];
}

// ---- the events the stage-consumer specs use (one source of realistic records) ------------

function record(n: number, fifo: boolean): SQSRecord {
  const event = numberedInvoiceEvent(n);
  const messageId = `059f36b4-87a3-44ab-83d2-${String(n).padStart(12, "0")}`;
  return sqsRecord(event, { messageId, ...(fifo ? { messageGroupId: event.detail.invoiceId } : {}) });
}

function batches(mode: DeliveryMode, size: number): SQSEvent[] {
  return Array.from({ length: DISTINCT_BATCHES }, (_, b) => ({
    Records: Array.from({ length: size }, (_, i) => record(b * size + i, mode === "fifo")),
  }));
}

// ---- the real consumer with the Timestream client answered in-process ----------------------

/** A sink that stores nothing: separates the SDK's share from the rest of the handler. */
const nullSink: InvoiceSink = { write: async () => "stored" };

function consumer(mode: DeliveryMode, calls: { count: number }, sink?: InvoiceSink): StageConsumerHandler {
  const body = new TextEncoder().encode("{}");
  const client = new TimestreamWriteClient({
    region: REGION,
    // An explicit endpoint, as tests and emulators configure it: no endpoint discovery.
    endpoint: "https://ingest-cell1.timestream.us-east-1.amazonaws.com",
    credentials: { accessKeyId: "AKIDBENCH", secretAccessKey: "bench" },
    requestHandler: {
      handle: async () => {
        calls.count++;
        return {
          response: {
            statusCode: 200,
            headers: { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": "bench" },
            body,
          },
        };
      },
    } as never,
  });
  return createHandler({
    config: { stage: STAGE, cellId: CELL, deliveryMode: mode },
    sink: sink ?? new TimestreamSink({ client, database: `${CELL}-invoices`, table: "invoice-events", region: REGION }),
    logger: new Logger({ serviceName: "stage-consumer" }),
    metrics: new Metrics({ namespace: "cellfleet", serviceName: "stage-consumer" }),
  });
}

/** The floor: what any consumer of these messages must do, JSON.parse + the same zod schema. */
function floor(event: SQSEvent): void {
  for (const record of event.Records) {
    // StageQueueRecordSchema's body is JSONStringified: its parse is JSON.parse + zod parse.
    const result = StageQueueRecordSchema.safeParse(record);
    if (!result.success) throw new Error("floor: invalid fixture");
  }
}

// ---- measurement ---------------------------------------------------------------------------

interface Sample {
  events: number;
  seconds: number;
  cpuSeconds: number;
}

async function runFor(seconds: number, events: SQSEvent[], step: (event: SQSEvent) => unknown): Promise<Sample> {
  const size = events[0]!.Records.length;
  const deadline = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  let n = 0;
  let now = start;
  while (now < deadline) {
    await step(events[n % events.length]!);
    n++;
    now = process.hrtime.bigint();
  }
  const cpu = process.cpuUsage(cpu0);
  return { events: n * size, seconds: Number(now - start) / 1e9, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Silences stdout/stderr (Logger and Metrics print JSON lines) while `fn` runs. */
async function silenced<T>(fn: () => Promise<T>): Promise<T> {
  const out = process.stdout.write;
  const err = process.stderr.write;
  const swallow = (() => true) as typeof process.stdout.write;
  process.stdout.write = swallow;
  process.stderr.write = swallow;
  try {
    return await fn();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}

async function benchCase(mode: DeliveryMode, batchSize: number, secondsPerRound: number, rounds: number): Promise<ConsumerCaseResult> {
  const events = batches(mode, batchSize);
  const calls = { count: 0 };
  const handler = consumer(mode, calls);
  const nullSinkHandler = consumer(mode, { count: 0 }, nullSink);

  // The handler must accept every message, or we would be timing the failure path.
  const check = await silenced(() => handler(events[0]!));
  if (check.batchItemFailures.length > 0) throw new Error(`consumer bench: ${mode} batch reported failures`);
  const writeCallsPerBatch = calls.count;

  // Warm-up (JIT), then alternate floor and handler rounds so that machine noise hits both.
  await silenced(() => runFor(Math.min(1, secondsPerRound), events, handler));
  await silenced(() => runFor(Math.min(1, secondsPerRound), events, nullSinkHandler));
  await runFor(Math.min(1, secondsPerRound), events, floor);
  const handlerSamples: Sample[] = [];
  const floorSamples: Sample[] = [];
  const nullSinkSamples: Sample[] = [];
  for (let round = 0; round < rounds; round++) {
    floorSamples.push(await runFor(secondsPerRound, events, floor));
    handlerSamples.push(await silenced(() => runFor(secondsPerRound, events, handler)));
    nullSinkSamples.push(await silenced(() => runFor(secondsPerRound / 2, events, nullSinkHandler)));
  }
  const rate = (s: Sample) => s.events / s.seconds;
  const cpuRate = (s: Sample) => s.events / s.cpuSeconds;
  return {
    mode,
    batchSize,
    handlerEventsPerSecond: median(handlerSamples.map(rate)),
    floorEventsPerSecond: median(floorSamples.map(rate)),
    ratio: median(handlerSamples.map((h, i) => rate(floorSamples[i]!) / rate(h))),
    handlerEventsPerCpuSecond: median(handlerSamples.map(cpuRate)),
    floorEventsPerCpuSecond: median(floorSamples.map(cpuRate)),
    rounds,
    writeCallsPerBatch,
    nullSinkEventsPerSecond: median(nullSinkSamples.map(rate)),
    nullSinkRatio: median(nullSinkSamples.map((h, i) => rate(floorSamples[i]!) / rate(h))),
    sdkMicrosPerWriteCall:
      ((1 / median(handlerSamples.map(rate)) - 1 / median(nullSinkSamples.map(rate))) * batchSize * 1e6) / writeCallsPerBatch,
  };
}

export async function runConsumerBench(secondsPerRound = 2, rounds = 5): Promise<ConsumerBenchResult> {
  const cases: ConsumerCaseResult[] = [];
  for (const [mode, size] of [["fifo", 10], ["standard", 100]] as const) {
    cases.push(await benchCase(mode, size, secondsPerRound, rounds));
  }
  return { secondsPerRound, rounds, cases };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const secondsArg = args.indexOf("--seconds");
  const seconds = secondsArg >= 0 ? Number(args[secondsArg + 1]) : 2;
  const roundsArg = args.indexOf("--rounds");
  const rounds = roundsArg >= 0 ? Number(args[roundsArg + 1]) : 5;
  runConsumerBench(seconds, rounds).then(
    (result) => {
      if (args.includes("--json")) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        return;
      }
      for (const c of result.cases) {
        console.log(
          `${c.mode.padEnd(8)} batch ${String(c.batchSize).padStart(3)}: handler ${Math.round(c.handlerEventsPerSecond)} events/s, ` +
            `floor ${Math.round(c.floorEventsPerSecond)} events/s, ratio ${c.ratio.toFixed(2)} (target <= 2); ` +
            `without the SDK (null sink) ${Math.round(c.nullSinkEventsPerSecond)} events/s, ratio ${c.nullSinkRatio.toFixed(2)}; ` +
            `~${Math.round(c.sdkMicrosPerWriteCall)} us per WriteRecords call`,
        );
      }
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
