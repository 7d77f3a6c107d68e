import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Testing } from "cdktf";
import { describe, expect, it } from "vitest";
import { EncryptedQueue } from "../../../stacks/encrypted-queue";
import { EncryptedTopic } from "../../../stacks/encrypted-topic";
import { EncryptionAspect } from "../../../stacks/aspects";
import { aspectErrors, aspectStack, expectErrors, STACK_ID } from "./aspect-stack";

describe("EncryptionAspect", () => {
  it("passes queues and topics built with EncryptedQueue and EncryptedTopic", () => {
    const cell = aspectStack([new EncryptionAspect()]);
    const dlq = new EncryptedQueue(cell.stack, "dlq", { queueName: "orders-dlq", key: cell.key });
    new EncryptedTopic(cell.stack, "topic", { topicName: "orders", key: cell.key, deadLetterQueue: dlq });
    expect(aspectErrors(cell.stack)).toEqual([]);
  });

  it("fails an unencrypted SQS queue, naming its path", () => {
    const cell = aspectStack([new EncryptionAspect()]);
    new SqsQueue(cell.stack, "plain", { name: "plain" });
    expectErrors(cell.stack, [[`${STACK_ID}/plain`, /SQS queue is not encrypted with the cell key \(build it with EncryptedQueue/]]);
  });

  it("fails a queue encrypted with the AWS managed key instead of the cell key", () => {
    const cell = aspectStack([new EncryptionAspect()]);
    new SqsQueue(cell.stack, "aws-key", { name: "aws-key", kmsMasterKeyId: "alias/aws/sqs" });
    expectErrors(cell.stack, [[`${STACK_ID}/aws-key`, /SQS queue is encrypted with alias\/aws\/sqs, not the cell key/]]);
  });

  it("reads what synth writes: an escape hatch dropping the key fails an EncryptedQueue", () => {
    const cell = aspectStack([new EncryptionAspect()]);
    const queue = new EncryptedQueue(cell.stack, "orders", { queueName: "orders", key: cell.key });
    queue.queue.addOverride("kms_master_key_id", null);
    queue.queue.addOverride("sqs_managed_sse_enabled", true);
    expectErrors(cell.stack, [[`${STACK_ID}/orders/queue`, /SQS queue is not encrypted with the cell key/]]);
  });

  it("fails an SNS topic without KMS, naming its path", () => {
    const cell = aspectStack([new EncryptionAspect()]);
    new SnsTopic(cell.stack, "plain-topic", { name: "plain-topic" });
    expectErrors(cell.stack, [[`${STACK_ID}/plain-topic`, /SNS topic is not encrypted with the cell key \(build it with EncryptedTopic/]]);
  });

  it("fails a real synth with the construct path", () => {
    const cell = aspectStack([new EncryptionAspect()]);
    new SqsQueue(cell.stack, "plain", { name: "plain" });
    expect(() => Testing.fullSynth(cell.stack)).toThrow(`[${STACK_ID}/plain] ${STACK_ID}/plain: SQS queue is not encrypted with the cell key`);
  });

  it("checks the stack as it is at each synth, not as it was at the first", () => {
    const cell = aspectStack([new EncryptionAspect()]);
    new EncryptedQueue(cell.stack, "orders", { queueName: "orders", key: cell.key });
    expect(aspectErrors(cell.stack)).toEqual([]);
    new SqsQueue(cell.stack, "late", { name: "late" });
    expect(aspectErrors(cell.stack)).toEqual([expect.stringMatching(/^cell-test-a\/late: SQS queue is not encrypted/)]);
    // A third synth reports nothing twice.
    expect(aspectErrors(cell.stack)).toHaveLength(1);
  });
});
