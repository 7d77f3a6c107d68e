import type { TimestreamQueryClient } from "@aws-sdk/client-timestream-query";
import { firstRow, parseTimestamp, quoteIdentifier, stringLiteral } from "./timestream-query";

/** Which stored row proves that the canary event went all the way through. */
export interface ArrivalLookup {
  database: string;
  table: string;
  /** The canary's invoice id (`invoiceId` dimension). */
  invoiceId: string;
  /** The stage the event was posted to (`stage` dimension). */
  stage: string;
  /** The cell that ingested it (`cell` dimension, stamped by the API). */
  cellId: string;
  /** The event's `eventTime`, which is the row's `time`. */
  eventTimeMillis: number;
}

/**
 * The invoice's row at one stage. The row's `time` is the event's `eventTime`, known to the
 * millisecond, so a narrow window around it keeps the scan to one small slice of the table
 * (Timestream prunes and bills by time range).
 */
export function arrivalQuery(lookup: ArrivalLookup): string {
  const table = `${quoteIdentifier(lookup.database)}.${quoteIdentifier(lookup.table)}`;
  const from = Math.floor(lookup.eventTimeMillis) - TIME_WINDOW_MS;
  const to = Math.floor(lookup.eventTimeMillis) + TIME_WINDOW_MS;
  return [
    `SELECT invoiceId, time, receivedAt FROM ${table}`,
    `WHERE invoiceId = ${stringLiteral(lookup.invoiceId)}`,
    `AND stage = ${stringLiteral(lookup.stage)}`,
    `AND cell = ${stringLiteral(lookup.cellId)}`,
    `AND time BETWEEN from_milliseconds(${from}) AND from_milliseconds(${to})`,
    "LIMIT 1",
  ].join(" ");
}

/** Slack around the event time: the row's time is exact, this only guards rounding. */
const TIME_WINDOW_MS = 1_000;

export interface StoredArrival {
  /** When the API edge received the event (`receivedAt` measure), epoch milliseconds. */
  receivedAt: number | undefined;
}

/** The stored row's facts, or `undefined` while the store does not hold it yet. */
export async function findArrival(client: TimestreamQueryClient, lookup: ArrivalLookup): Promise<StoredArrival | undefined> {
  const row = await firstRow(client, arrivalQuery(lookup));
  return row === undefined ? undefined : { receivedAt: parseTimestamp(row.receivedAt) };
}
