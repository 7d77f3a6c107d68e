import type { AccountRef } from "../../cells/naming";

/**
 * Names of the analytics module's QuickSight assets. To move into `cells/naming.ts` (as
 * `fleetNames(project).analytics`): kept here while the module lands.
 *
 * QuickSight ids are unique per account and region, and every store region gets its own copy of
 * the assets (a Timestream data source reads its own region only), so the ids carry no region;
 * display names do, because a person may see several regions' dashboards side by side.
 */
export const analyticsNames = (project: string) => ({
  /** The Timestream data source of one store region. */
  dataSourceId: `${project}-timestream`,
  dataSourceName: (region: string) => `${project} invoice events (Timestream, ${region})`,
  dataSourceArn: (region: string, { partition, account }: AccountRef) =>
    `arn:${partition}:quicksight:${region}:${account}:datasource/${project}-timestream`,
  /** A dataset, e.g. `executive-volume`. */
  dataSetId: (dataSet: string) => `${project}-${dataSet}`,
  dataSetName: (dataSet: string, region: string) => `${project} ${dataSet} (${region})`,
  /** The SPICE refresh schedule of a dataset. */
  refreshScheduleId: (dataSet: string) => `${project}-${dataSet}-refresh`,
  /** A dashboard, e.g. `executive`. */
  dashboardId: (audience: string) => `${project}-${audience}`,
  dashboardName: (audience: string, region: string, cells: readonly string[]) =>
    `${project} ${audience}: ${region} (${cells.join(", ")})`,
  /** The inline policy on QuickSight's service role that lets it read the fleet's tables. */
  serviceRolePolicy: `${project}-invoice-analytics`,
});

/** The role QuickSight creates on subscription and queries Timestream with (its console can swap it). */
export const QUICKSIGHT_SERVICE_ROLE = "aws-quicksight-service-role-v0";
