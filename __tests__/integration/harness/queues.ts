/** Reading what arrived in the emulator's queues. moto delivers synchronously, so no waiting. */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";
import type { Emulator } from "./emulator";
import type { EmulatedQueue } from "./provision";

export interface ReceivedMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly md5OfBody: string;
  /** System attributes: ApproximateReceiveCount, SentTimestamp, MessageGroupId, ... */
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * One ReceiveMessage call (at most 10 messages), without long polling (the synthesized queues
 * wait 20 s; moto has already delivered whatever will arrive).
 */
export async function receiveOnce(emulator: Emulator, queue: EmulatedQueue, max = 10): Promise<ReceivedMessage[]> {
  const { Messages = [] } = await emulator.sqs(queue.region).send(
    new ReceiveMessageCommand({
      QueueUrl: queue.url,
      MaxNumberOfMessages: Math.min(max, 10),
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ["All"],
    }),
  );
  return Messages.map((message) => ({
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    md5OfBody: message.MD5OfBody ?? "",
    attributes: { ...message.Attributes },
  }));
}

/** Receives and deletes every message in the queue. */
export async function drain(emulator: Emulator, queue: EmulatedQueue): Promise<ReceivedMessage[]> {
  const all: ReceivedMessage[] = [];
  for (;;) {
    const batch = await receiveOnce(emulator, queue);
    if (batch.length === 0) return all;
    await deleteMessages(emulator, queue, batch);
    all.push(...batch);
  }
}

/** Receives and deletes every message, bodies parsed as JSON. */
export async function drainJson<T = Record<string, unknown>>(emulator: Emulator, queue: EmulatedQueue): Promise<T[]> {
  return (await drain(emulator, queue)).map((message) => JSON.parse(message.body) as T);
}

export async function deleteMessages(emulator: Emulator, queue: EmulatedQueue, messages: readonly ReceivedMessage[]): Promise<void> {
  for (let start = 0; start < messages.length; start += 10) {
    const chunk = messages.slice(start, start + 10);
    const response = await emulator.sqs(queue.region).send(
      new DeleteMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.receiptHandle })),
      }),
    );
    if (response.Failed?.length) throw new Error(`delete from ${queue.name} failed: ${JSON.stringify(response.Failed)}`);
  }
}

/**
 * Makes messages visible again at once: what happens when their visibility timeout (180 s on
 * the stage queues) runs out, without waiting for it.
 */
export async function releaseMessages(emulator: Emulator, queue: EmulatedQueue, messages: readonly ReceivedMessage[]): Promise<void> {
  for (let start = 0; start < messages.length; start += 10) {
    const chunk = messages.slice(start, start + 10);
    const response = await emulator.sqs(queue.region).send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queue.url,
        Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.receiptHandle, VisibilityTimeout: 0 })),
      }),
    );
    if (response.Failed?.length) throw new Error(`release in ${queue.name} failed: ${JSON.stringify(response.Failed)}`);
  }
}

/** Messages in the queue, visible or in flight. */
export async function depth(emulator: Emulator, queue: EmulatedQueue): Promise<number> {
  const { Attributes = {} } = await emulator.sqs(queue.region).send(
    new GetQueueAttributesCommand({
      QueueUrl: queue.url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0) + Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/** Empties the queues (PurgeQueue allows one call a minute per queue, in moto too). */
export async function emptyQueues(emulator: Emulator, queues: readonly EmulatedQueue[]): Promise<void> {
  await Promise.all(queues.map((queue) => drain(emulator, queue)));
}
