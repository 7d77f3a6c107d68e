import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { Testing, TerraformStack } from "cdktf";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { cellNames } from "../../cells/naming";
import { CellKey } from "../../stacks/cell-key";
import { EncryptedQueue } from "../../stacks/encrypted-queue";
import { EncryptedTopic } from "../../stacks/encrypted-topic";
import { FunctionCode } from "../../stacks/function-code";
import { StageConsumer } from "../../stacks/stage-consumer";

// Invalid props fail in the constructor, with a message naming the prop at fault.

const ACCOUNT = { partition: "aws", account: "123456789012" };
const scratch = mkdtempSync(path.join(tmpdir(), "cellfleet-constructs-"));
const zipPath = path.join(scratch, "code.zip");
writeFileSync(zipPath, "not really a zip: nothing here reads it");

let stack: TerraformStack;
let key: CellKey;

beforeEach(() => {
  stack = new TerraformStack(Testing.app(), "bare");
  new AwsProvider(stack, "aws", { region: "us-east-1" });
  key = new CellKey(stack, "key", { alias: "alias/test-cell", region: "us-east-1", account: ACCOUNT, description: "test" });
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("EncryptedQueue", () => {
  it("refuses a FIFO queue whose name does not end in .fifo, naming queueName", () => {
    expect(() => new EncryptedQueue(stack, "q", { queueName: "orders", key, fifo: true })).toThrow(/queueName "orders".*\.fifo/);
  });

  it("refuses a standard queue whose name ends in .fifo, naming queueName", () => {
    expect(() => new EncryptedQueue(stack, "q", { queueName: "orders.fifo", key })).toThrow(/queueName/);
  });

  it("refuses a maxReceiveCount below 5, naming deadLetter.maxReceiveCount", () => {
    const dlq = new EncryptedQueue(stack, "dlq", { queueName: "orders-dlq", key });
    expect(() => new EncryptedQueue(stack, "q", { queueName: "orders", key, deadLetter: { queue: dlq, maxReceiveCount: 2 } })).toThrow(
      /deadLetter\.maxReceiveCount is 2/,
    );
  });

  it("refuses a standard DLQ for a FIFO queue, naming deadLetter.queue", () => {
    const dlq = new EncryptedQueue(stack, "dlq", { queueName: "orders-dlq", key });
    expect(
      () => new EncryptedQueue(stack, "q", { queueName: "orders.fifo", key, fifo: true, deadLetter: { queue: dlq, maxReceiveCount: 5 } }),
    ).toThrow(/deadLetter\.queue must be a FIFO queue/);
  });

  it("accepts a FIFO queue with a FIFO DLQ and 5 receives", () => {
    const dlq = new EncryptedQueue(stack, "dlq", { queueName: "orders-dlq.fifo", key, fifo: true });
    expect(
      () => new EncryptedQueue(stack, "q", { queueName: "orders.fifo", key, fifo: true, deadLetter: { queue: dlq, maxReceiveCount: 5 } }),
    ).not.toThrow();
  });
});

describe("EncryptedTopic", () => {
  it("refuses to subscribe a FIFO queue to its standard topic, naming the queue", () => {
    const topic = new EncryptedTopic(stack, "topic", {
      topicName: "orders",
      key,
      deadLetterQueue: new EncryptedQueue(stack, "topic-dlq", { queueName: "orders-fanout-dlq", key }),
    });
    const fifo = new EncryptedQueue(stack, "fifo", { queueName: "orders.fifo", key, fifo: true });
    expect(() => topic.subscribeQueue("fifo", fifo)).toThrow(/cannot deliver to FIFO queue bare\/fifo/);
  });

  it("refuses a FIFO dead-letter queue, naming deadLetterQueue", () => {
    const fifoDlq = new EncryptedQueue(stack, "topic-dlq", { queueName: "orders-dlq.fifo", key, fifo: true });
    expect(() => new EncryptedTopic(stack, "topic", { topicName: "orders", key, deadLetterQueue: fifoDlq })).toThrow(/deadLetterQueue/);
  });
});

describe("StageConsumer", () => {
  const consumer = (overrides: { batchSize: number; fifo?: boolean; maxBatchingWindowSeconds?: number }) => {
    const fifo = overrides.fifo ?? true;
    const queue = new EncryptedQueue(stack, "queue", { queueName: fifo ? "t-posting.fifo" : "t-posting", key, fifo });
    return new StageConsumer(stack, "consumer", {
      cellId: "t",
      names: cellNames("t").stage("posting"),
      delivery: fifo ? "fifo" : "standard",
      settings: {
        memoryMb: 512,
        timeoutSeconds: 30,
        maxConcurrency: 50,
        maxBatchingWindowSeconds: overrides.maxBatchingWindowSeconds ?? 0,
        batchSize: overrides.batchSize,
      },
      queue,
      asyncDeadLetterQueue: new EncryptedQueue(stack, "async-dlq", { queueName: "t-async-dlq", key }),
      code: new FunctionCode(stack, "code", { zipPath, sha256: "x", handler: "index.handler" }),
      key,
      logRetentionDays: 30,
      storeEnvironment: {},
    });
  };

  it("refuses a FIFO batch size above 10, naming settings.batchSize", () => {
    expect(() => consumer({ batchSize: 20 })).toThrow(/settings\.batchSize is 20/);
  });

  it("refuses a standard batch above 10 without a batching window, naming maxBatchingWindowSeconds", () => {
    expect(() => consumer({ batchSize: 100, fifo: false })).toThrow(/maxBatchingWindowSeconds/);
  });

  it("accepts a FIFO batch of 10", () => {
    expect(() => consumer({ batchSize: 10 })).not.toThrow();
  });
});
