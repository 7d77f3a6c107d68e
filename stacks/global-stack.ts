import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { FleetConfig } from "../cells/fleet-schema";
import { STACK_IDS } from "../cells/naming";
import { configureBackend } from "./cell-stack";

export interface GlobalStackProps {
  readonly fleet: FleetConfig;
}

/**
 * The fleet's one global stack, in the control region: the home of the Route 53 cell router,
 * the archive hub and the replay rules. Like every stack it derives what it needs of the cells
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
  }
}
