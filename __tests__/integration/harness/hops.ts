/**
 * The hops moto cannot run, played by the harness with the synthesized settings:
 *
 * - rule -> SNS topic: moto's PutEvents answers 500 for an SNS target, so the rule's probe
 *   queue stands in for the topic and `relayRuleToTopic` publishes each event it received to
 *   the topic, as EventBridge does (the message is the event JSON, no attributes). moto leaves
 *   `account` out of the live events it hands to an SQS target (its default input template
 *   lacks it); the relay puts moto's account back, and changes nothing else.
 * - EventBridge Pipe (SQS -> SQS FIFO): `runPipe` receives from the pipe's source queue and
 *   sends to its target with the pipe's `message_group_id`, `message_deduplication_id` and
 *   `input_template`, evaluated against the Pipes SQS source record (a JSON body is parsed, so
 *   `$.body.detail.invoiceId` addresses into it). A message the target parameters cannot be
 *   evaluated for stays in the source queue, as a failed pipe delivery does.
 */
import { PublishCommand } from "@aws-sdk/client-sns";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { EMULATOR_ACCOUNT, type Emulator } from "./emulator";
import type { StagePipelineView } from "./fleet";
import type { EmulatedRule, EmulatedTopic, PipeDefinition } from "./provision";
import { deleteMessages, drain, receiveOnce, releaseMessages, type ReceivedMessage } from "./queues";

/** Publishes what the rule matched to the topic it targets; answers the events relayed. */
export async function relayRuleToTopic(emulator: Emulator, rule: EmulatedRule): Promise<Record<string, unknown>[]> {
  const topics = rule.targets.flatMap((target) => (target.kind === "topic-via-probe" ? [target.topic] : []));
  if (topics.length === 0) throw new Error(`rule ${rule.name} has no SNS target`);
  const events = (await drain(emulator, rule.probe)).map((message) => JSON.parse(message.body) as Record<string, unknown>);
  const published = events.map((event) => ("account" in event ? event : { ...event, account: EMULATOR_ACCOUNT }));
  for (const topic of topics) await publishEvents(emulator, topic, published);
  return published;
}

/** Publishes events to a topic as EventBridge does: the event JSON as the message. */
export async function publishEvents(emulator: Emulator, topic: EmulatedTopic, events: readonly unknown[]): Promise<void> {
  for (const event of events) {
    await emulator.sns(topic.region).send(new PublishCommand({ TopicArn: topic.arn, Message: JSON.stringify(event) }));
  }
}

/**
 * What the stage rule matched, carried to the consumer's queue: relayed to the topic (which
 * delivers to the stage queue), then through the pipe in `fifo` mode.
 */
export async function carryToConsumerQueue(emulator: Emulator, pipeline: StagePipelineView): Promise<Record<string, unknown>[]> {
  const published = await relayRuleToTopic(emulator, pipeline.rule);
  if (pipeline.pipe) await runPipeUntilIdle(emulator, pipeline.pipe);
  return published;
}

export interface PipeRun {
  /** Messages moved to the target. */
  readonly forwarded: number;
  /** Messages left in the source queue because a target parameter could not be evaluated. */
  readonly failed: { readonly messageId: string; readonly reason: string }[];
}

/** One poll of the pipe's source (up to its batch size), forwarded to its target. */
export async function runPipe(emulator: Emulator, pipe: PipeDefinition): Promise<PipeRun> {
  const messages = await receiveOnce(emulator, pipe.source, pipe.batchSize);
  const delivered: ReceivedMessage[] = [];
  const undelivered: ReceivedMessage[] = [];
  const failed: { messageId: string; reason: string }[] = [];
  for (const message of messages) {
    const record = pipeSourceRecord(message, pipe);
    try {
      const body = pipe.inputTemplate === undefined ? message.body : renderInputTemplate(pipe.inputTemplate, record);
      await emulator.sqs(pipe.target.region).send(
        new SendMessageCommand({
          QueueUrl: pipe.target.url,
          MessageBody: body,
          MessageGroupId: pipe.messageGroupId === undefined ? undefined : scalarAt(record, pipe.messageGroupId),
          MessageDeduplicationId:
            pipe.messageDeduplicationId === undefined ? undefined : scalarAt(record, pipe.messageDeduplicationId),
        }),
      );
      delivered.push(message);
    } catch (error) {
      undelivered.push(message);
      failed.push({ messageId: message.messageId, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  await deleteMessages(emulator, pipe.source, delivered);
  await releaseMessages(emulator, pipe.source, undelivered);
  return { forwarded: delivered.length, failed };
}

/** Runs the pipe until its source queue is empty or only holds messages it cannot deliver. */
export async function runPipeUntilIdle(emulator: Emulator, pipe: PipeDefinition): Promise<PipeRun> {
  let forwarded = 0;
  const failed: PipeRun["failed"] = [];
  for (;;) {
    const run = await runPipe(emulator, pipe);
    forwarded += run.forwarded;
    failed.push(...run.failed);
    if (run.forwarded === 0) return { forwarded, failed };
  }
}

/** The record a Pipe with an SQS source evaluates paths against. */
function pipeSourceRecord(message: ReceivedMessage, pipe: PipeDefinition): Record<string, unknown> {
  let body: unknown = message.body;
  try {
    body = JSON.parse(message.body);
  } catch {
    // Not JSON: Pipes keep the body as a string.
  }
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body,
    attributes: message.attributes,
    messageAttributes: {},
    md5OfBody: message.md5OfBody,
    eventSource: "aws:sqs",
    eventSourceARN: pipe.source.arn,
    awsRegion: pipe.source.region,
  };
}

/**
 * A JSON path as Pipes accept them in target parameters: `$`, then `.name`, `['name']` or
 * `[n]` steps. Anything else fails loudly rather than evaluating differently from Pipes.
 */
export function valueAt(root: unknown, path: string): unknown {
  if (!path.startsWith("$")) throw new Error(`not a JSON path: ${path}`);
  const step = /^(?:\.([A-Za-z_$][\w$-]*)|\['([^']*)'\]|\[(\d+)\])/;
  let rest = path.slice(1);
  let value = root;
  while (rest.length > 0) {
    const match = step.exec(rest);
    if (!match) throw new Error(`unsupported JSON path step in ${path} at "${rest}"`);
    const key = match[1] ?? match[2] ?? Number(match[3]);
    value = value !== null && typeof value === "object" ? (value as Record<string | number, unknown>)[key] : undefined;
    if (value === undefined) throw new Error(`${path} does not resolve`);
    rest = rest.slice(match[0].length);
  }
  return value;
}

function scalarAt(record: unknown, path: string): string {
  const value = valueAt(record, path);
  if (typeof value === "object" && value !== null) throw new Error(`${path} is not a scalar`);
  return String(value);
}

/**
 * Pipes input template: every `<$.path>` is replaced by the value there; an object or array is
 * written as JSON, a string as is. (`<$.body>` alone forwards the parsed body as JSON.)
 */
export function renderInputTemplate(template: string, record: unknown): string {
  return template.replace(/<(\$[^>]*)>/g, (_, path: string) => {
    const value = valueAt(record, path);
    return typeof value === "string" ? value : JSON.stringify(value);
  });
}
