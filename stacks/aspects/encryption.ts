import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KmsReplicaKey } from "@cdktf/provider-aws/lib/kms-replica-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { CellKey } from "../cell-key";
import { reportViolation, StackAspect } from "./stack-aspect";
import type { StackSnapshot } from "./stack-snapshot";

/** What holds messages, and the construct that builds it right. */
const ENCRYPTED = [
  { type: SqsQueue.tfResourceType, what: "SQS queue", construct: "EncryptedQueue" },
  { type: SnsTopic.tfResourceType, what: "SNS topic", construct: "EncryptedTopic" },
] as const;

/** What `kms_master_key_id` may refer to, when a CellKey owns it. */
const KEY_TYPES: readonly string[] = [KmsKey.tfResourceType, KmsReplicaKey.tfResourceType, KmsAlias.tfResourceType];

/**
 * Every SQS queue and SNS topic is encrypted with the cell key (`kms_master_key_id` refers to
 * the key, replica or alias of a `CellKey` in the stack): not unencrypted, not SQS-managed SSE, not an
 * AWS managed key whose policy the cell cannot scope.
 */
export class EncryptionAspect extends StackAspect {
  protected check(snapshot: StackSnapshot): void {
    for (const { type, what, construct } of ENCRYPTED) {
      for (const block of snapshot.resourcesOf(type)) {
        const keyId = block.config["kms_master_key_id"];
        if (keyId === undefined || keyId === null || keyId === "") {
          reportViolation(block.construct, `${what} is not encrypted with the cell key (build it with ${construct}, which sets kmsMasterKeyId to the CellKey)`);
          continue;
        }
        const key = snapshot.referenced(keyId)?.block;
        const isCellKey = key !== undefined && KEY_TYPES.includes(key.type) && key.construct.node.scope instanceof CellKey;
        if (!isCellKey) {
          reportViolation(block.construct, `${what} is encrypted with ${String(keyId)}, not the cell key (build it with ${construct}, which sets kmsMasterKeyId to the CellKey)`);
        }
      }
    }
  }
}
