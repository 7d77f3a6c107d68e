import path from "node:path";
import { QueryCommand, TimestreamQueryClient, ValidationException, type QueryCommandInput } from "@aws-sdk/client-timestream-query";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { CliError } from "../../bin/cli";
import {
  buildTraceQuery,
  EXIT_NOT_FOUND,
  formatDuration,
  parseTraceArgs,
  traceInvoice,
  type TraceEvent,
} from "../../bin/trace";
import { loadFleet } from "../../cells/load-fleet";
import { JOURNEY, tracePage } from "./trace.fixtures";

const FLEET = loadFleet(path.join(__dirname, "..", "..", "cells", "fleet.json"));
const NOW = Date.parse("2024-06-10T00:00:00.000Z");
const timestream = mockClient(TimestreamQueryClient);

let stdout: string;
let regions: string[];

beforeEach(() => {
  timestream.reset();
  stdout = "";
  regions = [];
});

function run(...argv: string[]) {
  return traceInvoice(argv, {
    loadFleet: () => FLEET,
    queryClient: (region) => {
      regions.push(region);
      return new TimestreamQueryClient({
        region,
        endpoint: "http://127.0.0.1:8000",
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      });
    },
    out: (text) => {
      stdout += text;
    },
    now: () => NOW,
  });
}

/** Answers each QueryCommand by its NextToken, as Timestream does. */
function resolvePages(pages: Record<string, ReturnType<typeof tracePage>>) {
  timestream.on(QueryCommand).callsFake((input: QueryCommandInput) => {
    const page = pages[input.NextToken ?? "first"];
    if (!page) throw new Error(`unexpected NextToken ${input.NextToken}`);
    return page;
  });
}
const queryInputs = () => timestream.commandCalls(QueryCommand).map((call) => call.args[0].input);

/** The journey over three pages, the middle one empty (query still running). */
const journeyInThreePages = () =>
  resolvePages({
    first: tracePage(JOURNEY.slice(0, 2), { nextToken: "tok-2" }),
    "tok-2": tracePage([], { nextToken: "tok-3" }),
    "tok-3": tracePage(JOURNEY.slice(2)),
  });

/** What a failed run throws, for inspection. */
async function failure(promise: Promise<unknown>): Promise<CliError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  return error as CliError;
}

describe("the trace query", () => {
  it("selects every stored event of the invoice from the cell's table, in time order", () => {
    const sql = buildTraceQuery({ database: "use1-a-invoices", table: "invoice_events", invoiceId: "INV-1" });

    expect(sql).toBe(
      [
        'SELECT time, "stage", "sequence", "receivedAt", "status", "cell"',
        'FROM "use1-a-invoices"."invoice_events"',
        "WHERE measure_name = 'invoice_event'",
        `  AND "invoiceId" = 'INV-1'`,
        'ORDER BY time ASC, "sequence" ASC',
      ].join("\n"),
    );
  });

  it("doubles single quotes in the invoice id, so it cannot end its literal", () => {
    const sql = buildTraceQuery({ database: "d", table: "t", invoiceId: "INV-'1'--" });

    expect(sql).toContain(`"invoiceId" = 'INV-''1''--'`);
  });

  it("narrows to a time window when asked", () => {
    expect(buildTraceQuery({ database: "d", table: "t", invoiceId: "I", since: 1717372800000 })).toContain(
      "AND time >= from_milliseconds(1717372800000)",
    );
  });
});

describe("npm run trace", () => {
  it("reads the cell's own table in its region, following every page with the same query", async () => {
    journeyInThreePages();

    await expect(run("--cell", "use1-a", "--invoice", "INV-2024-0001")).resolves.toBe(0);

    expect(regions).toEqual(["us-east-1"]);
    const inputs = queryInputs();
    expect(inputs.map((input) => input.NextToken)).toEqual([undefined, "tok-2", "tok-3"]);
    expect(new Set(inputs.map((input) => input.QueryString)).size).toBe(1);
    expect(inputs[0]?.QueryString).toContain('FROM "use1-a-invoices"."invoice_events"');
    expect(inputs[0]?.QueryString).toContain(`"invoiceId" = 'INV-2024-0001'`);
  });

  it("reads a cell's store in its store region when Timestream is elsewhere", async () => {
    resolvePages({ first: tracePage(JOURNEY) });

    await run("--cell", "usw1-a", "--invoice", "INV-1");

    expect(regions).toEqual(["us-west-2"]);
    expect(queryInputs()[0]?.QueryString).toContain('FROM "usw1-a-invoices"."invoice_events"');
  });

  it("prints one row per event with stage, times, sequence, the time since the previous event and the ingest lag", async () => {
    journeyInThreePages();

    await run("--cell", "use1-a", "--invoice", "INV-2024-0001");

    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("Invoice INV-2024-0001 in cell use1-a (use1-a-invoices.invoice_events in us-east-1): 4 events");
    expect(lines[1]).toBe("");
    expect(lines[2]).toMatch(/^STAGE\s+EVENT TIME\s+SEQ\s+RECEIVED AT\s+SINCE PREVIOUS\s+INGEST LAG\s+STATUS\s+CELL$/);
    const cells = lines.slice(3).map((line) => line.split(/\s{2,}/));
    expect(cells).toEqual([
      ["ingestion", "2024-06-03T08:00:00.000Z", "0", "2024-06-03T08:00:01.250Z", "-", "1.3 s", "received", "use1-a"],
      ["reconciliation", "2024-06-03T09:15:00.000Z", "1", "2024-06-03T09:15:00.400Z", "1 h 15 min", "400 ms", "matched", "use1-a"],
      ["authorization", "2024-06-04T10:00:00.000Z", "2", "2024-06-04T10:03:30.000Z", "24 h 45 min", "3 min 30 s", "-", "use1-a"],
      ["posting", "2024-06-06T12:00:00.000Z", "3", "2024-06-06T12:00:42.000Z", "2 d 02 h", "42 s", "posted", "use2-a"],
    ]);
    // Columns line up: every event time starts where its header does.
    const column = lines[2]!.indexOf("EVENT TIME");
    for (const line of lines.slice(3)) expect(line.slice(column, column + 4)).toBe("2024");
  });

  it("prints a JSON array with --json", async () => {
    journeyInThreePages();

    await run("--cell", "use1-a", "--invoice", "INV-2024-0001", "--json");

    const events = JSON.parse(stdout) as TraceEvent[];
    expect(events).toHaveLength(4);
    expect(events[0]).toEqual({
      stage: "ingestion",
      eventTime: "2024-06-03T08:00:00.000Z",
      sequence: 0,
      receivedAt: "2024-06-03T08:00:01.250Z",
      status: "received",
      cell: "use1-a",
      sincePreviousMs: null,
      ingestLagMs: 1250,
    });
    expect(events[1]).toMatchObject({ stage: "reconciliation", sincePreviousMs: 75 * 60_000, ingestLagMs: 400 });
    expect(events[2]).toMatchObject({ stage: "authorization", status: null });
  });

  it("looks back only --days when given", async () => {
    resolvePages({ first: tracePage(JOURNEY) });

    await run("--cell", "use1-a", "--invoice", "INV-1", "--days", "7");

    expect(queryInputs()[0]?.QueryString).toContain(`AND time >= from_milliseconds(${NOW - 7 * 86_400_000})`);
  });

  it("exits 3 with a message naming the invoice and the table when no event is stored", async () => {
    resolvePages({ first: tracePage([]) });

    const error = await failure(run("--cell", "use1-a", "--invoice", "INV-404"));

    expect(error.exitCode).toBe(EXIT_NOT_FOUND);
    expect(error.exitCode).toBe(3);
    expect(error.message).toBe("no events for invoice INV-404 in cell use1-a (use1-a-invoices.invoice_events in us-east-1)");
    expect(stdout).toBe("");
  });

  it("turns an AWS error into one line and exit code 1", async () => {
    timestream.on(QueryCommand).rejects(
      new ValidationException({ message: "The query syntax is invalid at line 1:8.\nDetails follow", $metadata: {} }),
    );

    const error = await failure(run("--cell", "use1-a", "--invoice", "INV-1"));

    expect(error.exitCode).toBe(1);
    expect(error.message).toBe("Timestream query in us-east-1 failed: ValidationException: The query syntax is invalid at line 1:8.");
  });

  it("still traces on a young table where no event has carried a status yet", async () => {
    timestream
      .on(QueryCommand)
      .rejectsOnce(new ValidationException({ message: "line 1:48: Column 'status' does not exist", $metadata: {} }))
      .resolves(tracePage(JOURNEY.slice(0, 1), { withStatus: false }));

    await run("--cell", "use1-a", "--invoice", "INV-1", "--json");

    const [first, second] = queryInputs();
    expect(first?.QueryString).toContain('"status"');
    expect(second?.QueryString).not.toContain('"status"');
    expect(JSON.parse(stdout)).toEqual([expect.objectContaining({ stage: "ingestion", status: null })]);
  });

  it.each([
    [["--invoice", "INV-1"], /--cell is required/],
    [["--cell", "use1-a"], /--invoice is required/],
    [["--cell", "use1-a", "--invoice", "INV 1"], /--invoice must be 1-128 letters, digits or punctuation/],
    [["--cell", "use1-a", "--invoice", "I".repeat(129)], /--invoice must be 1-128/],
    [["--cell", "use1-a", "--invoice", "INV-1", "--days", "0"], /--days must be a whole number/],
    [["--cell", "use1-a", "--invoice", "INV-1", "--days", "two"], /--days must be a whole number/],
    [["--cell", "use1-a", "--invoice", "INV-1", "--stage", "posting"], /Unknown option '--stage'/],
    [["--cell", "use1-a", "--invoice", "INV-1", "extra"], /positional/],
  ])("rejects %j with the usage and exit code 2, before any query", async (argv, problem) => {
    const error = await failure(run(...argv));

    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(problem);
    expect(error.message).toContain("usage: npm run trace -- --cell <id> --invoice <invoiceId>");
    expect(queryInputs()).toEqual([]);
  });

  it("rejects an unknown cell with the list of cells and exit code 2", async () => {
    const error = await failure(run("--cell", "mars-1", "--invoice", "INV-1"));

    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('unknown cell "mars-1" (one of use1-a, use2-a, usw1-a, usw2-a)');
  });

  it("prints the usage for --help and exits 0", async () => {
    await expect(run("--help")).resolves.toBe(0);

    expect(stdout).toContain("usage: npm run trace");
    expect(queryInputs()).toEqual([]);
  });

  it("parses the flags it documents", () => {
    expect(parseTraceArgs(["--cell", "use1-a", "--invoice", "INV-'1", "--json", "--days", "3"])).toEqual({
      cell: "use1-a",
      invoice: "INV-'1",
      days: 3,
      json: true,
    });
  });
});

describe("durations", () => {
  it.each([
    [0, "0 ms"],
    [850, "850 ms"],
    [1250, "1.3 s"],
    [12_000, "12 s"],
    [59_940, "59.9 s"],
    [245_000, "4 min 05 s"],
    [75 * 60_000, "1 h 15 min"],
    [47 * 3_600_000 + 59 * 60_000, "47 h 59 min"],
    [50 * 3_600_000, "2 d 02 h"],
    [-5_000, "-5 s"],
  ])("%d ms reads as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
