import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { QueryCommand, ThrottlingException, TimestreamQueryClient } from "@aws-sdk/client-timestream-query";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvoiceEventSchema } from "../../functions/shared/invoice-event";
import { CANARY_LEGAL_ENTITY } from "../../functions/shared/synthetic";
import {
  accepted,
  API_KEY,
  canary,
  canaryConfig,
  FakeClock,
  fakePost,
  INGEST_URL,
  INVOICE_ID,
  noRows,
  ROTATED_API_KEY,
  SECRET_ID,
  STAGE,
  storedRow,
  T0,
} from "./pipeline-canary.fixtures";
import { captureOutput, type CapturedOutput } from "./stage-consumer.fixtures";

const secrets = mockClient(SecretsManagerClient);
const timestream = mockClient(TimestreamQueryClient);
let output: CapturedOutput;
let clock: FakeClock;

beforeEach(() => {
  secrets.reset();
  timestream.reset();
  secrets.on(GetSecretValueCommand).resolves({ SecretString: API_KEY });
  timestream.on(QueryCommand).resolves(noRows());
  clock = new FakeClock();
  output = captureOutput();
});

afterEach(() => {
  output.restore();
});

const queries = () => timestream.commandCalls(QueryCommand).map((call) => call.args[0].input);
const secretReads = () => secrets.commandCalls(GetSecretValueCommand).length;
const failureLog = () => output.logs().find((log) => log.level === "ERROR");

describe("pipeline canary, a stored event", () => {
  beforeEach(() => {
    timestream.on(QueryCommand).resolvesOnce(noRows()).resolvesOnce(noRows()).resolves(storedRow());
  });

  it("posts one schema-valid synthetic event to the first stage with the API key", async () => {
    const { post, calls } = fakePost(clock, [accepted()]);

    await canary(clock, post)();

    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call?.url).toBe(`${INGEST_URL}/invoices/${STAGE}`);
    expect(call?.headers).toEqual({ "content-type": "application/json", "x-api-key": API_KEY });
    expect(call?.signal).toBeInstanceOf(AbortSignal);
    expect(InvoiceEventSchema.safeParse(call?.body).success).toBe(true);
    expect(call?.body).toMatchObject({ invoiceId: INVOICE_ID, legalEntityId: CANARY_LEGAL_ENTITY, status: "synthetic", sequence: 0 });
  });

  it("finds the row on the third poll and reports the seconds from sending to finding", async () => {
    // The POST takes 0.4 s, then three polls 5 s apart.
    const { post } = fakePost(clock, [accepted()], 400);

    const result = await canary(clock, post)();

    expect(result).toEqual({ outcome: "stored", invoiceId: INVOICE_ID, endToEndSeconds: 15.4, polls: 3 });
    expect(clock.sleeps).toEqual([5000, 5000, 5000]);
    expect(queries()).toHaveLength(3);
    expect(output.metrics()).toEqual({ CanaryFailures: 0, CanaryEndToEndSeconds: 15.4 });
    expect(output.logs().find((log) => log.message === "Canary event stored")).toMatchObject({
      level: "INFO",
      cell: "use1-a",
      invoiceId: INVOICE_ID,
      requestId: "req-accepted-1",
      endToEndSeconds: 15.4,
      polls: 3,
      sendToEdgeSeconds: 0.3,
    });
  });

  it("looks for the invoice's row at the first stage of its cell, in a narrow window around its event time", async () => {
    const { post } = fakePost(clock, [accepted()]);

    await canary(clock, post)();

    const query = queries()[0]?.QueryString ?? "";
    expect(query).toContain(`FROM "use1-a-invoices"."invoice_events"`);
    expect(query).toContain(`invoiceId = '${INVOICE_ID}'`);
    expect(query).toContain(`stage = '${STAGE}'`);
    expect(query).toContain(`cell = 'use1-a'`);
    expect(query).toContain(`time BETWEEN from_milliseconds(${T0 - 1000}) AND from_milliseconds(${T0 + 1000})`);
  });

  it("publishes in the cellfleet namespace with service and cell dimensions", async () => {
    const { post } = fakePost(clock, [accepted()]);

    await canary(clock, post)();

    expect(output.metricDimensions()).toEqual([["service", "cell"]]);
    const [emf] = output.text().split("\n").filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line));
    expect(emf).toMatchObject({ service: "pipeline-canary", cell: "use1-a" });
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe("cellfleet");
    expect(emf._aws.CloudWatchMetrics[0].Metrics).toEqual(
      expect.arrayContaining([
        { Name: "CanaryEndToEndSeconds", Unit: "Seconds" },
        { Name: "CanaryFailures", Unit: "Count" },
      ]),
    );
  });

  it("follows the query's NextToken past empty pages", async () => {
    timestream.reset();
    timestream.on(QueryCommand).resolvesOnce(noRows("page-2")).resolves(storedRow());
    const { post } = fakePost(clock, [accepted()]);

    const result = await canary(clock, post)();

    expect(result).toMatchObject({ outcome: "stored", polls: 1 });
    expect(queries().map((input) => input.NextToken)).toEqual([undefined, "page-2"]);
    expect(queries()[1]?.QueryString).toBe(queries()[0]?.QueryString);
  });

  it("reads the API key once per container", async () => {
    timestream.reset();
    timestream.on(QueryCommand).resolves(storedRow());
    const { post, calls } = fakePost(clock, [accepted()]);
    const handler = canary(clock, post);

    await handler();
    clock.now += 300_000;
    await handler();

    expect(calls).toHaveLength(2);
    expect(secretReads()).toBe(1);
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: SECRET_ID });
  });
});

describe("pipeline canary, the API does not accept the event", () => {
  it.each([
    [400, { message: "Invalid request body", details: "invoiceAmount", requestId: "req-400" }],
    [429, { message: "Too Many Requests", requestId: "req-429" }],
    [500, { message: "Internal server error", requestId: "req-500" }],
    [503, { message: "Service Unavailable", requestId: "req-503" }],
  ])("counts a %i answer as a send failure, without polling or throwing", async (status, body) => {
    const { post, calls } = fakePost(clock, [{ status, body }]);

    const result = await canary(clock, post)();

    expect(result).toEqual({ outcome: "failed", invoiceId: INVOICE_ID, reason: "send_failed", polls: 0 });
    expect(calls).toHaveLength(1);
    expect(queries()).toHaveLength(0);
    expect(clock.sleeps).toEqual([]);
    expect(output.metrics()).toEqual({ CanaryFailures: 1 });
    expect(failureLog()).toMatchObject({
      message: "The API did not accept the canary event",
      reason: "send_failed",
      status,
      requestId: body.requestId,
      apiMessage: body.message,
      invoiceId: INVOICE_ID,
    });
  });

  it("takes the request id from API Gateway's header when the body has none", async () => {
    const { post } = fakePost(clock, [{ status: 502, headers: { "x-amzn-requestid": "hdr-req-502" } }]);

    await canary(clock, post)();

    expect(failureLog()).toMatchObject({ reason: "send_failed", status: 502, requestId: "hdr-req-502" });
  });

  it("counts a request that times out as a send failure and does not send again", async () => {
    const timeout = new DOMException("The operation was aborted due to timeout", "TimeoutError");
    const { post, calls } = fakePost(clock, [timeout]);

    const result = await canary(clock, post)();

    expect(result).toMatchObject({ outcome: "failed", reason: "send_failed" });
    expect(calls).toHaveLength(1);
    expect(queries()).toHaveLength(0);
    expect(output.metrics()).toEqual({ CanaryFailures: 1 });
    expect(failureLog()).toMatchObject({ reason: "send_failed", errorName: "TimeoutError" });
  });
});

describe("pipeline canary, the key is refused", () => {
  it("reads the key again once after a 403 and retries once with the new key", async () => {
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: API_KEY }).resolves({ SecretString: ROTATED_API_KEY });
    timestream.on(QueryCommand).resolves(storedRow());
    const { post, calls } = fakePost(clock, [{ status: 403, body: { message: "Forbidden", requestId: "req-403" } }, accepted()]);

    const result = await canary(clock, post)();

    expect(result).toMatchObject({ outcome: "stored" });
    expect(secretReads()).toBe(2);
    expect(calls.map((call) => call.headers["x-api-key"])).toEqual([API_KEY, ROTATED_API_KEY]);
    expect(calls[1]?.body).toEqual(calls[0]?.body);
    expect(output.metrics()).toMatchObject({ CanaryFailures: 0 });
    expect(output.logs().find((log) => log.level === "WARN")).toMatchObject({ requestId: "req-403" });
  });

  it("gives up after the retry is refused too", async () => {
    const { post, calls } = fakePost(clock, [{ status: 403, body: { message: "Forbidden", requestId: "req-403" } }]);

    const result = await canary(clock, post)();

    expect(result).toMatchObject({ outcome: "failed", reason: "send_failed" });
    expect(calls).toHaveLength(2);
    expect(secretReads()).toBe(2);
    expect(queries()).toHaveLength(0);
    expect(output.metrics()).toEqual({ CanaryFailures: 1 });
    expect(failureLog()).toMatchObject({ status: 403 });
  });

  it("keeps the key it read again for later runs", async () => {
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: API_KEY }).resolves({ SecretString: ROTATED_API_KEY });
    timestream.on(QueryCommand).resolves(storedRow());
    const { post, calls } = fakePost(clock, [{ status: 403 }, accepted()]);
    const handler = canary(clock, post);

    await handler();
    await handler();

    expect(secretReads()).toBe(2);
    expect(calls.map((call) => call.headers["x-api-key"])).toEqual([API_KEY, ROTATED_API_KEY, ROTATED_API_KEY]);
  });
});

describe("pipeline canary, the event is not stored in time", () => {
  it("polls every interval until the deadline, then counts a failure without throwing", async () => {
    const { post } = fakePost(clock, [accepted()], 0);

    const result = await canary(clock, post)();

    // 120 s / 5 s: polls at 5, 10, ..., 120 s after sending.
    expect(result).toEqual({ outcome: "failed", invoiceId: INVOICE_ID, reason: "not_stored_in_time", polls: 24 });
    expect(queries()).toHaveLength(24);
    expect(clock.now - T0).toBe(120_000);
    expect(output.metrics()).toEqual({ CanaryFailures: 1 });
    expect(failureLog()).toMatchObject({
      message: "The canary event was not stored in time",
      reason: "not_stored_in_time",
      requestId: "req-accepted-1",
      maxEndToEndSeconds: 120,
      polls: 24,
    });
  });

  it("looks one last time at the deadline when the interval does not divide it", async () => {
    const { post } = fakePost(clock, [accepted()], 0);

    const result = await canary(clock, post, canaryConfig({ maxEndToEndSeconds: 20, pollIntervalSeconds: 7 }))();

    expect(result).toMatchObject({ reason: "not_stored_in_time", polls: 3 });
    expect(clock.sleeps).toEqual([7000, 7000, 6000]);
  });

  it("counts the time the POST took against the deadline", async () => {
    const { post } = fakePost(clock, [accepted()], 2_000);

    const result = await canary(clock, post, canaryConfig({ maxEndToEndSeconds: 20, pollIntervalSeconds: 5 }))();

    // Sent at 0 s, answered at 2 s: polls at 7, 12, 17 and 20 s.
    expect(result).toMatchObject({ reason: "not_stored_in_time", polls: 4 });
    expect(clock.sleeps).toEqual([5000, 5000, 5000, 3000]);
  });
});

describe("pipeline canary, the store cannot be queried", () => {
  it("counts a failure, stops polling and does not throw", async () => {
    timestream.reset();
    timestream.on(QueryCommand).rejects(new ThrottlingException({ message: "Rate exceeded", $metadata: {} }));
    const { post } = fakePost(clock, [accepted()]);

    const result = await canary(clock, post)();

    expect(result).toEqual({ outcome: "failed", invoiceId: INVOICE_ID, reason: "query_failed", polls: 1 });
    expect(queries()).toHaveLength(1);
    expect(output.metrics()).toEqual({ CanaryFailures: 1 });
    expect(failureLog()).toMatchObject({ reason: "query_failed", errorName: "ThrottlingException" });
  });
});

describe("pipeline canary, configuration errors", () => {
  it("counts a failure and throws when the key secret cannot be read, sending nothing", async () => {
    secrets.reset();
    secrets.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));
    const { post, calls } = fakePost(clock, [accepted()]);

    await expect(canary(clock, post)()).rejects.toMatchObject({ name: "ApiKeyUnavailableError" });

    expect(calls).toHaveLength(0);
    expect(output.metrics()).toEqual({ CanaryFailures: 1 });
    expect(failureLog()).toMatchObject({ reason: "key_unavailable", errorName: "ResourceNotFoundException" });
  });

  it("reads the secret again on the next run after a failed read", async () => {
    secrets.reset();
    secrets.on(GetSecretValueCommand).rejectsOnce(new Error("boom")).resolves({ SecretString: API_KEY });
    timestream.on(QueryCommand).resolves(storedRow());
    const { post } = fakePost(clock, [accepted()]);
    const handler = canary(clock, post);

    await expect(handler()).rejects.toThrow();
    await expect(handler()).resolves.toMatchObject({ outcome: "stored" });
    expect(secretReads()).toBe(2);
  });

  it("treats an empty secret as unreadable", async () => {
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: "" });
    const { post, calls } = fakePost(clock, [accepted()]);

    await expect(canary(clock, post)()).rejects.toMatchObject({ errorName: "EmptySecret" });
    expect(calls).toHaveLength(0);
  });
});

describe("pipeline canary, the API key", () => {
  it("never appears in the logs or metrics, whatever happens", async () => {
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolvesOnce({ SecretString: API_KEY }).resolves({ SecretString: ROTATED_API_KEY });
    timestream.on(QueryCommand).resolvesOnce(noRows()).resolves(storedRow());
    const runs: [ReturnType<typeof fakePost>, string][] = [
      [fakePost(clock, [{ status: 403, body: { message: "Forbidden", requestId: "r1" } }, accepted()]), "stored"],
      [fakePost(clock, [{ status: 400, body: { message: "Invalid request body", requestId: "r2" } }]), "send_failed"],
      [fakePost(clock, [new TypeError("fetch failed")]), "send_failed"],
    ];

    for (const [{ post, calls }, expected] of runs) {
      const result = await canary(clock, post)();
      expect(result.outcome === "stored" ? "stored" : result.reason).toBe(expected);
      expect(calls.every((call) => call.headers["x-api-key"] !== undefined)).toBe(true);
    }

    expect(output.logs().length).toBeGreaterThan(0);
    expect(output.text()).not.toContain(API_KEY);
    expect(output.text()).not.toContain(ROTATED_API_KEY);
  });
});
