/**
 * Invoice events and SQS records as the stage consumers receive them: shared by the consumer
 * specs and the consumer benchmark (no test-runner imports).
 */
import type { SQSEvent, SQSRecord } from "aws-lambda";
import type { InvoiceDetail } from "../../functions/shared/invoice-event";
import type { InvoiceEventBridgeEvent } from "../../functions/stage-consumer/event";

export const CELL = "use1";
export const STAGE = "reconciliation";
export const REGION = "us-east-1";
export const ACCOUNT = "123456789012";

/**
 * Every amount in the fixtures contains these digits, so a test can prove that no amount
 * reached the logs by searching the output for them.
 */
export const AMOUNT_MARKER = "918273";
const amount = (cents: number) => Number(`${AMOUNT_MARKER}${cents}.25`);

export function invoiceDetail(overrides: Partial<InvoiceDetail> = {}): InvoiceDetail {
  return {
    invoiceId: "INV-2025-000001",
    payeeCode: "PAYEE-42",
    legalEntityId: "LE-DE-01",
    invoiceDate: "2025-01-31",
    invoiceDueDate: "2025-03-02",
    invoiceAmount: amount(1),
    currency: "EUR",
    ppv: amount(2),
    pqv: amount(3),
    matchedAmount: amount(4),
    authorizedAmount: amount(5),
    status: "matched",
    eventTime: "2025-01-31T10:15:30.250+01:00",
    sequence: 3,
    meta: { cell: CELL, stage: STAGE, receivedAt: 1738314931000, requestId: "c0ffee00-1111-4222-8333-444455556666" },
    ...overrides,
  };
}

export function invoiceEvent(
  detail: Partial<InvoiceDetail> = {},
  envelope: Partial<InvoiceEventBridgeEvent> = {},
): InvoiceEventBridgeEvent {
  return {
    version: "0",
    id: "6f1c2b9e-8a4d-4e1f-9b7a-0c3d5e7f9a1b",
    "detail-type": STAGE,
    source: "cellfleet.ingest",
    account: ACCOUNT,
    time: "2025-01-31T09:15:31Z",
    region: REGION,
    resources: [],
    detail: invoiceDetail(detail),
    ...envelope,
  };
}

/** An invoice as a client POSTs it to the API: no `meta`, which the API edge stamps. */
export const CLIENT_INVOICE = {
  invoiceId: "INV-2026-000123",
  payeeCode: "P-0042",
  legalEntityId: "LE-DE-01",
  invoiceDate: "2026-01-02",
  invoiceDueDate: "2026-02-01",
  invoiceAmount: 1250.75,
  currency: "EUR",
  eventTime: "2026-01-02T10:15:30.250Z",
  sequence: 3,
} as const;

/** A numbered invoice, so batches have distinct invoices, event ids and amounts. */
export function numberedInvoiceEvent(n: number, detail: Partial<InvoiceDetail> = {}): InvoiceEventBridgeEvent {
  return invoiceEvent(
    { invoiceId: `INV-${String(n).padStart(6, "0")}`, invoiceAmount: amount(100 + n), ...detail },
    { id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}` },
  );
}

export interface SqsRecordOptions {
  messageId?: string;
  /** FIFO queues set it (the pipe uses detail.invoiceId). */
  messageGroupId?: string;
}

/** An SQS record as Lambda delivers it from a stage queue; `body` is the EventBridge event. */
export function sqsRecord(body: InvoiceEventBridgeEvent | string, options: SqsRecordOptions = {}): SQSRecord {
  const messageId = options.messageId ?? "059f36b4-87a3-44ab-83d2-661975830a7d";
  const fifo = options.messageGroupId !== undefined;
  const queue = fifo ? `${CELL}-${STAGE}.fifo` : `${CELL}-${STAGE}`;
  return {
    messageId,
    receiptHandle: `AQEB${messageId.replaceAll("-", "")}==`,
    body: typeof body === "string" ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: "1738314931500",
      SenderId: "AROAEXAMPLE:pipe-session",
      ApproximateFirstReceiveTimestamp: "1738314931600",
      ...(fifo
        ? {
            MessageGroupId: options.messageGroupId,
            MessageDeduplicationId: messageId,
            SequenceNumber: "18890000000000000000",
          }
        : {}),
    },
    messageAttributes: {},
    md5OfBody: "e4e68fb7bd0e697a0ae8f1bb342846b3",
    eventSource: "aws:sqs",
    eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:${queue}`,
    awsRegion: REGION,
  };
}

export function sqsEvent(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

