import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { reportViolation, StackAspect } from "./stack-aspect";
import { list, nested, type Block, type Config, type StackSnapshot } from "./stack-snapshot";

// A redrive policy (SQS queue, SNS subscription) is a JSON string naming its dead-letter target.
const DEAD_LETTER_TARGET_ARN = /"deadLetterTargetArn"\s*:\s*"([^"]*)"/g;

/**
 * The stack's dead-letter queues: every queue some resource dead-letters into, by a redrive
 * policy (`deadLetterTargetArn` of a queue or SNS subscription), a `dead_letter_config`
 * (EventBridge targets, Scheduler schedules, Lambda) or an `on_failure` destination (Lambda
 * asynchronous invocations). No marker is needed: being a target is what makes a queue a DLQ.
 */
export function deadLetterQueues(snapshot: StackSnapshot): ReadonlySet<Block> {
  // Two aspects ask for the same snapshot's DLQs; walking every block's attributes once is enough.
  let found = deadLetterQueuesOf.get(snapshot);
  if (!found) deadLetterQueuesOf.set(snapshot, (found = findDeadLetterQueues(snapshot)));
  return found;
}

const deadLetterQueuesOf = new WeakMap<StackSnapshot, ReadonlySet<Block>>();

function findDeadLetterQueues(snapshot: StackSnapshot): Set<Block> {
  const queues = snapshot.resourcesOf(SqsQueue.tfResourceType);
  const targets = snapshot.resources.flatMap((block) => deadLetterTargets(block.config, false));
  const found = new Set<Block>();
  for (const target of targets) {
    for (const reference of snapshot.referencesIn(target)) {
      if (reference.block.type === SqsQueue.tfResourceType && reference.attribute === "arn") found.add(reference.block);
    }
    // A target written as an ARN (derived from config) names the queue at its end.
    for (const queue of queues) {
      const name = queue.config["name"];
      if (typeof name === "string" && target.endsWith(`:${name}`)) found.add(queue);
    }
  }
  return found;
}

/** The dead-letter target values in a block's attributes. */
function deadLetterTargets(value: unknown, underDeadLetterKey: boolean): string[] {
  if (typeof value === "string") {
    const inRedrivePolicy = [...value.matchAll(DEAD_LETTER_TARGET_ARN)].map((match) => match[1]!);
    return underDeadLetterKey ? [value, ...inRedrivePolicy] : inRedrivePolicy;
  }
  if (Array.isArray(value)) return value.flatMap((item) => deadLetterTargets(item, underDeadLetterKey));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => deadLetterTargets(item, underDeadLetterKey || /dead_?letter|on_failure/i.test(key)));
  }
  return [];
}

/**
 * Every SQS queue that is not itself a dead-letter queue has one: a redrive policy naming its
 * `deadLetterTargetArn`, so a message that keeps failing is set aside instead of retried forever
 * (or dropped at the end of its retention).
 */
export class DeadLetterAspect extends StackAspect {
  protected check(snapshot: StackSnapshot): void {
    const dlqs = deadLetterQueues(snapshot);
    for (const queue of snapshot.resourcesOf(SqsQueue.tfResourceType)) {
      if (dlqs.has(queue)) continue;
      const redrive = queue.config["redrive_policy"];
      const target = typeof redrive === "string" ? [...redrive.matchAll(DEAD_LETTER_TARGET_ARN)][0]?.[1] : undefined;
      if (!target) {
        reportViolation(
          queue.construct,
          "SQS queue has no dead-letter queue (set EncryptedQueue deadLetter; only a queue that is itself another resource's dead-letter target may go without)",
        );
      }
    }
  }
}

/** The metric an alarm must watch: the age of a working queue's oldest message, a DLQ's depth. */
const AGE = "ApproximateAgeOfOldestMessage";
const DEPTH = "ApproximateNumberOfMessagesVisible";

/**
 * Every SQS queue is watched by an alarm on its `QueueName`: a working queue on
 * `ApproximateAgeOfOldestMessage` (its consumer falls behind or is stuck), a dead-letter queue
 * on `ApproximateNumberOfMessagesVisible` (its first message waits for a human).
 */
export class QueueAlarmAspect extends StackAspect {
  protected check(snapshot: StackSnapshot): void {
    const dlqs = deadLetterQueues(snapshot);
    const watched = snapshot.resourcesOf(CloudwatchMetricAlarm.tfResourceType).flatMap((alarm) => alarmMetrics(alarm.config));
    for (const queue of snapshot.resourcesOf(SqsQueue.tfResourceType)) {
      const isDlq = dlqs.has(queue);
      const metricName = isDlq ? DEPTH : AGE;
      const name = queue.config["name"];
      const nameRef = `\${${queue.address}.name}`;
      const alarmed = watched.some(
        (metric) =>
          metric.namespace === "AWS/SQS" &&
          metric.metricName === metricName &&
          (metric.queueName === nameRef || (typeof name === "string" && metric.queueName === name)),
      );
      if (alarmed) continue;
      const label = typeof name === "string" ? `QueueName "${name}"` : "its QueueName";
      reportViolation(
        queue.construct,
        isDlq
          ? `dead-letter queue has no ${DEPTH} alarm on ${label} (list it in deadLetterQueues() of stacks/cell-alarm-specs.ts, or alarm on it where it is built, so its first message pages)`
          : `SQS queue has no ${AGE} alarm on ${label} (add its queue alarms in stacks/cell-alarm-specs.ts, so a consumer falling behind is noticed)`,
      );
    }
  }
}

/** The metrics an alarm watches: its own, or those of its metric queries. */
function alarmMetrics(alarm: Config): { namespace: unknown; metricName: unknown; queueName: unknown }[] {
  const direct = { namespace: alarm["namespace"], metricName: alarm["metric_name"], queueName: dimension(alarm["dimensions"]) };
  const queried = list(alarm["metric_query"]).flatMap((query) => {
    const metric = nested((query as Config)["metric"]);
    return metric ? [{ namespace: metric["namespace"], metricName: metric["metric_name"], queueName: dimension(metric["dimensions"]) }] : [];
  });
  return [direct, ...queried];
}

function dimension(dimensions: unknown): unknown {
  return dimensions !== null && typeof dimensions === "object" ? (dimensions as Config)["QueueName"] : undefined;
}
