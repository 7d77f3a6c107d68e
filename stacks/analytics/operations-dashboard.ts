import type { AudienceContext, AudienceDashboard } from "./audience";
import { barChart, fieldsOf, kpi, lineChart, sheet, table, textBox } from "./dashboard-definition";
import { operationsLatencyQuery, operationsStuckQuery, operationsThroughputQuery } from "./invoice-sql";

const THROUGHPUT = "throughput";
const LATENCY = "latency";
const STUCK = "stuck";

/**
 * Operations: events per minute per stage (live, straight from Timestream), stage-to-stage latency
 * percentiles, and the stuck invoices the detector alerts on. Dead-letter queue depth is a
 * CloudWatch metric, not a Timestream record: the sheet points at the CloudWatch dashboards that
 * show it.
 */
export function operationsDashboard(ctx: AudienceContext): AudienceDashboard {
  const { throughputHours, latencyHours, stuckLookbackDays } = ctx.windows;

  const perStage = fieldsOf("ops-rate-stage", THROUGHPUT);
  const perCell = fieldsOf("ops-rate-cell", THROUGHPUT);
  const worstHour = fieldsOf("ops-latency-worst", LATENCY);
  const hourlyP90 = fieldsOf("ops-latency-p90", LATENCY);
  const latencyTable = fieldsOf("ops-latency-table", LATENCY);
  const stuckCount = fieldsOf("ops-stuck-count", STUCK);
  const stuckByStage = fieldsOf("ops-stuck-stage", STUCK);
  const stuckList = fieldsOf("ops-stuck-list", STUCK);

  const deadLetters = ctx.cloudWatchDashboards.map((dashboard) => `${dashboard.name} (${dashboard.region})`).join(", ");
  const flow = sheet({
    id: "operations-flow",
    name: "Flow and latency",
    description: `Events per minute per stage (last ${throughputHours} h, live) and stage-to-stage latency (last ${latencyHours} h).`,
    textBoxes: [
      {
        id: "ops-dead-letters",
        content: textBox(
          `Dead-letter queue depth is a CloudWatch metric, not an invoice event, so it is not here: see the CloudWatch dashboards ${deadLetters} (DLQ depth per stage and hop, with the alarms that page on it).`,
        ),
      },
    ],
    visuals: [
      lineChart({
        id: "ops-rate-stage",
        title: "Events per minute, by stage",
        subtitle: "by arrival time",
        x: perStage.date("minute", "MINUTE"),
        values: [perStage.sum("events")],
        colors: [perStage.category("stage")],
      }),
      lineChart({
        id: "ops-rate-cell",
        title: "Events per minute, by cell",
        subtitle: "by arrival time",
        x: perCell.date("minute", "MINUTE"),
        values: [perCell.sum("events")],
        colors: [perCell.category("cell")],
      }),
      barChart({
        id: "ops-latency-worst",
        title: "Stage-to-stage latency, worst hour (seconds)",
        subtitle: `p50, p90 and p99 of the worst hour in the last ${latencyHours} h`,
        category: [worstHour.category("transition")],
        values: [worstHour.max("p50_seconds"), worstHour.max("p90_seconds"), worstHour.max("p99_seconds")],
        sort: [worstHour.sortBy("transition_order", "ASC", "MIN")],
      }),
      lineChart({
        id: "ops-latency-p90",
        title: "Stage-to-stage latency per hour, p90 seconds, by transition",
        x: hourlyP90.date("hour", "HOUR"),
        values: [hourlyP90.max("p90_seconds")],
        colors: [hourlyP90.category("transition")],
      }),
      table({
        id: "ops-latency-table",
        title: "Stage-to-stage latency by cell and transition",
        subtitle: "percentiles are of the worst hour",
        groupBy: [latencyTable.category("cell"), latencyTable.category("transition")],
        values: [
          latencyTable.sum("transitions"),
          latencyTable.max("p50_seconds"),
          latencyTable.max("p90_seconds"),
          latencyTable.max("p99_seconds"),
        ],
        sort: [latencyTable.sortBy("transition_order", "ASC", "MIN")],
      }),
    ],
  });

  const stuck = sheet({
    id: "operations-stuck",
    name: "Stuck invoices",
    description: `Invoices whose latest stage is not terminal and older than that stage's SLA (events of the last ${stuckLookbackDays} days; refreshed hourly).`,
    visuals: [
      kpi({ id: "ops-stuck-count", title: "Stuck invoices", subtitle: "past their stage's SLA", value: stuckCount.count("invoice_id") }),
      barChart({
        id: "ops-stuck-stage",
        title: "Stuck invoices by stage and cell",
        category: [stuckByStage.category("stage")],
        values: [stuckByStage.count("invoice_id")],
        colors: [stuckByStage.category("cell")],
        arrangement: "STACKED",
        size: { columns: 27, rows: 5 },
      }),
      table({
        id: "ops-stuck-list",
        title: "Stuck invoices, longest waiting first",
        rows: ["invoice_id", "cell", "stage", "minutes_in_stage", "sla_minutes", "latest_time", "legal_entity_id", "payee_code"].map((name) => stuckList.raw(name)),
        sort: [{ field_sort: { field_id: stuckList.id("minutes_in_stage", "raw"), direction: "DESC" } }],
        size: { columns: 36, rows: 14 },
      }),
    ],
  });

  return {
    audience: "operations",
    dataSets: [
      { key: "operations-throughput", identifier: THROUGHPUT, query: operationsThroughputQuery(ctx.scope, throughputHours), importMode: "DIRECT_QUERY" },
      { key: "operations-latency", identifier: LATENCY, query: operationsLatencyQuery(ctx.scope, latencyHours), importMode: "SPICE", refresh: "HOURLY" },
      { key: "operations-stuck", identifier: STUCK, query: operationsStuckQuery(ctx.scope, stuckLookbackDays), importMode: "SPICE", refresh: "HOURLY" },
    ],
    sheets: [flow, stuck],
  };
}
