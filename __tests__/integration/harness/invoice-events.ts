/**
 * Invoice events as the ingest API puts them on a cell bus (stacks/ingest-templates.ts): the
 * client's body, validated by the one schema, with `meta` stamped; source `cellfleet.ingest`;
 * detail-type = the stage.
 */
import { randomUUID } from "node:crypto";
import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import {
  INGEST_EVENT_SOURCE,
  InvoiceDetailSchema,
  InvoiceEventSchema,
  type InvoiceDetail,
  type InvoiceEvent,
} from "../../../functions/shared/invoice-event";
import type { Emulator } from "./emulator";
import type { CellView } from "./fleet";

let counter = 0;

/** An invoice id no other test uses (the emulator's archive keeps events across tests of a file). */
export function uniqueInvoiceId(label: string): string {
  counter += 1;
  return `INV-${label}-${process.pid}-${counter}-${randomUUID().slice(0, 8)}`;
}

/** What a client posts to `POST /invoices/{stage}`, validated by InvoiceEventSchema. */
export function invoiceBody(overrides: Partial<InvoiceEvent> = {}): InvoiceEvent {
  return InvoiceEventSchema.parse({
    invoiceId: uniqueInvoiceId("it"),
    payeeCode: "PAYEE-0042",
    legalEntityId: "LE-DE-01",
    invoiceDate: "2025-01-31",
    invoiceDueDate: "2025-03-02",
    invoiceAmount: 1250.5,
    currency: "EUR",
    ppv: 1.25,
    matchedAmount: 1250.5,
    status: "received",
    eventTime: "2025-01-31T10:15:30.250+01:00",
    sequence: 0,
    ...overrides,
  });
}

/** The detail the ingest API puts on the bus: the body plus `meta`. */
export function ingestedDetail(cellId: string, stage: string, body: InvoiceEvent): InvoiceDetail {
  return InvoiceDetailSchema.parse({
    ...body,
    meta: { cell: cellId, stage, receivedAt: Date.parse("2025-01-31T09:15:31.000Z"), requestId: randomUUID() },
  });
}

export interface PutResult {
  readonly eventId: string;
  readonly detail: InvoiceDetail;
}

/** Puts one ingested event on the cell's bus, as the ingest API's PutEvents integration does. */
export async function putIngested(emulator: Emulator, cell: CellView, stage: string, body: InvoiceEvent): Promise<PutResult> {
  const detail = ingestedDetail(cell.id, stage, body);
  const eventId = await putDetail(emulator, cell, stage, detail);
  return { eventId, detail };
}

/** Puts any detail (also an invalid one) on the cell's bus with the ingest source. */
export async function putDetail(emulator: Emulator, cell: CellView, stage: string, detail: unknown): Promise<string> {
  const response = await emulator.events(cell.region).send(
    new PutEventsCommand({
      Entries: [{ Source: INGEST_EVENT_SOURCE, DetailType: stage, EventBusName: cell.bus.name, Detail: JSON.stringify(detail) }],
    }),
  );
  const entry = response.Entries?.[0];
  if (response.FailedEntryCount || !entry?.EventId) {
    throw new Error(`PutEvents on ${cell.bus.name} refused the entry: ${JSON.stringify(response.Entries)}`);
  }
  return entry.EventId;
}
