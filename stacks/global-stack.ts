import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { FleetConfig } from "../cells/fleet-schema";
import { STACK_IDS, cellNames, fleetNames, type AccountRef } from "../cells/naming";
import { ApiGatewayAccountSettings } from "./api-gateway-account";
import { ApiKeySecrets } from "./api-key-secrets";
import { Dashboard, fleetDashboardBody } from "./dashboards";
import { configureBackend } from "./cell-stack";

export interface GlobalStackProps {
  readonly fleet: FleetConfig;
}

/**
 * The fleet's one global stack, in the control region: what spans cells or is one per account
 * and region (API key secrets replicated to every cell region, API Gateway's logging role), and
 * the home of the Route 53 cell router, the archive hub and the replay rules. Like every stack it derives what it needs of the cells
 * from config, never from their state, so it deploys alone.
 */
export class GlobalStack extends TerraformStack {
  constructor(scope: Construct, props: GlobalStackProps) {
    super(scope, STACK_IDS.global);
    const { fleet } = props;
    new AwsProvider(this, "aws", {
      region: fleet.global.region,
      defaultTags: [{ tags: { project: fleet.project, stack: STACK_IDS.global, region: fleet.global.region } }],
    });
    configureBackend(this, fleet, STACK_IDS.global);

    const account: AccountRef = {
      partition: new DataAwsPartition(this, "partition").partition,
      account: new DataAwsCallerIdentity(this, "account").accountId,
    };
    const names = fleetNames(fleet.project);
    const cellRegions = fleet.cells.map((cell) => cell.region);

    new ApiKeySecrets(this, "api-keys", {
      clients: fleet.api.clients.map((client) => client.name),
      secretName: names.apiKeySecret,
      primaryRegion: fleet.global.region,
      cellRegions,
    });
    new Dashboard(this, "fleet-dashboard", {
      name: names.fleetDashboard,
      body: fleetDashboardBody({
        cells: fleet.cells.map((cell) => ({ names: cellNames(cell.id), region: cell.region, active: cell.active })),
        apiStageName: fleet.api.stageName,
        stages: fleet.stages,
      }),
    });
    if (fleet.api.manageAccountSettings) {
      new ApiGatewayAccountSettings(this, "api-gateway-account", {
        roleName: names.apiGatewayCloudWatchRole,
        regions: cellRegions,
        account,
      });
    }
  }
}
