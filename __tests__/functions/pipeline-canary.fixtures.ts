import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { TimestreamQueryClient, type QueryCommandOutput } from "@aws-sdk/client-timestream-query";
import { createHandler, type Post } from "../../functions/pipeline-canary/canary";
import type { CanaryConfig } from "../../functions/pipeline-canary/config";

export const CELL = "use1-a";
export const REGION = "us-east-1";
export const STAGE = "ingestion";
export const INGEST_URL = "https://abc123.execute-api.us-east-1.amazonaws.com/v1";
export const SECRET_ID = "cellfleet/api-keys/canary";
export const DATABASE = "use1-a-invoices";
export const TABLE = "invoice_events";

/** 2026-11-25T10:00:00.000Z: the fake clock starts here. */
export const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);
export const INVOICE_ID = `canary-${CELL}-${T0}`;

/** Key values tests search the output for: neither may ever be logged. */
export const API_KEY = "k3y-Value-0f-the-canary-AAAAAAAAAAAAAAAA";
export const ROTATED_API_KEY = "r0tated-k3y-Value-BBBBBBBBBBBBBBBBBBBB";

export const canaryConfig = (overrides: Partial<CanaryConfig> = {}): CanaryConfig => ({
  cellId: CELL,
  region: REGION,
  ingest: { url: `${INGEST_URL}/invoices/${STAGE}`, firstStage: STAGE, apiKeySecretId: SECRET_ID },
  timestream: { database: DATABASE, table: TABLE, region: REGION, endpoint: undefined },
  maxEndToEndSeconds: 120,
  pollIntervalSeconds: 5,
  serviceName: "pipeline-canary",
  metricsNamespace: "cellfleet",
  ...overrides,
});

/** A clock that only moves when the canary sleeps (or a fake call says it took time). */
export class FakeClock {
  now = T0;
  readonly sleeps: number[] = [];
  readonly clock = () => this.now;
  readonly sleep = async (milliseconds: number) => {
    this.sleeps.push(milliseconds);
    this.now += milliseconds;
  };
}

export interface ApiAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface PostCall {
  url: string;
  headers: Record<string, string>;
  body: unknown;
  signal: AbortSignal;
}

export const accepted = (requestId = "req-accepted-1"): ApiAnswer => ({
  status: 202,
  body: { eventId: "0f0e0d0c-0000-4000-8000-000000000001", requestId },
});

/**
 * A fetch-like function answering with `answers` in turn (the last one repeats); an Error is
 * thrown instead of answered. Each call takes `latencyMs` on the fake clock.
 */
export function fakePost(clock: FakeClock, answers: (ApiAnswer | Error)[], latencyMs = 400) {
  const calls: PostCall[] = [];
  const post: Post = async (url, init) => {
    calls.push({ url, headers: init.headers, body: JSON.parse(init.body), signal: init.signal });
    clock.now += latencyMs;
    const answer = answers[Math.min(calls.length - 1, answers.length - 1)]!;
    if (answer instanceof Error) throw answer;
    return new Response(answer.body === undefined ? "" : JSON.stringify(answer.body), {
      status: answer.status,
      headers: { "content-type": "application/json", ...answer.headers },
    });
  };
  return { post, calls };
}

const COLUMNS = [
  { Name: "invoiceId", Type: { ScalarType: "VARCHAR" as const } },
  { Name: "time", Type: { ScalarType: "TIMESTAMP" as const } },
  { Name: "receivedAt", Type: { ScalarType: "TIMESTAMP" as const } },
];

/** A Query answer without the row (yet). */
export const noRows = (nextToken?: string): Partial<QueryCommandOutput> => ({
  QueryId: "q-empty",
  ColumnInfo: COLUMNS,
  Rows: [],
  ...(nextToken === undefined ? {} : { NextToken: nextToken }),
});

/** A Query answer holding the canary's row; `receivedAt` as Timestream prints a TIMESTAMP. */
export const storedRow = (receivedAt = "2026-11-25 10:00:00.300000000"): Partial<QueryCommandOutput> => ({
  QueryId: "q-found",
  ColumnInfo: COLUMNS,
  Rows: [{ Data: [{ ScalarValue: INVOICE_ID }, { ScalarValue: "2026-11-25 10:00:00.000000000" }, { ScalarValue: receivedAt }] }],
});

/** Clients as the handler creates them, with an explicit endpoint (no endpoint discovery). */
export function awsClients() {
  const credentials = { accessKeyId: "test", secretAccessKey: "test" };
  return {
    secrets: new SecretsManagerClient({ region: REGION, credentials }),
    timestream: new TimestreamQueryClient({ region: REGION, endpoint: "http://127.0.0.1:8000", credentials }),
  };
}

/** A canary wired to the fakes; the logger at DEBUG so even the chattiest level is checked for keys. */
export function canary(clock: FakeClock, post: Post, config: CanaryConfig = canaryConfig()) {
  return createHandler({
    ...awsClients(),
    post,
    config,
    clock: clock.clock,
    sleep: clock.sleep,
    logger: new Logger({ serviceName: "pipeline-canary", logLevel: "DEBUG" }),
    metrics: new Metrics({ namespace: "cellfleet", serviceName: "pipeline-canary" }),
  });
}
