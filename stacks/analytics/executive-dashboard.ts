import type { AudienceContext, AudienceDashboard } from "./audience";
import { barChart, computation, fieldsOf, insight, kpi, lineChart, sheet, table } from "./dashboard-definition";
import { executivePostingQuery, executiveVolumeQuery } from "./invoice-sql";

const VOLUME = "volume";
const POSTING = "posting";

/**
 * Executives: how many invoices, of what value, reach each stage, per cell and per day, and how
 * long an invoice takes from its first event to posting. The volume insight forecasts daily
 * events with a prediction band, compares each day with the one before and names the cells
 * that moved most.
 */
export function executiveDashboard(ctx: AudienceContext): AudienceDashboard {
  const days = ctx.windows.reportDays;
  const period = `last ${days} days`;

  const kpiPosted = fieldsOf("exec-kpi-posted", POSTING);
  const kpiMean = fieldsOf("exec-kpi-mean-time", POSTING);
  const kpiP90 = fieldsOf("exec-kpi-worst-p90", POSTING);
  const kpiValue = fieldsOf("exec-kpi-events", VOLUME);
  const byStage = fieldsOf("exec-stage-cell", VOLUME);
  const valueByStage = fieldsOf("exec-stage-value", VOLUME);
  const dailyStage = fieldsOf("exec-daily-stage", VOLUME);
  const dailyCell = fieldsOf("exec-daily-cell", VOLUME);
  const p90ByCell = fieldsOf("exec-posting-p90", POSTING);
  const p50ByCell = fieldsOf("exec-posting-p50", POSTING);
  const postingTable = fieldsOf("exec-posting-table", POSTING);
  const volumeInsight = fieldsOf("exec-volume-insight", VOLUME);

  const overview = sheet({
    id: "executive-overview",
    name: "Volume, value and time to posting",
    description: `Invoices reaching each stage per cell and day, their value, and end-to-end time to posting (${period}).`,
    visuals: [
      kpi({ id: "exec-kpi-posted", title: "Invoices posted", subtitle: period, value: kpiPosted.sum("invoices_posted") }),
      kpi({
        id: "exec-kpi-mean-time",
        title: "Mean minutes to posting",
        subtitle: "first event to posting",
        value: kpiMean.calculated("mean_minutes_to_post", "sum({total_minutes_to_post}) / sum({invoices_posted})"),
      }),
      kpi({ id: "exec-kpi-worst-p90", title: "Worst daily p90 minutes to posting", subtitle: "any cell, any day", value: kpiP90.max("p90_minutes_to_post") }),
      kpi({ id: "exec-kpi-events", title: "Invoice events", subtitle: period, value: kpiValue.sum("events") }),
      barChart({
        id: "exec-stage-cell",
        title: "Invoices reaching each stage, by cell",
        subtitle: "an invoice counts once per stage",
        category: [byStage.category("stage")],
        values: [byStage.sum("invoices")],
        colors: [byStage.category("cell")],
        arrangement: "STACKED",
        sort: [byStage.sortBy("stage_order", "ASC", "MIN")],
      }),
      barChart({
        id: "exec-stage-value",
        title: "Invoice value reaching each stage, by currency",
        subtitle: "latest invoice amount at the stage; one chart per currency",
        category: [valueByStage.category("stage")],
        values: [valueByStage.sum("invoice_value")],
        smallMultiples: valueByStage.category("currency"),
        sort: [valueByStage.sortBy("stage_order", "ASC", "MIN")],
      }),
      lineChart({
        id: "exec-daily-stage",
        title: "Invoices per day, by stage",
        x: dailyStage.date("day", "DAY"),
        values: [dailyStage.sum("invoices")],
        colors: [dailyStage.category("stage")],
      }),
      lineChart({
        id: "exec-daily-cell",
        title: "Invoices per day, by cell",
        x: dailyCell.date("day", "DAY"),
        values: [dailyCell.sum("invoices")],
        colors: [dailyCell.category("cell")],
      }),
      lineChart({
        id: "exec-posting-p90",
        title: "Time to posting per day, p90 minutes, by cell",
        x: p90ByCell.date("day", "DAY"),
        values: [p90ByCell.max("p90_minutes_to_post")],
        colors: [p90ByCell.category("cell")],
      }),
      lineChart({
        id: "exec-posting-p50",
        title: "Time to posting per day, median minutes, by cell",
        x: p50ByCell.date("day", "DAY"),
        values: [p50ByCell.max("p50_minutes_to_post")],
        colors: [p50ByCell.category("cell")],
      }),
      insight({
        id: "exec-volume-insight",
        title: "Invoice volume: forecast, day-over-day change and top movers",
        subtitle: "ML forecast with a 90% prediction band; a day outside the band is unusual",
        dataSet: VOLUME,
        computations: [
          computation.forecast("exec-volume-forecast", volumeInsight.date("day", "DAY"), volumeInsight.sum("events"), {
            periodsForward: 7,
            periodsBackward: 0,
            predictionInterval: 90,
          }),
          computation.periodOverPeriod("exec-volume-change", volumeInsight.date("day", "DAY"), volumeInsight.sum("invoices")),
          computation.topMovers("exec-volume-movers", volumeInsight.category("cell"), volumeInsight.date("day", "DAY"), volumeInsight.sum("invoices"), 3),
        ],
      }),
      table({
        id: "exec-posting-table",
        title: "Time to posting by day and cell",
        groupBy: [postingTable.date("day", "DAY"), postingTable.category("cell")],
        values: [postingTable.sum("invoices_posted"), postingTable.max("p50_minutes_to_post"), postingTable.max("p90_minutes_to_post")],
        sort: [{ field_sort: { field_id: postingTable.id("day", "day"), direction: "DESC" } }],
      }),
    ],
  });

  return {
    audience: "executive",
    dataSets: [
      { key: "executive-volume", identifier: VOLUME, query: executiveVolumeQuery(ctx.scope, days), importMode: "SPICE", refresh: "DAILY" },
      { key: "executive-posting", identifier: POSTING, query: executivePostingQuery(ctx.scope, days), importMode: "SPICE", refresh: "DAILY" },
    ],
    sheets: [overview],
  };
}
