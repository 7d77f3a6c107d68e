import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { PipesPipe } from "@cdktf/provider-aws/lib/pipes-pipe";
import { Construct } from "constructs";
import type { StageConfig } from "../cells/fleet-schema";
import type { AccountRef, CellNames } from "../cells/naming";
import type { CellKey } from "./cell-key";
import { EncryptedQueue } from "./encrypted-queue";
import { EncryptedTopic, type SubscriptionOptions } from "./encrypted-topic";
import type { EventRouter } from "./event-router";
import type { FunctionCode } from "./function-code";
import type { InvoiceStore } from "./invoice-store";
import { ServiceRole } from "./service-role";
import { PIPE_SOURCE_BATCH, VISIBILITY_TIMEOUT_FACTOR } from "./settings";
import { StageConsumer } from "./stage-consumer";

/**
 * Where the pipe puts each event on the FIFO queue. Pipes parse a JSON SQS body, so the
 * original EventBridge event's fields are addressable under `$.body`.
 */
export const FIFO_MESSAGE_GROUP_PATH = "$.body.detail.invoiceId";
export const FIFO_DEDUPLICATION_PATH = "$.body.id";
/** Forward the original EventBridge event, so consumers see the same body in both modes. */
export const PIPE_INPUT_TEMPLATE = "<$.body>";

export interface StagePipelineProps {
  readonly cellNames: CellNames;
  readonly region: string;
  readonly account: AccountRef;
  readonly stage: StageConfig;
  readonly key: CellKey;
  readonly router: EventRouter;
  readonly store: InvoiceStore;
  readonly code: FunctionCode;
  /** Downstream subscribers of this stage's topic (endpoints already resolved for the cell). */
  readonly subscribers: readonly (SubscriptionOptions & { readonly name: string })[];
  readonly queues: { readonly maxReceiveCount: number; readonly retentionDays: number; readonly dlqRetentionDays: number };
  readonly logRetentionDays: number;
  /** The cell's dead-letter queue for asynchronous Lambda invocations. */
  readonly asyncDeadLetterQueue: EncryptedQueue;
}

/**
 * One stage of the invoice journey: rule -> SNS topic (fan-out) -> SQS stage queue -> either an
 * EventBridge Pipe into a per-invoice FIFO queue (`fifo`) or the consumer directly (`standard`)
 * -> consumer Lambda -> invoice store. Every hop has a dead-letter queue.
 */
export class StagePipeline extends Construct {
  readonly topic: EncryptedTopic;
  readonly stageQueue: EncryptedQueue;
  /** The queue the consumer reads: the FIFO buffer, or the stage queue in standard mode. */
  readonly consumerQueue: EncryptedQueue;
  readonly deadLetterQueues: EncryptedQueue[] = [];
  readonly consumer: StageConsumer;
  readonly pipe?: PipesPipe;

  constructor(scope: Construct, id: string, props: StagePipelineProps) {
    super(scope, id);
    const { key, stage, queues } = props;
    const names = props.cellNames.stage(stage.name);
    const visibilityTimeoutSeconds = stage.consumer.timeoutSeconds * VISIBILITY_TIMEOUT_FACTOR;
    const deadLetterQueue = (dlqId: string, queueName: string, fifo = false) => {
      const dlq = new EncryptedQueue(this, dlqId, { queueName, key, fifo, retentionDays: queues.dlqRetentionDays });
      this.deadLetterQueues.push(dlq);
      return dlq;
    };

    const fanoutDlq = deadLetterQueue("fanout-dlq", names.fanoutDlq);
    this.topic = new EncryptedTopic(this, "topic", { topicName: names.topic, key, deadLetterQueue: fanoutDlq });
    props.router.routeStage(stage.name, this.topic, names.rule);

    this.stageQueue = new EncryptedQueue(this, "queue", {
      queueName: names.queue,
      key,
      retentionDays: queues.retentionDays,
      visibilityTimeoutSeconds,
      deadLetter: { queue: deadLetterQueue("queue-dlq", names.queueDlq), maxReceiveCount: queues.maxReceiveCount },
    });
    this.topic.subscribeQueue("stage-queue", this.stageQueue, { rawMessageDelivery: true });
    for (const subscriber of props.subscribers) {
      this.topic.subscribe(`subscriber-${subscriber.name}`, subscriber);
    }

    if (stage.delivery === "fifo") {
      this.consumerQueue = new EncryptedQueue(this, "fifo-queue", {
        queueName: names.fifoQueue,
        key,
        fifo: true,
        retentionDays: queues.retentionDays,
        visibilityTimeoutSeconds,
        deadLetter: { queue: deadLetterQueue("fifo-dlq", names.fifoDlq, true), maxReceiveCount: queues.maxReceiveCount },
      });
      this.pipe = this.buffer(props);
    } else {
      this.consumerQueue = this.stageQueue;
    }

    this.consumer = new StageConsumer(this, "consumer", {
      cellId: props.cellNames.cell,
      names,
      delivery: stage.delivery,
      settings: stage.consumer,
      queue: this.consumerQueue,
      code: props.code,
      key,
      logRetentionDays: props.logRetentionDays,
      storeEnvironment: props.store.environment,
      asyncDeadLetterQueue: props.asyncDeadLetterQueue,
    });
    props.store.grantWrite(this.consumer.role);
  }

  /** The pipe that moves each event from the stage queue into its invoice's FIFO group. */
  private buffer(props: StagePipelineProps): PipesPipe {
    const { key } = props;
    const names = props.cellNames.stage(props.stage.name);
    const pipeArn = props.cellNames.pipeArn(props.region, props.account, props.stage.name);
    const role = new ServiceRole(this, "pipe-role", {
      roleName: names.pipeRole,
      service: "pipes.amazonaws.com",
      description: `${names.pipe}: stage queue to the per-invoice FIFO queue`,
      trustConditions: [
        { test: "StringEquals", variable: "aws:SourceAccount", values: [props.account.account] },
        { test: "ArnEquals", variable: "aws:SourceArn", values: [pipeArn] },
      ],
    });
    this.stageQueue.grantConsumeMessages(role);
    this.consumerQueue.grantSendMessages(role);

    const logGroup = new CloudwatchLogGroup(this, "pipe-logs", {
      name: names.pipeLogGroup,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: key.arn,
    });
    role.addToPolicy({ actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`${logGroup.arn}:*`] });

    return new PipesPipe(this, "pipe", {
      name: names.pipe,
      description: `${props.stage.name}: per-invoice FIFO buffer (group = invoiceId)`,
      roleArn: role.arn,
      source: this.stageQueue.arn,
      target: this.consumerQueue.arn,
      sourceParameters: { sqsQueueParameters: { ...PIPE_SOURCE_BATCH } },
      targetParameters: {
        inputTemplate: PIPE_INPUT_TEMPLATE,
        sqsQueueParameters: { messageGroupId: FIFO_MESSAGE_GROUP_PATH, messageDeduplicationId: FIFO_DEDUPLICATION_PATH },
      },
      logConfiguration: {
        level: "ERROR",
        cloudwatchLogsLogDestination: { logGroupArn: logGroup.arn },
      },
      dependsOn: [role.grants],
    });
  }
}
