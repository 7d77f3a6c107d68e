import { describe, expect, it } from "vitest";
import { buildCanaryEvent, CanaryEventError } from "../../functions/pipeline-canary/event";
import { arrivalQuery } from "../../functions/pipeline-canary/store";
import { parseTimestamp, quoteIdentifier, stringLiteral, toScalarRow } from "../../functions/pipeline-canary/timestream-query";
import { InvoiceEventSchema } from "../../functions/shared/invoice-event";
import { CANARY_INVOICE_PREFIX, CANARY_LEGAL_ENTITY, CANARY_PAYEE } from "../../functions/shared/synthetic";

const NOW = Date.UTC(2026, 10, 25, 23, 59, 58, 123);

describe("buildCanaryEvent", () => {
  it("builds an invoice event the API's schema accepts", () => {
    expect(InvoiceEventSchema.safeParse(buildCanaryEvent("use1-a", NOW)).success).toBe(true);
  });

  it("marks the event synthetic: the canary tenant, payee and status", () => {
    expect(buildCanaryEvent("use1-a", NOW)).toMatchObject({
      legalEntityId: CANARY_LEGAL_ENTITY,
      payeeCode: CANARY_PAYEE,
      status: "synthetic",
    });
  });

  it("names the invoice after the cell and the moment, dated now", () => {
    expect(buildCanaryEvent("use1-a", NOW)).toEqual({
      invoiceId: `${CANARY_INVOICE_PREFIX}use1-a-${NOW}`,
      payeeCode: CANARY_PAYEE,
      legalEntityId: CANARY_LEGAL_ENTITY,
      invoiceDate: "2026-11-25",
      invoiceDueDate: "2026-11-25",
      invoiceAmount: 1,
      currency: "USD",
      status: "synthetic",
      eventTime: "2026-11-25T23:59:58.123Z",
      sequence: 0,
    });
  });

  it("is pure: the same cell and moment give the same event", () => {
    expect(buildCanaryEvent("euw1-a", NOW)).toEqual(buildCanaryEvent("euw1-a", NOW));
  });

  it("refuses to build an event the API would refuse, naming the field", () => {
    expect(() => buildCanaryEvent("x".repeat(120), NOW)).toThrow(CanaryEventError);
    expect(() => buildCanaryEvent("x".repeat(120), NOW)).toThrow(/invoiceId/);
  });
});

describe("the arrival query", () => {
  const lookup = {
    database: "use1-a-invoices",
    table: "invoice_events",
    invoiceId: "canary-use1-a-1",
    stage: "ingestion",
    cellId: "use1-a",
    eventTimeMillis: NOW,
  };

  it("asks for at most one row", () => {
    expect(arrivalQuery(lookup)).toMatch(/ LIMIT 1$/);
  });

  it("escapes quotes in names and values", () => {
    const query = arrivalQuery({ ...lookup, database: 'db"x', invoiceId: "it's", stage: "o'clock", cellId: "c'" });

    expect(query).toContain(`FROM "db""x"."invoice_events"`);
    expect(query).toContain(`invoiceId = 'it''s'`);
    expect(query).toContain(`stage = 'o''clock'`);
    expect(query).toContain(`cell = 'c'''`);
  });
});

describe("Timestream query helpers", () => {
  it("quotes literals and identifiers by doubling their quote character", () => {
    expect(stringLiteral("a'b''c")).toBe("'a''b''''c'");
    expect(quoteIdentifier('t"x')).toBe('"t""x"');
  });

  it("turns a row into an object by column name, NULL as null", () => {
    const row = toScalarRow([{ Name: "a", Type: {} }, { Name: "b", Type: {} }], { Data: [{ ScalarValue: "1" }, { NullValue: true }] });
    expect(row).toEqual({ a: "1", b: null });
  });

  it.each([
    ["2026-11-25 10:00:00.123456789", Date.UTC(2026, 10, 25, 10, 0, 0, 123)],
    ["2026-11-25 10:00:00.5", Date.UTC(2026, 10, 25, 10, 0, 0, 500)],
    ["2026-11-25 10:00:00", Date.UTC(2026, 10, 25, 10, 0, 0)],
    ["not a time", undefined],
    [null, undefined],
  ])("reads the TIMESTAMP %j as epoch milliseconds", (value, expected) => {
    expect(parseTimestamp(value)).toBe(expected);
  });
});
