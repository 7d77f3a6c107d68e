import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Construct } from "constructs";
import type { CellKey } from "./cell-key";
import type { EncryptedQueue } from "./encrypted-queue";
import { PolicyDocument, denyInsecureTransport, type Grantee } from "./policy-document";

export interface EncryptedTopicProps {
  /** Physical name (from `cells/naming.ts`). */
  readonly topicName: string;
  readonly key: CellKey;
  /** Where messages no subscription endpoint would take end up (a standard queue). */
  readonly deadLetterQueue: EncryptedQueue;
}

export interface SubscriptionOptions {
  readonly protocol: "sqs" | "lambda" | "https" | "email";
  readonly endpoint: string;
  /**
   * SNS filter policy, applied to the message body: EventBridge sets no message attributes,
   * so attribute-scoped policies would drop everything.
   */
  readonly filterPolicy?: Record<string, unknown>;
  /** @default true */
  readonly rawMessageDelivery?: boolean;
}

/**
 * A standard SNS topic encrypted with the cell key, TLS-only, whose every subscription has a
 * redrive policy to the topic's dead-letter queue.
 */
export class EncryptedTopic extends Construct {
  readonly topic: SnsTopic;
  private readonly policy: PolicyDocument;

  constructor(scope: Construct, id: string, private readonly props: EncryptedTopicProps) {
    super(scope, id);
    if (props.deadLetterQueue.fifo) {
      throw new Error(`EncryptedTopic ${this.node.path}: deadLetterQueue must be a standard queue`);
    }
    this.topic = new SnsTopic(this, "topic", { name: props.topicName, kmsMasterKeyId: props.key.arn });
    this.policy = new PolicyDocument(this, "policy", [denyInsecureTransport(["sns:Publish"], [this.topic.arn])]);
    new SnsTopicPolicy(this, "topic-policy", { arn: this.topic.arn, policy: this.policy.json });
    props.deadLetterQueue.allowSendFrom("sns.amazonaws.com", [this.topic.arn]);
  }

  /** One token per attribute, so identical grants compare equal and are not repeated. */
  get arn(): string {
    return (this.cachedArn ??= this.topic.arn);
  }
  private cachedArn?: string;

  /** Lets an AWS service publish on behalf of the given source ARNs only (and use the key). */
  allowPublishFrom(service: string, sourceArns: readonly string[], match: "ArnEquals" | "ArnLike" = "ArnEquals"): void {
    this.props.key.allowServiceEnvelope(service);
    this.policy.allowServiceFromSources({ service, verb: "Publish", actions: ["sns:Publish"], resources: [this.arn], sourceArns, match });
  }

  grantPublish(grantee: Grantee): void {
    grantee.addToPolicy({ actions: ["sns:Publish"], resources: [this.arn] });
    this.props.key.grantEncryptDecrypt(grantee);
  }

  /** Subscribes one of the cell's queues; the queue lets this topic (and only it) send. */
  subscribeQueue(id: string, queue: EncryptedQueue, options: Omit<SubscriptionOptions, "protocol" | "endpoint"> = {}): SnsTopicSubscription {
    if (queue.fifo) {
      throw new Error(`EncryptedTopic ${this.node.path}: a standard topic cannot deliver to FIFO queue ${queue.node.path}`);
    }
    queue.allowSendFrom("sns.amazonaws.com", [this.arn]);
    return this.subscribe(id, { ...options, protocol: "sqs", endpoint: queue.arn });
  }

  /** Subscribes an endpoint outside the cell (its owner grants the topic access). */
  subscribe(id: string, options: SubscriptionOptions): SnsTopicSubscription {
    return new SnsTopicSubscription(this, id, {
      topicArn: this.arn,
      protocol: options.protocol,
      endpoint: options.endpoint,
      // Raw delivery exists for queues and HTTP endpoints only.
      rawMessageDelivery: options.protocol === "sqs" || options.protocol === "https" ? (options.rawMessageDelivery ?? true) : undefined,
      filterPolicy: options.filterPolicy ? JSON.stringify(options.filterPolicy) : undefined,
      filterPolicyScope: options.filterPolicy ? "MessageBody" : undefined,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: this.props.deadLetterQueue.arn }),
    });
  }
}
