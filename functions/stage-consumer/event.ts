import { parse } from "@aws-lambda-powertools/parser";
import { JSONStringified } from "@aws-lambda-powertools/parser/helpers";
import { EventBridgeSchema } from "@aws-lambda-powertools/parser/schemas/eventbridge";
import { SqsRecordSchema } from "@aws-lambda-powertools/parser/schemas/sqs";
import type { SQSRecord } from "aws-lambda";
import type { z } from "zod";
import { InvoiceDetailSchema } from "../shared/invoice-event";

/**
 * The EventBridge event a stage queue delivers: in both delivery modes the SQS body is the
 * original event (SNS raw delivery; the FIFO pipe forwards it unchanged).
 */
export const InvoiceEventBridgeEventSchema = EventBridgeSchema.extend({ detail: InvoiceDetailSchema });
export type InvoiceEventBridgeEvent = z.infer<typeof InvoiceEventBridgeEventSchema>;

/** One SQS record of a stage queue, body parsed from JSON. */
export const StageQueueRecordSchema = SqsRecordSchema.extend({
  body: JSONStringified(InvoiceEventBridgeEventSchema),
});

/**
 * Where a message failed validation, without what it contained: issue messages may quote
 * input (a JSON syntax error quotes the body), so only paths and codes leave this module.
 */
export interface IssueLocation {
  path: string;
  code: string;
}

export type StageRecordParseResult =
  | { success: true; event: InvoiceEventBridgeEvent }
  | { success: false; issues: IssueLocation[] };

export function parseStageRecord(record: SQSRecord): StageRecordParseResult {
  const result = parse(record, undefined, StageQueueRecordSchema, true);
  if (result.success) return { success: true, event: result.data.body };
  return { success: false, issues: issueLocations(result.error.cause) };
}

function issueLocations(cause: unknown): IssueLocation[] {
  if (!Array.isArray(cause)) return [{ path: "", code: "unknown" }];
  return cause.map((issue: { path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>; code?: unknown }) => ({
    path: (issue.path ?? []).map((segment) => String(typeof segment === "object" ? segment.key : segment)).join("."),
    code: typeof issue.code === "string" ? issue.code : "invalid",
  }));
}
