import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { Construct } from "constructs";
import type { CellKey } from "./cell-key";
import { PolicyDocument, denyInsecureTransport, type Grantee } from "./policy-document";

const DAY = 86_400;

export interface EncryptedQueueProps {
  /** Physical name (from `cells/naming.ts`); FIFO queue names end in `.fifo`. */
  readonly queueName: string;
  /** The cell key; every queue is encrypted with it. */
  readonly key: CellKey;
  /** @default false */
  readonly fifo?: boolean;
  /** How long a message is kept. @default 4 days */
  readonly retentionDays?: number;
  /** Seconds a received message stays invisible; >= 6x the consumer's timeout. @default 30 */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * Where messages go after `maxReceiveCount` failed receives. Omit only for a queue that is
   * itself a DLQ. A FIFO queue needs a FIFO DLQ.
   */
  readonly deadLetter?: { readonly queue: EncryptedQueue; readonly maxReceiveCount: number };
}

/**
 * An SQS queue as every queue in a cell must be: encrypted with the cell key, TLS-only, with a
 * dead-letter queue unless it is one. Senders and consumers are let in by the grant methods.
 */
export class EncryptedQueue extends Construct {
  readonly queue: SqsQueue;
  readonly fifo: boolean;
  private readonly policy: PolicyDocument;

  constructor(scope: Construct, id: string, private readonly props: EncryptedQueueProps) {
    super(scope, id);
    this.fifo = props.fifo ?? false;
    if (this.fifo !== props.queueName.endsWith(".fifo")) {
      throw new Error(`EncryptedQueue ${this.node.path}: queueName "${props.queueName}" must end in ".fifo" exactly when fifo is true`);
    }
    const deadLetter = props.deadLetter;
    if (deadLetter) {
      if (deadLetter.queue.fifo !== this.fifo) {
        throw new Error(`EncryptedQueue ${this.node.path}: deadLetter.queue must be ${this.fifo ? "a FIFO" : "a standard"} queue like its source`);
      }
      if (deadLetter.maxReceiveCount < 5) {
        throw new Error(`EncryptedQueue ${this.node.path}: deadLetter.maxReceiveCount is ${deadLetter.maxReceiveCount}; use at least 5 so a throttled consumer does not dead-letter good messages`);
      }
    }
    this.queue = new SqsQueue(this, "queue", {
      name: props.queueName,
      fifoQueue: this.fifo || undefined,
      // High-throughput FIFO: dedup and throughput limits per message group (per invoice).
      deduplicationScope: this.fifo ? "messageGroup" : undefined,
      fifoThroughputLimit: this.fifo ? "perMessageGroupId" : undefined,
      kmsMasterKeyId: props.key.arn,
      kmsDataKeyReusePeriodSeconds: 300,
      messageRetentionSeconds: (props.retentionDays ?? 4) * DAY,
      visibilityTimeoutSeconds: props.visibilityTimeoutSeconds ?? 30,
      receiveWaitTimeSeconds: 20,
      redrivePolicy: deadLetter
        ? JSON.stringify({ deadLetterTargetArn: deadLetter.queue.arn, maxReceiveCount: deadLetter.maxReceiveCount })
        : undefined,
    });
    this.policy = new PolicyDocument(this, "policy", [denyInsecureTransport(["sqs:*"], [this.queue.arn])]);
    new SqsQueuePolicy(this, "queue-policy", { queueUrl: this.queue.url, policy: this.policy.json });
  }

  /** One token per attribute, so identical grants compare equal and are not repeated. */
  get arn(): string {
    return (this.cachedArn ??= this.queue.arn);
  }
  private cachedArn?: string;

  get url(): string {
    return this.queue.url;
  }

  get name(): string {
    return this.queue.name;
  }

  /**
   * Lets an AWS service (`sns.amazonaws.com`, `events.amazonaws.com`) send to the queue on
   * behalf of the given source ARNs only, and lets it use the key to do so.
   */
  allowSendFrom(service: string, sourceArns: readonly string[]): void {
    this.props.key.allowServiceEnvelope(service);
    this.policy.allowServiceFromSources({ service, verb: "Send", actions: ["sqs:SendMessage"], resources: [this.arn], sourceArns });
  }

  grantSendMessages(grantee: Grantee): void {
    grantee.addToPolicy({ actions: ["sqs:SendMessage", "sqs:GetQueueAttributes"], resources: [this.arn] });
    this.props.key.grantEncryptDecrypt(grantee);
  }

  grantConsumeMessages(grantee: Grantee): void {
    grantee.addToPolicy({
      actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
      resources: [this.arn],
    });
    this.props.key.grantDecrypt(grantee);
  }
}
