import { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { Construct } from "constructs";
import { INGEST_EVENT_SOURCE } from "../functions/shared/invoice-event";
import type { CellKey } from "./cell-key";
import { EncryptedQueue } from "./encrypted-queue";
import type { EncryptedTopic } from "./encrypted-topic";
import type { Grantee } from "./policy-document";
import { ServiceRole } from "./service-role";

/** Live events ingested by this cell, never replayed ones: what goes to the archive hub. */
export const forwardingPattern = (cellId: string) => ({
  source: [INGEST_EVENT_SOURCE],
  detail: { meta: { cell: [cellId] } },
  "replay-name": [{ exists: false }],
});

export interface EventRouterProps {
  /** Physical bus name, `<cell>-invoices`. */
  readonly busName: string;
  /** Name of the standard queue that catches what no rule target accepted. */
  readonly deadLetterQueueName: string;
  readonly key: CellKey;
  /** Target retries before an event goes to the DLQ (0-185). */
  readonly retryAttempts: number;
  /** Oldest an event may get while being retried (60-86400 s). */
  readonly maxEventAgeSeconds: number;
  readonly dlqRetentionDays: number;
}

/**
 * The cell's custom event bus and its routing: one rule per stage on `detail-type`, each target
 * with a retry policy and the router's dead-letter queue.
 */
export class EventRouter extends Construct {
  readonly bus: CloudwatchEventBus;
  readonly deadLetterQueue: EncryptedQueue;
  readonly rules = new Map<string, CloudwatchEventRule>();

  constructor(scope: Construct, id: string, private readonly props: EventRouterProps) {
    super(scope, id);
    if (props.retryAttempts < 0 || props.retryAttempts > 185) {
      throw new Error(`EventRouter ${this.node.path}: retryAttempts must be 0-185, got ${props.retryAttempts}`);
    }
    this.bus = new CloudwatchEventBus(this, "bus", { name: props.busName });
    this.deadLetterQueue = new EncryptedQueue(this, "dlq", {
      queueName: props.deadLetterQueueName,
      key: props.key,
      retentionDays: props.dlqRetentionDays,
    });
  }

  /**
   * Routes one stage's events (`detail-type` = stage) to a topic through rule `ruleName`.
   * Replayed events are routed too: a DR replay exists to be processed.
   */
  routeStage(stage: string, topic: EncryptedTopic, ruleName: string): CloudwatchEventRule {
    if (this.rules.has(stage)) throw new Error(`EventRouter ${this.node.path}: stage "${stage}" is already routed`);
    const rule = new CloudwatchEventRule(this, `rule-${stage}`, {
      name: ruleName,
      eventBusName: this.bus.name,
      description: `${stage} invoice events to the ${stage} topic`,
      eventPattern: JSON.stringify({ source: [INGEST_EVENT_SOURCE], "detail-type": [stage] }),
    });
    new CloudwatchEventTarget(this, `target-${stage}`, {
      rule: rule.name,
      eventBusName: this.bus.name,
      arn: topic.arn,
      retryPolicy: {
        maximumRetryAttempts: this.props.retryAttempts,
        maximumEventAgeInSeconds: this.props.maxEventAgeSeconds,
      },
      deadLetterConfig: { arn: this.deadLetterQueue.arn },
    });
    topic.allowPublishFrom("events.amazonaws.com", [rule.arn]);
    this.deadLetterQueue.allowSendFrom("events.amazonaws.com", [rule.arn]);
    this.rules.set(stage, rule);
    return rule;
  }

  /**
   * Forwards the cell's own live events to the archive hub (another region's bus) with a role
   * that may put events there and nowhere else. Loop guard: only events ingested by this cell
   * (`detail.meta.cell`) and never a replayed one, so a DR replay is not archived again.
   */
  forwardToHub(options: {
    readonly cellId: string;
    readonly ruleName: string;
    readonly roleName: string;
    readonly hubBusArn: string;
    readonly ruleArn: string;
    readonly account: string;
  }): CloudwatchEventRule {
    const rule = new CloudwatchEventRule(this, "forward-to-hub", {
      name: options.ruleName,
      eventBusName: this.bus.name,
      description: "This cell's live events to the archive hub",
      eventPattern: JSON.stringify(forwardingPattern(options.cellId)),
    });
    const role = new ServiceRole(this, "forward-role", {
      roleName: options.roleName,
      service: "events.amazonaws.com",
      description: "Forwards the cell's live events to the archive hub",
      trustConditions: [
        { test: "StringEquals", variable: "aws:SourceAccount", values: [options.account] },
        { test: "ArnEquals", variable: "aws:SourceArn", values: [options.ruleArn] },
      ],
    });
    role.addToPolicy({ actions: ["events:PutEvents"], resources: [options.hubBusArn] });
    new CloudwatchEventTarget(this, "forward-to-hub-target", {
      rule: rule.name,
      eventBusName: this.bus.name,
      arn: options.hubBusArn,
      roleArn: role.arn,
      retryPolicy: {
        maximumRetryAttempts: this.props.retryAttempts,
        maximumEventAgeInSeconds: this.props.maxEventAgeSeconds,
      },
      deadLetterConfig: { arn: this.deadLetterQueue.arn },
    });
    this.deadLetterQueue.allowSendFrom("events.amazonaws.com", [rule.arn]);
    return rule;
  }

  /** The bus's physical name (a plain string, usable where a token is not). */
  get busName(): string {
    return this.props.busName;
  }

  grantPutEvents(grantee: Grantee): void {
    grantee.addToPolicy({ actions: ["events:PutEvents"], resources: [this.bus.arn] });
  }
}
