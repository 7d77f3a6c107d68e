/**
 * The pipeline canary's events are real invoice events marked as synthetic by their tenant
 * (legal entity). Business views and the stuck-invoice detector leave them out.
 */
export const CANARY_LEGAL_ENTITY = "cellfleet-canary";
export const CANARY_PAYEE = "cellfleet-canary";
/** Canary invoice ids start with this, followed by the cell id and a timestamp. */
export const CANARY_INVOICE_PREFIX = "canary-";
