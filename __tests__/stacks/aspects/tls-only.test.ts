import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { describe, expect, it } from "vitest";
import { EncryptedQueue } from "../../../stacks/encrypted-queue";
import { EncryptedTopic } from "../../../stacks/encrypted-topic";
import { PolicyDocument } from "../../../stacks/policy-document";
import { TlsOnlyAspect } from "../../../stacks/aspects";
import { aspectErrors, aspectStack, expectErrors, STACK_ID } from "./aspect-stack";

describe("TlsOnlyAspect", () => {
  it("passes queues and topics built with EncryptedQueue and EncryptedTopic (DenyInsecureTransport first)", () => {
    const cell = aspectStack([new TlsOnlyAspect()]);
    const dlq = new EncryptedQueue(cell.stack, "dlq", { queueName: "orders-dlq", key: cell.key });
    new EncryptedTopic(cell.stack, "topic", { topicName: "orders", key: cell.key, deadLetterQueue: dlq });
    expect(aspectErrors(cell.stack)).toEqual([]);
  });

  it("fails a queue without a policy, naming its path", () => {
    const cell = aspectStack([new TlsOnlyAspect()]);
    new SqsQueue(cell.stack, "open", { name: "open", kmsMasterKeyId: cell.key.arn });
    expectErrors(cell.stack, [[`${STACK_ID}/open`, /SQS queue does not refuse requests without TLS \(its policy needs a Deny of sqs:\* to principal "\*" when aws:SecureTransport is "false"; EncryptedQueue adds it\)/]]);
  });

  it("fails a queue whose policy allows senders but denies nothing", () => {
    const cell = aspectStack([new TlsOnlyAspect()]);
    const queue = new SqsQueue(cell.stack, "open", { name: "open", kmsMasterKeyId: cell.key.arn });
    const policy = new PolicyDocument(cell.stack, "open-policy", [
      { actions: ["sqs:SendMessage"], resources: [queue.arn], principals: [{ type: "Service", identifiers: ["sns.amazonaws.com"] }] },
    ]);
    new SqsQueuePolicy(cell.stack, "open-queue-policy", { queueUrl: queue.url, policy: policy.json });
    expectErrors(cell.stack, [[`${STACK_ID}/open`, /SQS queue does not refuse requests without TLS/]]);
  });

  it("fails a queue whose TLS deny covers only some actions", () => {
    const cell = aspectStack([new TlsOnlyAspect()]);
    const queue = new SqsQueue(cell.stack, "partial", { name: "partial", kmsMasterKeyId: cell.key.arn });
    const policy = new PolicyDocument(cell.stack, "partial-policy", [
      {
        effect: "Deny",
        actions: ["sqs:SendMessage"],
        resources: [queue.arn],
        principals: [{ type: "*", identifiers: ["*"] }],
        conditions: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      },
    ]);
    new SqsQueuePolicy(cell.stack, "partial-queue-policy", { queueUrl: queue.url, policy: policy.json });
    expectErrors(cell.stack, [[`${STACK_ID}/partial`, /SQS queue does not refuse requests without TLS/]]);
  });

  it("accepts the TLS deny written as policy JSON on the queue itself", () => {
    const cell = aspectStack([new TlsOnlyAspect()]);
    new SqsQueue(cell.stack, "inline", {
      name: "inline",
      kmsMasterKeyId: cell.key.arn,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Deny", Principal: "*", Action: "sqs:*", Condition: { Bool: { "aws:SecureTransport": "false" } } }],
      }),
    });
    expect(aspectErrors(cell.stack)).toEqual([]);
  });

  it("fails an SNS topic without the TLS deny, naming its path", () => {
    const cell = aspectStack([new TlsOnlyAspect()]);
    new SnsTopic(cell.stack, "open-topic", { name: "open-topic", kmsMasterKeyId: cell.key.arn });
    expectErrors(cell.stack, [[`${STACK_ID}/open-topic`, /SNS topic does not refuse requests without TLS \(its policy needs a Deny of sns:Publish/]]);
  });
});
