import type { AudienceContext, AudienceDashboard } from "./audience";
import { barChart, fieldsOf, kpi, lineChart, sheet, table } from "./dashboard-definition";
import { financeAgeingQuery, financeAmountsQuery } from "./invoice-sql";

const AMOUNTS = "amounts";
const AGEING = "ageing";

/**
 * Finance: authorized against matched amounts, price and quantity variance (PPV, PQV) by payee
 * and legal entity, and how far past their due date the invoices not yet posted are. Amounts are
 * never summed across currencies: every amount chart has one small chart per currency.
 */
export function financeDashboard(ctx: AudienceContext): AudienceDashboard {
  const days = ctx.windows.reportDays;

  const invoices = fieldsOf("fin-kpi-invoices", AMOUNTS);
  const entityMatch = fieldsOf("fin-entity-match", AMOUNTS);
  const dailyMatch = fieldsOf("fin-daily-match", AMOUNTS);
  const payeeVariance = fieldsOf("fin-payee-variance", AMOUNTS);
  const entityVariance = fieldsOf("fin-entity-variance", AMOUNTS);
  const varianceTable = fieldsOf("fin-variance-table", AMOUNTS);
  const ageingAmount = fieldsOf("fin-ageing-amount", AGEING);
  const ageingCount = fieldsOf("fin-ageing-count", AGEING);
  const ageingTable = fieldsOf("fin-ageing-table", AGEING);

  const amounts = sheet({
    id: "finance-amounts",
    name: "Authorized, matched and variance",
    description: `Invoices of the last ${days} days by invoice date: authorized against matched amounts, PPV and PQV by payee and legal entity.`,
    visuals: [
      kpi({ id: "fin-kpi-invoices", title: "Invoices", subtitle: `active in the last ${days} days`, value: invoices.sum("invoices") }),
      barChart({
        id: "fin-entity-match",
        title: "Authorized vs matched amount, by legal entity",
        subtitle: "one chart per currency",
        category: [entityMatch.category("legal_entity_id")],
        values: [entityMatch.sum("authorized_amount"), entityMatch.sum("matched_amount")],
        smallMultiples: entityMatch.category("currency"),
        size: { columns: 27, rows: 10 },
      }),
      lineChart({
        id: "fin-daily-match",
        title: "Authorized vs matched amount per invoice date",
        subtitle: "one chart per currency",
        x: dailyMatch.date("invoice_date", "DAY"),
        values: [dailyMatch.sum("authorized_amount"), dailyMatch.sum("matched_amount")],
        smallMultiples: dailyMatch.category("currency"),
        size: { columns: 36, rows: 10 },
      }),
      barChart({
        id: "fin-payee-variance",
        title: "PPV and PQV by payee, top 20 by PPV",
        subtitle: "price and quantity variance; one chart per currency",
        category: [payeeVariance.category("payee_code")],
        values: [payeeVariance.sum("ppv"), payeeVariance.sum("pqv")],
        smallMultiples: payeeVariance.category("currency"),
        orientation: "HORIZONTAL",
        sort: [payeeVariance.sortBy("ppv", "DESC")],
        limit: 20,
      }),
      barChart({
        id: "fin-entity-variance",
        title: "PPV and PQV by legal entity",
        subtitle: "one chart per currency",
        category: [entityVariance.category("legal_entity_id")],
        values: [entityVariance.sum("ppv"), entityVariance.sum("pqv")],
        smallMultiples: entityVariance.category("currency"),
        orientation: "HORIZONTAL",
      }),
      table({
        id: "fin-variance-table",
        title: "Amounts and variance by legal entity, payee and currency",
        groupBy: [varianceTable.category("legal_entity_id"), varianceTable.category("payee_code"), varianceTable.category("currency")],
        values: ["invoices", "invoice_amount", "authorized_amount", "matched_amount", "ppv", "pqv"].map((name) => varianceTable.sum(name)),
        sort: [{ field_sort: { field_id: varianceTable.id("ppv", "sum"), direction: "DESC" } }],
      }),
    ],
  });

  const ageing = sheet({
    id: "finance-ageing",
    name: "Due-date ageing",
    description: `Invoices not yet posted (active in the last ${days} days) by days past their due date, as of the last daily refresh.`,
    visuals: [
      barChart({
        id: "fin-ageing-amount",
        title: "Open amount by due-date ageing",
        subtitle: "one chart per currency",
        category: [ageingAmount.category("ageing_bucket")],
        values: [ageingAmount.sum("open_amount")],
        smallMultiples: ageingAmount.category("currency"),
        sort: [ageingAmount.sortBy("ageing_order", "ASC", "MIN")],
      }),
      barChart({
        id: "fin-ageing-count",
        title: "Open invoices by due-date ageing, by legal entity",
        category: [ageingCount.category("ageing_bucket")],
        values: [ageingCount.sum("invoices")],
        colors: [ageingCount.category("legal_entity_id")],
        arrangement: "STACKED",
        sort: [ageingCount.sortBy("ageing_order", "ASC", "MIN")],
      }),
      table({
        id: "fin-ageing-table",
        title: "Ageing by legal entity and currency",
        groupBy: [ageingTable.category("legal_entity_id"), ageingTable.category("currency"), ageingTable.category("ageing_bucket")],
        values: [ageingTable.sum("invoices"), ageingTable.sum("open_amount")],
        sort: [ageingTable.sortBy("ageing_order", "DESC", "MAX")],
      }),
    ],
  });

  return {
    audience: "finance",
    dataSets: [
      { key: "finance-amounts", identifier: AMOUNTS, query: financeAmountsQuery(ctx.scope, days), importMode: "SPICE", refresh: "DAILY" },
      { key: "finance-ageing", identifier: AGEING, query: financeAgeingQuery(ctx.scope, days), importMode: "SPICE", refresh: "DAILY" },
    ],
    sheets: [amounts, ageing],
  };
}
