import type { QueryCommandOutput } from "@aws-sdk/client-timestream-query";

export const CELL = "use1-a";
export const REGION = "us-east-1";
export const DATABASE = "use1-a-invoices";
export const TABLE = "invoice_events";
export const TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:use1-a-warning";

/** The shipped fleet's journey: posting is terminal. */
export const SLAS = { ingestion: 60, reconciliation: 240, authorization: 1440 } as const;
export const TERMINAL = "posting";

/** The moment every test run checks at. */
export const NOW = Date.parse("2024-06-03T12:00:00.000Z");

/** The environment the cell stack gives the function. */
export const validEnv: Record<string, string | undefined> = {
  CELL_ID: CELL,
  AWS_REGION: REGION,
  TIMESTREAM_DATABASE: DATABASE,
  TIMESTREAM_TABLE: TABLE,
  TERMINAL_STAGE: TERMINAL,
  STAGE_SLAS_MINUTES: JSON.stringify(SLAS),
  MAX_LISTED: "50",
  LOOKBACK_DAYS: "14",
  ALERT_TOPIC_ARN: TOPIC_ARN,
};

/** Timestream writes timestamps as `YYYY-MM-DD hh:mm:ss.sssssssss` in UTC. */
export function timestreamTimestamp(epochMillis: number): string {
  return `${new Date(epochMillis).toISOString().replace("T", " ").replace("Z", "")}000000`;
}

/** Epoch ms `minutes` before NOW. */
export const minutesAgo = (minutes: number) => NOW - minutes * 60_000;

export interface StuckRow {
  invoiceId: string;
  stage: string;
  /** Minutes between the latest event and NOW. */
  ageMinutes: number;
}

const STUCK_COLUMNS = [
  { Name: "invoiceId", Type: { ScalarType: "VARCHAR" } },
  { Name: "stage", Type: { ScalarType: "VARCHAR" } },
  { Name: "latest_time", Type: { ScalarType: "TIMESTAMP" } },
] as const;

/**
 * One page of the detector query's result, shaped like a recorded `Query` response (the ids and
 * tokens are opaque strings of Timestream's length and alphabet, not real ones).
 */
export function stuckPage(rows: StuckRow[], { nextToken, page = 1 }: { nextToken?: string; page?: number } = {}): QueryCommandOutput {
  return {
    $metadata: { httpStatusCode: 200, requestId: `5QXJ3Q7RZ2ZJ4N5U6YF7KZLG3E-${page}`, attempts: 1, totalRetryDelay: 0 },
    QueryId: "AEDQCANiK7yjdAYa5bo3K2FaJ3Ja2Yv4xw5DBBBdBtbPXuWknuCX5DGzl6uTgjQ",
    ...(nextToken === undefined ? {} : { NextToken: nextToken }),
    ColumnInfo: STUCK_COLUMNS.map((column) => ({ Name: column.Name, Type: { ScalarType: column.Type.ScalarType } })),
    Rows: rows.map((row) => ({
      Data: [
        { ScalarValue: row.invoiceId },
        { ScalarValue: row.stage },
        { ScalarValue: timestreamTimestamp(minutesAgo(row.ageMinutes)) },
      ],
    })),
    QueryStatus: { ProgressPercentage: 100, CumulativeBytesScanned: 48_213 * page, CumulativeBytesMetered: 10_000_000 },
  };
}

/** Opaque NextToken values, as Timestream hands them out. */
export const TOKEN = {
  page2: "AYABeBRvA1a5Ir0tYjVdu0tPW3QAAAABAAdhd3Mta21zAEthcm46YXdzOmttczp1cy1lYXN0LTE-2",
  page3: "AYABeHkQ1T8Xj0g3TqU4yTm2bV0AAAABAAdhd3Mta21zAEthcm46YXdzOmttczp1cy1lYXN0LTE-3",
} as const;
