import { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import type { TerraformStack } from "cdktf";
import { describe, expect, it } from "vitest";
import { EncryptedQueue } from "../../../stacks/encrypted-queue";
import { DeadLetterAspect, QueueAlarmAspect } from "../../../stacks/aspects";
import { aspectErrors, aspectStack, expectErrors, STACK_ID, type AspectStack } from "./aspect-stack";

/** A working queue with its DLQ, as a stage pipeline builds them. */
function queueWithDlq(cell: AspectStack, id: string) {
  const dlq = new EncryptedQueue(cell.stack, `${id}-dlq`, { queueName: `${id}-dlq`, key: cell.key });
  const queue = new EncryptedQueue(cell.stack, id, { queueName: id, key: cell.key, deadLetter: { queue: dlq, maxReceiveCount: 5 } });
  return { queue, dlq };
}

function alarm(stack: TerraformStack, id: string, metricName: string, queueName: string) {
  new CloudwatchMetricAlarm(stack, id, {
    alarmName: id,
    namespace: "AWS/SQS",
    metricName,
    dimensions: { QueueName: queueName },
    statistic: "Maximum",
    period: 60,
    evaluationPeriods: 5,
    threshold: 300,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
  });
}

describe("DeadLetterAspect", () => {
  it("passes a queue with a DLQ, and the DLQ itself", () => {
    const cell = aspectStack([new DeadLetterAspect()]);
    queueWithDlq(cell, "orders");
    expect(aspectErrors(cell.stack)).toEqual([]);
  });

  it("fails a queue without a DLQ, naming its path", () => {
    const cell = aspectStack([new DeadLetterAspect()]);
    new EncryptedQueue(cell.stack, "orders", { queueName: "orders", key: cell.key });
    expectErrors(cell.stack, [[`${STACK_ID}/orders/queue`, /SQS queue has no dead-letter queue \(set EncryptedQueue deadLetter/]]);
  });

  it("recognises a DLQ by any resource dead-lettering into it (an EventBridge target's dead_letter_config)", () => {
    const cell = aspectStack([new DeadLetterAspect()]);
    const dlq = new EncryptedQueue(cell.stack, "router-dlq", { queueName: "router-dlq", key: cell.key });
    const bus = new CloudwatchEventBus(cell.stack, "bus", { name: "bus" });
    const rule = new CloudwatchEventRule(cell.stack, "rule", { name: "rule", eventBusName: bus.name, eventPattern: "{}" });
    new CloudwatchEventTarget(cell.stack, "target", { rule: rule.name, eventBusName: bus.name, arn: bus.arn, deadLetterConfig: { arn: dlq.arn } });
    expect(aspectErrors(cell.stack)).toEqual([]);
  });
});

describe("QueueAlarmAspect", () => {
  it("passes a queue with an age alarm and a DLQ with a depth alarm on their names", () => {
    const cell = aspectStack([new QueueAlarmAspect()]);
    queueWithDlq(cell, "orders");
    alarm(cell.stack, "orders-queue-age", "ApproximateAgeOfOldestMessage", "orders");
    alarm(cell.stack, "orders-dlq-messages", "ApproximateNumberOfMessagesVisible", "orders-dlq");
    expect(aspectErrors(cell.stack)).toEqual([]);
  });

  it("fails a queue without an age alarm, naming its path", () => {
    const cell = aspectStack([new QueueAlarmAspect()]);
    queueWithDlq(cell, "orders");
    alarm(cell.stack, "orders-dlq-messages", "ApproximateNumberOfMessagesVisible", "orders-dlq");
    // Depth is not age: a backlog alarm does not say the consumer is stuck.
    alarm(cell.stack, "orders-queue-depth", "ApproximateNumberOfMessagesVisible", "orders");
    expectErrors(cell.stack, [[`${STACK_ID}/orders/queue`, /SQS queue has no ApproximateAgeOfOldestMessage alarm on QueueName "orders"/]]);
  });

  it("fails a queue whose age alarm watches another queue's name", () => {
    const cell = aspectStack([new QueueAlarmAspect()]);
    queueWithDlq(cell, "orders");
    alarm(cell.stack, "orders-dlq-messages", "ApproximateNumberOfMessagesVisible", "orders-dlq");
    alarm(cell.stack, "orders-queue-age", "ApproximateAgeOfOldestMessage", "orders.fifo");
    expectErrors(cell.stack, [[`${STACK_ID}/orders/queue`, /SQS queue has no ApproximateAgeOfOldestMessage alarm on QueueName "orders"/]]);
  });

  it("fails a DLQ nobody is alarmed by, naming its path", () => {
    const cell = aspectStack([new QueueAlarmAspect()]);
    queueWithDlq(cell, "orders");
    alarm(cell.stack, "orders-queue-age", "ApproximateAgeOfOldestMessage", "orders");
    expectErrors(cell.stack, [[`${STACK_ID}/orders-dlq/queue`, /dead-letter queue has no ApproximateNumberOfMessagesVisible alarm on QueueName "orders-dlq"/]]);
  });

  it("accepts alarms that reach the queue through metric math", () => {
    const cell = aspectStack([new QueueAlarmAspect()]);
    const { queue } = queueWithDlq(cell, "orders");
    alarm(cell.stack, "orders-queue-age", "ApproximateAgeOfOldestMessage", queue.name);
    new CloudwatchMetricAlarm(cell.stack, "orders-dlq-messages", {
      alarmName: "orders-dlq-messages",
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      evaluationPeriods: 1,
      threshold: 1,
      metricQuery: [
        { id: "visible", metric: { namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: { QueueName: "orders-dlq" }, period: 60, stat: "Maximum" } },
        { id: "result", expression: "visible", returnData: true },
      ],
    });
    expect(aspectErrors(cell.stack)).toEqual([]);
  });
});
