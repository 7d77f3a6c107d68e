import { InvoiceEventSchema, type InvoiceEvent } from "../shared/invoice-event";
import { CANARY_INVOICE_PREFIX, CANARY_LEGAL_ENTITY, CANARY_PAYEE } from "../shared/synthetic";

/** The status that marks a canary event in every stage's records. */
export const CANARY_STATUS = "synthetic";

/** Small and constant, so canary rows are easy to recognise and never move a total noticeably. */
export const CANARY_AMOUNT = 1;
export const CANARY_CURRENCY = "USD";

/** The canary's invoice id in a cell at a moment: unique per run, traceable to its cell. */
export function canaryInvoiceId(cellId: string, epochMillis: number): string {
  return `${CANARY_INVOICE_PREFIX}${cellId}-${epochMillis}`;
}

/** The event builder produced something the API would refuse: the schema changed under it. */
export class CanaryEventError extends Error {
  override readonly name = "CanaryEventError";
}

/**
 * The synthetic invoice event of one canary run: a real invoice event of the canary tenant
 * (legal entity and payee), status "synthetic", dated at `epochMillis`. Validated with the
 * schema the API's request model is generated from, so a schema change that the builder does
 * not follow fails here, before anything is sent.
 */
export function buildCanaryEvent(cellId: string, epochMillis: number): InvoiceEvent {
  const now = new Date(epochMillis);
  const today = now.toISOString().slice(0, 10);
  const candidate: InvoiceEvent = {
    invoiceId: canaryInvoiceId(cellId, epochMillis),
    payeeCode: CANARY_PAYEE,
    legalEntityId: CANARY_LEGAL_ENTITY,
    invoiceDate: today,
    invoiceDueDate: today,
    invoiceAmount: CANARY_AMOUNT,
    currency: CANARY_CURRENCY,
    status: CANARY_STATUS,
    eventTime: now.toISOString(),
    sequence: 0,
  };
  const result = InvoiceEventSchema.safeParse(candidate);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".") || "(event)"}: ${issue.message}`);
    throw new CanaryEventError(`The canary event breaks the invoice event schema: ${problems.join("; ")}`);
  }
  return result.data;
}
