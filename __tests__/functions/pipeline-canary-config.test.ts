import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { QueryCommand, TimestreamQueryClient } from "@aws-sdk/client-timestream-query";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../functions/pipeline-canary/config";
import { API_KEY, INGEST_URL, SECRET_ID, storedRow } from "./pipeline-canary.fixtures";
import { captureOutput } from "./stage-consumer.fixtures";
import { useColdStarts } from "../support/cold-start";

const validEnv = {
  CELL_ID: "use1-a",
  AWS_REGION: "us-east-1",
  INGEST_URL,
  FIRST_STAGE: "ingestion",
  API_KEY_SECRET_ID: SECRET_ID,
  TIMESTREAM_DATABASE: "use1-a-invoices",
  TIMESTREAM_TABLE: "invoice_events",
};

describe("loadConfig", () => {
  it("reads the cell, API, key secret and store from the environment, with defaults for the rest", () => {
    expect(loadConfig(validEnv)).toEqual({
      cellId: "use1-a",
      region: "us-east-1",
      ingest: { url: `${INGEST_URL}/invoices/ingestion`, firstStage: "ingestion", apiKeySecretId: SECRET_ID },
      timestream: { database: "use1-a-invoices", table: "invoice_events", region: "us-east-1", endpoint: undefined },
      maxEndToEndSeconds: 120,
      pollIntervalSeconds: 5,
      serviceName: "pipeline-canary",
      metricsNamespace: "cellfleet",
    });
  });

  it("joins the stage path to a stage URL with a trailing slash", () => {
    expect(loadConfig({ ...validEnv, INGEST_URL: `${INGEST_URL}/` }).ingest.url).toBe(`${INGEST_URL}/invoices/ingestion`);
  });

  it("takes the store's region, endpoint, deadline and interval when set, and treats empty as unset", () => {
    const config = loadConfig({
      ...validEnv,
      TIMESTREAM_REGION: "us-west-2",
      TIMESTREAM_ENDPOINT: "http://localhost:5000",
      MAX_END_TO_END_SECONDS: "300",
      POLL_INTERVAL_SECONDS: "2.5",
    });
    expect(config).toMatchObject({
      timestream: { region: "us-west-2", endpoint: "http://localhost:5000" },
      maxEndToEndSeconds: 300,
      pollIntervalSeconds: 2.5,
    });
    expect(loadConfig({ ...validEnv, TIMESTREAM_ENDPOINT: "", MAX_END_TO_END_SECONDS: "" })).toMatchObject({
      timestream: { endpoint: undefined },
      maxEndToEndSeconds: 120,
    });
  });

  it.each(Object.keys(validEnv))("fails naming %s when it is not set", (name) => {
    expect(() => loadConfig({ ...validEnv, [name]: undefined })).toThrow(new RegExp(`${name}: is not set`));
  });

  it.each([
    ["INGEST_URL", "abc.execute-api.us-east-1.amazonaws.com/v1", /INGEST_URL: must be the stage URL/],
    ["INGEST_URL", "ftp://abc.example.com/v1", /INGEST_URL: must be the stage URL/],
    ["CELL_ID", "Use1 A", /CELL_ID: must be a cell id/],
    ["AWS_REGION", "Virginia", /AWS_REGION: must be a region/],
    ["TIMESTREAM_REGION", "Oregon", /TIMESTREAM_REGION: must be a region/],
    ["TIMESTREAM_ENDPOINT", "localhost", /TIMESTREAM_ENDPOINT: must be a URL/],
    ["MAX_END_TO_END_SECONDS", "two minutes", /MAX_END_TO_END_SECONDS: must be a number of seconds/],
    ["MAX_END_TO_END_SECONDS", "3600", /MAX_END_TO_END_SECONDS: must be at most 900 seconds/],
    ["POLL_INTERVAL_SECONDS", "0", /POLL_INTERVAL_SECONDS: must be more than 0 seconds/],
    ["POLL_INTERVAL_SECONDS", "180", /POLL_INTERVAL_SECONDS: must not be longer than MAX_END_TO_END_SECONDS \(120\)/],
  ])("fails naming %s when it is %j", (name, value, message) => {
    expect(() => loadConfig({ ...validEnv, [name]: value })).toThrow(message);
  });

  it("does not echo the bad value", () => {
    expect(() => loadConfig({ ...validEnv, INGEST_URL: "s3cr3t-value" })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining("s3cr3t-value") }),
    );
  });
});

describe("the deployed handler module", () => {
  const coldStart = useColdStarts();

  it("refuses to start with a bad environment, naming the variable", async () => {
    coldStart({ ...validEnv, API_KEY_SECRET_ID: undefined });

    await expect(import("../../functions/pipeline-canary/handler")).rejects.toThrow(/API_KEY_SECRET_ID: is not set/);
  });

  it("runs with the global fetch and the clients it creates from the environment", async () => {
    const secrets = mockClient(SecretsManagerClient);
    const timestream = mockClient(TimestreamQueryClient);
    secrets.on(GetSecretValueCommand).resolves({ SecretString: API_KEY });
    timestream.on(QueryCommand).resolves(storedRow());
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ eventId: "e-1", requestId: "r-1" }), { status: 202 }));
    vi.stubGlobal("fetch", fetchMock);
    coldStart({
      ...validEnv,
      TIMESTREAM_ENDPOINT: "http://127.0.0.1:8000",
      POLL_INTERVAL_SECONDS: "0.01",
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
    });
    const output = captureOutput();
    try {
      const { handler } = await import("../../functions/pipeline-canary/handler");

      await expect(handler()).resolves.toMatchObject({ outcome: "stored", polls: 1 });

      expect(fetchMock).toHaveBeenCalledWith(
        `${INGEST_URL}/invoices/ingestion`,
        expect.objectContaining({ method: "POST", headers: expect.objectContaining({ "x-api-key": API_KEY }) }),
      );
      expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: SECRET_ID });
      // The endpoint from TIMESTREAM_ENDPOINT, so the client never needs endpoint discovery.
      const client = timestream.commandCalls(QueryCommand)[0]?.thisValue as TimestreamQueryClient;
      await expect(client.config.endpoint?.()).resolves.toMatchObject({ hostname: "127.0.0.1", port: 8000 });
      expect(output.metrics()).toMatchObject({ CanaryFailures: 0 });
    } finally {
      output.restore();
      secrets.restore();
      timestream.restore();
    }
  });
});
