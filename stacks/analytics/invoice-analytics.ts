import { type AccountRef, analyticsNames, cellNames, fleetNames, QUICKSIGHT_SERVICE_ROLE, STACK_IDS } from "../../cells/naming";
import { Construct } from "constructs";
import type { FleetConfig } from "../../cells/fleet-schema";
import type { AnalyticsWindows, Audience, AudienceContext, AudienceDashboard } from "./audience";
import { executiveDashboard } from "./executive-dashboard";
import { financeDashboard } from "./finance-dashboard";
import { InvoiceDashboard } from "./invoice-dashboard";
import { InvoiceDataSet } from "./invoice-data-set";
import type { JourneyStage } from "./invoice-sql";
import { operationsDashboard } from "./operations-dashboard";
import {
  DATA_SET_AUTHOR_ACTIONS,
  DATA_SOURCE_AUTHOR_ACTIONS,
  authorPermissions,
  checkPrincipals,
  dashboardPermissions,
  type QuickSightPrincipals,
} from "./quicksight-permissions";
import { QuickSightTimestreamAccess } from "./quicksight-timestream-access";
import { TimestreamDataSource } from "./timestream-data-source";

/** The dashboards, in the order they are built. */
const AUDIENCES: readonly ((ctx: AudienceContext) => AudienceDashboard)[] = [executiveDashboard, operationsDashboard, financeDashboard];

export const DEFAULT_WINDOWS = { reportDays: 30, throughputHours: 3, latencyHours: 24 } as const;

export interface InvoiceAnalyticsProps {
  /** Names every asset (`<project>-...`). */
  readonly project: string;
  /** Every cell with the region its Timestream table lives in. */
  readonly cells: readonly { readonly id: string; readonly storeRegion: string }[];
  /** The journey in order, with SLAs; the last stage is terminal. */
  readonly stages: readonly JourneyStage[];
  /** The QuickSight account's identity region, where its users and groups live. */
  readonly identityRegion: string;
  /** Who may view and who may author; nobody else is granted anything. */
  readonly principals: QuickSightPrincipals;
  readonly account: AccountRef;
  /** How far back each dataset looks. */
  readonly windows: AnalyticsWindows;
  /** Where DLQ depth is shown instead (CloudWatch dashboards, by name and region). */
  readonly cloudWatchDashboards: AudienceContext["cloudWatchDashboards"];
  /** The role QuickSight queries Timestream with. @default "aws-quicksight-service-role-v0" */
  readonly serviceRoleName?: string;
  /** Tags for the data sources (Cloud Control resources get no provider default tags). */
  readonly tags: Readonly<Record<string, string>>;
}

/** What was built in one store region. */
export interface RegionAnalytics {
  readonly region: string;
  readonly cells: readonly string[];
  readonly dataSource: TimestreamDataSource;
  readonly dataSets: readonly InvoiceDataSet[];
  readonly dashboards: Readonly<Record<Audience, InvoiceDashboard>>;
}

/**
 * QuickSight over every cell's invoice events: per store region (a QuickSight Timestream data
 * source reads its own region only, and datasets and dashboards must sit with it) one data
 * source, the audiences' datasets (custom SQL unioning that region's cells' tables) and the
 * executive, operations and finance dashboards; one grant letting QuickSight's service role
 * query exactly those tables. A fleet whose tables are all in one region gets one set of three
 * dashboards; each further store region adds its own set.
 */
export class InvoiceAnalytics extends Construct {
  readonly regions: readonly RegionAnalytics[];

  constructor(scope: Construct, id: string, props: InvoiceAnalyticsProps) {
    super(scope, id);
    if (props.cells.length === 0) throw new Error(`InvoiceAnalytics ${this.node.path}: cells is empty`);
    checkPrincipals(props.principals, props.identityRegion, "analytics.quicksight");
    const names = analyticsNames(props.project);

    new QuickSightTimestreamAccess(this, "timestream-access", {
      roleName: props.serviceRoleName ?? QUICKSIGHT_SERVICE_ROLE,
      policyName: names.serviceRolePolicy,
      tableArns: props.cells.map((cell) => cellNames(cell.id).timestreamTableArn(cell.storeRegion, props.account)),
    });

    const byRegion = new Map<string, string[]>();
    for (const cell of props.cells) byRegion.set(cell.storeRegion, [...(byRegion.get(cell.storeRegion) ?? []), cell.id]);

    this.regions = [...byRegion.keys()].sort().map((region) => {
      const cells = byRegion.get(region)!;
      const scope = new Construct(this, region);
      const dataSource = new TimestreamDataSource(scope, "data-source", {
        dataSourceId: names.dataSourceId,
        name: names.dataSourceName(region),
        region,
        accountId: props.account.account,
        arn: names.dataSourceArn(region, props.account),
        permissions: authorPermissions(props.principals.authors, DATA_SOURCE_AUTHOR_ACTIONS),
        tags: props.tags,
      });
      const context: AudienceContext = {
        scope: {
          tables: cells.map((cell) => ({ cell, database: cellNames(cell).timestreamDatabase, table: cellNames(cell).timestreamTable })),
          stages: props.stages,
        },
        windows: props.windows,
        cloudWatchDashboards: props.cloudWatchDashboards,
      };
      const dataSets: InvoiceDataSet[] = [];
      const dashboards = {} as Record<Audience, InvoiceDashboard>;
      for (const build of AUDIENCES) {
        const audience = build(context);
        const declarations = audience.dataSets.map((spec) => {
          const dataSet = new InvoiceDataSet(scope, spec.key, {
            dataSetId: names.dataSetId(spec.key),
            name: names.dataSetName(spec.key, region),
            region,
            dataSource,
            spec,
            refreshScheduleId: names.refreshScheduleId(spec.key),
            permissions: authorPermissions(props.principals.authors, DATA_SET_AUTHOR_ACTIONS),
          });
          dataSets.push(dataSet);
          return { identifier: spec.identifier, arn: dataSet.arn };
        });
        dashboards[audience.audience] = new InvoiceDashboard(scope, `${audience.audience}-dashboard`, {
          audience: audience.audience,
          dashboardId: names.dashboardId(audience.audience),
          name: names.dashboardName(audience.audience, region, cells),
          region,
          dataSets: declarations,
          sheets: audience.sheets,
          permissions: dashboardPermissions(props.principals),
        });
      }
      return { region, cells, dataSource, dataSets, dashboards };
    });
  }
}

/**
 * The analytics module of the global stack, as `analytics.quicksight` in fleet.json asks: nothing
 * when it is off (the default), else {@link InvoiceAnalytics} over every cell's table.
 */
export function addInvoiceAnalytics(scope: Construct, fleet: FleetConfig, account: AccountRef): InvoiceAnalytics | undefined {
  const quicksight = fleet.analytics.quicksight;
  if (!quicksight.enabled) return undefined;
  return new InvoiceAnalytics(scope, "analytics", {
    project: fleet.project,
    cells: fleet.cells.map((cell) => ({ id: cell.id, storeRegion: cell.storeRegion ?? cell.region })),
    stages: fleet.stages.map((stage) => ({ name: stage.name, slaMinutes: stage.slaMinutes, terminal: stage.terminal })),
    identityRegion: quicksight.region ?? fleet.global.region,
    principals: { viewers: quicksight.viewers, authors: quicksight.authors },
    account,
    windows: { ...DEFAULT_WINDOWS, stuckLookbackDays: fleet.operations.stuckInvoices.lookbackDays },
    cloudWatchDashboards: [
      { name: fleetNames(fleet.project).fleetDashboard, region: fleet.global.region },
      ...fleet.cells.map((cell) => ({ name: cellNames(cell.id).dashboard, region: cell.region })),
    ],
    tags: { project: fleet.project, stack: STACK_IDS.global, region: fleet.global.region },
  });
}
