import { beforeAll, describe, expect, it } from "vitest";
import { buildTestFleet, fleet, synthStack, type SynthesizedStack } from "../support/fleet";
import {
  ACCOUNT,
  allows,
  byName,
  entriesOf,
  grant,
  grantOf,
  grantsOf,
  PARTITION,
  policyDocuments,
  ref,
  statementsOf,
  type Statement,
} from "./terraform-json";

// Every edge of a cell is permitted, and nothing more: resource policies (queues, topics, key)
// name the one service and source that may use them; roles hold exactly their grants.

const CELL = "use1-a";
const REGION = "us-east-1";
const config = fleet();
const STAGES = config.stages.map((stage) => stage.name);

const SQS_CONSUME = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"];
/** Actions AWS only accepts on resource "*" (no resource-level permissions). */
const STAR_RESOURCE_ACTIONS = ["timestream:DescribeEndpoints", "xray:PutTraceSegments", "xray:PutTelemetryRecords"];
const isWildcardAction = (action: string) => action === "*" || /^[a-z0-9-]+:\*$/i.test(action);
const isDenyInsecureTransport = (s: Statement) =>
  s.effect === "Deny" && (s.condition ?? []).some((c) => c.test === "Bool" && c.variable === "aws:SecureTransport" && c.values.includes("false"));

const arn = (type: string, id: string) => ref(type, id, "arn");

/** A policy statement letting `service` do `actions` on `resource` for the given source ARNs only. */
const serviceFromSources = (service: string, actions: string[], resource: string, sourceArns: string[]) =>
  grantOf({
    actions,
    resources: [resource],
    principals: [{ type: "Service", identifiers: [service] }],
    condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: sourceArns }],
  });

function queuePolicyStatements(stack: SynthesizedStack, queueName: string) {
  const queue = byName(stack, "aws_sqs_queue", queueName);
  const policies = entriesOf(stack, "aws_sqs_queue_policy").filter(([, p]) => p["queue_url"] === ref("aws_sqs_queue", queue.id, "url"));
  expect(policies, `policies of queue ${queueName}`).toHaveLength(1);
  return { queueArn: arn("aws_sqs_queue", queue.id), statements: statementsOf(stack, policies[0]![1]["policy"]) };
}

function topicPolicyStatements(stack: SynthesizedStack, topicName: string) {
  const topic = byName(stack, "aws_sns_topic", topicName);
  const policies = entriesOf(stack, "aws_sns_topic_policy").filter(([, p]) => p["arn"] === arn("aws_sns_topic", topic.id));
  expect(policies, `policies of topic ${topicName}`).toHaveLength(1);
  return { topicArn: arn("aws_sns_topic", topic.id), statements: statementsOf(stack, policies[0]![1]["policy"]) };
}

/** A role's trust statements and the statements of its inline policies. */
function roleStatements(stack: SynthesizedStack, roleName: string) {
  const role = byName(stack, "aws_iam_role", roleName);
  const inline = entriesOf(stack, "aws_iam_role_policy").filter(([, p]) => p["role"] === ref("aws_iam_role", role.id, "id"));
  return {
    trust: statementsOf(stack, role.block["assume_role_policy"]),
    permissions: inline.flatMap(([, p]) => statementsOf(stack, p["policy"])),
  };
}

/** Policy documents that are key policies: none since keys carry their policy as JSON (kept for the checks below). */
const keyPolicyIds = (stack: SynthesizedStack) =>
  new Set(
    entriesOf(stack, "aws_kms_key")
      .map(([, key]) => /aws_iam_policy_document\.([^.]+)\.json/.exec(String(key["policy"]))?.[1])
      .filter((id): id is string => id !== undefined),
  );

/** Every policy document attached to a role (trust or inline), by id. */
const rolePolicyIds = (stack: SynthesizedStack) =>
  new Set(
    [...entriesOf(stack, "aws_iam_role").map(([, r]) => r["assume_role_policy"]), ...entriesOf(stack, "aws_iam_role_policy").map(([, p]) => p["policy"])].map(
      (reference) => /aws_iam_policy_document\.([^.]+)\.json/.exec(reference as string)![1]!,
    ),
  );

describe(`policies of cell ${CELL}`, () => {
  let cell: SynthesizedStack;
  let keyArn: string;

  beforeAll(() => {
    ({ parsed: cell } = synthStack(buildTestFleet(config).cells.get(CELL)!));
    const [[keyId]] = entriesOf(cell, "aws_kms_key");
    keyArn = arn("aws_kms_key", keyId!);
  });

  describe("queues and topics", () => {
    it("gives every queue a policy that denies requests without TLS", () => {
      const queues = entriesOf(cell, "aws_sqs_queue");
      expect(entriesOf(cell, "aws_sqs_queue_policy")).toHaveLength(queues.length);
      for (const [, queue] of queues) {
        const { queueArn, statements } = queuePolicyStatements(cell, queue["name"] as string);
        const deny = statements.filter(isDenyInsecureTransport);
        expect(deny, queue["name"] as string).toHaveLength(1);
        expect(grantOf(deny[0]!)).toEqual(
          grantOf({
            effect: "Deny",
            actions: ["sqs:*"],
            resources: [queueArn],
            principals: [{ type: "*", identifiers: ["*"] }],
            condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
          }),
        );
      }
    });

    it("gives every topic a policy that denies publishing without TLS", () => {
      for (const [, topic] of entriesOf(cell, "aws_sns_topic")) {
        const { statements } = topicPolicyStatements(cell, topic["name"] as string);
        expect(statements.filter(isDenyInsecureTransport), topic["name"] as string).toHaveLength(1);
      }
    });

    it.each(STAGES)("lets only SNS send to the %s stage queue, and only from its own topic", (stage) => {
      const { queueArn, statements } = queuePolicyStatements(cell, `${CELL}-${stage}`);
      const topicArn = arn("aws_sns_topic", byName(cell, "aws_sns_topic", `${CELL}-${stage}`).id);
      expect(grantsOf(allows(statements))).toEqual([serviceFromSources("sns.amazonaws.com", ["sqs:SendMessage"], queueArn, [topicArn])]);
    });

    it.each(STAGES)("lets only the %s topic dead-letter into its fan-out DLQ", (stage) => {
      const { queueArn, statements } = queuePolicyStatements(cell, `${CELL}-${stage}-fanout-dlq`);
      const topicArn = arn("aws_sns_topic", byName(cell, "aws_sns_topic", `${CELL}-${stage}`).id);
      expect(grantsOf(allows(statements))).toEqual([serviceFromSources("sns.amazonaws.com", ["sqs:SendMessage"], queueArn, [topicArn])]);
    });

    it.each(STAGES)("lets no service principal into the %s stage DLQ, FIFO queue or FIFO DLQ (only IAM grants reach them)", (stage) => {
      for (const name of [`${CELL}-${stage}-dlq`, `${CELL}-${stage}.fifo`, `${CELL}-${stage}-dlq.fifo`]) {
        expect(allows(queuePolicyStatements(cell, name).statements), name).toEqual([]);
      }
    });

    it("lets EventBridge dead-letter into the router DLQ from the cell's rules only", () => {
      const { queueArn, statements } = queuePolicyStatements(cell, `${CELL}-router-dlq`);
      const ruleArns = [...STAGES.map((stage) => `${CELL}-${stage}`), `${CELL}-forward-to-hub`]
        .map((name) => arn("aws_cloudwatch_event_rule", byName(cell, "aws_cloudwatch_event_rule", name).id))
        .sort();
      expect(grantsOf(allows(statements))).toEqual([serviceFromSources("events.amazonaws.com", ["sqs:SendMessage"], queueArn, ruleArns)]);
    });

    it.each(STAGES.map((stage) => [stage, stage]))("lets EventBridge publish to the %s topic from the %s rule only", (stage) => {
      const { topicArn, statements } = topicPolicyStatements(cell, `${CELL}-${stage}`);
      const ruleArn = arn("aws_cloudwatch_event_rule", byName(cell, "aws_cloudwatch_event_rule", `${CELL}-${stage}`).id);
      expect(grantsOf(allows(statements))).toEqual([serviceFromSources("events.amazonaws.com", ["sns:Publish"], topicArn, [ruleArn])]);
    });
  });

  describe("cell key", () => {
    const keyStatements = () => statementsOf(cell, entriesOf(cell, "aws_kms_key")[0]![1]["policy"]);

    it("lets the account administer the key through IAM", () => {
      const root = keyStatements().filter((s) => s.principals?.some((p) => p.type === "AWS"));
      expect(grantsOf(root)).toEqual([
        grantOf({ actions: ["kms:*"], resources: ["*"], principals: [{ type: "AWS", identifiers: [`arn:${PARTITION}:iam::${ACCOUNT}:root`] }] }),
      ]);
    });

    it("lets exactly SNS, EventBridge, CloudWatch alarms and this region's CloudWatch Logs use the key", () => {
      const services = keyStatements().flatMap((s) => (s.principals ?? []).filter((p) => p.type === "Service").flatMap((p) => p.identifiers));
      expect(services.sort()).toEqual(["cloudwatch.amazonaws.com", "events.amazonaws.com", `logs.${REGION}.amazonaws.com`, "sns.amazonaws.com"]);
      expect(keyStatements().every((s) => (s.principals ?? []).every((p) => p.type === "AWS" || p.type === "Service"))).toBe(true);
    });

    it.each(["sns.amazonaws.com", "events.amazonaws.com"])("lets %s encrypt and decrypt on behalf of this account only", (service) => {
      const statements = keyStatements().filter((s) => s.principals?.some((p) => p.identifiers.includes(service)));
      expect(grantsOf(statements)).toEqual([
        grantOf({
          actions: ["kms:GenerateDataKey", "kms:Decrypt"],
          resources: ["*"],
          principals: [{ type: "Service", identifiers: [service] }],
          condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [ACCOUNT] }],
        }),
      ]);
    });

    it("lets CloudWatch Logs use the key for this account's log groups in the cell's region only", () => {
      const [logs, ...others] = keyStatements().filter((s) => s.principals?.some((p) => p.identifiers.includes(`logs.${REGION}.amazonaws.com`)));
      expect(others).toEqual([]);
      expect(logs!.condition).toEqual([
        { test: "ArnLike", variable: "kms:EncryptionContext:aws:logs:arn", values: [`arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:*`] },
      ]);
      expect(logs!.actions.some(isWildcardAction)).toBe(false);
    });
  });

  describe.each(STAGES)("%s consumer role", (stage) => {
    it("may consume its own queue, decrypt with the key, write its table, discover endpoints, trace, log to its own log group and dead-letter a failed async invocation, and nothing else", () => {
      const { permissions } = roleStatements(cell, `${CELL}-${stage}-consumer`);
      const asyncDlq = arn("aws_sqs_queue", byName(cell, "aws_sqs_queue", `${CELL}-async-dlq`).id);
      const queue = arn("aws_sqs_queue", byName(cell, "aws_sqs_queue", `${CELL}-${stage}.fifo`).id);
      const table = arn("aws_timestreamwrite_table", byName(cell, "aws_timestreamwrite_table", "invoice_events", "table_name").id);
      const logGroup = arn("aws_cloudwatch_log_group", byName(cell, "aws_cloudwatch_log_group", `/aws/lambda/${CELL}-${stage}-consumer`).id);
      expect(grantsOf(permissions)).toEqual(
        grantsOf([
          { actions: SQS_CONSUME, resources: [queue] },
          { actions: ["kms:Decrypt"], resources: [keyArn] },
          { actions: ["timestream:WriteRecords"], resources: [table] },
          { actions: ["timestream:DescribeEndpoints"], resources: ["*"] },
          { actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources: ["*"] },
          { actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`${logGroup}:*`] },
          { actions: ["sqs:SendMessage", "sqs:GetQueueAttributes"], resources: [asyncDlq] },
          { actions: ["kms:GenerateDataKey", "kms:Decrypt"], resources: [keyArn] },
        ]),
      );
    });

    it("is assumed by Lambda only", () => {
      const { trust } = roleStatements(cell, `${CELL}-${stage}-consumer`);
      expect(grantsOf(trust)).toEqual([grantOf({ actions: ["sts:AssumeRole"], principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }] })]);
    });
  });

  describe.each(STAGES)("%s pipe role", (stage) => {
    it("may consume the stage queue, send to the FIFO queue and log to its own log group, and nothing else", () => {
      const { permissions } = roleStatements(cell, `${CELL}-${stage}-buffer`);
      const stageQueue = arn("aws_sqs_queue", byName(cell, "aws_sqs_queue", `${CELL}-${stage}`).id);
      const fifoQueue = arn("aws_sqs_queue", byName(cell, "aws_sqs_queue", `${CELL}-${stage}.fifo`).id);
      const logGroup = arn("aws_cloudwatch_log_group", byName(cell, "aws_cloudwatch_log_group", `/aws/vendedlogs/pipes/${CELL}-${stage}-buffer`).id);
      expect(grantsOf(permissions)).toEqual(
        grantsOf([
          { actions: SQS_CONSUME, resources: [stageQueue] },
          { actions: ["kms:Decrypt"], resources: [keyArn] },
          { actions: ["sqs:SendMessage", "sqs:GetQueueAttributes"], resources: [fifoQueue] },
          { actions: ["kms:GenerateDataKey", "kms:Decrypt"], resources: [keyArn] },
          { actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`${logGroup}:*`] },
        ]),
      );
    });

    it("is the role of the pipe, and trusted by Pipes for that pipe in this account only", () => {
      const pipe = byName(cell, "aws_pipes_pipe", `${CELL}-${stage}-buffer`).block;
      const role = byName(cell, "aws_iam_role", `${CELL}-${stage}-buffer`);
      expect(pipe["role_arn"]).toBe(arn("aws_iam_role", role.id));
      const { trust } = roleStatements(cell, `${CELL}-${stage}-buffer`);
      expect(grantsOf(trust)).toEqual([
        grantOf({
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["pipes.amazonaws.com"] }],
          condition: [
            { test: "StringEquals", variable: "aws:SourceAccount", values: [ACCOUNT] },
            { test: "ArnEquals", variable: "aws:SourceArn", values: [`arn:${PARTITION}:pipes:${REGION}:${ACCOUNT}:pipe/${pipe["name"]}`] },
          ],
        }),
      ]);
    });
  });

  describe("ingest API role", () => {
    it("may put events on the cell bus and nowhere else", () => {
      const { permissions } = roleStatements(cell, `${CELL}-ingest-putevents`);
      const bus = arn("aws_cloudwatch_event_bus", byName(cell, "aws_cloudwatch_event_bus", `${CELL}-invoices`).id);
      expect(grantsOf(permissions)).toEqual([grant(["events:PutEvents"], [bus])]);
    });

    it("is assumed by API Gateway on behalf of this account only", () => {
      const { trust } = roleStatements(cell, `${CELL}-ingest-putevents`);
      expect(grantsOf(trust)).toEqual([
        grantOf({
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["apigateway.amazonaws.com"] }],
          condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [ACCOUNT] }],
        }),
      ]);
    });

    it("is the credential of every PutEvents integration", () => {
      const role = arn("aws_iam_role", byName(cell, "aws_iam_role", `${CELL}-ingest-putevents`).id);
      const integrations = entriesOf(cell, "aws_api_gateway_integration").filter(([, i]) => i["type"] === "AWS");
      expect(integrations).toHaveLength(STAGES.length);
      for (const [, integration] of integrations) expect(integration["credentials"]).toBe(role);
    });
  });

  describe("least privilege across the cell", () => {
    it("grants no role a `*` action or a whole-service wildcard such as `sqs:*`", () => {
      const roleDocs = rolePolicyIds(cell);
      expect(roleDocs.size).toBe(2 * entriesOf(cell, "aws_iam_role").length);
      const wild = [...roleDocs].flatMap((id) =>
        policyDocuments(cell)[id]!.statement.flatMap((s) => s.actions.filter(isWildcardAction).map((action) => `${id}: ${action}`)),
      );
      expect(wild).toEqual([]);
    });

    it("writes each key policy as the key's own JSON, with kms:* only for the account's administration statement", () => {
      for (const [, key] of entriesOf(cell, "aws_kms_key")) {
        const statements = statementsOf(cell, key["policy"]);
        const wild = statements.filter((s) => s.actions.some(isWildcardAction)).map((s) => s.sid);
        expect(wild).toEqual(["AccountAdministersKeyThroughIam"]);
      }
    });

    it("allows wildcard actions in resource policies only in the account's own key-administration statement", () => {
      const keyDocs = keyPolicyIds(cell);
      const wild = Object.entries(policyDocuments(cell)).flatMap(([id, doc]) =>
        doc.statement
          .filter((s) => !isDenyInsecureTransport(s))
          .filter((s) => !(keyDocs.has(id) && s.sid === "AccountAdministersKeyThroughIam"))
          .flatMap((s) => s.actions.filter(isWildcardAction).map((action) => `${id}: ${action}`)),
      );
      expect(wild).toEqual([]);
    });

    it("uses the `*` resource only where AWS requires it, or in key policies (where it is the key itself)", () => {
      const keyDocs = keyPolicyIds(cell);
      const starred = Object.entries(policyDocuments(cell))
        .filter(([id]) => !keyDocs.has(id))
        .flatMap(([id, doc]) =>
          doc.statement
            .filter((s) => (s.resources ?? []).includes("*"))
            .filter((s) => !s.actions.every((action) => STAR_RESOURCE_ACTIONS.includes(action)))
            .map((s) => `${id}: ${s.actions.join(",")}`),
        );
      expect(starred).toEqual([]);
    });

    it("guards every service principal in a queue or topic policy with aws:SourceArn", () => {
      const resourcePolicyRefs = [
        ...entriesOf(cell, "aws_sqs_queue_policy").map(([, p]) => p["policy"]),
        ...entriesOf(cell, "aws_sns_topic_policy").map(([, p]) => p["policy"]),
      ];
      for (const reference of resourcePolicyRefs) {
        for (const statement of allows(statementsOf(cell, reference))) {
          expect(statement.principals?.every((p) => p.type === "Service")).toBe(true);
          // ArnLike only for the alert topics, which every alarm of the cell may publish to.
          const [condition] = statement.condition ?? [];
          expect(statement.condition).toHaveLength(1);
          expect(condition!.variable).toBe("aws:SourceArn");
          if (condition!.test === "ArnLike") {
            expect(statement.principals).toEqual([{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }]);
            expect(condition!.values).toEqual([`arn:${PARTITION}:cloudwatch:${REGION}:${ACCOUNT}:alarm:use1-a-*`]);
          } else {
            expect(condition!.test).toBe("ArnEquals");
          }
        }
      }
    });
  });
});

describe(`consumer role of a standard-delivery stage in ${CELL}`, () => {
  it("may consume the stage queue it reads directly, and no other queue", () => {
    const stacks = buildTestFleet(fleet({ stageSettings: { posting: { delivery: "standard" } } }));
    const { parsed } = synthStack(stacks.cells.get(CELL)!);
    const { permissions } = roleStatements(parsed, `${CELL}-posting-consumer`);
    const stageQueue = arn("aws_sqs_queue", byName(parsed, "aws_sqs_queue", `${CELL}-posting`).id);
    const asyncDlq = arn("aws_sqs_queue", byName(parsed, "aws_sqs_queue", `${CELL}-async-dlq`).id);
    const sqsGrants = permissions.filter((s) => s.actions.some((action) => action.startsWith("sqs:")));
    expect(grantsOf(sqsGrants)).toEqual(
      grantsOf([
        { actions: SQS_CONSUME, resources: [stageQueue] },
        { actions: ["sqs:SendMessage", "sqs:GetQueueAttributes"], resources: [asyncDlq] },
      ]),
    );
  });
});
