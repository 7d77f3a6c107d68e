import { QueryCommand, TimestreamQueryClient } from "@aws-sdk/client-timestream-query";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import {
  parseRows,
  parseTimestreamTimestamp,
  queryAll,
  sqlIdentifier,
  sqlString,
  sqlTable,
  sqlTimestamp,
  TimestreamRowError,
} from "../../functions/shared/timestream-query";
import { buildStuckInvoiceQuery, toStuckInvoice } from "../../functions/stuck-invoice-detector/query";
import { DATABASE, minutesAgo, NOW, SLAS, stuckPage, TABLE, TERMINAL, TOKEN } from "./stuck-invoice-detector.fixtures";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const query = (overrides: Partial<Parameters<typeof buildStuckInvoiceQuery>[0]> = {}) =>
  buildStuckInvoiceQuery({
    database: DATABASE,
    table: TABLE,
    stageSlasMinutes: SLAS,
    terminalStage: TERMINAL,
    lookbackDays: 14,
    now: NOW,
    ...overrides,
  });

/** The CASE arm of one stage, e.g. `WHEN 'ingestion' THEN from_milliseconds(...)`. */
const cutoffOf = (sql: string, stage: string) =>
  new RegExp(`WHEN '${stage}' THEN from_milliseconds\\((\\d+)\\)`).exec(sql)?.[1];

describe("the stuck-invoice query", () => {
  it("takes each invoice's latest stage by event time, then keeps it when older than that stage's SLA", () => {
    const sql = query();

    expect(sql).toMatch(/WITH latest AS \(\s+SELECT "invoiceId",\s+max_by\("stage", time\) AS "stage",\s+max\(time\) AS latest_time/);
    expect(sql).toContain('GROUP BY "invoiceId"');
    expect(sql).toMatch(/AND latest_time < CASE "stage"/);
    expect(Number(cutoffOf(sql, "ingestion"))).toBe(NOW - 60 * MINUTE);
    expect(Number(cutoffOf(sql, "reconciliation"))).toBe(NOW - 240 * MINUTE);
    expect(Number(cutoffOf(sql, "authorization"))).toBe(NOW - 1440 * MINUTE);
  });

  it("reads the cell's invoice records only, from the quoted database and table", () => {
    const sql = query();

    expect(sql).toContain('FROM "use1-a-invoices"."invoice_events"');
    expect(sql).toContain("WHERE measure_name = 'invoice_event'");
  });

  it("never reports an invoice whose latest event is at the terminal stage", () => {
    const sql = query();

    expect(sql).toContain(`WHERE "stage" <> 'posting'`);
    expect(cutoffOf(sql, "posting")).toBeUndefined();
  });

  it("leaves out a terminal stage even if it were given an SLA", () => {
    expect(cutoffOf(query({ stageSlasMinutes: { ...SLAS, posting: 10 } }), "posting")).toBeUndefined();
  });

  it("leaves out the pipeline canary's invoices", () => {
    expect(query()).toContain(`AND "legalEntityId" <> 'cellfleet-canary'`);
  });

  it("looks back the configured number of days from the check's instant", () => {
    expect(query()).toContain(`AND time >= from_milliseconds(${NOW - 14 * DAY})`);
    expect(query({ lookbackDays: 3 })).toContain(`AND time >= from_milliseconds(${NOW - 3 * DAY})`);
  });

  it("orders the result oldest first, with the invoice id breaking ties", () => {
    expect(query()).toMatch(/ORDER BY latest_time ASC, "invoiceId" ASC$/);
  });

  it("quotes stage names and table names so that they cannot end their literal", () => {
    const sql = query({ database: 'we"ird', stageSlasMinutes: { "o'brien": 5 }, terminalStage: "x'; DROP" });

    expect(sql).toContain(`WHEN 'o''brien' THEN`);
    expect(sql).toContain(`<> 'x''; DROP'`);
    expect(sql).toContain('FROM "we""ird"."invoice_events"');
  });

  it("is the same text for the same instant (deterministic, no now() inside)", () => {
    expect(query()).toBe(query());
    expect(query()).not.toMatch(/now\(\)|ago\(/);
  });

  it("refuses to build a query without a non-terminal stage", () => {
    expect(() => query({ stageSlasMinutes: { posting: 5 } })).toThrow(/non-terminal stage/);
  });

  it("maps a result row to a stuck invoice", () => {
    const [row] = parseRows(stuckPage([{ invoiceId: "INV-1", stage: "reconciliation", ageMinutes: 300 }]));

    expect(toStuckInvoice(row!)).toEqual({ invoiceId: "INV-1", stage: "reconciliation", latestEventTime: new Date(minutesAgo(300)) });
  });
});

describe("SQL literals", () => {
  it("doubles single quotes in strings and double quotes in identifiers", () => {
    expect(sqlString("it's")).toBe("'it''s'");
    expect(sqlString("''")).toBe("''''''");
    expect(sqlString("a\\b")).toBe("'a\\b'");
    expect(sqlIdentifier('a"b')).toBe('"a""b"');
    expect(sqlTable("db-1", "t")).toBe('"db-1"."t"');
  });

  it("writes timestamps as exact epoch milliseconds and refuses fractions", () => {
    expect(sqlTimestamp(1717416000000)).toBe("from_milliseconds(1717416000000)");
    expect(() => sqlTimestamp(1.5)).toThrow(RangeError);
    expect(() => sqlIdentifier("")).toThrow(RangeError);
  });
});

describe("Timestream rows", () => {
  it("parses every scalar type Timestream answers with", () => {
    const rows = parseRows({
      ColumnInfo: [
        { Name: "id", Type: { ScalarType: "VARCHAR" } },
        { Name: "sequence", Type: { ScalarType: "BIGINT" } },
        { Name: "ratio", Type: { ScalarType: "DOUBLE" } },
        { Name: "ok", Type: { ScalarType: "BOOLEAN" } },
        { Name: "time", Type: { ScalarType: "TIMESTAMP" } },
        { Name: "day", Type: { ScalarType: "DATE" } },
        { Name: "status", Type: { ScalarType: "VARCHAR" } },
      ],
      Rows: [
        {
          Data: [
            { ScalarValue: "INV-1" },
            { ScalarValue: "42" },
            { ScalarValue: "0.25" },
            { ScalarValue: "true" },
            { ScalarValue: "2024-06-03 11:59:58.123456789" },
            { ScalarValue: "2024-06-03" },
            { NullValue: true },
          ],
        },
      ],
    });

    expect(rows).toEqual([
      {
        id: "INV-1",
        sequence: 42,
        ratio: 0.25,
        ok: true,
        time: new Date("2024-06-03T11:59:58.123Z"),
        day: "2024-06-03",
        status: null,
      },
    ]);
  });

  it("reads timestamps with or without a fraction as UTC", () => {
    expect(parseTimestreamTimestamp("2024-06-03 12:00:00")).toBe(NOW);
    expect(parseTimestreamTimestamp("2024-06-03 12:00:00.5")).toBe(NOW + 500);
    expect(() => parseTimestreamTimestamp("yesterday")).toThrow(TimestreamRowError);
  });

  it("names the column when a row does not have the expected shape", () => {
    const [row] = parseRows(stuckPage([{ invoiceId: "INV-1", stage: "ingestion", ageMinutes: 1 }]));

    expect(() => toStuckInvoice({ ...row!, latest_time: "2024-06-03" })).toThrow(/latest_time should be a timestamp/);
    expect(() => parseRows({ ColumnInfo: [{ Name: "n", Type: { ScalarType: "BIGINT" } }], Rows: [{ Data: [{ ScalarValue: "9007199254740993" }] }] })).toThrow(
      /column n/,
    );
    expect(() => parseRows({ ColumnInfo: [{ Name: "a", Type: { ArrayColumnInfo: { Type: { ScalarType: "VARCHAR" } } } }], Rows: [{ Data: [{ ArrayValue: [] }] }] })).toThrow(
      /column a is not a scalar/,
    );
  });
});

describe("paging through a query", () => {
  const timestream = mockClient(TimestreamQueryClient);
  const client = new TimestreamQueryClient({
    region: "us-east-1",
    endpoint: "http://127.0.0.1:8000",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });

  beforeEach(() => timestream.reset());

  it("follows NextToken through empty pages (query still running) and reuses columns a page leaves out", async () => {
    const { ColumnInfo: _omitted, ...lastWithoutColumns } = stuckPage([{ invoiceId: "INV-3", stage: "ingestion", ageMinutes: 70 }], { page: 3 });
    timestream
      .on(QueryCommand)
      .resolvesOnce(stuckPage([{ invoiceId: "INV-1", stage: "ingestion", ageMinutes: 90 }], { nextToken: TOKEN.page2 }))
      .resolvesOnce({ ...stuckPage([], { nextToken: TOKEN.page3, page: 2 }) })
      .resolvesOnce({ ...lastWithoutColumns, ColumnInfo: undefined });

    const { rows, pages } = await queryAll(client, "SELECT 1");

    expect(pages).toBe(3);
    expect(rows.map((row) => row.invoiceId)).toEqual(["INV-1", "INV-3"]);
    const inputs = timestream.commandCalls(QueryCommand).map((call) => call.args[0].input);
    expect(inputs).toEqual([
      { QueryString: "SELECT 1" },
      { QueryString: "SELECT 1", NextToken: TOKEN.page2 },
      { QueryString: "SELECT 1", NextToken: TOKEN.page3 },
    ]);
  });
});
