import { Aspects, type IAspect, type TerraformStack } from "cdktf";
import { EncryptionAspect } from "./encryption";
import { IamAspect } from "./iam";
import { LambdaAspect } from "./lambda";
import { DeadLetterAspect, QueueAlarmAspect } from "./queues";
import { RequiredTagsAspect } from "./required-tags";
import { SelfContainedAspect } from "./self-contained";
import { SnapshotSource } from "./stack-aspect";
import { TlsOnlyAspect } from "./tls-only";

export { EncryptionAspect } from "./encryption";
export { ALLOWED_MANAGED_POLICIES, IamAspect, STAR_RESOURCE_ACTIONS } from "./iam";
export { LambdaAspect } from "./lambda";
export { DeadLetterAspect, QueueAlarmAspect, deadLetterQueues } from "./queues";
export { CELL_REQUIRED_TAGS, GLOBAL_REQUIRED_TAGS, RequiredTagsAspect } from "./required-tags";
export { SelfContainedAspect } from "./self-contained";
export { SnapshotSource, StackAspect } from "./stack-aspect";
export { TlsOnlyAspect } from "./tls-only";

export interface PolicyAspectsOptions {
  /** Tags the stack's AWS provider must set as default tags: `CELL_REQUIRED_TAGS` or `GLOBAL_REQUIRED_TAGS`. */
  readonly requiredTags: readonly string[];
}

/** Every policy aspect, sharing one snapshot of the stack per synth. */
export function policyAspects(options: PolicyAspectsOptions): IAspect[] {
  const snapshots = new SnapshotSource();
  return [
    new EncryptionAspect(snapshots),
    new TlsOnlyAspect(snapshots),
    new DeadLetterAspect(snapshots),
    new QueueAlarmAspect(snapshots),
    new LambdaAspect(snapshots),
    new IamAspect(snapshots),
    new RequiredTagsAspect(options.requiredTags, snapshots),
    new SelfContainedAspect(snapshots),
  ];
}

/**
 * Checks the stack against the fleet's policy on every synth (encryption, TLS-only, DLQs and
 * queue alarms, observable Lambdas, least-privilege IAM, required tags, no reference to another
 * stack); a violation fails the synth with an error naming the construct path and the fix.
 */
export function applyPolicyAspects(stack: TerraformStack, options: PolicyAspectsOptions): void {
  for (const aspect of policyAspects(options)) Aspects.of(stack).add(aspect);
}
