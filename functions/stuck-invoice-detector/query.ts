import { CANARY_LEGAL_ENTITY } from "../shared/synthetic";
import { INVOICE_MEASURE_NAME } from "../stage-consumer/record";
import {
  column,
  sqlIdentifier,
  sqlString,
  sqlTable,
  sqlTimestamp,
  type TimestreamRow,
} from "../shared/timestream-query";

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

export interface StuckInvoiceQueryInput {
  database: string;
  table: string;
  /** Non-terminal stages with their SLA in minutes; a stage not listed is never stuck. */
  stageSlasMinutes: Readonly<Record<string, number>>;
  /** The last stage of the journey: an invoice whose latest event is there is done. */
  terminalStage: string;
  /** Only events this recent count; an invoice quiet for longer drops out of the check. */
  lookbackDays: number;
  /** The moment the check is made (epoch ms); ages and cut-offs are relative to it. */
  now: number;
}

/** Column names of the query's result. */
export const StuckColumn = { invoiceId: "invoiceId", stage: "stage", latestTime: "latest_time" } as const;

/**
 * One query for every stuck invoice of a cell: per invoice, the stage of its latest event (by
 * business time) within the lookback window, kept when that stage is not terminal and the event
 * is older than the stage's SLA. Canary invoices are left out. Oldest first.
 *
 * Cut-offs are literals computed from `now`, so the text is deterministic and the ages reported
 * are measured from the same instant as the filter.
 */
export function buildStuckInvoiceQuery(input: StuckInvoiceQueryInput): string {
  const { now, lookbackDays, terminalStage } = input;
  const stages = Object.entries(input.stageSlasMinutes).filter(([stage]) => stage !== terminalStage);
  if (stages.length === 0) throw new RangeError("at least one non-terminal stage needs an SLA");

  const invoiceId = sqlIdentifier(StuckColumn.invoiceId);
  const stage = sqlIdentifier("stage");
  const legalEntityId = sqlIdentifier("legalEntityId");
  const cutoffs = stages
    .map(([name, minutes]) => `      WHEN ${sqlString(name)} THEN ${sqlTimestamp(now - minutes * MINUTE_MS)}`)
    .join("\n");

  return [
    "WITH latest AS (",
    `  SELECT ${invoiceId},`,
    `    max_by(${stage}, time) AS ${sqlIdentifier(StuckColumn.stage)},`,
    `    max(time) AS ${StuckColumn.latestTime}`,
    `  FROM ${sqlTable(input.database, input.table)}`,
    `  WHERE measure_name = ${sqlString(INVOICE_MEASURE_NAME)}`,
    `    AND time >= ${sqlTimestamp(now - lookbackDays * DAY_MS)}`,
    `    AND ${legalEntityId} <> ${sqlString(CANARY_LEGAL_ENTITY)}`,
    `  GROUP BY ${invoiceId}`,
    ")",
    `SELECT ${sqlIdentifier(StuckColumn.invoiceId)}, ${sqlIdentifier(StuckColumn.stage)}, ${StuckColumn.latestTime}`,
    "FROM latest",
    `WHERE ${sqlIdentifier(StuckColumn.stage)} <> ${sqlString(terminalStage)}`,
    // No WHEN matches an unknown stage: its cut-off is NULL and the comparison is never true.
    `  AND ${StuckColumn.latestTime} < CASE ${sqlIdentifier(StuckColumn.stage)}`,
    cutoffs,
    "    END",
    `ORDER BY ${StuckColumn.latestTime} ASC, ${sqlIdentifier(StuckColumn.invoiceId)} ASC`,
  ].join("\n");
}

export interface StuckInvoice {
  invoiceId: string;
  stage: string;
  /** Business time of the invoice's latest event. */
  latestEventTime: Date;
}

export function toStuckInvoice(row: TimestreamRow): StuckInvoice {
  return {
    invoiceId: column.string(row, StuckColumn.invoiceId),
    stage: column.string(row, StuckColumn.stage),
    latestEventTime: column.time(row, StuckColumn.latestTime),
  };
}
