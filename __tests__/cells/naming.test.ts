import { describe, expect, it } from "vitest";
import { STACK_IDS, TIMESTREAM_TABLE, cellNames, nameProblem, stateKey, subscriberEndpoint, type AccountRef } from "../../cells/naming";
import { fleet } from "../support/fleet";

const DEFAULT = fleet();
const DEFAULT_STAGES = DEFAULT.stages.map((s) => s.name);
const ACCOUNT: AccountRef = { partition: "aws", account: "111122223333" };

describe("cell names", () => {
  const names = cellNames("use1-a");

  it("puts the cell in stack cell-<id>", () => {
    expect(names.stackId).toBe("cell-use1-a");
    expect(STACK_IDS.cell("use1-a")).toBe("cell-use1-a");
    expect(STACK_IDS.global).toBe("global");
  });

  it("names the cell's bus <cell>-invoices and its other cell-wide resources after the cell", () => {
    expect(names.bus).toBe("use1-a-invoices");
    expect(names.routerDlq).toBe("use1-a-router-dlq");
    expect(names.api).toBe("use1-a-ingest");
    expect(names.apiRole).toBe("use1-a-ingest-putevents");
    expect(names.keyAlias).toBe("alias/use1-a-cell");
    expect(names.storeKeyAlias).toBe("alias/use1-a-store");
    expect(names.timestreamDatabase).toBe("use1-a-invoices");
    expect(names.timestreamTable).toBe(TIMESTREAM_TABLE);
  });

  it("makes the rejected-records bucket globally unique with the account id", () => {
    expect(names.rejectedRecordsBucket("111122223333")).toBe("use1-a-111122223333-ts-rejects");
  });
});

describe("stage names", () => {
  const posting = cellNames("use1-a").stage("posting");

  it("names the stage's rule, topic and queue <cell>-<stage>", () => {
    expect(posting.stage).toBe("posting");
    expect(posting.rule).toBe("use1-a-posting");
    expect(posting.topic).toBe("use1-a-posting");
    expect(posting.queue).toBe("use1-a-posting");
  });

  it("gives the FIFO queue and its DLQ the .fifo suffix SQS requires, and no standard queue that suffix", () => {
    expect(posting.fifoQueue).toBe("use1-a-posting.fifo");
    expect(posting.fifoDlq).toBe("use1-a-posting-dlq.fifo");
    expect(posting.queueDlq).toBe("use1-a-posting-dlq");
    expect(posting.fanoutDlq).toBe("use1-a-posting-fanout-dlq");
    const fifo = new Set([posting.fifoQueue, posting.fifoDlq]);
    for (const [kind, name] of posting.all()) {
      if (kind === "sqsQueue" && !fifo.has(name)) expect(name).not.toMatch(/\.fifo$/);
    }
  });

  it("names the consumer function <cell>-<stage>-consumer, with its role and log group", () => {
    expect(posting.consumerFunction).toBe("use1-a-posting-consumer");
    expect(posting.consumerRole).toBe("use1-a-posting-consumer");
    expect(posting.consumerLogGroup).toBe("/aws/lambda/use1-a-posting-consumer");
  });

  it("names the FIFO buffer pipe <cell>-<stage>-buffer, with its role and vended log group", () => {
    expect(posting.pipe).toBe("use1-a-posting-buffer");
    expect(posting.pipeRole).toBe("use1-a-posting-buffer");
    expect(posting.pipeLogGroup).toBe("/aws/vendedlogs/pipes/use1-a-posting-buffer");
  });
});

describe("ARNs derived from an AccountRef (no cross-stack references)", () => {
  const names = cellNames("usw1-a");

  it("builds the bus, rule and pipe ARNs in the cell's region", () => {
    expect(names.busArn("us-west-1", ACCOUNT)).toBe("arn:aws:events:us-west-1:111122223333:event-bus/usw1-a-invoices");
    expect(names.ruleArn("us-west-1", ACCOUNT, "posting")).toBe(
      "arn:aws:events:us-west-1:111122223333:rule/usw1-a-invoices/usw1-a-posting",
    );
    expect(names.pipeArn("us-west-1", ACCOUNT, "posting")).toBe("arn:aws:pipes:us-west-1:111122223333:pipe/usw1-a-posting-buffer");
  });

  it("builds the Timestream table ARN in the store's region", () => {
    expect(names.timestreamTableArn("us-west-2", ACCOUNT)).toBe(
      `arn:aws:timestream:us-west-2:111122223333:database/usw1-a-invoices/table/${TIMESTREAM_TABLE}`,
    );
  });

  it("uses the partition it is given", () => {
    const china: AccountRef = { partition: "aws-cn", account: "111122223333" };
    expect(names.busArn("cn-north-1", china)).toMatch(/^arn:aws-cn:events:cn-north-1:111122223333:/);
    expect(names.timestreamTableArn("cn-north-1", china)).toMatch(/^arn:aws-cn:timestream:/);
  });
});

describe("names across the fleet", () => {
  it("no two resources of one kind share a name, even with every cell in one region", () => {
    const all = DEFAULT.cells.flatMap((cell) => cellNames(cell.id).all(DEFAULT_STAGES));
    const seen = new Set<string>();
    for (const [kind, name] of all) {
      const key = `${kind}:${name}`;
      expect(seen.has(key), key).toBe(false);
      seen.add(key);
    }
    // IAM role names are unique per account whatever they are for.
    const roles = all.filter(([kind]) => kind === "iamRole").map(([, name]) => name);
    expect(new Set(roles).size).toBe(roles.length);
  });
});

describe("nameProblem", () => {
  it.each(DEFAULT.cells.map((c) => c.id))("accepts the default cell id %s", (id) => {
    expect(nameProblem(id, DEFAULT_STAGES)).toBeUndefined();
  });

  it("accepts the longest id every name fits (39 characters) and refuses one more", () => {
    expect(nameProblem("a".repeat(39), DEFAULT_STAGES)).toBeUndefined();
    expect(nameProblem("a".repeat(40), DEFAULT_STAGES)).toBe(
      `too long: it makes S3 bucket name "${"a".repeat(40)}-123456789012-ts-rejects" 64 characters; the limit is 63`,
    );
  });

  it("names the resource kind, its length and the AWS limit for an over-long id", () => {
    const id = "a".repeat(45);
    expect(nameProblem(id, DEFAULT_STAGES)).toBe(
      `too long: it makes S3 bucket name "${id}-123456789012-ts-rejects" 69 characters; the limit is 63`,
    );
  });

  it("takes the stage names into account (a long stage overshoots the 64-character function and role names first)", () => {
    const id = "c".repeat(31);
    const stage = "s".repeat(24);

    expect(nameProblem(id, ["ingestion"])).toBeUndefined();
    expect(nameProblem(id, ["ingestion", stage])).toMatch(
      new RegExp(`^too long: it makes (Lambda function|IAM role) name "${id}-${stage}-consumer" 65 characters; the limit is 64$`),
    );
  });
});

describe("stateKey", () => {
  it("keys a stack's state <prefix>/<stack id>.tfstate", () => {
    expect(stateKey("cellfleet", "cell-use1-a")).toBe("cellfleet/cell-use1-a.tfstate");
    expect(stateKey("teams/payments", "global")).toBe("teams/payments/global.tfstate");
  });

  it("has no leading slash when the prefix is empty", () => {
    expect(stateKey("", "global")).toBe("global.tfstate");
  });

  it("is unique per stack of the default fleet", () => {
    const stackIds = [STACK_IDS.global, ...DEFAULT.cells.map((c) => STACK_IDS.cell(c.id))];
    const keys = stackIds.map((id) => stateKey(DEFAULT.stateBackend.keyPrefix, id));

    expect(new Set(keys).size).toBe(stackIds.length);
  });
});

describe("subscriberEndpoint", () => {
  const cell = { id: "usw1-a", region: "us-west-1" };

  it("fills {region} and {cell} for one cell, every occurrence", () => {
    expect(subscriberEndpoint("arn:aws:sqs:{region}:111122223333:audit-{cell}", cell)).toBe(
      "arn:aws:sqs:us-west-1:111122223333:audit-usw1-a",
    );
    expect(subscriberEndpoint("https://{cell}.{region}.example.com/{cell}", cell)).toBe(
      "https://usw1-a.us-west-1.example.com/usw1-a",
    );
  });

  it("leaves an endpoint without placeholders as it is", () => {
    const endpoint = "arn:aws:lambda:us-east-1:111122223333:function:audit";
    expect(subscriberEndpoint(endpoint, cell)).toBe(endpoint);
  });
});
