import { ApiGatewayAccount } from "@cdktf/provider-aws/lib/api-gateway-account";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Construct } from "constructs";
import type { AccountRef } from "../cells/naming";
import { ServiceRole } from "./service-role";

export interface ApiGatewayAccountSettingsProps {
  readonly roleName: string;
  /** Every region a cell runs in. */
  readonly regions: readonly string[];
  readonly account: AccountRef;
}

/**
 * API Gateway's per-account, per-region setting: the role it writes CloudWatch logs with. A
 * region singleton, so no cell may own it (two cells can share a region and each deploys
 * alone); the global stack sets it once for every region a cell runs in.
 */
export class ApiGatewayAccountSettings extends Construct {
  constructor(scope: Construct, id: string, props: ApiGatewayAccountSettingsProps) {
    super(scope, id);
    const role = new ServiceRole(this, "role", {
      roleName: props.roleName,
      service: "apigateway.amazonaws.com",
      description: "API Gateway writes access and execution logs to CloudWatch Logs",
      trustConditions: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [props.account.account] }],
    });
    // AWS's managed policy for exactly this role (logs:CreateLogGroup ... on the account's groups).
    const policy = new IamRolePolicyAttachment(this, "push-to-cloudwatch", {
      role: role.name,
      policyArn: `arn:${props.account.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs`,
    });
    for (const region of [...new Set(props.regions)].sort()) {
      new ApiGatewayAccount(this, `account-${region}`, {
        region,
        cloudwatchRoleArn: role.arn,
        dependsOn: [policy],
      });
    }
  }
}
