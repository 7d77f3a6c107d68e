/**
 * API Gateway mapping templates (Velocity) for the ingest API's direct EventBridge integration.
 * Pure functions of names from config, so tests can render them with a Velocity engine.
 */
import { INGEST_EVENT_SOURCE } from "../functions/shared/invoice-event";

/** The one place the PutEvents wire protocol's headers are set (quoted: static values). */
export const PUT_EVENTS_HEADERS = {
  "integration.request.header.X-Amz-Target": "'AWSEvents.PutEvents'",
  "integration.request.header.Content-Type": "'application/x-amz-json-1.1'",
};

export interface PutEventsTemplateNames {
  readonly cell: string;
  readonly stage: string;
  readonly busName: string;
}

/**
 * Request template: one PutEvents entry whose Detail is the client's JSON object with `meta`
 * spliced in as its last member. The body is never re-serialized: it is escaped once as a
 * JSON string. `$util.escapeJavaScript` also turns `'` into `\'`, which JSON does not allow,
 * hence the `replaceAll`. `receivedAt` is `$context.requestTimeEpoch` (milliseconds); the
 * business time travels inside the body (`eventTime`), as PutEvents' `Time` has only seconds.
 */
export function putEventsRequestTemplate({ cell, stage, busName }: PutEventsTemplateNames): string {
  return [
    "#set($body = $input.body.trim())",
    // Everything before the closing brace; `meta` goes last so that it wins over any client key.
    "#set($members = $body.substring(0, $body.lastIndexOf('}')).trim())",
    "#if($members == '{')#set($separator = '')#else#set($separator = ',')#end",
    `{"Entries":[{"Source":"${INGEST_EVENT_SOURCE}","DetailType":"${stage}","EventBusName":"${busName}",` +
      `"Detail":"$util.escapeJavaScript($members).replaceAll("\\\\'", "'")$separator\\"meta\\":{\\"cell\\":\\"${cell}\\",\\"stage\\":\\"${stage}\\",` +
      `\\"receivedAt\\":$context.requestTimeEpoch,\\"requestId\\":\\"$context.requestId\\"}}"}]}`,
  ].join("\n");
}

/**
 * Response template for PutEvents' HTTP 200. PutEvents answers 200 even when it refused the
 * entry, so the template checks `FailedEntryCount`: throttled -> 429 with Retry-After, any
 * other refusal -> 503 (the client retries; nothing is silently accepted). The error code is
 * escaped as in the request template (`\'` back to `'`), and quiet (`$!`) so that a missing
 * code leaves an empty reason rather than template text in the JSON.
 */
export function putEventsResponseTemplate(): string {
  return [
    "#set($result = $input.path('$'))",
    "#if($result.FailedEntryCount > 0)",
    "#set($errorCode = $result.Entries[0].ErrorCode)",
    "#if($errorCode == 'ThrottlingException')",
    "#set($context.responseOverride.status = 429)",
    "#set($context.responseOverride.header.Retry-After = '1')",
    "#else",
    "#set($context.responseOverride.status = 503)",
    "#end",
    `{"message":"event not accepted","reason":"$!util.escapeJavaScript($errorCode).replaceAll("\\\\'", "'")","requestId":"$context.requestId"}`,
    "#else",
    `{"eventId":"$result.Entries[0].EventId","requestId":"$context.requestId"}`,
    "#end",
  ].join("\n");
}

/**
 * Response template for an EventBridge error status (the whole call failed). Throttling is
 * 429 with Retry-After; anything else is a server-side failure the client may retry.
 */
export function putEventsErrorTemplate(): string {
  return [
    "#set($errorType = $input.path('$.__type'))",
    "#if($errorType.contains('Throttling'))",
    "#set($context.responseOverride.status = 429)",
    "#set($context.responseOverride.header.Retry-After = '1')",
    "#end",
    `{"message":"event not accepted","requestId":"$context.requestId"}`,
  ].join("\n");
}

/** `GET /health`: a mock integration answering which cell and region served it. */
export const HEALTH_REQUEST_TEMPLATE = '{"statusCode": 200}';
export const healthResponseTemplate = (cell: string, region: string) =>
  `{"status":"ok","cell":"${cell}","region":"${region}"}`;
