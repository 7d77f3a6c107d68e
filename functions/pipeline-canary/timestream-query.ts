import { QueryCommand, type ColumnInfo, type Row, type TimestreamQueryClient } from "@aws-sdk/client-timestream-query";

/**
 * Small Timestream query helpers: quoting, paging, rows as objects. Kept inside the canary until
 * a shared module exists (`functions/shared/timestream-query.ts`).
 */

/** A string as a SQL literal: `it's` -> `'it''s'`. */
export function stringLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A database, table or column name as a quoted identifier: `a"b` -> `"a""b"`. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** One result row by column name; SQL NULL (and non-scalar values) become `null`. */
export type ScalarRow = Record<string, string | null>;

/**
 * Runs a query and yields its rows, following `NextToken` until the result ends or the caller
 * stops. Timestream may answer a page with no rows and a token while the query still runs,
 * so an empty page does not mean an empty result.
 */
export async function* queryRows(client: TimestreamQueryClient, queryString: string): AsyncGenerator<ScalarRow> {
  let nextToken: string | undefined;
  do {
    const page = await client.send(new QueryCommand({ QueryString: queryString, NextToken: nextToken }));
    const columns = page.ColumnInfo ?? [];
    for (const row of page.Rows ?? []) yield toScalarRow(columns, row);
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
}

/** The first row of a query's result, or `undefined` when it has none. */
export async function firstRow(client: TimestreamQueryClient, queryString: string): Promise<ScalarRow | undefined> {
  for await (const row of queryRows(client, queryString)) return row;
  return undefined;
}

export function toScalarRow(columns: ColumnInfo[], row: Row): ScalarRow {
  const values: ScalarRow = {};
  (row.Data ?? []).forEach((datum, index) => {
    const name = columns[index]?.Name ?? `_col${index}`;
    values[name] = datum.NullValue === true ? null : (datum.ScalarValue ?? null);
  });
  return values;
}

/**
 * A Timestream TIMESTAMP value (`2026-11-25 10:00:00.123000000`, UTC, nanoseconds) in epoch
 * milliseconds, or `undefined` when it is not one.
 */
export function parseTimestamp(value: string | null | undefined): number | undefined {
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?$/.exec(value ?? "");
  if (match === null) return undefined;
  const millis = (match[3] ?? "").padEnd(3, "0").slice(0, 3);
  const parsed = Date.parse(`${match[1]}T${match[2]}.${millis}Z`);
  return Number.isFinite(parsed) ? parsed : undefined;
}
