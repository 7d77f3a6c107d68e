import {
  RejectedRecordsException,
  ThrottlingException,
  TimestreamWriteClient,
  ValidationException,
  WriteRecordsCommand,
  type WriteRecordsCommandInput,
} from "@aws-sdk/client-timestream-write";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import {
  MAX_RECORDS_PER_WRITE,
  RecordRejectedError,
  SinkWriteError,
  TimestreamSink,
} from "../../functions/stage-consumer/sink";
import { numberedInvoiceEvent, REGION } from "./stage-consumer.fixtures";

const timestream = mockClient(TimestreamWriteClient);

function newSink() {
  // An explicit endpoint: no endpoint discovery, and nothing leaves the machine.
  const client = new TimestreamWriteClient({
    region: REGION,
    endpoint: "http://127.0.0.1:8000",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  return new TimestreamSink({ client, database: "use1-invoices", table: "invoice-events", region: REGION });
}

const writeCalls = () => timestream.commandCalls(WriteRecordsCommand).map((call) => call.args[0].input);
const invoiceIdsOf = (input: WriteRecordsCommandInput) =>
  (input.Records ?? []).map((record) => record.Dimensions?.find((d) => d.Name === "invoiceId")?.Value);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const rejected = (entries: { RecordIndex: number; Reason: string; ExistingVersion?: number }[]) =>
  new RejectedRecordsException({ message: "One or more records have been rejected.", $metadata: {}, RejectedRecords: entries });

beforeEach(() => {
  timestream.reset();
});

describe("TimestreamSink", () => {
  it("coalesces writes requested together into WriteRecords calls of at most 100 records", async () => {
    timestream.on(WriteRecordsCommand).resolves({});
    const sink = newSink();

    const outcomes = await Promise.all(range(250).map((n) => sink.write(numberedInvoiceEvent(n))));

    expect(outcomes.every((outcome) => outcome === "stored")).toBe(true);
    expect(writeCalls().map((input) => input.Records?.length)).toEqual([100, 100, 50]);
    expect(MAX_RECORDS_PER_WRITE).toBe(100);
    expect(writeCalls().flatMap(invoiceIdsOf)).toEqual(range(250).map((n) => numberedInvoiceEvent(n).detail.invoiceId));
    for (const input of writeCalls()) {
      expect(input).toMatchObject({ DatabaseName: "use1-invoices", TableName: "invoice-events" });
    }
  });

  it("writes one at a time, in order, when each write waits for the previous one (an invoice's messages)", async () => {
    timestream.on(WriteRecordsCommand).resolves({});
    const sink = newSink();

    for (const n of range(3)) await sink.write(numberedInvoiceEvent(n));

    expect(writeCalls().map(invoiceIdsOf)).toEqual([["INV-000000"], ["INV-000001"], ["INV-000002"]]);
  });

  it("rejects only the records Timestream names, by their index within their own call", async () => {
    timestream
      .on(WriteRecordsCommand)
      .callsFake((input: WriteRecordsCommandInput) => {
        if (invoiceIdsOf(input)[0] === "INV-000100") {
          throw rejected([{ RecordIndex: 3, Reason: "The record timestamp is outside the time range of the data ingestion window." }]);
        }
        return {};
      });
    const sink = newSink();

    const results = await Promise.allSettled(range(150).map((n) => sink.write(numberedInvoiceEvent(n))));

    const failed = results.flatMap((result, n) => (result.status === "rejected" ? [n] : []));
    expect(failed).toEqual([103]);
    const error = (results[103] as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(RecordRejectedError);
    expect(error.reason).toMatch(/outside the time range/);
  });

  it("resolves a write as superseded when Timestream already holds a higher version of the record", async () => {
    timestream.on(WriteRecordsCommand).rejects(rejected([{ RecordIndex: 0, Reason: "version is not higher", ExistingVersion: 9 }]));

    await expect(newSink().write(numberedInvoiceEvent(1, { sequence: 2 }))).resolves.toBe("superseded");
  });

  it("resolves a write as a duplicate when the same version is stored with other ingest metadata (a client's retry)", async () => {
    // sequence 2 is Version 3; the retry carries a new requestId and receivedAt.
    timestream.on(WriteRecordsCommand).rejects(rejected([{ RecordIndex: 0, Reason: "different measure values", ExistingVersion: 3 }]));

    await expect(newSink().write(numberedInvoiceEvent(1, { sequence: 2 }))).resolves.toBe("duplicate");
  });

  it("rejects a write whose stored version is lower yet refused (nothing to reconcile it with)", async () => {
    const event = numberedInvoiceEvent(1, { sequence: 2 });
    timestream.on(WriteRecordsCommand).rejects(rejected([{ RecordIndex: 0, Reason: "unexpected", ExistingVersion: 1 }]));

    const error = await newSink().write(event).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RecordRejectedError);
    expect(error).toMatchObject({ existingVersion: 1 });
  });

  it("rejects every record of a throttled call as a throttled write failure", async () => {
    timestream.on(WriteRecordsCommand).rejects(new ThrottlingException({ message: "Rate exceeded", Message: "Rate exceeded", $metadata: {} }));
    const sink = newSink();

    const results = await Promise.allSettled(range(3).map((n) => sink.write(numberedInvoiceEvent(n))));

    for (const result of results) {
      expect(result.status).toBe("rejected");
      const error = (result as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(SinkWriteError);
      expect(error).toMatchObject({ errorName: "ThrottlingException", throttled: true });
    }
  });

  it("fails every record when Timestream reports rejections without naming any record", async () => {
    timestream.on(WriteRecordsCommand).rejects(rejected([]));
    const sink = newSink();

    const results = await Promise.allSettled(range(2).map((n) => sink.write(numberedInvoiceEvent(n))));

    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected"]);
  });

  it("isolates a record that fails validation so that it does not fail its neighbours", async () => {
    timestream.on(WriteRecordsCommand).callsFake((input: WriteRecordsCommandInput) => {
      if (invoiceIdsOf(input).includes("INV-000001")) {
        throw new ValidationException({ message: "Invalid measure value", Message: "Invalid measure value", $metadata: {} });
      }
      return {};
    });
    const sink = newSink();

    const results = await Promise.allSettled(range(3).map((n) => sink.write(numberedInvoiceEvent(n))));

    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ errorName: "ValidationException", throttled: false });
    expect(writeCalls().map((input) => input.Records?.length)).toEqual([3, 1, 1, 1]);
  });
});
