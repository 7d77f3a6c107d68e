import { parseArgs } from "node:util";
import { TimestreamQueryClient } from "@aws-sdk/client-timestream-query";
import type { FleetConfig } from "../cells/fleet-schema";
import { cellNames } from "../cells/naming";
import { INVOICE_ID_PATTERN } from "../functions/shared/invoice-event";
import {
  column,
  queryAll,
  sqlIdentifier,
  sqlString,
  sqlTable,
  sqlTimestamp,
  type TimestreamRow,
} from "../functions/shared/timestream-query";
import { INVOICE_MEASURE_NAME } from "../functions/stage-consumer/record";
import { CliError, findCell, loadCliFleet, runCli } from "./cli";

/**
 * `npm run trace -- --cell <id> --invoice <invoiceId> [--days <n>] [--json]`
 *
 * Every stored event of one invoice in a cell's store, in business-time order, with the time
 * between stages and how long each event took to reach the API. Exit codes: 0 found, 1 AWS or
 * config failure, 2 bad arguments, 3 no events for the invoice.
 */

export const USAGE = [
  "usage: npm run trace -- --cell <id> --invoice <invoiceId> [--days <n>] [--json]",
  "  --cell <id>           the cell whose store to read (cells/fleet.json)",
  "  --invoice <id>        the invoice to trace",
  "  --days <n>            only events of the last n days (reads less; default: the whole retention)",
  "  --json                print a JSON array instead of a table",
].join("\n");

export const EXIT_NOT_FOUND = 3;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface TraceDeps {
  /** Timestream query client for a region (the CLI makes one for the cell's store region). */
  queryClient: (region: string) => TimestreamQueryClient;
  /** Standard output. */
  out: (text: string) => void;
  /** The fleet; default `loadCliFleet()` (`CELLFLEET_CONFIG` or cells/fleet.json). */
  loadFleet?: () => FleetConfig;
  /** The clock for `--days` (epoch ms); default `Date.now`. */
  now?: () => number;
}

export interface TraceArgs {
  cell: string;
  invoice: string;
  days: number | undefined;
  json: boolean;
}

/** Parses and validates the arguments; a problem is a CliError (exit 2) with the usage. */
export function parseTraceArgs(argv: readonly string[]): TraceArgs | "help" {
  let values: { cell?: string; invoice?: string; days?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        cell: { type: "string" },
        invoice: { type: "string" },
        days: { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw usageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) return "help";
  if (!values.cell) throw usageError("--cell is required");
  if (!values.invoice) throw usageError("--invoice is required");
  if (!INVOICE_ID_PATTERN.test(values.invoice)) {
    throw usageError("--invoice must be 1-128 letters, digits or punctuation (as the ingest API accepts them)");
  }
  let days: number | undefined;
  if (values.days !== undefined) {
    days = /^\d+$/.test(values.days) ? Number(values.days) : Number.NaN;
    if (!Number.isSafeInteger(days) || days < 1 || days > 73_000) throw usageError("--days must be a whole number of days (1-73000)");
  }
  return { cell: values.cell, invoice: values.invoice, days, json: values.json ?? false };
}

function usageError(problem: string): CliError {
  return new CliError(`${problem}\n${USAGE}`, 2);
}

export interface TraceQueryInput {
  database: string;
  table: string;
  invoiceId: string;
  /** Only events at or after this instant (epoch ms). */
  since?: number;
  /** Leave out the optional `status` measure (a table where no event had one has no such column). */
  withoutStatus?: boolean;
}

/** Column names of the trace query's result. */
const TraceColumn = {
  time: "time",
  stage: "stage",
  sequence: "sequence",
  receivedAt: "receivedAt",
  status: "status",
  cell: "cell",
} as const;

/** Every event of one invoice, oldest first (ties by sequence). */
export function buildTraceQuery({ database, table, invoiceId, since, withoutStatus = false }: TraceQueryInput): string {
  const columns = ["time", ...[TraceColumn.stage, TraceColumn.sequence, TraceColumn.receivedAt].map(sqlIdentifier)];
  if (!withoutStatus) columns.push(sqlIdentifier(TraceColumn.status));
  columns.push(sqlIdentifier(TraceColumn.cell));
  return [
    `SELECT ${columns.join(", ")}`,
    `FROM ${sqlTable(database, table)}`,
    `WHERE measure_name = ${sqlString(INVOICE_MEASURE_NAME)}`,
    `  AND ${sqlIdentifier("invoiceId")} = ${sqlString(invoiceId)}`,
    ...(since === undefined ? [] : [`  AND time >= ${sqlTimestamp(since)}`]),
    `ORDER BY time ASC, ${sqlIdentifier(TraceColumn.sequence)} ASC`,
  ].join("\n");
}

/** One stored event of the invoice, as the trace prints it. */
export interface TraceEvent {
  stage: string;
  /** Business time of the event (the record's time), ISO 8601. */
  eventTime: string;
  sequence: number | null;
  /** When the ingest API received it, ISO 8601. */
  receivedAt: string | null;
  status: string | null;
  /** The cell that ingested it (differs from the store's cell after a DR replay). */
  cell: string;
  /** Milliseconds since the previous event (the hand-off from the previous stage); null for the first. */
  sincePreviousMs: number | null;
  /** Milliseconds from the business event to its arrival at the API (receivedAt - eventTime). */
  ingestLagMs: number | null;
}

/** Rows (ordered by time) to trace events, with the lags filled in. */
export function toTraceEvents(rows: readonly TimestreamRow[]): TraceEvent[] {
  let previous: number | undefined;
  return rows.map((row) => {
    const time = column.time(row, TraceColumn.time).getTime();
    const receivedAt = column.optionalTime(row, TraceColumn.receivedAt)?.getTime();
    const event: TraceEvent = {
      stage: column.string(row, TraceColumn.stage),
      eventTime: new Date(time).toISOString(),
      sequence: column.optionalNumber(row, TraceColumn.sequence) ?? null,
      receivedAt: receivedAt === undefined ? null : new Date(receivedAt).toISOString(),
      status: column.optionalString(row, TraceColumn.status) ?? null,
      cell: column.string(row, TraceColumn.cell),
      sincePreviousMs: previous === undefined ? null : time - previous,
      ingestLagMs: receivedAt === undefined ? null : receivedAt - time,
    };
    previous = time;
    return event;
  });
}

/** `850 ms`, `12.5 s`, `4 min 05 s`, `3 h 12 min`, `2 d 04 h`; negative with a leading `-`. */
export function formatDuration(ms: number): string {
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${Number(seconds.toFixed(1))} s`;
  const totalSeconds = Math.floor(seconds);
  const two = (n: number) => String(n).padStart(2, "0");
  if (totalSeconds < 3600) return `${Math.floor(totalSeconds / 60)} min ${two(totalSeconds % 60)} s`;
  const totalMinutes = Math.floor(totalSeconds / 60);
  if (totalMinutes < 48 * 60) return `${Math.floor(totalMinutes / 60)} h ${two(totalMinutes % 60)} min`;
  const totalHours = Math.floor(totalMinutes / 60);
  return `${Math.floor(totalHours / 24)} d ${two(totalHours % 24)} h`;
}

/** A plain-text table, one line per event, columns aligned. */
export function formatTraceTable(events: readonly TraceEvent[]): string {
  const header = ["STAGE", "EVENT TIME", "SEQ", "RECEIVED AT", "SINCE PREVIOUS", "INGEST LAG", "STATUS", "CELL"];
  const dash = "-";
  const lines = events.map((event) => [
    event.stage,
    event.eventTime,
    event.sequence === null ? dash : String(event.sequence),
    event.receivedAt ?? dash,
    event.sincePreviousMs === null ? dash : formatDuration(event.sincePreviousMs),
    event.ingestLagMs === null ? dash : formatDuration(event.ingestLagMs),
    event.status ?? dash,
    event.cell,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => line[i]!.length)));
  const rightAligned = new Set([2]);
  const render = (cells: string[]) =>
    cells
      .map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [render(header), ...lines.map(render)].join("\n");
}

/** The CLI: returns the exit code; failures the operator can act on are CliErrors. */
export async function traceInvoice(argv: readonly string[], deps: TraceDeps): Promise<number> {
  const args = parseTraceArgs(argv);
  if (args === "help") {
    deps.out(`${USAGE}\n`);
    return 0;
  }
  const fleet = (deps.loadFleet ?? loadCliFleet)();
  const cell = findCell(fleet, args.cell);
  const names = cellNames(cell.id);
  const storeRegion = cell.storeRegion ?? cell.region;
  const client = deps.queryClient(storeRegion);
  const input: TraceQueryInput = {
    database: names.timestreamDatabase,
    table: names.timestreamTable,
    invoiceId: args.invoice,
    ...(args.days === undefined ? {} : { since: (deps.now ?? Date.now)() - args.days * DAY_MS }),
  };

  let rows: TimestreamRow[];
  try {
    rows = (await queryAll(client, buildTraceQuery(input))).rows;
  } catch (error) {
    if (!isMissingStatusColumn(error)) throw awsFailure(error, storeRegion);
    // A young table where no event has carried a status yet has no `status` column.
    try {
      rows = (await queryAll(client, buildTraceQuery({ ...input, withoutStatus: true }))).rows;
    } catch (retryError) {
      throw awsFailure(retryError, storeRegion);
    }
  }

  const where = `${names.timestreamDatabase}.${names.timestreamTable} in ${storeRegion}`;
  if (rows.length === 0) {
    const window = args.days === undefined ? "" : ` in the last ${args.days} ${args.days === 1 ? "day" : "days"}`;
    throw new CliError(`no events for invoice ${args.invoice} in cell ${cell.id}${window} (${where})`, EXIT_NOT_FOUND);
  }

  const events = toTraceEvents(rows);
  if (args.json) {
    deps.out(`${JSON.stringify(events, null, 2)}\n`);
  } else {
    const count = `${events.length} ${events.length === 1 ? "event" : "events"}`;
    deps.out(`Invoice ${args.invoice} in cell ${cell.id} (${where}): ${count}\n\n${formatTraceTable(events)}\n`);
  }
  return 0;
}

function isMissingStatusColumn(error: unknown): boolean {
  return (
    error instanceof Error &&
    error.name === "ValidationException" &&
    /column\W+status\W+(?:does not exist|cannot be resolved)/i.test(error.message)
  );
}

/** One line: which call failed where, the AWS error name and its first line. */
function awsFailure(error: unknown, region: string): CliError {
  const name = error instanceof Error ? error.name : "Error";
  const message = (error instanceof Error ? error.message : String(error)).split("\n")[0]?.trim() ?? "";
  return new CliError(`Timestream query in ${region} failed: ${name}${message ? `: ${message}` : ""}`, 1);
}

if (require.main === module) {
  runCli(() =>
    traceInvoice(process.argv.slice(2), {
      queryClient: (region) => new TimestreamQueryClient({ region }),
      out: (text) => process.stdout.write(text),
    }),
  );
}
