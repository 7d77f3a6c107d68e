import type { Block } from "./dashboard-definition";
import type { InvoiceQuery, QueryScope } from "./invoice-sql";

/** The three dashboards, each for one audience. */
export type Audience = "executive" | "operations" | "finance";

/** How far back the datasets look (hours for the live operations views, days for the rest). */
export interface AnalyticsWindows {
  /** Executive and finance reports: days of invoices. @default 30 */
  readonly reportDays: number;
  /** Operations throughput: hours of per-minute event counts. @default 3 */
  readonly throughputHours: number;
  /** Operations stage-to-stage latency: hours of transitions. @default 24 */
  readonly latencyHours: number;
  /** Stuck invoices: days of events searched (the stuck-invoice detector's lookback). */
  readonly stuckLookbackDays: number;
}

/** What an audience's datasets and sheets are built from: one store region's cells. */
export interface AudienceContext {
  readonly scope: QueryScope;
  readonly windows: AnalyticsWindows;
  /** CloudWatch dashboards that hold what Timestream does not (DLQ depth): name and region. */
  readonly cloudWatchDashboards: readonly { readonly name: string; readonly region: string }[];
}

/** One dataset of an audience: its custom SQL and how QuickSight holds it. */
export interface DataSetSpec {
  /** Names the dataset (`<project>-<key>`), e.g. `executive-volume`. */
  readonly key: string;
  /** How the dashboard definition refers to it. */
  readonly identifier: string;
  readonly query: InvoiceQuery;
  /**
   * SPICE (imported, refreshed on `refresh`) for windows of days: a dashboard load never scans
   * Timestream. DIRECT_QUERY for the live minutes-and-hours views.
   */
  readonly importMode: "SPICE" | "DIRECT_QUERY";
  readonly refresh?: "HOURLY" | "DAILY";
}

/** An audience's datasets and the sheets of its dashboard (which name datasets by identifier). */
export interface AudienceDashboard {
  readonly audience: Audience;
  readonly dataSets: readonly DataSetSpec[];
  readonly sheets: readonly Block[];
}
