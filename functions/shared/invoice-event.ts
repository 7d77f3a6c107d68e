import { z } from "zod";

/**
 * The one invoice event schema. The consumers parse with it, the API request models are
 * generated from it (`z.toJSONSchema`), and the README documents it. Change it here only.
 */

/** Amounts are plain JSON numbers; they must be finite and fit a Timestream DOUBLE. */
const amount = z.number().finite();

/**
 * An invoice id becomes an SQS FIFO MessageGroupId (<= 128 chars of alphanumerics and
 * punctuation) and a Timestream dimension value. Every bracket and backslash in the class is
 * escaped, so Java's regex dialect (API Gateway's validator) reads it as JavaScript does.
 */
export const INVOICE_ID_PATTERN = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]{1,128}$/;

/** What a client sends to `POST /invoices/{stage}`. */
export const InvoiceEventSchema = z
  .object({
    invoiceId: z.string().regex(INVOICE_ID_PATTERN, "1-128 letters, digits or punctuation"),
    payeeCode: z.string().min(1).max(64),
    legalEntityId: z.string().min(1).max(64),
    invoiceDate: z.iso.date(),
    invoiceDueDate: z.iso.date(),
    invoiceAmount: amount,
    currency: z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 code such as EUR"),
    ppv: amount.optional().describe("purchase price variance"),
    pqv: amount.optional().describe("purchase quantity variance"),
    matchedAmount: amount.optional(),
    authorizedAmount: amount.optional(),
    status: z.string().min(1).max(64).optional().describe("the stage's outcome, e.g. matched, on-hold"),
    eventTime: z.iso
      .datetime({ offset: true })
      .describe("when the business event happened (becomes the Timestream record time)"),
    sequence: z
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .describe("per-invoice event sequence; a higher sequence supersedes a lower one (Timestream Version)"),
  })
  .strict();
export type InvoiceEvent = z.infer<typeof InvoiceEventSchema>;

/** What the ingest API stamps on every accepted event, in `detail.meta`. */
export const IngestMetaSchema = z.object({
  cell: z.string().min(1),
  stage: z.string().min(1),
  receivedAt: z.number().int().describe("epoch milliseconds at the API edge"),
  requestId: z.string().min(1),
});
export type IngestMeta = z.infer<typeof IngestMetaSchema>;

/** The EventBridge `detail` of an ingested invoice event. */
export const InvoiceDetailSchema = InvoiceEventSchema.extend({ meta: IngestMetaSchema });
export type InvoiceDetail = z.infer<typeof InvoiceDetailSchema>;

/** EventBridge `source` of events the ingest API puts on a cell bus. */
export const INGEST_EVENT_SOURCE = "cellfleet.ingest";
