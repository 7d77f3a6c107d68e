import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { actionMatches, readPolicy, type Statement } from "./policy-statements";
import { reportViolation, StackAspect } from "./stack-aspect";
import type { Block, StackSnapshot } from "./stack-snapshot";

/**
 * Per resource type: where its policies live and which action the TLS deny must cover. Queues
 * deny every action (`sqs:*`); topics deny `sns:Publish`, as AWS's SNS example for
 * `aws:SecureTransport` does (subscribers receive over the endpoint's own protocol).
 */
const TLS_ONLY = [
  {
    type: SqsQueue.tfResourceType,
    what: "SQS queue",
    construct: "EncryptedQueue",
    action: "sqs:*",
    policyType: SqsQueuePolicy.tfResourceType,
    /** The policy resource's attribute naming its queue, and which of the queue's attributes it may use. */
    policyTarget: "queue_url",
    targetAttributes: ["url", "id"],
  },
  {
    type: SnsTopic.tfResourceType,
    what: "SNS topic",
    construct: "EncryptedTopic",
    action: "sns:Publish",
    policyType: SnsTopicPolicy.tfResourceType,
    policyTarget: "arn",
    targetAttributes: ["arn", "id"],
  },
] as const;

/**
 * Every SQS queue and SNS topic refuses requests made without TLS: one of its policies (its own
 * `policy` or an `aws_sqs_queue_policy` / `aws_sns_topic_policy` on it) denies the action to
 * every principal when `aws:SecureTransport` is false, on the resource itself.
 */
export class TlsOnlyAspect extends StackAspect {
  protected check(snapshot: StackSnapshot): void {
    for (const kind of TLS_ONLY) {
      const policyResources = snapshot.resourcesOf(kind.policyType);
      for (const block of snapshot.resourcesOf(kind.type)) {
        const policies = [
          block.config["policy"],
          ...policyResources
            .filter((policy) => {
              const target = snapshot.referenced(policy.config[kind.policyTarget]);
              return target?.block === block && (kind.targetAttributes as readonly string[]).includes(target.attribute);
            })
            .map((policy) => policy.config["policy"]),
        ];
        const statements = policies.flatMap((policy) => readPolicy(snapshot, policy)?.statements ?? []);
        if (!statements.some((statement) => deniesInsecureTransport(statement, kind.action, block))) {
          reportViolation(
            block.construct,
            `${kind.what} does not refuse requests without TLS (its policy needs a Deny of ${kind.action} to principal "*" when aws:SecureTransport is "false"; ${kind.construct} adds it)`,
          );
        }
      }
    }
  }
}

function deniesInsecureTransport(statement: Statement, action: string, target: Block): boolean {
  const everyone = statement.principals.some((p) => (p.type === "*" || p.type === "AWS") && p.identifiers.includes("*"));
  const insecure = statement.conditions.some(
    (c) => c.test === "Bool" && c.variable.toLowerCase() === "aws:securetransport" && c.values.map((v) => v.toLowerCase()).includes("false"),
  );
  const ownArn = `\${${target.address}.arn}`;
  const onTarget = statement.resources === undefined || statement.resources.some((resource) => resource === "*" || resource === ownArn);
  return (
    statement.effect === "Deny" && everyone && insecure && onTarget && statement.actions.some((pattern) => actionMatches(pattern, action))
  );
}
