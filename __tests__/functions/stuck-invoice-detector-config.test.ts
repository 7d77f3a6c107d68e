import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { QueryCommand, TimestreamQueryClient } from "@aws-sdk/client-timestream-query";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../functions/stuck-invoice-detector/config";
import { captureOutput } from "./stage-consumer.fixtures";
import { DATABASE, SLAS, stuckPage, TABLE, TOPIC_ARN, validEnv } from "./stuck-invoice-detector.fixtures";
import { useColdStarts } from "../support/cold-start";

describe("loadConfig", () => {
  it("reads the cell, store, stages, limits and alert topic from the environment", () => {
    expect(loadConfig(validEnv)).toEqual({
      cellId: "use1-a",
      region: "us-east-1",
      timestream: { database: DATABASE, table: TABLE, region: "us-east-1", endpoint: undefined },
      terminalStage: "posting",
      stageSlasMinutes: SLAS,
      maxListed: 50,
      lookbackDays: 14,
      alertTopicArn: TOPIC_ARN,
      alertTopicRegion: "us-east-1",
      serviceName: "stuck-invoice-detector",
      metricsNamespace: "cellfleet",
    });
  });

  it("keeps the stages in journey order as the JSON lists them", () => {
    expect(Object.keys(loadConfig(validEnv).stageSlasMinutes)).toEqual(["ingestion", "reconciliation", "authorization"]);
  });

  it("queries the store's own region when Timestream is not offered in the cell's region", () => {
    expect(loadConfig({ ...validEnv, TIMESTREAM_REGION: "us-west-2" }).timestream.region).toBe("us-west-2");
  });

  it("passes an explicit Timestream endpoint through, and treats an empty one as unset", () => {
    expect(loadConfig({ ...validEnv, TIMESTREAM_ENDPOINT: "http://localhost:5000" }).timestream.endpoint).toBe("http://localhost:5000");
    expect(loadConfig({ ...validEnv, TIMESTREAM_ENDPOINT: "" }).timestream.endpoint).toBeUndefined();
  });

  it("publishes alerts in the topic's own region", () => {
    const arn = "arn:aws:sns:us-west-2:123456789012:usw1-a-warning";
    expect(loadConfig({ ...validEnv, ALERT_TOPIC_ARN: arn })).toMatchObject({ alertTopicArn: arn, alertTopicRegion: "us-west-2" });
  });

  it("takes the service name and metrics namespace from the Powertools variables", () => {
    const config = loadConfig({ ...validEnv, POWERTOOLS_SERVICE_NAME: "detector", POWERTOOLS_METRICS_NAMESPACE: "acme" });
    expect(config).toMatchObject({ serviceName: "detector", metricsNamespace: "acme" });
  });

  it.each(Object.keys(validEnv))("fails naming %s when it is not set", (name) => {
    expect(() => loadConfig({ ...validEnv, [name]: undefined })).toThrow(new RegExp(`${name}: is not set`));
  });

  it.each([
    ["AWS_REGION", "Virginia", /AWS_REGION: must be a region/],
    ["TIMESTREAM_REGION", "Oregon", /TIMESTREAM_REGION: must be a region/],
    ["TIMESTREAM_ENDPOINT", "localhost", /TIMESTREAM_ENDPOINT: must be a URL/],
    ["TERMINAL_STAGE", "Posting!", /TERMINAL_STAGE: must name the terminal stage/],
    ["STAGE_SLAS_MINUTES", "{ingestion: 60}", /STAGE_SLAS_MINUTES: must be a JSON object/],
    ["STAGE_SLAS_MINUTES", "[60, 240]", /STAGE_SLAS_MINUTES: must be a JSON object/],
    ["STAGE_SLAS_MINUTES", "{}", /STAGE_SLAS_MINUTES: must be a JSON object/],
    ["STAGE_SLAS_MINUTES", '{"ingestion": 0}', /STAGE_SLAS_MINUTES: must be a JSON object/],
    ["STAGE_SLAS_MINUTES", '{"ingestion": "60"}', /STAGE_SLAS_MINUTES: must be a JSON object/],
    ["STAGE_SLAS_MINUTES", '{"ingestion": 1.5}', /STAGE_SLAS_MINUTES: must be a JSON object/],
    ["STAGE_SLAS_MINUTES", '{"posting": 60}', /STAGE_SLAS_MINUTES: must not give the terminal stage/],
    ["MAX_LISTED", "0", /MAX_LISTED: must be a whole number from 1 to 500/],
    ["MAX_LISTED", "ten", /MAX_LISTED: must be a whole number from 1 to 500/],
    ["MAX_LISTED", "501", /MAX_LISTED: must be a whole number from 1 to 500/],
    ["LOOKBACK_DAYS", "-1", /LOOKBACK_DAYS: must be a whole number from 1 to 365/],
    ["LOOKBACK_DAYS", "7.5", /LOOKBACK_DAYS: must be a whole number from 1 to 365/],
    ["ALERT_TOPIC_ARN", "use1-a-warning", /ALERT_TOPIC_ARN: must be an SNS topic ARN/],
    ["CELL_ID", "", /CELL_ID: must name a cell/],
  ])("fails naming %s when it is %j", (name, value, message) => {
    expect(() => loadConfig({ ...validEnv, [name]: value })).toThrow(message);
  });

  it("reports every bad variable at once, each once", () => {
    expect(() => loadConfig({ ...validEnv, MAX_LISTED: "x", STAGE_SLAS_MINUTES: '{"a": 0, "b": 0}' })).toThrow(
      /^Invalid stuck-invoice detector environment: STAGE_SLAS_MINUTES: [^;]+; MAX_LISTED: [^;]+$/,
    );
  });

  it.each([
    ["MAX_LISTED", "s3cr3t-value"],
    ["STAGE_SLAS_MINUTES", '{"s3cr3t-value": "x"}'],
    ["STAGE_SLAS_MINUTES", "s3cr3t-value"],
    ["ALERT_TOPIC_ARN", "s3cr3t-value"],
  ])("does not echo the bad value of %s", (name, value) => {
    expect(() => loadConfig({ ...validEnv, [name]: value })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining("s3cr3t") }),
    );
  });
});

describe("the deployed handler module", () => {
  const coldStart = useColdStarts();

  it("refuses to start with a bad environment, naming the variable", async () => {
    coldStart({ ...validEnv, STAGE_SLAS_MINUTES: undefined });

    await expect(import("../../functions/stuck-invoice-detector/handler")).rejects.toThrow(/STAGE_SLAS_MINUTES: is not set/);
  });

  it("queries the store through the endpoint from the environment and publishes its metrics", async () => {
    const timestream = mockClient(TimestreamQueryClient);
    const sns = mockClient(SNSClient);
    timestream.on(QueryCommand).resolves(stuckPage([]));
    coldStart({
      ...validEnv,
      TIMESTREAM_REGION: "us-west-2",
      TIMESTREAM_ENDPOINT: "http://127.0.0.1:8000",
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
    });
    const output = captureOutput();
    try {
      const { handler } = await import("../../functions/stuck-invoice-detector/handler");

      const report = await handler({ "detail-type": "Scheduled Event" });

      expect(report.total).toBe(0);
      const [call] = timestream.commandCalls(QueryCommand);
      expect(call?.args[0].input.QueryString).toContain('FROM "use1-a-invoices"."invoice_events"');
      // The endpoint from TIMESTREAM_ENDPOINT, so the client never needs endpoint discovery.
      const client = call?.thisValue as TimestreamQueryClient;
      await expect(client.config.endpoint?.()).resolves.toMatchObject({ hostname: "127.0.0.1", port: 8000 });
      await expect(client.config.region()).resolves.toBe("us-west-2");
      expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
      expect(timestream.commandCalls(QueryCommand)).toHaveLength(1);
      expect(output.metrics()).toMatchObject({ StuckInvoices: 0, StuckInvoiceDetectorFailures: 0 });
    } finally {
      output.restore();
      timestream.restore();
      sns.restore();
    }
  });
});
