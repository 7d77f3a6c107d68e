import type { QueryCommandOutput } from "@aws-sdk/client-timestream-query";

/** Timestream writes timestamps as `YYYY-MM-DD hh:mm:ss.sssssssss` in UTC. */
export function timestreamTimestamp(iso: string): string {
  return `${new Date(iso).toISOString().replace("T", " ").replace("Z", "")}000000`;
}

export interface StoredEvent {
  time: string;
  stage: string;
  sequence: number;
  receivedAt: string;
  status?: string;
  cell: string;
}

/** One invoice's journey through the four default stages, as the consumers stored it. */
export const JOURNEY: StoredEvent[] = [
  { time: "2024-06-03T08:00:00.000Z", stage: "ingestion", sequence: 0, receivedAt: "2024-06-03T08:00:01.250Z", status: "received", cell: "use1-a" },
  { time: "2024-06-03T09:15:00.000Z", stage: "reconciliation", sequence: 1, receivedAt: "2024-06-03T09:15:00.400Z", status: "matched", cell: "use1-a" },
  { time: "2024-06-04T10:00:00.000Z", stage: "authorization", sequence: 2, receivedAt: "2024-06-04T10:03:30.000Z", cell: "use1-a" },
  { time: "2024-06-06T12:00:00.000Z", stage: "posting", sequence: 3, receivedAt: "2024-06-06T12:00:42.000Z", status: "posted", cell: "use2-a" },
];

/** One page of the trace query's result, shaped like a recorded `Query` response. */
export function tracePage(
  events: StoredEvent[],
  { nextToken, withStatus = true }: { nextToken?: string; withStatus?: boolean } = {},
): QueryCommandOutput {
  const columns = [
    { Name: "time", Type: { ScalarType: "TIMESTAMP" as const } },
    { Name: "stage", Type: { ScalarType: "VARCHAR" as const } },
    { Name: "sequence", Type: { ScalarType: "BIGINT" as const } },
    { Name: "receivedAt", Type: { ScalarType: "TIMESTAMP" as const } },
    ...(withStatus ? [{ Name: "status", Type: { ScalarType: "VARCHAR" as const } }] : []),
    { Name: "cell", Type: { ScalarType: "VARCHAR" as const } },
  ];
  return {
    $metadata: { httpStatusCode: 200, requestId: "Q4HZPXG7N6TQ2W3RZ5JLOM4CTU", attempts: 1, totalRetryDelay: 0 },
    QueryId: "AEDQCANiNFbz6mFD2l7FJ4ZxqUPKjVuXbT3GZ8hDvFm5CdtsVUBnWxyLwCq2FhQ",
    ...(nextToken === undefined ? {} : { NextToken: nextToken }),
    ColumnInfo: columns,
    Rows: events.map((event) => ({
      Data: [
        { ScalarValue: timestreamTimestamp(event.time) },
        { ScalarValue: event.stage },
        { ScalarValue: String(event.sequence) },
        { ScalarValue: timestreamTimestamp(event.receivedAt) },
        ...(withStatus ? [event.status === undefined ? { NullValue: true } : { ScalarValue: event.status }] : []),
        { ScalarValue: event.cell },
      ],
    })),
    QueryStatus: { ProgressPercentage: 100, CumulativeBytesScanned: 913_408, CumulativeBytesMetered: 10_000_000 },
  };
}
