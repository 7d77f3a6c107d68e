import { CANARY_LEGAL_ENTITY } from "../../functions/shared/synthetic";

/**
 * The custom SQL behind the analytics datasets, over the invoice events the stage consumers
 * write (`functions/stage-consumer/record.ts`): one multi-measure record `invoice_event` per
 * stage event, dimensions `invoiceId, stage, cell, region, payeeCode, legalEntityId`, `time` =
 * the business event time.
 *
 * Every query unions the tables it is given (the cells whose store is in one region: a QuickSight
 * Timestream data source reads its own region only), bounds each branch by `time` (what
 * Timestream prunes on) and leaves the pipeline canary's synthetic tenant out. Heavy lifting
 * (per-invoice reduction, percentiles) happens in Timestream, so what QuickSight holds is small.
 */

/** The measure name of every invoice record (`INVOICE_MEASURE_NAME`; a spec keeps the two equal). */
export const INVOICE_MEASURE = "invoice_event";

/** A SQL string literal: quotes doubled, so the value cannot end the literal. */
export const sqlString = (value: string) => `'${value.replaceAll("'", "''")}'`;
/** A quoted identifier: database names hold hyphens and measure names are camelCase. */
export const sqlIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** QuickSight's column types (`InputColumn.Type`). */
export type ColumnType = "STRING" | "INTEGER" | "DECIMAL" | "DATETIME";
export interface DataSetColumn {
  readonly name: string;
  readonly type: ColumnType;
}

/** One cell's Timestream table. */
export interface InvoiceTable {
  readonly cell: string;
  readonly database: string;
  readonly table: string;
}

/** A stage of the journey as the queries need it. */
export interface JourneyStage {
  readonly name: string;
  /** Minutes an invoice may rest here before it is stuck (ignored for the terminal stage). */
  readonly slaMinutes: number;
  readonly terminal: boolean;
}

/** What every query is built from. */
export interface QueryScope {
  /** The tables one query unions (one region's cells), in a stable order. */
  readonly tables: readonly InvoiceTable[];
  /** The journey in order; exactly one stage is terminal. */
  readonly stages: readonly JourneyStage[];
}

/** A dataset's SQL and the columns it returns. */
export interface InvoiceQuery {
  readonly sql: string;
  readonly columns: readonly DataSetColumn[];
}

/** A Timestream relative time: `ago(30d)`. */
type Window = `${number}${"d" | "h" | "m"}`;

const q = sqlIdentifier;

/**
 * `events AS (...)`: the named measures of every table in scope, newer than `window`, canary
 * tenant excluded, as one UNION ALL.
 */
function eventsCte(tables: readonly InvoiceTable[], columns: readonly string[], window: Window): string {
  if (tables.length === 0) throw new RangeError("a query needs at least one cell's table");
  const select = [...columns.map(q), "time"].join(", ");
  const branches = tables.map((table) =>
    [
      `  SELECT ${select}`,
      `  FROM ${q(table.database)}.${q(table.table)}`,
      `  WHERE measure_name = ${sqlString(INVOICE_MEASURE)}`,
      `    AND time >= ago(${window})`,
      `    AND ${q("legalEntityId")} <> ${sqlString(CANARY_LEGAL_ENTITY)}`,
    ].join("\n"),
  );
  return `events AS (\n${branches.join("\n  UNION ALL\n")}\n)`;
}

/** The stage's place in the journey (1-based), for sorting visuals in journey order. */
function stageOrder(stages: readonly JourneyStage[], column: string): string {
  const whens = stages.map((stage, i) => `WHEN ${sqlString(stage.name)} THEN ${i + 1}`).join(" ");
  return `CASE ${column} ${whens} ELSE 0 END`;
}

function terminalStage(stages: readonly JourneyStage[]): JourneyStage {
  const terminal = stages.filter((stage) => stage.terminal);
  if (terminal.length !== 1) throw new RangeError(`the journey needs exactly one terminal stage, found ${terminal.length}`);
  return terminal[0]!;
}

/** Days an invoice may take end to end when every stage uses its full SLA, rounded up, plus one. */
export function journeyAllowanceDays(stages: readonly JourneyStage[]): number {
  const minutes = stages.filter((stage) => !stage.terminal).reduce((sum, stage) => sum + stage.slaMinutes, 0);
  return Math.ceil(minutes / 1440) + 1;
}

const lines = (...parts: string[]) => parts.join("\n");

/**
 * Executive: invoices reaching each stage per day, cell and currency (an invoice counts once per
 * stage, on the day it first reached it; its value is its latest amount at that stage).
 */
export function executiveVolumeQuery(scope: QueryScope, days: number): InvoiceQuery {
  return {
    sql: lines(
      `WITH ${eventsCte(scope.tables, ["cell", "stage", "invoiceId", "currency", "invoiceAmount"], `${days}d`)},`,
      "reached AS (",
      `  SELECT ${q("cell")}, ${q("stage")}, ${q("invoiceId")}, min(time) AS reached_at, count(*) AS events,`,
      `    max_by(${q("currency")}, time) AS currency, max_by(${q("invoiceAmount")}, time) AS invoice_amount`,
      `  FROM events GROUP BY ${q("cell")}, ${q("stage")}, ${q("invoiceId")}`,
      ")",
      `SELECT date_trunc('day', reached_at) AS day, ${q("cell")} AS cell, ${q("stage")} AS stage,`,
      `  ${stageOrder(scope.stages, q("stage"))} AS stage_order, currency,`,
      "  count(*) AS invoices, sum(events) AS events, sum(invoice_amount) AS invoice_value",
      "FROM reached",
      `GROUP BY date_trunc('day', reached_at), ${q("cell")}, ${q("stage")}, currency`,
    ),
    columns: [
      { name: "day", type: "DATETIME" },
      { name: "cell", type: "STRING" },
      { name: "stage", type: "STRING" },
      { name: "stage_order", type: "INTEGER" },
      { name: "currency", type: "STRING" },
      { name: "invoices", type: "INTEGER" },
      { name: "events", type: "INTEGER" },
      { name: "invoice_value", type: "DECIMAL" },
    ],
  };
}

/**
 * Executive: end-to-end time to posting (first event of an invoice to its first terminal-stage
 * event) per posting day and cell. Events are read `journeyAllowanceDays` further back, so a
 * journey that started before the window is measured from its real start.
 */
export function executivePostingQuery(scope: QueryScope, days: number): InvoiceQuery {
  const terminal = terminalStage(scope.stages);
  const window: Window = `${days + journeyAllowanceDays(scope.stages)}d`;
  return {
    sql: lines(
      `WITH ${eventsCte(scope.tables, ["cell", "stage", "invoiceId"], window)},`,
      "journeys AS (",
      `  SELECT ${q("cell")}, ${q("invoiceId")}, min(time) AS started_at,`,
      `    min(CASE WHEN ${q("stage")} = ${sqlString(terminal.name)} THEN time END) AS posted_at`,
      `  FROM events GROUP BY ${q("cell")}, ${q("invoiceId")}`,
      "),",
      "posted AS (",
      `  SELECT ${q("cell")}, posted_at, date_diff('second', started_at, posted_at) / 60.0 AS minutes`,
      `  FROM journeys WHERE posted_at >= ago(${days}d)`,
      ")",
      `SELECT date_trunc('day', posted_at) AS day, ${q("cell")} AS cell, count(*) AS invoices_posted,`,
      "  sum(minutes) AS total_minutes_to_post,",
      "  approx_percentile(minutes, 0.5) AS p50_minutes_to_post,",
      "  approx_percentile(minutes, 0.9) AS p90_minutes_to_post",
      "FROM posted",
      `GROUP BY date_trunc('day', posted_at), ${q("cell")}`,
    ),
    columns: [
      { name: "day", type: "DATETIME" },
      { name: "cell", type: "STRING" },
      { name: "invoices_posted", type: "INTEGER" },
      { name: "total_minutes_to_post", type: "DECIMAL" },
      { name: "p50_minutes_to_post", type: "DECIMAL" },
      { name: "p90_minutes_to_post", type: "DECIMAL" },
    ],
  };
}

/**
 * Operations: events per minute of arrival (`receivedAt`), stage and cell over the last `hours`.
 * Branches read a day further back in business time, so late events still count.
 */
export function operationsThroughputQuery(scope: QueryScope, hours: number): InvoiceQuery {
  return {
    sql: lines(
      `WITH ${eventsCte(scope.tables, ["cell", "stage", "receivedAt"], `${hours + 24}h`)}`,
      `SELECT bin(${q("receivedAt")}, 1m) AS minute, ${q("cell")} AS cell, ${q("stage")} AS stage,`,
      `  ${stageOrder(scope.stages, q("stage"))} AS stage_order, count(*) AS events`,
      "FROM events",
      `WHERE ${q("receivedAt")} >= ago(${hours * 60}m)`,
      `GROUP BY bin(${q("receivedAt")}, 1m), ${q("cell")}, ${q("stage")}`,
    ),
    columns: [
      { name: "minute", type: "DATETIME" },
      { name: "cell", type: "STRING" },
      { name: "stage", type: "STRING" },
      { name: "stage_order", type: "INTEGER" },
      { name: "events", type: "INTEGER" },
    ],
  };
}

/**
 * Operations: stage-to-stage latency (business time from reaching one stage to reaching the
 * next) per hour, cell and transition over the last `hours`, as p50/p90/p99 seconds.
 */
export function operationsLatencyQuery(scope: QueryScope, hours: number): InvoiceQuery {
  const window: Window = `${hours + 24 * journeyAllowanceDays(scope.stages)}h`;
  const previous = (column: string) => `lag(${column}) OVER (PARTITION BY ${q("cell")}, ${q("invoiceId")} ORDER BY reached_at)`;
  return {
    sql: lines(
      `WITH ${eventsCte(scope.tables, ["cell", "stage", "invoiceId"], window)},`,
      "reached AS (",
      `  SELECT ${q("cell")}, ${q("invoiceId")}, ${q("stage")}, min(time) AS reached_at`,
      `  FROM events GROUP BY ${q("cell")}, ${q("invoiceId")}, ${q("stage")}`,
      "),",
      "transitions AS (",
      `  SELECT ${q("cell")}, ${previous(q("stage"))} AS from_stage, ${q("stage")} AS to_stage, reached_at,`,
      `    date_diff('millisecond', ${previous("reached_at")}, reached_at) / 1000.0 AS seconds`,
      "  FROM reached",
      ")",
      `SELECT date_trunc('hour', reached_at) AS hour, ${q("cell")} AS cell,`,
      "  concat(from_stage, ' to ', to_stage) AS transition,",
      `  ${stageOrder(scope.stages, "to_stage")} AS transition_order,`,
      "  count(*) AS transitions,",
      "  approx_percentile(seconds, 0.5) AS p50_seconds,",
      "  approx_percentile(seconds, 0.9) AS p90_seconds,",
      "  approx_percentile(seconds, 0.99) AS p99_seconds",
      "FROM transitions",
      `WHERE from_stage IS NOT NULL AND reached_at >= ago(${hours}h)`,
      `GROUP BY date_trunc('hour', reached_at), ${q("cell")}, from_stage, to_stage`,
    ),
    columns: [
      { name: "hour", type: "DATETIME" },
      { name: "cell", type: "STRING" },
      { name: "transition", type: "STRING" },
      { name: "transition_order", type: "INTEGER" },
      { name: "transitions", type: "INTEGER" },
      { name: "p50_seconds", type: "DECIMAL" },
      { name: "p90_seconds", type: "DECIMAL" },
      { name: "p99_seconds", type: "DECIMAL" },
    ],
  };
}

/**
 * Operations: stuck invoices, as the stuck-invoice detector finds them (latest stage by business
 * time not terminal and older than that stage's SLA), measured at refresh time.
 */
export function operationsStuckQuery(scope: QueryScope, lookbackDays: number): InvoiceQuery {
  const terminal = terminalStage(scope.stages);
  const waiting = scope.stages.filter((stage) => !stage.terminal);
  const slaCase = (value: (stage: JourneyStage) => string) =>
    `CASE stage ${waiting.map((stage) => `WHEN ${sqlString(stage.name)} THEN ${value(stage)}`).join(" ")} END`;
  // A journey of one stage has nothing to wait in: no invoice is ever stuck.
  const overdue = waiting.length === 0 ? "1 = 0" : `latest_time < ${slaCase((stage) => `ago(${stage.slaMinutes}m)`)}`;
  const sla = waiting.length === 0 ? "CAST(NULL AS BIGINT)" : slaCase((stage) => String(stage.slaMinutes));
  return {
    sql: lines(
      `WITH ${eventsCte(scope.tables, ["cell", "stage", "invoiceId", "legalEntityId", "payeeCode"], `${lookbackDays}d`)},`,
      "latest AS (",
      `  SELECT ${q("cell")}, ${q("invoiceId")}, ${q("legalEntityId")}, ${q("payeeCode")},`,
      `    max_by(${q("stage")}, time) AS stage, max(time) AS latest_time`,
      `  FROM events GROUP BY ${q("cell")}, ${q("invoiceId")}, ${q("legalEntityId")}, ${q("payeeCode")}`,
      ")",
      `SELECT ${q("cell")} AS cell, ${q("invoiceId")} AS invoice_id, ${q("legalEntityId")} AS legal_entity_id,`,
      `  ${q("payeeCode")} AS payee_code, stage, latest_time,`,
      "  date_diff('minute', latest_time, now()) AS minutes_in_stage,",
      `  ${sla} AS sla_minutes`,
      "FROM latest",
      `WHERE stage <> ${sqlString(terminal.name)}`,
      `  AND ${overdue}`,
    ),
    columns: [
      { name: "cell", type: "STRING" },
      { name: "invoice_id", type: "STRING" },
      { name: "legal_entity_id", type: "STRING" },
      { name: "payee_code", type: "STRING" },
      { name: "stage", type: "STRING" },
      { name: "latest_time", type: "DATETIME" },
      { name: "minutes_in_stage", type: "INTEGER" },
      { name: "sla_minutes", type: "INTEGER" },
    ],
  };
}

/** The latest non-null value of a measure for an invoice. */
const latestKnown = (measure: string) => `max_by(${q(measure)}, CASE WHEN ${q(measure)} IS NOT NULL THEN time END)`;

/**
 * Finance: per invoice date, cell, legal entity, payee and currency, the invoices and the sums of
 * each invoice's latest known amounts: invoiced, matched, authorized, price and quantity variance.
 */
export function financeAmountsQuery(scope: QueryScope, days: number): InvoiceQuery {
  const amounts = [
    ["invoiceAmount", "invoice_amount"],
    ["matchedAmount", "matched_amount"],
    ["authorizedAmount", "authorized_amount"],
    ["ppv", "ppv"],
    ["pqv", "pqv"],
  ] as const;
  const dims = [q("cell"), q("invoiceId"), q("legalEntityId"), q("payeeCode")].join(", ");
  return {
    sql: lines(
      `WITH ${eventsCte(scope.tables, ["cell", "invoiceId", "legalEntityId", "payeeCode", "invoiceDate", "currency", ...amounts.map(([measure]) => measure)], `${days}d`)},`,
      "invoices AS (",
      `  SELECT ${dims},`,
      `    max_by(${q("invoiceDate")}, time) AS invoice_date_text, max_by(${q("currency")}, time) AS currency,`,
      amounts.map(([measure, alias]) => `    ${latestKnown(measure)} AS ${alias}`).join(",\n"),
      `  FROM events GROUP BY ${dims}`,
      ")",
      `SELECT date_parse(invoice_date_text, '%Y-%m-%d') AS invoice_date, ${q("cell")} AS cell,`,
      `  ${q("legalEntityId")} AS legal_entity_id, ${q("payeeCode")} AS payee_code, currency, count(*) AS invoices,`,
      amounts.map(([, alias]) => `  sum(${alias}) AS ${alias}`).join(",\n"),
      "FROM invoices",
      `GROUP BY invoice_date_text, ${q("cell")}, ${q("legalEntityId")}, ${q("payeeCode")}, currency`,
    ),
    columns: [
      { name: "invoice_date", type: "DATETIME" },
      { name: "cell", type: "STRING" },
      { name: "legal_entity_id", type: "STRING" },
      { name: "payee_code", type: "STRING" },
      { name: "currency", type: "STRING" },
      { name: "invoices", type: "INTEGER" },
      ...amounts.map(([, alias]) => ({ name: alias, type: "DECIMAL" as const })),
    ],
  };
}

/** Due-date ageing buckets: days past due up to and including `upTo`. */
export const AGEING_BUCKETS = [
  { label: "not yet due", upTo: 0 },
  { label: "1-30 days overdue", upTo: 30 },
  { label: "31-60 days overdue", upTo: 60 },
  { label: "61-90 days overdue", upTo: 90 },
  { label: "over 90 days overdue", upTo: Number.POSITIVE_INFINITY },
] as const;

/**
 * Finance: invoices not yet through the terminal stage (active within `days`), by how far past
 * their due date they are at refresh time, per cell, legal entity and currency.
 */
export function financeAgeingQuery(scope: QueryScope, days: number): InvoiceQuery {
  const terminal = terminalStage(scope.stages);
  const bucket = (value: (label: string, i: number) => string) =>
    `CASE ${AGEING_BUCKETS.map((b, i) =>
      Number.isFinite(b.upTo) ? `WHEN days_past_due <= ${b.upTo} THEN ${value(b.label, i)}` : `ELSE ${value(b.label, i)}`,
    ).join(" ")} END`;
  const dims = [q("cell"), q("invoiceId"), q("legalEntityId")].join(", ");
  return {
    sql: lines(
      `WITH ${eventsCte(scope.tables, ["cell", "invoiceId", "legalEntityId", "stage", "invoiceDueDate", "currency", "invoiceAmount"], `${days}d`)},`,
      "latest AS (",
      `  SELECT ${dims}, max_by(${q("stage")}, time) AS stage, max_by(${q("invoiceDueDate")}, time) AS due_date,`,
      `    max_by(${q("currency")}, time) AS currency, max_by(${q("invoiceAmount")}, time) AS invoice_amount`,
      `  FROM events GROUP BY ${dims}`,
      "),",
      "outstanding AS (",
      `  SELECT ${q("cell")}, ${q("legalEntityId")}, currency, invoice_amount,`,
      "    date_diff('day', date_parse(due_date, '%Y-%m-%d'), now()) AS days_past_due",
      `  FROM latest WHERE stage <> ${sqlString(terminal.name)}`,
      "),",
      "aged AS (",
      `  SELECT ${q("cell")}, ${q("legalEntityId")}, currency, invoice_amount,`,
      `    ${bucket((label) => sqlString(label))} AS ageing_bucket,`,
      `    ${bucket((_, i) => String(i + 1))} AS ageing_order`,
      "  FROM outstanding",
      ")",
      `SELECT ${q("cell")} AS cell, ${q("legalEntityId")} AS legal_entity_id, currency, ageing_bucket, ageing_order,`,
      "  count(*) AS invoices, sum(invoice_amount) AS open_amount",
      "FROM aged",
      `GROUP BY ${q("cell")}, ${q("legalEntityId")}, currency, ageing_bucket, ageing_order`,
    ),
    columns: [
      { name: "cell", type: "STRING" },
      { name: "legal_entity_id", type: "STRING" },
      { name: "currency", type: "STRING" },
      { name: "ageing_bucket", type: "STRING" },
      { name: "ageing_order", type: "INTEGER" },
      { name: "invoices", type: "INTEGER" },
      { name: "open_amount", type: "DECIMAL" },
    ],
  };
}
