import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Construct } from "constructs";
import { PolicyDocument } from "../policy-document";

export interface QuickSightTimestreamAccessProps {
  /** QuickSight's service role (`aws-quicksight-service-role-v0` unless the account chose another). */
  readonly roleName: string;
  /** The inline policy's name, from the analytics names. */
  readonly policyName: string;
  /** Every cell's table ARN (in its store region). */
  readonly tableArns: readonly string[];
}

/**
 * Lets QuickSight query exactly the fleet's invoice tables. A Timestream data source takes no
 * role of its own: QuickSight queries with the account's QuickSight service role, so the grant
 * goes there, as an inline policy this stack owns. It replaces the console's "Amazon Timestream"
 * checkbox, which attaches `AWSQuickSightTimestreamPolicy` (Select on every table of the account).
 */
export class QuickSightTimestreamAccess extends Construct {
  readonly policy: IamRolePolicy;

  constructor(scope: Construct, id: string, props: QuickSightTimestreamAccessProps) {
    super(scope, id);
    if (props.tableArns.length === 0) throw new Error(`QuickSightTimestreamAccess ${this.node.path}: tableArns is empty`);
    const document = new PolicyDocument(this, "permissions", [
      {
        sid: "QueryInvoiceTables",
        actions: ["timestream:DescribeTable", "timestream:ListMeasures", "timestream:Select"],
        resources: [...new Set(props.tableArns)].sort(),
      },
      // Endpoint discovery has no resource-level permission (allow-listed in stacks/aspects/iam.ts).
      { sid: "DiscoverTimestreamEndpoints", actions: ["timestream:DescribeEndpoints"], resources: ["*"] },
    ]);
    this.policy = new IamRolePolicy(this, "policy", { name: props.policyName, role: props.roleName, policy: document.json });
  }
}
