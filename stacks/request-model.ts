import { z } from "zod";
import { InvoiceEventSchema } from "../functions/shared/invoice-event";

/**
 * The ingest API's request model: the consumers' zod invoice schema as JSON Schema draft 4 (the
 * dialect API Gateway validates with), so the edge and the consumers agree on what an event is.
 */
export function invoiceRequestModelSchema(): Record<string, unknown> {
  return z.toJSONSchema(InvoiceEventSchema, { target: "draft-04", io: "input" }) as Record<string, unknown>;
}
