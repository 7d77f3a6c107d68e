import { CloudcontrolapiResource } from "@cdktf/provider-aws/lib/cloudcontrolapi-resource";
import { Construct } from "constructs";
import type { Permission } from "./quicksight-permissions";

export interface TimestreamDataSourceProps {
  /** QuickSight data source id (unique per account and region), from the analytics names. */
  readonly dataSourceId: string;
  /** Display name. */
  readonly name: string;
  /** The region of the Timestream tables it reads (a Timestream data source reads its own region only). */
  readonly region: string;
  /** The account id (a token of `aws_caller_identity` is fine). */
  readonly accountId: string;
  /** The data source's ARN, derived from the names (datasets refer to it). */
  readonly arn: string;
  /** Who may use and manage it (authors). */
  readonly permissions: readonly Permission[];
  /** Tags; Cloud Control resources do not get the provider's default tags, so they are given here. */
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * A QuickSight data source of type TIMESTREAM in one region.
 *
 * AWS provider 6.25's `aws_quicksight_data_source` cannot express it: its `parameters` block is
 * required with exactly one engine block, and Timestream has none (QuickSight's API takes a
 * TIMESTREAM source with no parameters at all). So it is created through Cloud Control
 * (`AWS::QuickSight::DataSource`), still by the AWS provider. There is nothing to point it at:
 * QuickSight queries the Timestream of the source's own region with its service role, which is
 * why the fleet has one source per store region (see `QuickSightTimestreamAccess`).
 */
export class TimestreamDataSource extends Construct {
  readonly arn: string;
  /** The Cloud Control resource; datasets depend on it. */
  readonly resource: CloudcontrolapiResource;

  constructor(scope: Construct, id: string, props: TimestreamDataSourceProps) {
    super(scope, id);
    this.arn = props.arn;
    this.resource = new CloudcontrolapiResource(this, "data-source", {
      region: props.region,
      typeName: "AWS::QuickSight::DataSource",
      desiredState: JSON.stringify({
        AwsAccountId: props.accountId,
        DataSourceId: props.dataSourceId,
        Name: props.name,
        Type: "TIMESTREAM",
        ...(props.permissions.length > 0
          ? { Permissions: props.permissions.map((p) => ({ Principal: p.principal, Actions: [...p.actions] })) }
          : {}),
        Tags: Object.entries(props.tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    });
  }
}
