import { FullBatchFailureError } from "@aws-lambda-powertools/batch";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import {
  RejectedRecordsException,
  ThrottlingException,
  TimestreamWriteClient,
  WriteRecordsCommand,
  type WriteRecordsCommandInput,
} from "@aws-sdk/client-timestream-write";
import type { SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DeliveryMode } from "../../functions/stage-consumer/config";
import { createHandler } from "../../functions/stage-consumer/consumer";
import type { InvoiceEventBridgeEvent } from "../../functions/stage-consumer/event";
import { toTimestreamRecord } from "../../functions/stage-consumer/record";
import { TimestreamSink } from "../../functions/stage-consumer/sink";
import {
  AMOUNT_MARKER,
  captureOutput,
  CELL,
  invoiceEvent,
  numberedInvoiceEvent,
  REGION,
  sqsEvent,
  sqsRecord,
  STAGE,
  type CapturedOutput,
} from "./stage-consumer.fixtures";

const timestream = mockClient(TimestreamWriteClient);
let output: CapturedOutput;

beforeEach(() => {
  timestream.reset();
  timestream.on(WriteRecordsCommand).resolves({});
  output = captureOutput();
});

afterEach(() => {
  output.restore();
});

function consumer(deliveryMode: DeliveryMode) {
  // An explicit endpoint, as tests and emulators configure it: no endpoint discovery.
  const client = new TimestreamWriteClient({
    region: REGION,
    endpoint: "http://127.0.0.1:8000",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  return createHandler({
    config: { stage: STAGE, cellId: CELL, deliveryMode },
    sink: new TimestreamSink({ client, database: "use1-invoices", table: "invoice-events", region: REGION }),
    // DEBUG, so that even the most talkative level is checked for amounts.
    logger: new Logger({ serviceName: "stage-consumer", logLevel: "DEBUG" }),
    metrics: new Metrics({ namespace: "cellfleet", serviceName: "stage-consumer" }),
  });
}

const messageId = (n: number) => `msg-${String(n).padStart(4, "0")}`;
const standardRecords = (events: InvoiceEventBridgeEvent[]) =>
  events.map((event, n) => sqsRecord(event, { messageId: messageId(n) }));
const fifoRecord = (event: InvoiceEventBridgeEvent, id: string) =>
  sqsRecord(event, { messageId: id, messageGroupId: event.detail.invoiceId });
const failedIds = (response: { batchItemFailures: { itemIdentifier: string }[] }) =>
  response.batchItemFailures.map((failure) => failure.itemIdentifier);

const writeCalls = () => timestream.commandCalls(WriteRecordsCommand).map((call) => call.args[0].input);
const dimension = (record: { Dimensions?: { Name?: string; Value?: string }[] }, name: string) =>
  record.Dimensions?.find((d) => d.Name === name)?.Value;
const writtenInvoiceIds = () => writeCalls().flatMap((input) => (input.Records ?? []).map((r) => dimension(r, "invoiceId")));
const firstInvoiceOf = (input: WriteRecordsCommandInput) => dimension(input.Records?.[0] ?? {}, "invoiceId");

const throttled = () => new ThrottlingException({ message: "Rate exceeded", Message: "Rate exceeded", $metadata: {} });

describe("stage consumer, standard delivery", () => {
  it("writes a batch of 150 valid events in WriteRecords calls of at most 100 records and reports no failures", async () => {
    const events = Array.from({ length: 150 }, (_, n) => numberedInvoiceEvent(n));

    const response = await consumer("standard")(sqsEvent(standardRecords(events)));

    expect(response.batchItemFailures).toEqual([]);
    expect(writeCalls().map((input) => input.Records?.length)).toEqual([100, 50]);
    const written = writeCalls().flatMap((input) => input.Records ?? []);
    const expected = events.map((event) => toTimestreamRecord(event, { region: REGION }));
    expect(written).toHaveLength(150);
    expect(written).toEqual(expect.arrayContaining(expected));
    expect(output.metrics()).toMatchObject({ RecordsWritten: 150, InvalidInvoiceEvents: 0, BatchItemFailures: 0 });
  });

  it("publishes its metrics in the configured namespace with service, stage and cell dimensions", async () => {
    await consumer("standard")(sqsEvent(standardRecords([numberedInvoiceEvent(1)])));

    expect(output.metricDimensions()).toEqual([["service", "stage", "cell"]]);
    const [emf] = output.text().split("\n").filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line));
    expect(emf).toMatchObject({ service: "stage-consumer", stage: STAGE, cell: CELL });
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe("cellfleet");
  });

  describe.each([
    ["a body that is not JSON", () => '{"detail": {"invoiceAmount": 9182739.25'],
    ["an amount that is not a number", () => JSON.stringify(withDetail({ invoiceAmount: "9182739.25" }))],
    ["a missing required field", () => JSON.stringify(withDetail({ invoiceDueDate: undefined }))],
    ["an EventBridge envelope without an id", () => JSON.stringify({ ...numberedInvoiceEvent(9), id: undefined })],
  ])("with %s among valid messages", (_, invalidBody) => {
    it("fails exactly that message, writes the others, counts it and keeps amounts out of the logs", async () => {
      const records = standardRecords([numberedInvoiceEvent(0), numberedInvoiceEvent(1), numberedInvoiceEvent(2)]);
      records[1] = sqsRecord(invalidBody(), { messageId: messageId(1) });

      const response = await consumer("standard")(sqsEvent(records));

      expect(failedIds(response)).toEqual([messageId(1)]);
      expect(writtenInvoiceIds().sort()).toEqual(["INV-000000", "INV-000002"]);
      expect(output.metrics()).toMatchObject({ InvalidInvoiceEvents: 1, RecordsWritten: 2, BatchItemFailures: 1 });
      const warning = output.logs().find((log) => log.message === "Invalid invoice event");
      expect(warning).toMatchObject({ level: "WARN", messageId: messageId(1), stage: STAGE, cell: CELL });
      expect(warning?.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.any(String) })]));
      expect(JSON.stringify(output.logs())).not.toContain(AMOUNT_MARKER);
    });
  });

  it("names the failing field paths in the log of an invalid message", async () => {
    const records = [sqsRecord(JSON.stringify(withDetail({ invoiceAmount: "9182739.25" })), { messageId: messageId(0) })];

    await expect(consumer("standard")(sqsEvent(records))).rejects.toThrow();

    const warning = output.logs().find((log) => log.message === "Invalid invoice event");
    expect(warning?.issues).toEqual([{ path: "body.detail.invoiceAmount", code: "invalid_type" }]);
  });

  it("fails exactly the message whose record Timestream rejects", async () => {
    timestream.on(WriteRecordsCommand).rejects(
      new RejectedRecordsException({
        message: "One or more records have been rejected.",
        $metadata: {},
        RejectedRecords: [{ RecordIndex: 1, Reason: "The record timestamp is outside the time range of the data ingestion window." }],
      }),
    );
    const events = [numberedInvoiceEvent(0), numberedInvoiceEvent(1), numberedInvoiceEvent(2)];

    const response = await consumer("standard")(sqsEvent(standardRecords(events)));

    expect(failedIds(response)).toEqual([messageId(1)]);
    expect(output.metrics()).toMatchObject({ RecordsWritten: 2, RecordsRejected: 1, WriteFailures: 0 });
    expect(output.logs().find((log) => log.message === "Store rejected the invoice record")).toMatchObject({
      level: "ERROR",
      messageId: messageId(1),
      invoiceId: "INV-000001",
      reason: expect.stringMatching(/outside the time range/),
    });
  });

  it("acknowledges a late event whose record Timestream already holds in a newer version", async () => {
    timestream.on(WriteRecordsCommand).rejects(
      new RejectedRecordsException({
        message: "One or more records have been rejected.",
        $metadata: {},
        RejectedRecords: [{ RecordIndex: 0, Reason: "version is not higher", ExistingVersion: 99 }],
      }),
    );

    const response = await consumer("standard")(sqsEvent(standardRecords([numberedInvoiceEvent(0, { sequence: 4 })])));

    expect(response.batchItemFailures).toEqual([]);
    expect(output.metrics()).toMatchObject({ RecordsSuperseded: 1, RecordsRejected: 0, RecordsWritten: 0 });
  });

  it("acknowledges a client's retry of an accepted event: same sequence stored, only requestId and receivedAt differ", async () => {
    timestream.on(WriteRecordsCommand).rejects(
      new RejectedRecordsException({
        message: "One or more records have been rejected.",
        $metadata: {},
        // sequence 4 is Version 5: the same version, stored with the first request's metadata.
        RejectedRecords: [{ RecordIndex: 0, Reason: "version conflict", ExistingVersion: 5 }],
      }),
    );

    const response = await consumer("standard")(sqsEvent(standardRecords([numberedInvoiceEvent(0, { sequence: 4 })])));

    expect(response.batchItemFailures).toEqual([]);
    expect(output.metrics()).toMatchObject({ DuplicateEvents: 1, RecordsRejected: 0, RecordsWritten: 0 });
  });

  it("fails every message of a throttled WriteRecords call and none of another call", async () => {
    timestream.on(WriteRecordsCommand).callsFake((input: WriteRecordsCommandInput) => {
      if (firstInvoiceOf(input) === "INV-000100") throw throttled();
      return {};
    });
    const events = Array.from({ length: 150 }, (_, n) => numberedInvoiceEvent(n));

    const response = await consumer("standard")(sqsEvent(standardRecords(events)));

    expect(failedIds(response)).toEqual(Array.from({ length: 50 }, (_, n) => messageId(100 + n)));
    expect(output.metrics()).toMatchObject({ RecordsWritten: 100, WriteFailures: 50, WriteThrottles: 50, BatchItemFailures: 50 });
  });

  it("throws when every message fails, so that the whole batch returns to the queue", async () => {
    timestream.on(WriteRecordsCommand).rejects(throttled());
    const events = [numberedInvoiceEvent(0), numberedInvoiceEvent(1), numberedInvoiceEvent(2)];

    await expect(consumer("standard")(sqsEvent(standardRecords(events)))).rejects.toMatchObject({
      name: "FullBatchFailureError",
    });

    expect(writeCalls()).toHaveLength(1);
    expect(output.metrics()).toMatchObject({ WriteFailures: 3, WriteThrottles: 3, BatchItemFailures: 3 });
  });

  it("fails an event routed to the wrong stage without writing it", async () => {
    const misrouted = numberedInvoiceEvent(1, { meta: { cell: CELL, stage: "authorization", receivedAt: 1, requestId: "r" } });

    const response = await consumer("standard")(sqsEvent(standardRecords([numberedInvoiceEvent(0), misrouted])));

    expect(failedIds(response)).toEqual([messageId(1)]);
    expect(writtenInvoiceIds()).toEqual(["INV-000000"]);
    expect(output.metrics()).toMatchObject({ InvalidInvoiceEvents: 1 });
    expect(output.logs().find((log) => log.message === "Misrouted invoice event")).toMatchObject({
      messageId: messageId(1),
      invoiceId: "INV-000001",
      reason: expect.stringContaining("authorization"),
    });
  });

  it("fails an event ingested by another cell", async () => {
    const foreign = numberedInvoiceEvent(1, { meta: { cell: "use2", stage: STAGE, receivedAt: 1, requestId: "r" } });

    const response = await consumer("standard")(sqsEvent(standardRecords([numberedInvoiceEvent(0), foreign])));

    expect(failedIds(response)).toEqual([messageId(1)]);
  });

  it("writes a replayed duplicate as the same record as the original (idempotent upsert) and logs the replay", async () => {
    const original = invoiceEvent();
    const replayed = { ...original, "replay-name": "dr-use1-20250131T1200Z" };
    const handler = consumer("standard");

    const first = await handler(sqsEvent([sqsRecord(original, { messageId: messageId(0) })]));
    const second = await handler(sqsEvent([sqsRecord(replayed, { messageId: messageId(1) })]));

    expect(first.batchItemFailures).toEqual([]);
    expect(second.batchItemFailures).toEqual([]);
    const [originalRecord, replayedRecord] = writeCalls().map((input) => input.Records?.[0]);
    expect(replayedRecord).toEqual(originalRecord);
    expect(replayedRecord).toMatchObject({ Time: originalRecord?.Time, Version: originalRecord?.Version });
    expect(output.metrics()).toMatchObject({ RecordsWritten: 2, ReplayedEvents: 1 });
    expect(output.logs().find((log) => log.replayName === "dr-use1-20250131T1200Z" && log.messageId === messageId(1))).toBeDefined();
  });

  it("stores a lost cell's event replayed into this cell under its original cell", async () => {
    const lost = numberedInvoiceEvent(1, { meta: { cell: "use2", stage: STAGE, receivedAt: 1, requestId: "r" } });

    const response = await consumer("standard")(
      sqsEvent(standardRecords([{ ...lost, "replay-name": "dr-use1-20250131T1200Z" }])),
    );

    expect(response.batchItemFailures).toEqual([]);
    expect(dimension(writeCalls()[0]?.Records?.[0] ?? {}, "cell")).toBe("use2");
  });
});

describe("stage consumer, FIFO delivery", () => {
  const recordsOfCalls = () => writeCalls().map((input) => input.Records?.map((r) => [dimension(r, "invoiceId"), r.Version]));
  const rejectedAt = (recordIndex: number) =>
    new RejectedRecordsException({
      message: "One or more records have been rejected.",
      $metadata: {},
      RejectedRecords: [{ RecordIndex: recordIndex, Reason: "The record timestamp is outside the time range of the data ingestion window." }],
    });

  it("writes every invoice's first message in one call, then their next messages, each invoice in order", async () => {
    const a1 = numberedInvoiceEvent(1, { sequence: 1 });
    const b1 = numberedInvoiceEvent(2, { sequence: 1 });
    const a2 = numberedInvoiceEvent(1, { sequence: 2 });
    const c1 = numberedInvoiceEvent(3, { sequence: 1 });
    const a3 = numberedInvoiceEvent(1, { sequence: 3 });
    const records = [fifoRecord(a1, "a1"), fifoRecord(b1, "b1"), fifoRecord(a2, "a2"), fifoRecord(c1, "c1"), fifoRecord(a3, "a3")];

    const response = await consumer("fifo")(sqsEvent(records));

    expect(response.batchItemFailures).toEqual([]);
    // Three calls for three rounds, not five: a2 is written only after a1 was, a3 after a2.
    expect(recordsOfCalls()).toEqual([
      [["INV-000001", 2], ["INV-000002", 2], ["INV-000003", 2]],
      [["INV-000001", 3]],
      [["INV-000001", 4]],
    ]);
    expect(output.metrics()).toMatchObject({ RecordsWritten: 5, BatchItemFailures: 0 });
  });

  it("fails a rejected invoice's message and every later message of that invoice, while other invoices go on", async () => {
    const a1 = numberedInvoiceEvent(1, { sequence: 1 });
    const b1 = numberedInvoiceEvent(2, { sequence: 1 });
    const a2 = numberedInvoiceEvent(1, { sequence: 2 });
    const c1 = numberedInvoiceEvent(3, { sequence: 1 });
    const a3 = numberedInvoiceEvent(1, { sequence: 3 });
    const b2 = numberedInvoiceEvent(2, { sequence: 2 });
    // The first call holds a1, b1, c1: Timestream refuses a1 (index 0) and stores the others.
    timestream.on(WriteRecordsCommand).rejectsOnce(rejectedAt(0)).resolves({});
    const records = [
      fifoRecord(a1, "a1"),
      fifoRecord(b1, "b1"),
      fifoRecord(a2, "a2"),
      fifoRecord(c1, "c1"),
      fifoRecord(a3, "a3"),
      fifoRecord(b2, "b2"),
    ];

    const response = await consumer("fifo")(sqsEvent(records));

    expect(failedIds(response).sort()).toEqual(["a1", "a2", "a3"]);
    // a2 and a3 are never attempted: writing them after a1 failed would break the invoice's order.
    expect(recordsOfCalls()).toEqual([[["INV-000001", 2], ["INV-000002", 2], ["INV-000003", 2]], [["INV-000002", 3]]]);
    expect(output.metrics()).toMatchObject({ RecordsWritten: 3, RecordsRejected: 1, BatchItemFailures: 3 });
  });

  it("fails the messages of a throttled call and their invoices' later messages; what was stored before stays stored", async () => {
    const a1 = numberedInvoiceEvent(1, { sequence: 1 });
    const b1 = numberedInvoiceEvent(2, { sequence: 1 });
    const a2 = numberedInvoiceEvent(1, { sequence: 2 });
    const a3 = numberedInvoiceEvent(1, { sequence: 3 });
    // The first call (a1, b1) succeeds, the second (a2) is throttled, so a3 must not follow.
    timestream.on(WriteRecordsCommand).resolvesOnce({}).rejects(throttled());

    const response = await consumer("fifo")(sqsEvent([fifoRecord(a1, "a1"), fifoRecord(b1, "b1"), fifoRecord(a2, "a2"), fifoRecord(a3, "a3")]));

    expect(failedIds(response).sort()).toEqual(["a2", "a3"]);
    expect(recordsOfCalls()).toEqual([[["INV-000001", 2], ["INV-000002", 2]], [["INV-000001", 3]]]);
    expect(output.metrics()).toMatchObject({ RecordsWritten: 2, WriteFailures: 1, WriteThrottles: 1, BatchItemFailures: 2 });
  });

  it("skips the rest of an invoice's messages after an invalid one", async () => {
    const a1 = numberedInvoiceEvent(1, { sequence: 1 });
    const b1 = numberedInvoiceEvent(2, { sequence: 1 });
    const a2 = numberedInvoiceEvent(1, { sequence: 2 });
    const invalidA1: SQSRecord = { ...fifoRecord(a1, "a1"), body: JSON.stringify({ ...a1, detail: { ...a1.detail, currency: "euro" } }) };

    const response = await consumer("fifo")(sqsEvent([invalidA1, fifoRecord(b1, "b1"), fifoRecord(a2, "a2")]));

    expect(failedIds(response).sort()).toEqual(["a1", "a2"]);
    expect(writtenInvoiceIds()).toEqual(["INV-000002"]);
    expect(output.metrics()).toMatchObject({ InvalidInvoiceEvents: 1, BatchItemFailures: 2 });
  });

  it("throws when every message fails, so that the whole batch returns to the queue in order", async () => {
    timestream.on(WriteRecordsCommand).rejects(throttled());
    const a1 = numberedInvoiceEvent(1, { sequence: 1 });
    const a2 = numberedInvoiceEvent(1, { sequence: 2 });
    const b1 = numberedInvoiceEvent(2, { sequence: 1 });

    await expect(consumer("fifo")(sqsEvent([fifoRecord(a1, "a1"), fifoRecord(a2, "a2"), fifoRecord(b1, "b1")]))).rejects.toThrow(FullBatchFailureError);
    expect(recordsOfCalls()).toEqual([[["INV-000001", 2], ["INV-000002", 2]]]);
    expect(output.metrics()).toMatchObject({ WriteFailures: 2, BatchItemFailures: 3 });
  });
});

/** A valid event whose detail is overridden with possibly invalid values. */
function withDetail(overrides: Record<string, unknown>) {
  const event = numberedInvoiceEvent(1);
  return { ...event, detail: { ...event.detail, ...overrides } };
}
