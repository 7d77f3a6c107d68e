import { TimestreamWriteClient, WriteRecordsCommand } from "@aws-sdk/client-timestream-write";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/stage-consumer/config";
import { captureOutput, CELL, numberedInvoiceEvent, sqsEvent, sqsRecord, STAGE } from "./stage-consumer.fixtures";
import { useColdStarts } from "../support/cold-start";

const validEnv = {
  STAGE,
  CELL_ID: CELL,
  AWS_REGION: "us-east-1",
  DELIVERY_MODE: "fifo",
  TIMESTREAM_DATABASE: "use1-invoices",
  TIMESTREAM_TABLE: "invoice-events",
};

describe("loadConfig", () => {
  it("reads the stage, cell, region, delivery mode and Timestream table from the environment", () => {
    expect(loadConfig(validEnv)).toEqual({
      stage: STAGE,
      cellId: CELL,
      region: "us-east-1",
      deliveryMode: "fifo",
      timestream: { database: "use1-invoices", table: "invoice-events", region: "us-east-1", endpoint: undefined },
      serviceName: "stage-consumer",
      metricsNamespace: "cellfleet",
    });
  });

  it("writes to the store's own region when Timestream is not offered in the cell's region", () => {
    expect(loadConfig({ ...validEnv, TIMESTREAM_REGION: "us-west-2" }).timestream.region).toBe("us-west-2");
  });

  it("passes an explicit Timestream endpoint through, and treats an empty one as unset", () => {
    expect(loadConfig({ ...validEnv, TIMESTREAM_ENDPOINT: "http://localhost:5000" }).timestream.endpoint).toBe(
      "http://localhost:5000",
    );
    expect(loadConfig({ ...validEnv, TIMESTREAM_ENDPOINT: "" }).timestream.endpoint).toBeUndefined();
  });

  it.each(Object.keys(validEnv))("fails naming %s when it is not set", (name) => {
    expect(() => loadConfig({ ...validEnv, [name]: undefined })).toThrow(new RegExp(`${name}: is not set`));
  });

  it.each([
    ["DELIVERY_MODE", "batch", /DELIVERY_MODE: must be fifo or standard/],
    ["AWS_REGION", "Virginia", /AWS_REGION: must be a region/],
    ["TIMESTREAM_REGION", "Oregon", /TIMESTREAM_REGION: must be a region/],
    ["STAGE", "", /STAGE: must name a stage/],
    ["TIMESTREAM_ENDPOINT", "localhost", /TIMESTREAM_ENDPOINT: must be a URL/],
  ])("fails naming %s when it is %j", (name, value, message) => {
    expect(() => loadConfig({ ...validEnv, [name]: value })).toThrow(message);
  });

  it("does not echo the bad value", () => {
    expect(() => loadConfig({ ...validEnv, DELIVERY_MODE: "s3cr3t-value" })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining("s3cr3t-value") }),
    );
  });
});

describe("the deployed handler module", () => {
  const coldStart = useColdStarts();

  it("refuses to start with a bad environment, naming the variable", async () => {
    coldStart({ ...validEnv, TIMESTREAM_TABLE: undefined });

    await expect(import("../../functions/stage-consumer/handler")).rejects.toThrow(/TIMESTREAM_TABLE: is not set/);
  });

  it("consumes a FIFO batch with the client, logger and metrics it creates from the environment", async () => {
    const timestream = mockClient(TimestreamWriteClient);
    timestream.on(WriteRecordsCommand).resolves({});
    coldStart({ ...validEnv, TIMESTREAM_ENDPOINT: "http://127.0.0.1:8000", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" });
    const output = captureOutput();
    try {
      const { handler } = await import("../../functions/stage-consumer/handler");
      const event = numberedInvoiceEvent(1);

      const response = await handler(sqsEvent([sqsRecord(event, { messageId: "m-1", messageGroupId: event.detail.invoiceId })]));

      expect(response.batchItemFailures).toEqual([]);
      const [call] = timestream.commandCalls(WriteRecordsCommand);
      expect(call?.args[0].input).toMatchObject({ DatabaseName: "use1-invoices", TableName: "invoice-events" });
      // The endpoint from TIMESTREAM_ENDPOINT, so the client never needs endpoint discovery.
      const client = call?.thisValue as TimestreamWriteClient;
      await expect(client.config.endpoint?.()).resolves.toMatchObject({ hostname: "127.0.0.1", port: 8000 });
      expect(output.metrics()).toMatchObject({ RecordsWritten: 1 });
    } finally {
      output.restore();
      timestream.restore();
    }
  });
});
