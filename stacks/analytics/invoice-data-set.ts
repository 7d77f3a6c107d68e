import { QuicksightDataSet } from "@cdktf/provider-aws/lib/quicksight-data-set";
import { QuicksightRefreshSchedule } from "@cdktf/provider-aws/lib/quicksight-refresh-schedule";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import type { DataSetSpec } from "./audience";
import type { Permission } from "./quicksight-permissions";

export interface InvoiceDataSetProps {
  /** QuickSight dataset id, from the analytics names. */
  readonly dataSetId: string;
  readonly name: string;
  /** Same region as its data source. */
  readonly region: string;
  /** The Timestream data source its custom SQL runs on. */
  readonly dataSource: { readonly arn: string; readonly resource: ITerraformDependable };
  /** SQL, columns, import mode and refresh interval. */
  readonly spec: DataSetSpec;
  /** The SPICE refresh schedule's id (used when the spec imports into SPICE). */
  readonly refreshScheduleId: string;
  /** Authors only: viewers see the data through dashboards. */
  readonly permissions: readonly Permission[];
}

/** Where the custom SQL sits in the dataset. */
const TABLE_ID = "invoice-events";

/**
 * One dataset over a region's invoice events: a custom SQL table on the region's Timestream data
 * source. A SPICE dataset is refreshed in full on its schedule (daily at 03:00 UTC, or hourly);
 * a direct-query dataset asks Timestream on every dashboard load.
 */
export class InvoiceDataSet extends Construct {
  readonly arn: string;
  readonly dataSet: QuicksightDataSet;

  constructor(scope: Construct, id: string, props: InvoiceDataSetProps) {
    super(scope, id);
    const { spec } = props;
    if (spec.importMode === "SPICE" && !spec.refresh) {
      throw new Error(`InvoiceDataSet ${props.dataSetId}: spec.refresh is required for a SPICE dataset (it would never be refreshed)`);
    }
    this.dataSet = new QuicksightDataSet(this, "data-set", {
      region: props.region,
      dataSetId: props.dataSetId,
      name: props.name,
      importMode: spec.importMode,
      physicalTableMap: [
        {
          physicalTableMapId: TABLE_ID,
          customSql: {
            dataSourceArn: props.dataSource.arn,
            name: spec.key,
            sqlQuery: spec.query.sql,
            columns: spec.query.columns.map((column) => ({ name: column.name, type: column.type })),
          },
        },
      ],
      // The table QuickSight would add itself, declared so plans stay empty.
      logicalTableMap: [{ logicalTableMapId: TABLE_ID, alias: spec.key, source: { physicalTableId: TABLE_ID } }],
      permissions: props.permissions.map((p) => ({ principal: p.principal, actions: [...p.actions] })),
      dependsOn: [props.dataSource.resource],
    });
    this.arn = this.dataSet.arn;

    if (spec.importMode === "SPICE") {
      new QuicksightRefreshSchedule(this, "refresh", {
        region: props.region,
        dataSetId: props.dataSetId,
        scheduleId: props.refreshScheduleId,
        schedule: [
          {
            refreshType: "FULL_REFRESH",
            scheduleFrequency: [
              spec.refresh === "HOURLY" ? { interval: "HOURLY" } : { interval: "DAILY", timeOfTheDay: "03:00", timezone: "UTC" },
            ],
          },
        ],
        dependsOn: [this.dataSet],
      });
    }
  }
}
