import { MeasureValueType, TimeUnit, type MeasureValue, type _Record } from "@aws-sdk/client-timestream-write";
import type { InvoiceEventBridgeEvent } from "./event";

/** Multi-measure name of every invoice record in a cell's table. */
export const INVOICE_MEASURE_NAME = "invoice_event";

const AMOUNT_MEASURES = ["invoiceAmount", "ppv", "pqv", "matchedAmount", "authorizedAmount"] as const;

export interface RecordContext {
  /** Region the consumer runs in (becomes the `region` dimension). */
  region: string;
}

/**
 * Maps an ingested invoice event to one Timestream multi-measure record.
 *
 * Everything comes from the event, nothing from the clock, so a redelivered or replayed event
 * maps to the identical record: Timestream accepts it as an idempotent rewrite.
 */
export function toTimestreamRecord(event: InvoiceEventBridgeEvent, { region }: RecordContext): _Record {
  const { detail } = event;
  const time = Date.parse(detail.eventTime);
  if (!Number.isFinite(time)) throw new RangeError("detail.eventTime is not a valid date-time");

  const amounts: MeasureValue[] = AMOUNT_MEASURES.flatMap((name) => {
    const value = detail[name];
    // Absent optional amounts are left out: Timestream rejects empty measure values.
    return value === undefined ? [] : [{ Name: name, Value: String(value), Type: MeasureValueType.DOUBLE }];
  });
  const text = (name: string, value: string | undefined): MeasureValue[] =>
    value === undefined ? [] : [{ Name: name, Value: value, Type: MeasureValueType.VARCHAR }];

  return {
    Dimensions: [
      { Name: "invoiceId", Value: detail.invoiceId },
      { Name: "stage", Value: detail.meta.stage },
      { Name: "cell", Value: detail.meta.cell },
      { Name: "region", Value: region },
      { Name: "payeeCode", Value: detail.payeeCode },
      { Name: "legalEntityId", Value: detail.legalEntityId },
    ],
    MeasureName: INVOICE_MEASURE_NAME,
    MeasureValueType: MeasureValueType.MULTI,
    MeasureValues: [
      ...amounts,
      ...text("invoiceDate", detail.invoiceDate),
      ...text("invoiceDueDate", detail.invoiceDueDate),
      ...text("currency", detail.currency),
      ...text("status", detail.status),
      ...text("requestId", detail.meta.requestId),
      { Name: "receivedAt", Value: String(detail.meta.receivedAt), Type: MeasureValueType.TIMESTAMP },
      // The record's Version is not queryable; the sequence is, for tracing an invoice.
      { Name: "sequence", Value: String(detail.sequence), Type: MeasureValueType.BIGINT },
    ],
    Time: String(time),
    TimeUnit: TimeUnit.MILLISECONDS,
    Version: recordVersion(detail.sequence),
  };
}

/**
 * Timestream keeps the record with the highest Version and requires Version >= 1, while
 * sequences start at 0: shifting by one keeps the order and makes sequence 0 writable.
 */
export function recordVersion(sequence: number): number {
  return sequence + 1;
}

export interface ConsumerIdentity {
  /** The stage this function consumes. */
  stage: string;
  /** The cell this function belongs to. */
  cellId: string;
}

export type RoutingCheck = { routed: true } | { routed: false; reason: string };

/**
 * An event must have been ingested for this function's stage and cell. The one exception is a
 * disaster-recovery replay into this cell (`replay-name` = `dr-<cellId>-...`, see the archive
 * hub): it carries the lost cell's `meta.cell`, which stays the record's `cell` dimension.
 */
export function checkRouting(event: InvoiceEventBridgeEvent, expected: ConsumerIdentity): RoutingCheck {
  const { meta } = event.detail;
  if (meta.stage !== expected.stage) {
    return { routed: false, reason: `detail.meta.stage is "${meta.stage}", this consumer serves "${expected.stage}"` };
  }
  const replayName = event["replay-name"];
  const isDrReplayIntoThisCell = replayName?.startsWith(`dr-${expected.cellId}-`) ?? false;
  if (meta.cell !== expected.cellId && !isDrReplayIntoThisCell) {
    return { routed: false, reason: `detail.meta.cell is "${meta.cell}", this consumer belongs to "${expected.cellId}"` };
  }
  return { routed: true };
}
