import { describe, expect, it } from "vitest";
import { parseStageRecord } from "../../functions/stage-consumer/event";
import { checkRouting, INVOICE_MEASURE_NAME, toTimestreamRecord } from "../../functions/stage-consumer/record";
import { CELL, invoiceEvent, REGION, sqsRecord, STAGE } from "./stage-consumer.fixtures";

const measures = (event = invoiceEvent()): Record<string, { value?: string; type?: string }> =>
  Object.fromEntries(
    (toTimestreamRecord(event, { region: REGION }).MeasureValues ?? []).map((m) => [m.Name, { value: m.Value, type: m.Type }]),
  );

describe("toTimestreamRecord", () => {
  it("writes one multi-measure invoice_event record", () => {
    const record = toTimestreamRecord(invoiceEvent(), { region: REGION });
    expect(record.MeasureName).toBe(INVOICE_MEASURE_NAME);
    expect(record.MeasureName).toBe("invoice_event");
    expect(record.MeasureValueType).toBe("MULTI");
    expect(record.MeasureValue).toBeUndefined();
  });

  it("dimensions the record by invoice, stage and cell from the ingest meta, region, payee and legal entity", () => {
    const event = invoiceEvent({ meta: { cell: "usw2", stage: "posting", receivedAt: 1, requestId: "r" } });
    expect(toTimestreamRecord(event, { region: "us-west-2" }).Dimensions).toEqual([
      { Name: "invoiceId", Value: "INV-2025-000001" },
      { Name: "stage", Value: "posting" },
      { Name: "cell", Value: "usw2" },
      { Name: "region", Value: "us-west-2" },
      { Name: "payeeCode", Value: "PAYEE-42" },
      { Name: "legalEntityId", Value: "LE-DE-01" },
    ]);
  });

  it("stores amounts as DOUBLE, dates, currency, status and ids as VARCHAR, receivedAt as TIMESTAMP", () => {
    const event = invoiceEvent();
    const { detail } = event;
    expect(measures(event)).toEqual({
      invoiceAmount: { value: String(detail.invoiceAmount), type: "DOUBLE" },
      ppv: { value: String(detail.ppv), type: "DOUBLE" },
      pqv: { value: String(detail.pqv), type: "DOUBLE" },
      matchedAmount: { value: String(detail.matchedAmount), type: "DOUBLE" },
      authorizedAmount: { value: String(detail.authorizedAmount), type: "DOUBLE" },
      invoiceDate: { value: "2025-01-31", type: "VARCHAR" },
      invoiceDueDate: { value: "2025-03-02", type: "VARCHAR" },
      currency: { value: "EUR", type: "VARCHAR" },
      status: { value: "matched", type: "VARCHAR" },
      requestId: { value: detail.meta.requestId, type: "VARCHAR" },
      receivedAt: { value: "1738314931000", type: "TIMESTAMP" },
      sequence: { value: String(detail.sequence), type: "BIGINT" },
    });
  });

  it("leaves out absent optional measures, since Timestream rejects empty values", () => {
    const event = invoiceEvent({
      ppv: undefined,
      pqv: undefined,
      matchedAmount: undefined,
      authorizedAmount: undefined,
      status: undefined,
    });
    const names = Object.keys(measures(event));
    expect(names).toEqual(["invoiceAmount", "invoiceDate", "invoiceDueDate", "currency", "requestId", "receivedAt", "sequence"]);
    for (const value of Object.values(measures(event))) expect(value.value).not.toBe("");
  });

  it("keeps a zero amount (zero is a value, not an absence)", () => {
    expect(measures(invoiceEvent({ ppv: 0 })).ppv).toEqual({ value: "0", type: "DOUBLE" });
  });

  it("times the record at the business event time in epoch milliseconds, honouring the offset", () => {
    const record = toTimestreamRecord(invoiceEvent({ eventTime: "2025-01-31T10:15:30.250+01:00" }), { region: REGION });
    expect(record.Time).toBe(String(Date.UTC(2025, 0, 31, 9, 15, 30, 250)));
    expect(record.TimeUnit).toBe("MILLISECONDS");
  });

  it("versions the record by sequence so a later sequence supersedes an earlier one, starting at 1", () => {
    const version = (sequence: number) => toTimestreamRecord(invoiceEvent({ sequence }), { region: REGION }).Version!;
    expect(version(0)).toBe(1);
    expect(version(7)).toBeGreaterThan(version(6));
    expect(version(Number.MAX_SAFE_INTEGER)).toBeGreaterThan(version(Number.MAX_SAFE_INTEGER - 1));
  });

  it("maps a replay of an event to the identical record (an idempotent rewrite)", () => {
    const original = invoiceEvent();
    const replayed = invoiceEvent({}, { "replay-name": "dr-use1-20250131T1200Z", time: "2025-02-01T12:00:00Z" });
    expect(toTimestreamRecord(replayed, { region: REGION })).toEqual(toTimestreamRecord(original, { region: REGION }));
  });

  it("depends on nothing but the event: mapping twice gives the same record", () => {
    const event = invoiceEvent();
    expect(toTimestreamRecord(event, { region: REGION })).toEqual(toTimestreamRecord(structuredClone(event), { region: REGION }));
  });
});

describe("checkRouting", () => {
  const consumer = { stage: STAGE, cellId: CELL };
  const meta = (cell: string, stage: string) => ({ cell, stage, receivedAt: 1, requestId: "r" });

  it("accepts an event ingested for this stage and cell", () => {
    expect(checkRouting(invoiceEvent(), consumer)).toEqual({ routed: true });
  });

  it("refuses an event of another stage and names both stages", () => {
    const check = checkRouting(invoiceEvent({ meta: meta(CELL, "authorization") }), consumer);
    expect(check.routed).toBe(false);
    expect(check).toMatchObject({ reason: expect.stringMatching(/authorization.*reconciliation/) });
  });

  it("refuses an event ingested by another cell", () => {
    expect(checkRouting(invoiceEvent({ meta: meta("use2", STAGE) }), consumer).routed).toBe(false);
  });

  it("refuses another cell's event replayed under some other name", () => {
    const event = invoiceEvent({ meta: meta("use2", STAGE) }, { "replay-name": "dr-use2-20250131T1200Z" });
    expect(checkRouting(event, consumer).routed).toBe(false);
  });

  it("accepts a lost cell's event in a disaster-recovery replay into this cell (dr-<cellId>-...)", () => {
    const event = invoiceEvent({ meta: meta("use2", STAGE) }, { "replay-name": "dr-use1-20250131T1200Z" });
    expect(checkRouting(event, consumer)).toEqual({ routed: true });
  });

  it("refuses a disaster-recovery replay of another stage even into this cell", () => {
    const event = invoiceEvent({ meta: meta("use2", "posting") }, { "replay-name": "dr-use1-20250131T1200Z" });
    expect(checkRouting(event, consumer).routed).toBe(false);
  });
});

describe("parseStageRecord", () => {
  it("returns the EventBridge event of a valid stage-queue message", () => {
    const event = invoiceEvent({}, { "replay-name": "dr-use1-20250131T1200Z" });
    expect(parseStageRecord(sqsRecord(event))).toEqual({ success: true, event });
  });

  it("reports a body that is not JSON at path body, without quoting it", () => {
    const result = parseStageRecord(sqsRecord('{"invoiceAmount": 918273'));
    expect(result).toEqual({ success: false, issues: [{ path: "body", code: "custom" }] });
  });

  it("reports schema failures by path and code only", () => {
    const event = invoiceEvent();
    const body = JSON.stringify({ ...event, detail: { ...event.detail, invoiceAmount: "918273.00", currency: "euro" } });
    const result = parseStageRecord(sqsRecord(body));
    expect(result.success).toBe(false);
    expect(!result.success && result.issues).toEqual([
      { path: "body.detail.invoiceAmount", code: "invalid_type" },
      { path: "body.detail.currency", code: "invalid_format" },
    ]);
  });

  it("refuses an event without the ingest meta", () => {
    const { meta: _meta, ...detail } = invoiceEvent().detail;
    const result = parseStageRecord(sqsRecord(JSON.stringify({ ...invoiceEvent(), detail })));
    expect(!result.success && result.issues.map((issue) => issue.path)).toEqual(["body.detail.meta"]);
  });

  it("refuses fields the invoice schema does not know", () => {
    const event = invoiceEvent();
    const body = JSON.stringify({ ...event, detail: { ...event.detail, discount: 5 } });
    expect(parseStageRecord(sqsRecord(body)).success).toBe(false);
  });

  it("refuses a message that is not an SQS record", () => {
    const { attributes: _attributes, ...record } = sqsRecord(invoiceEvent());
    const result = parseStageRecord(record as never);
    expect(!result.success && result.issues.map((issue) => issue.path)).toContain("attributes");
  });
});
