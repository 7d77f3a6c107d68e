import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { TimestreamQueryClient } from "@aws-sdk/client-timestream-query";
import type { Context } from "aws-lambda";
import { queryPages } from "../shared/timestream-query";
import type { DetectorConfig } from "./config";
import { buildStuckInvoiceQuery, toStuckInvoice } from "./query";

/** EMF metric names (namespace from config; default dimension `service`, plus `cell`). */
export const DetectorMetric = {
  /** Invoices stuck at a stage; one value per non-terminal stage every run (zeros included), dimension `stage`. */
  StuckInvoices: "StuckInvoices",
  /** 1 when the run failed (query, or alert publication), else 0. */
  StuckInvoiceDetectorFailures: "StuckInvoiceDetectorFailures",
} as const;

/** SNS allows at most 100 characters in a subject. */
const SUBJECT_LIMIT = 100;
const MINUTE_MS = 60_000;

export interface StuckInvoiceDetectorDeps {
  /** The cell, its store, its stages' SLAs and where the alert goes. */
  config: Pick<
    DetectorConfig,
    "cellId" | "terminalStage" | "stageSlasMinutes" | "maxListed" | "lookbackDays" | "alertTopicArn"
  > & { timestream: Pick<DetectorConfig["timestream"], "database" | "table"> };
  /** Query client for the store's region (created once per container). */
  timestream: TimestreamQueryClient;
  /** Publishes the alert. */
  sns: SNSClient;
  /** Structured logger; gets `cell` as a persistent key. */
  logger: Logger;
  /** EMF metrics; gets `cell` as a default dimension, flushed after every run. */
  metrics: Metrics;
  /** The clock (epoch ms); default `Date.now`. */
  now?: () => number;
}

/** One stuck invoice as the alert lists it. */
export interface ListedInvoice {
  invoiceId: string;
  stage: string;
  /** Whole minutes since the invoice's latest event. */
  ageMinutes: number;
  /** Business time of that event (ISO 8601). */
  latestEventTime: string;
}

/** What one run found. */
export interface StuckInvoiceReport {
  cellId: string;
  /** ISO 8601 instant the ages and SLAs were measured against. */
  checkedAt: string;
  lookbackDays: number;
  /** Every stuck invoice, not just the listed ones. */
  total: number;
  /** Stuck invoices per non-terminal stage, in journey order, zeros included. */
  byStage: Record<string, number>;
  /** The oldest `maxListed`, oldest first. */
  listed: ListedInvoice[];
  /** Query result pages read. */
  pages: number;
  /** Whether an alert was published (only when something is stuck). */
  alerted: boolean;
}

export interface StuckInvoiceAlert {
  subject: string;
  message: string;
}

export type StuckInvoiceDetectorHandler = (event?: unknown, context?: Context) => Promise<StuckInvoiceReport>;

/**
 * Builds the scheduled detector: one Timestream query for the cell's stuck invoices (paged to
 * the end), `StuckInvoices` per stage, and one alert on the topic when any are stuck. A failure
 * is counted in `StuckInvoiceDetectorFailures`, logged by name and rethrown, so the invocation
 * fails visibly. The scheduler's event carries nothing this needs.
 */
export function createHandler({
  config,
  timestream,
  sns,
  logger,
  metrics,
  now = Date.now,
}: StuckInvoiceDetectorDeps): StuckInvoiceDetectorHandler {
  logger.appendPersistentKeys({ cell: config.cellId });
  metrics.setDefaultDimensions({ cell: config.cellId });
  const stages = Object.keys(config.stageSlasMinutes).filter((stage) => stage !== config.terminalStage);

  return async (_event, context) => {
    if (context !== undefined) logger.addContext(context);
    let step: "query" | "alert" = "query";
    let failed = 0;
    try {
      const report = await findStuckInvoices(now());
      for (const stage of stages) {
        // One blob per stage: the same metric cannot carry two `stage` values in one blob.
        const single = metrics.singleMetric();
        single.addDimension("stage", stage);
        single.addMetric(DetectorMetric.StuckInvoices, MetricUnit.Count, report.byStage[stage] ?? 0);
      }
      if (report.total > 0) {
        step = "alert";
        const alert = formatAlert(report, config);
        await sns.send(new PublishCommand({ TopicArn: config.alertTopicArn, Subject: alert.subject, Message: alert.message }));
        report.alerted = true;
      }
      logger.info("Stuck invoice check finished", {
        total: report.total,
        byStage: report.byStage,
        listed: report.listed.length,
        pages: report.pages,
        alerted: report.alerted,
        ...(report.listed[0] === undefined ? {} : { oldestAgeMinutes: report.listed[0].ageMinutes }),
      });
      return report;
    } catch (error) {
      failed = 1;
      logger.error("Stuck invoice check failed", {
        step,
        errorName: error instanceof Error ? error.name : "UnknownError",
        errorMessage: error instanceof Error ? error.message : String(error),
        ...awsRequestId(error),
      });
      throw error;
    } finally {
      metrics.addMetric(DetectorMetric.StuckInvoiceDetectorFailures, MetricUnit.Count, failed);
      metrics.publishStoredMetrics();
    }
  };

  async function findStuckInvoices(checkedAt: number): Promise<StuckInvoiceReport> {
    const query = buildStuckInvoiceQuery({
      database: config.timestream.database,
      table: config.timestream.table,
      stageSlasMinutes: config.stageSlasMinutes,
      terminalStage: config.terminalStage,
      lookbackDays: config.lookbackDays,
      now: checkedAt,
    });
    const byStage: Record<string, number> = Object.fromEntries(stages.map((stage) => [stage, 0]));
    const listed: ListedInvoice[] = [];
    let total = 0;
    let pages = 0;
    for await (const page of queryPages(timestream, query)) {
      pages = page.pageNumber;
      for (const row of page.rows) {
        const invoice = toStuckInvoice(row);
        total += 1;
        byStage[invoice.stage] = (byStage[invoice.stage] ?? 0) + 1;
        // Rows arrive oldest first across pages, so the first ones are the ones to list.
        if (listed.length < config.maxListed) {
          listed.push({
            invoiceId: invoice.invoiceId,
            stage: invoice.stage,
            ageMinutes: Math.floor((checkedAt - invoice.latestEventTime.getTime()) / MINUTE_MS),
            latestEventTime: invoice.latestEventTime.toISOString(),
          });
        }
      }
    }
    return {
      cellId: config.cellId,
      checkedAt: new Date(checkedAt).toISOString(),
      lookbackDays: config.lookbackDays,
      total,
      byStage,
      listed,
      pages,
      alerted: false,
    };
  }
}

/** The alert for a run that found stuck invoices: a short subject and a plain-text body. */
export function formatAlert(
  report: StuckInvoiceReport,
  config: Pick<DetectorConfig, "stageSlasMinutes" | "maxListed">,
): StuckInvoiceAlert {
  const { cellId, total, listed } = report;
  const subject = truncate(`cellfleet ${cellId}: ${total} stuck ${plural(total, "invoice")}`, SUBJECT_LIMIT);

  const stageWidth = Math.max(...Object.keys(report.byStage).map((stage) => stage.length), 5);
  const perStage = Object.entries(report.byStage).map(([stage, count]) => {
    const sla = config.stageSlasMinutes[stage];
    return `  ${stage.padEnd(stageWidth)}  ${String(count).padStart(6)}${sla === undefined ? "" : `  (SLA ${sla} min)`}`;
  });

  const idWidth = Math.max(...listed.map((invoice) => invoice.invoiceId.length), 10);
  const listing = listed.map(
    (invoice) =>
      `  ${invoice.invoiceId.padEnd(idWidth)}  ${invoice.stage.padEnd(stageWidth)}  ${String(invoice.ageMinutes).padStart(7)} min` +
      `  (latest event ${invoice.latestEventTime})`,
  );
  const unlisted = total - listed.length;

  const lines = [
    `${total} ${plural(total, "invoice")} in cell ${cellId} ${total === 1 ? "has" : "have"} stayed at a non-terminal stage longer than the stage's SLA.`,
    `Checked at ${report.checkedAt}, looking back ${report.lookbackDays} days; canary invoices are excluded.`,
    "",
    "Stuck per stage:",
    ...perStage,
    "",
    `Oldest first (${listed.length} of ${total} listed; age = minutes since the latest event):`,
    ...listing,
    ...(unlisted > 0 ? [`  ... and ${unlisted} more (at most ${config.maxListed} are listed).`] : []),
    "",
    `Trace one: npm run trace -- --cell ${cellId} --invoice <invoiceId>`,
  ];
  return { subject, message: `${lines.join("\n")}\n` };
}

const plural = (count: number, word: string) => (count === 1 ? word : `${word}s`);

function truncate(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 3)}...`;
}

function awsRequestId(error: unknown): { requestId?: string } {
  const requestId = (error as { $metadata?: { requestId?: unknown } } | null)?.$metadata?.requestId;
  return typeof requestId === "string" ? { requestId } : {};
}
