import type { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import type { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { Construct } from "constructs";
import type { ConsumerSettings, DeliveryMode } from "../cells/fleet-schema";
import type { StageNames } from "../cells/naming";
import type { CellKey } from "./cell-key";
import type { EncryptedQueue } from "./encrypted-queue";
import type { FunctionCode } from "./function-code";
import { SERVICES } from "./cell-alarm-specs";
import { CellFunction } from "./cell-function";
import type { ServiceRole } from "./service-role";



export interface StageConsumerProps {
  readonly cellId: string;
  readonly names: StageNames;
  readonly delivery: DeliveryMode;
  readonly settings: ConsumerSettings & { readonly batchSize: number };
  /** The queue the function consumes: the FIFO buffer or, in standard mode, the stage queue. */
  readonly queue: EncryptedQueue;
  readonly code: FunctionCode;
  readonly key: CellKey;
  readonly logRetentionDays: number;
  /** The cell's dead-letter queue for asynchronous invocations (consumers are polled, but never lose one). */
  readonly asyncDeadLetterQueue: EncryptedQueue;
  /** Environment the function's sink needs (Timestream database, table, region). */
  readonly storeEnvironment: Record<string, string>;
}

/**
 * One stage's consumer: the shared stage-consumer bundle configured for this stage, its role,
 * log group and the event source mapping that reports partial batch failures.
 */
export class StageConsumer extends Construct {
  readonly function: LambdaFunction;
  readonly role: ServiceRole;
  readonly logGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: StageConsumerProps) {
    super(scope, id);
    const { names, settings, delivery, queue } = props;
    if (queue.fifo !== (delivery === "fifo")) {
      throw new Error(`StageConsumer ${this.node.path}: delivery "${delivery}" needs a ${delivery === "fifo" ? "FIFO" : "standard"} queue`);
    }
    if (delivery === "fifo" && settings.batchSize > 10) {
      throw new Error(`StageConsumer ${this.node.path}: settings.batchSize is ${settings.batchSize}; SQS FIFO allows at most 10`);
    }
    if (delivery === "standard" && settings.batchSize > 10 && settings.maxBatchingWindowSeconds < 1) {
      throw new Error(`StageConsumer ${this.node.path}: settings.batchSize above 10 needs maxBatchingWindowSeconds >= 1`);
    }

    const fn = new CellFunction(this, "lambda", {
      functionName: names.consumerFunction,
      roleName: names.consumerRole,
      logGroupName: names.consumerLogGroup,
      description: `Writes ${names.stage} invoice events to the invoice store (${delivery} delivery)`,
      code: props.code,
      serviceName: SERVICES.consumer,
      environment: { STAGE: names.stage, CELL_ID: props.cellId, DELIVERY_MODE: delivery, ...props.storeEnvironment },
      memoryMb: settings.memoryMb,
      timeoutSeconds: settings.timeoutSeconds,
      key: props.key,
      logRetentionDays: props.logRetentionDays,
      // At least the event source mapping's maximum, so polling is never throttled.
      reservedConcurrency: settings.maxConcurrency,
      asyncDeadLetterQueue: props.asyncDeadLetterQueue,
    });
    this.function = fn.function;
    this.role = fn.role;
    this.logGroup = fn.logGroup;
    queue.grantConsumeMessages(this.role);

    new LambdaEventSourceMapping(this, "source", {
      functionName: this.function.arn,
      eventSourceArn: queue.arn,
      batchSize: settings.batchSize,
      maximumBatchingWindowInSeconds: delivery === "standard" ? settings.maxBatchingWindowSeconds : undefined,
      functionResponseTypes: ["ReportBatchItemFailures"],
      scalingConfig: { maximumConcurrency: settings.maxConcurrency },
      // The role's grants must exist before Lambda starts polling.
      dependsOn: [this.role.grants],
    });
  }
}
