import {
  QueryCommand,
  type ColumnInfo,
  type Datum,
  type QueryCommandOutput,
  type TimestreamQueryClient,
} from "@aws-sdk/client-timestream-query";

/**
 * What every reader of a cell's Timestream table needs: SQL literals that cannot break out of
 * their quotes, paging through `Query` until Timestream has no `NextToken` left, and rows turned
 * from Timestream's typed strings into JavaScript values.
 */

/** A SQL string literal: single quotes doubled, so the value can never end the literal. */
export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A quoted identifier: database and table names hold hyphens, and column names are camelCase. */
export function sqlIdentifier(name: string): string {
  if (name.length === 0) throw new RangeError("an SQL identifier cannot be empty");
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"database"."table"`, as a FROM clause needs it. */
export function sqlTable(database: string, table: string): string {
  return `${sqlIdentifier(database)}.${sqlIdentifier(table)}`;
}

/** A timestamp literal from epoch milliseconds (`from_milliseconds` keeps it exact and in UTC). */
export function sqlTimestamp(epochMillis: number): string {
  if (!Number.isSafeInteger(epochMillis) || epochMillis < 0) {
    throw new RangeError("a Timestream timestamp needs whole, non-negative epoch milliseconds");
  }
  return `from_milliseconds(${epochMillis})`;
}

/** A scalar as JavaScript sees it; TIMESTAMP columns become Dates (millisecond precision). */
export type TimestreamValue = string | number | boolean | Date | null;
/** One result row, keyed by column name. */
export type TimestreamRow = Readonly<Record<string, TimestreamValue>>;

/** A row that does not have the shape a reader expects (wrong type, missing column). */
export class TimestreamRowError extends Error {
  override readonly name = "TimestreamRowError";
}

/** Timestream's TIMESTAMP text, `2024-05-01 08:00:00.123456789` (always UTC), to epoch ms. */
export function parseTimestreamTimestamp(text: string): number {
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z?$/.exec(text);
  const fraction = (match?.[3] ?? "").padEnd(3, "0").slice(0, 3);
  const millis = match ? Date.parse(`${match[1]}T${match[2]}.${fraction}Z`) : Number.NaN;
  if (!Number.isFinite(millis)) throw new TimestreamRowError(`not a Timestream timestamp: "${text}"`);
  return millis;
}

function parseScalar(column: ColumnInfo, datum: Datum): TimestreamValue {
  const name = column.Name ?? "(unnamed)";
  if (datum.NullValue === true) return null;
  const type = column.Type?.ScalarType;
  if (type === undefined || datum.ScalarValue === undefined) {
    throw new TimestreamRowError(`column ${name} is not a scalar (arrays, rows and time series are not supported)`);
  }
  const text = datum.ScalarValue;
  switch (type) {
    case "BIGINT":
    case "INTEGER": {
      const value = Number(text);
      if (!Number.isSafeInteger(value)) throw new TimestreamRowError(`column ${name}: ${type} does not fit a JavaScript number`);
      return value;
    }
    case "DOUBLE":
      return Number(text);
    case "BOOLEAN":
      return text === "true";
    case "TIMESTAMP":
      return new Date(parseTimestreamTimestamp(text));
    case "UNKNOWN":
      return null;
    default:
      // VARCHAR, DATE, TIME and intervals stay as Timestream writes them.
      return text;
  }
}

/** The rows of one `Query` page. `columns` stands in when a page carries no ColumnInfo. */
export function parseRows(
  page: Pick<QueryCommandOutput, "ColumnInfo" | "Rows">,
  columns: readonly ColumnInfo[] | undefined = page.ColumnInfo,
): TimestreamRow[] {
  const rows = page.Rows ?? [];
  if (rows.length === 0) return [];
  const info = page.ColumnInfo ?? columns;
  if (info === undefined) throw new TimestreamRowError("a page of rows arrived without its column info");
  return rows.map((row) => {
    const data = row.Data ?? [];
    if (data.length !== info.length) {
      throw new TimestreamRowError(`a row has ${data.length} values for ${info.length} columns`);
    }
    const parsed: Record<string, TimestreamValue> = {};
    info.forEach((column, i) => {
      parsed[column.Name ?? `_col${i}`] = parseScalar(column, data[i]!);
    });
    return parsed;
  });
}

/** One page of results. */
export interface QueryPage {
  readonly queryId: string | undefined;
  readonly rows: TimestreamRow[];
  /** 1-based. */
  readonly pageNumber: number;
}

export interface QueryPagesOptions {
  /** Rows per page (Timestream's default when unset). */
  maxRows?: number;
  abortSignal?: AbortSignal;
}

/**
 * Runs one query and yields every page until Timestream returns no `NextToken`. A page may be
 * empty while the query is still running: the loop keeps asking with the token it got. Each
 * follow-up request repeats the same query text, as Timestream requires.
 */
export async function* queryPages(
  client: TimestreamQueryClient,
  queryString: string,
  { maxRows, abortSignal }: QueryPagesOptions = {},
): AsyncGenerator<QueryPage> {
  let nextToken: string | undefined;
  let columns: ColumnInfo[] | undefined;
  let pageNumber = 0;
  do {
    const output = await client.send(
      new QueryCommand({
        QueryString: queryString,
        ...(nextToken === undefined ? {} : { NextToken: nextToken }),
        ...(maxRows === undefined ? {} : { MaxRows: maxRows }),
      }),
      abortSignal === undefined ? {} : { abortSignal },
    );
    columns = output.ColumnInfo ?? columns;
    pageNumber += 1;
    yield { queryId: output.QueryId, rows: parseRows(output, columns), pageNumber };
    nextToken = output.NextToken;
  } while (nextToken !== undefined && nextToken !== "");
}

/** Every row of a query, in order. Use `queryPages` when the result may be large. */
export async function queryAll(
  client: TimestreamQueryClient,
  queryString: string,
  options?: QueryPagesOptions,
): Promise<{ rows: TimestreamRow[]; pages: number }> {
  const rows: TimestreamRow[] = [];
  let pages = 0;
  for await (const page of queryPages(client, queryString, options)) {
    rows.push(...page.rows);
    pages = page.pageNumber;
  }
  return { rows, pages };
}

/** Typed access to a parsed row; a mismatch names the column, never the row's other values. */
export const column = {
  string(row: TimestreamRow, name: string): string {
    const value = row[name];
    if (typeof value !== "string") throw new TimestreamRowError(`column ${name} should be text, got ${describe(value)}`);
    return value;
  },
  optionalString(row: TimestreamRow, name: string): string | undefined {
    const value = row[name];
    return value === null || value === undefined ? undefined : column.string(row, name);
  },
  number(row: TimestreamRow, name: string): number {
    const value = row[name];
    if (typeof value !== "number") throw new TimestreamRowError(`column ${name} should be a number, got ${describe(value)}`);
    return value;
  },
  optionalNumber(row: TimestreamRow, name: string): number | undefined {
    const value = row[name];
    return value === null || value === undefined ? undefined : column.number(row, name);
  },
  time(row: TimestreamRow, name: string): Date {
    const value = row[name];
    if (!(value instanceof Date)) throw new TimestreamRowError(`column ${name} should be a timestamp, got ${describe(value)}`);
    return value;
  },
  optionalTime(row: TimestreamRow, name: string): Date | undefined {
    const value = row[name];
    return value === null || value === undefined ? undefined : column.time(row, name);
  },
};

function describe(value: TimestreamValue | undefined): string {
  if (value === undefined) return "no such column";
  if (value === null) return "null";
  if (value instanceof Date) return "a timestamp";
  return `a ${typeof value}`;
}
