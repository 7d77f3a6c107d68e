import { Construct } from "constructs";
import type { CellKey } from "./cell-key";
import { EncryptedQueue } from "./encrypted-queue";
import { EncryptedTopic } from "./encrypted-topic";

export const SEVERITIES = ["critical", "warning", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface AlertSubscription {
  readonly protocol: "email" | "https" | "sqs";
  readonly endpoint: string;
}

export interface AlertTopicsProps {
  readonly topicName: (severity: Severity) => string;
  readonly deadLetterQueueName: string;
  /** Alarms whose names match this pattern may publish (e.g. `arn:...:alarm:use1-a-*`). */
  readonly alarmArnPattern: string;
  readonly subscriptions: Readonly<Record<Severity, readonly AlertSubscription[]>>;
  readonly key: CellKey;
  readonly dlqRetentionDays: number;
}

/**
 * One SNS topic per severity, so that the right person is paged for the right reason:
 * `critical` pages, `warning` needs attention today, `info` is for the record. Encrypted with
 * the cell key, which lets CloudWatch publish (a CMK topic without that drops alarms silently).
 */
export class AlertTopics extends Construct {
  readonly topics: Readonly<Record<Severity, EncryptedTopic>>;
  readonly deadLetterQueue: EncryptedQueue;

  constructor(scope: Construct, id: string, props: AlertTopicsProps) {
    super(scope, id);
    this.deadLetterQueue = new EncryptedQueue(this, "dlq", {
      queueName: props.deadLetterQueueName,
      key: props.key,
      retentionDays: props.dlqRetentionDays,
    });
    const topics = {} as Record<Severity, EncryptedTopic>;
    for (const severity of SEVERITIES) {
      const topic = new EncryptedTopic(this, severity, {
        topicName: props.topicName(severity),
        key: props.key,
        deadLetterQueue: this.deadLetterQueue,
      });
      topic.allowPublishFrom("cloudwatch.amazonaws.com", [props.alarmArnPattern], "ArnLike");
      props.subscriptions[severity].forEach((subscription, i) =>
        topic.subscribe(`subscription-${i}`, { ...subscription, rawMessageDelivery: false }),
      );
      topics[severity] = topic;
    }
    this.topics = topics;
  }

  arn(severity: Severity): string {
    return this.topics[severity].arn;
  }
}
