import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Backend, TerraformStack } from "cdktf";
import type { FleetConfig } from "../cells/fleet-schema";
import { stateKey, type AccountRef } from "../cells/naming";
import { takeRenderedTerraform } from "./aspects/stack-snapshot";

/**
 * A stack of the fleet. The policy aspects render the stack's Terraform JSON to check it; the
 * synth right after them reuses that rendering instead of resolving every token a second time.
 */
export class FleetStack extends TerraformStack {
  /**
   * cdktf prepares a stack by resolving every token in it once, discarding the result, to find
   * references to other stacks (and wire them through remote state). The fleet's stacks never
   * reference one another (SelfContainedAspect fails the synth if one does), so that pass, a
   * sixth of a synth, is skipped; what remains of the preparation is the backend check.
   */
  override prepareStack(): void {
    this.ensureBackendExists();
  }

  override toTerraform(): ReturnType<TerraformStack["toTerraform"]> {
    return takeRenderedTerraform(this) ?? super.toTerraform();
  }
}

/**
 * What every stack of the fleet starts with: its AWS provider (region, default tags), an S3
 * backend with a state key of its own and S3-native locking, and the account it deploys into.
 */
export function stackFoundation(
  stack: TerraformStack,
  options: {
    readonly fleet: FleetConfig;
    readonly stackId: string;
    readonly region: string;
    /** Default tags on every resource (the policy aspects require them). */
    readonly tags: Readonly<Record<string, string>>;
  },
): AccountRef {
  const { fleet } = options;
  new AwsProvider(stack, "aws", { region: options.region, defaultTags: [{ tags: { ...options.tags } }] });
  new S3Backend(stack, {
    bucket: fleet.stateBackend.bucket,
    region: fleet.stateBackend.region,
    key: stateKey(fleet.stateBackend.keyPrefix, options.stackId),
    encrypt: true,
  });
  // cdktf 0.21's S3Backend has no useLockfile prop; the override synthesizes it (Terraform >= 1.10).
  stack.addOverride("terraform.backend.s3.use_lockfile", true);
  return {
    partition: new DataAwsPartition(stack, "partition").partition,
    account: new DataAwsCallerIdentity(stack, "account").accountId,
  };
}
