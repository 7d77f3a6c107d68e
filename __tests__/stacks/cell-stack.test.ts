import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage";
import { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { TimestreamwriteTable } from "@cdktf/provider-aws/lib/timestreamwrite-table";
import { beforeAll, describe, expect, it } from "vitest";
import { INGEST_EVENT_SOURCE } from "../../functions/shared/invoice-event";
import { NODE_RUNTIME } from "../../stacks/cell-function";
import { buildTestFleet, consumerBundle, fleet, synthStack, type SynthesizedStack } from "../support/fleet";
import { byName, entriesOf, hasNamed, PARTITION, patternMatches, ref, referencedId, resourcesOf, type TfBlock } from "./terraform-json";

const CELL = "use1-a";
const REGION = "us-east-1";
const config = fleet();
const STAGES = config.stages.map((stage) => stage.name);

const arnOf = (type: string, id: string) => ref(type, id, "arn");
const queueArn = (stack: SynthesizedStack, name: string) => arnOf("aws_sqs_queue", byName(stack, "aws_sqs_queue", name).id);
const redriveOf = (block: TfBlock) =>
  JSON.parse(block["redrive_policy"] as string) as { deadLetterTargetArn: string; maxReceiveCount?: number };

/** The consumer of a stage: function, its event source mapping and the queue that mapping reads. */
function consumerOf(stack: SynthesizedStack, cell: string, stage: string) {
  const fn = byName(stack, "aws_lambda_function", `${cell}-${stage}-consumer`, "function_name");
  const mappings = entriesOf(stack, "aws_lambda_event_source_mapping").filter(
    ([, m]) => m["function_name"] === arnOf("aws_lambda_function", fn.id),
  );
  if (mappings.length !== 1) throw new Error(`expected one event source mapping for ${cell}-${stage}-consumer, found ${mappings.length}`);
  const [[, mapping]] = mappings as [[string, TfBlock]];
  const queueId = referencedId(mapping["event_source_arn"], "aws_sqs_queue");
  return { fn: fn.block, mapping, queue: resourcesOf(stack, "aws_sqs_queue")[queueId]! };
}

describe(`cell ${CELL} (default fleet)`, () => {
  let json: string;
  let cell: SynthesizedStack;
  let keyArn: string;

  beforeAll(() => {
    const stacks = buildTestFleet(config);
    ({ json, parsed: cell } = synthStack(stacks.cells.get(CELL)!));
    const [[keyId]] = entriesOf(cell, "aws_kms_key");
    keyArn = arnOf("aws_kms_key", keyId!);
  });

  describe("stack", () => {
    it("runs in the cell's region with project, cell and region as default tags", () => {
      expect(cell.provider["aws"]).toEqual([
        { region: REGION, default_tags: [{ tags: { project: "cellfleet", cell: CELL, region: REGION } }] },
      ]);
    });

    it("keeps its state under its own key in the S3 backend, encrypted and locked with a lock file", () => {
      expect(cell.terraform["backend"]).toEqual({
        s3: {
          bucket: "cellfleet-terraform-state",
          region: "us-east-1",
          key: `cellfleet/cell-${CELL}.tfstate`,
          encrypt: true,
          use_lockfile: true,
        },
      });
    });

    it("reads no other stack's state (no cross-stack references)", () => {
      expect(cell.data["terraform_remote_state"]).toBeUndefined();
      expect(json).not.toContain("terraform_remote_state");
    });
  });

  describe("encryption", () => {
    it("has one customer managed key, rotated, in the cell's region, aliased for the cell", () => {
      const keys = entriesOf(cell, "aws_kms_key");
      expect(keys).toHaveLength(1);
      expect(keys[0]![1]).toMatchObject({ enable_key_rotation: true, region: REGION });
      expect(json).toHaveResourceWithProperties(KmsAlias, { name: `alias/${CELL}-cell`, region: REGION });
    });

    it("encrypts every SQS queue and SNS topic with the cell key", () => {
      const encrypted = [...entriesOf(cell, "aws_sqs_queue"), ...entriesOf(cell, "aws_sns_topic")];
      expect(encrypted.length).toBeGreaterThan(0);
      for (const [id, block] of encrypted) {
        expect(block["kms_master_key_id"], id).toBe(keyArn);
      }
    });
  });

  describe("event router", () => {
    it(`has the event bus ${CELL}-invoices`, () => {
      expect(json).toHaveResourceWithProperties(CloudwatchEventBus, { name: `${CELL}-invoices` });
    });

    it("has exactly one rule per stage plus the forwarding rule to the archive hub, all on the cell bus", () => {
      // The store's rejection reports have rules of their own (see "rejection reports").
      const rules = entriesOf(cell, "aws_cloudwatch_event_rule")
        .map(([, rule]) => rule)
        .filter((rule) => rule["name"] !== `${CELL}-store-rejections`);
      const bus = byName(cell, "aws_cloudwatch_event_bus", `${CELL}-invoices`);
      expect(rules.map((rule) => rule["name"]).sort()).toEqual([...STAGES.map((stage) => `${CELL}-${stage}`), `${CELL}-forward-to-hub`].sort());
      for (const rule of rules) expect(rule["event_bus_name"]).toBe(ref("aws_cloudwatch_event_bus", bus.id, "name"));
    });

    it.each(STAGES.map((stage) => [stage, stage]))("routes %s events only to the %s topic", (stage) => {
      const event = (detailType: string, extra: Record<string, unknown> = {}) => ({
        source: INGEST_EVENT_SOURCE,
        "detail-type": detailType,
        detail: { invoiceId: "INV-1" },
        ...extra,
      });
      const topicsReached = entriesOf(cell, "aws_cloudwatch_event_rule")
        .filter(([, rule]) => patternMatches(JSON.parse(rule["event_pattern"] as string), event(stage)))
        .flatMap(([ruleId]) =>
          entriesOf(cell, "aws_cloudwatch_event_target")
            .filter(([, target]) => target["rule"] === ref("aws_cloudwatch_event_rule", ruleId, "name"))
            .map(([, target]) => resourcesOf(cell, "aws_sns_topic")[referencedId(target["arn"], "aws_sns_topic")]!["name"]),
        );
      expect(topicsReached).toEqual([`${CELL}-${stage}`]);
    });

    it.each(STAGES)("matches the %s rule on source and detail-type only, so replayed events are routed too", (stage) => {
      const rule = byName(cell, "aws_cloudwatch_event_rule", `${CELL}-${stage}`).block;
      const pattern = JSON.parse(rule["event_pattern"] as string) as Record<string, unknown>;
      expect(pattern).toEqual({ source: [INGEST_EVENT_SOURCE], "detail-type": [stage] });
      expect(pattern).not.toHaveProperty("replay-name");
      expect(patternMatches(pattern, { source: INGEST_EVENT_SOURCE, "detail-type": stage, "replay-name": `dr-${CELL}-1` })).toBe(true);
      expect(patternMatches(pattern, { source: "someone.else", "detail-type": stage })).toBe(false);
    });

    it("retries every rule target and dead-letters what it cannot deliver to the router DLQ", () => {
      const routed = entriesOf(cell, "aws_cloudwatch_event_rule")
        .filter(([, rule]) => rule["name"] !== `${CELL}-store-rejections`)
        .map(([id]) => ref("aws_cloudwatch_event_rule", id, "name"));
      const targets = entriesOf(cell, "aws_cloudwatch_event_target").filter(([, target]) => routed.includes(target["rule"] as string));
      expect(targets).toHaveLength(STAGES.length + 1); // + the forwarding rule's
      const routerDlq = byName(cell, "aws_sqs_queue", `${CELL}-router-dlq`);
      expect(routerDlq.block["fifo_queue"]).toBeUndefined();
      for (const [id, target] of targets) {
        expect(target["retry_policy"], id).toEqual({
          maximum_retry_attempts: config.router.retryAttempts,
          maximum_event_age_in_seconds: config.router.maxEventAgeSeconds,
        });
        expect(target["dead_letter_config"], id).toEqual({ arn: arnOf("aws_sqs_queue", routerDlq.id) });
      }
    });
  });

  describe("rejection reports of the invoice store", () => {
    it("turns on EventBridge notifications of the rejected-records bucket", () => {
      const bucket = byName(cell, "aws_s3_bucket", `${CELL}-\${data.aws_caller_identity.account.account_id}-ts-rejects`, "bucket");
      const notification = Object.values(resourcesOf(cell, "aws_s3_bucket_notification"))[0]!;
      expect(notification).toMatchObject({ eventbridge: true, bucket: ref("aws_s3_bucket", bucket.id, "id") });
    });

    it("carries each report from the store's region to the cell bus, and from there to the critical topic", () => {
      const rules = entriesOf(cell, "aws_cloudwatch_event_rule").filter(([, rule]) => rule["name"] === `${CELL}-store-rejections`);
      expect(rules).toHaveLength(2);
      const pattern = JSON.parse(rules[0]![1]["event_pattern"] as string);
      expect(pattern).toEqual({
        source: ["aws.s3"],
        "detail-type": ["Object Created"],
        detail: { bucket: { name: [`${CELL}-\${data.aws_caller_identity.account.account_id}-ts-rejects`] } },
      });
      const targets = Object.values(resourcesOf(cell, "aws_cloudwatch_event_target")).filter((target) =>
        rules.some(([id]) => target["rule"] === ref("aws_cloudwatch_event_rule", id, "name")),
      );
      expect(targets.map((target) => String(target["arn"])).sort()).toEqual(
        [`arn:\${data.aws_partition.partition.partition}:events:${REGION}:\${data.aws_caller_identity.account.account_id}:event-bus/${CELL}-invoices`, expect.stringContaining("aws_sns_topic.")].sort(),
      );
    });
  });

  describe.each(STAGES)("stage %s (fifo delivery)", (stage) => {
    const base = `${CELL}-${stage}`;

    it(`fans out through the standard SNS topic ${base}`, () => {
      const topic = byName(cell, "aws_sns_topic", base).block;
      expect(topic["fifo_topic"]).toBeUndefined();
    });

    it("subscribes the stage queue with raw message delivery and a redrive policy to the fan-out DLQ", () => {
      const topic = byName(cell, "aws_sns_topic", base);
      const [subscription, ...others] = entriesOf(cell, "aws_sns_topic_subscription")
        .map(([, s]) => s)
        .filter((s) => s["endpoint"] === queueArn(cell, base));
      expect(others).toEqual([]);
      expect(subscription).toMatchObject({
        protocol: "sqs",
        topic_arn: arnOf("aws_sns_topic", topic.id),
        raw_message_delivery: true,
      });
      expect(redriveOf(subscription!).deadLetterTargetArn).toBe(queueArn(cell, `${base}-fanout-dlq`));
    });

    it("dead-letters stage-queue messages to a standard DLQ after at least 5 receives", () => {
      const queue = byName(cell, "aws_sqs_queue", base).block;
      const redrive = redriveOf(queue);
      expect(redrive.deadLetterTargetArn).toBe(queueArn(cell, `${base}-dlq`));
      expect(redrive.maxReceiveCount).toBeGreaterThanOrEqual(5);
      expect(byName(cell, "aws_sqs_queue", `${base}-dlq`).block["fifo_queue"]).toBeUndefined();
    });

    it("buffers the stage queue through a pipe into a high-throughput FIFO queue", () => {
      const pipe = byName(cell, "aws_pipes_pipe", `${base}-buffer`).block;
      expect(pipe["source"]).toBe(queueArn(cell, base));
      expect(pipe["target"]).toBe(queueArn(cell, `${base}.fifo`));
      expect(byName(cell, "aws_sqs_queue", `${base}.fifo`).block).toMatchObject({
        fifo_queue: true,
        deduplication_scope: "messageGroup",
        fifo_throughput_limit: "perMessageGroupId",
      });
    });

    it("groups FIFO messages by invoice, deduplicates by event id and forwards the original event", () => {
      const pipe = byName(cell, "aws_pipes_pipe", `${base}-buffer`).block;
      expect(pipe["target_parameters"]).toEqual({
        input_template: "<$.body>",
        sqs_queue_parameters: { message_group_id: "$.body.detail.invoiceId", message_deduplication_id: "$.body.id" },
      });
    });

    it("dead-letters FIFO messages to a FIFO DLQ after at least 5 receives", () => {
      const redrive = redriveOf(byName(cell, "aws_sqs_queue", `${base}.fifo`).block);
      expect(redrive.deadLetterTargetArn).toBe(queueArn(cell, `${base}-dlq.fifo`));
      expect(redrive.maxReceiveCount).toBeGreaterThanOrEqual(5);
      expect(byName(cell, "aws_sqs_queue", `${base}-dlq.fifo`).block["fifo_queue"]).toBe(true);
    });

    it("consumes the FIFO queue in batches of at most 10, without a batching window, reporting item failures", () => {
      const { mapping, queue } = consumerOf(cell, CELL, stage);
      expect(queue["name"]).toBe(`${base}.fifo`);
      expect(mapping["batch_size"]).toBeLessThanOrEqual(10);
      expect(mapping["maximum_batching_window_in_seconds"] ?? 0).toBe(0);
      expect(mapping["function_response_types"]).toEqual(["ReportBatchItemFailures"]);
    });

    it("keeps the consumed queue's messages invisible for at least 6x the consumer's timeout", () => {
      const { fn, queue } = consumerOf(cell, CELL, stage);
      expect(queue["visibility_timeout_seconds"]).toBeGreaterThanOrEqual(6 * (fn["timeout"] as number));
    });

    it("runs the consumer on arm64 and the project's Node runtime, traced with X-Ray", () => {
      const { fn } = consumerOf(cell, CELL, stage);
      expect(fn).toMatchObject({ architectures: ["arm64"], runtime: NODE_RUNTIME, tracing_config: { mode: "Active" } });
    });

    it("logs JSON to its own log group, kept for the configured days and encrypted with the cell key", () => {
      const { fn } = consumerOf(cell, CELL, stage);
      const logGroup = byName(cell, "aws_cloudwatch_log_group", `/aws/lambda/${base}-consumer`);
      expect(fn["logging_config"]).toMatchObject({
        log_format: "JSON",
        log_group: ref("aws_cloudwatch_log_group", logGroup.id, "name"),
      });
      expect(logGroup.block).toMatchObject({ retention_in_days: config.logRetentionDays, kms_key_id: keyArn });
    });

    it("tells the consumer its stage, cell, delivery mode and store", () => {
      const { fn } = consumerOf(cell, CELL, stage);
      const database = byName(cell, "aws_timestreamwrite_database", `${CELL}-invoices`, "database_name");
      const table = byName(cell, "aws_timestreamwrite_table", "invoice_events", "table_name");
      expect((fn["environment"] as { variables: Record<string, string> }).variables).toMatchObject({
        STAGE: stage,
        CELL_ID: CELL,
        DELIVERY_MODE: "fifo",
        TIMESTREAM_DATABASE: ref("aws_timestreamwrite_database", database.id, "database_name"),
        TIMESTREAM_TABLE: ref("aws_timestreamwrite_table", table.id, "table_name"),
        TIMESTREAM_REGION: REGION,
      });
    });

    it("deploys the shared consumer bundle from the stack's assets, hashed by content", () => {
      const { fn } = consumerOf(cell, CELL, stage);
      expect(fn["source_code_hash"]).toBe(consumerBundle().sha256);
      expect(fn["filename"]).toMatch(/^assets\/[^/]+\/[^/]+\/stage-consumer-[0-9a-f]{16}\.zip$/);
      expect(fn["handler"]).toBe(consumerBundle().handler);
    });
  });

  describe("invoice store", () => {
    it("has a Timestream database encrypted with the cell key", () => {
      const database = byName(cell, "aws_timestreamwrite_database", `${CELL}-invoices`, "database_name").block;
      expect(database).toMatchObject({ kms_key_id: keyArn, region: REGION });
    });

    it("has a table with the configured retention and magnetic-store writes on for late events", () => {
      const database = byName(cell, "aws_timestreamwrite_database", `${CELL}-invoices`, "database_name");
      expect(json).toHaveResourceWithProperties(TimestreamwriteTable, {
        table_name: "invoice_events",
        database_name: ref("aws_timestreamwrite_database", database.id, "database_name"),
        region: REGION,
        retention_properties: {
          memory_store_retention_period_in_hours: config.store.memoryRetentionHours,
          magnetic_store_retention_period_in_days: config.store.magneticRetentionDays,
        },
        magnetic_store_write_properties: { enable_magnetic_store_writes: true },
      });
    });
  });

  describe("ingest API", () => {
    const api = () => byName(cell, "aws_api_gateway_rest_api", `${CELL}-ingest`);
    const apiId = () => ref("aws_api_gateway_rest_api", api().id, "id");
    /** The resource at `/<parts...>`, walking path parts from the API root. */
    const resourceAt = (...parts: string[]) => {
      let parent = ref("aws_api_gateway_rest_api", api().id, "root_resource_id");
      let found: [string, TfBlock] | undefined;
      for (const part of parts) {
        found = entriesOf(cell, "aws_api_gateway_resource").find(
          ([, r]) => r["path_part"] === part && r["parent_id"] === parent && r["rest_api_id"] === apiId(),
        );
        if (!found) throw new Error(`no API resource /${parts.join("/")}`);
        parent = ref("aws_api_gateway_resource", found[0], "id");
      }
      return found![0];
    };
    const onResource = (type: string, resourceId: string) =>
      entriesOf(cell, type).filter(([, block]) => block["resource_id"] === ref("aws_api_gateway_resource", resourceId, "id"));

    it("is a regional REST API", () => {
      expect(json).toHaveResourceWithProperties(ApiGatewayRestApi, {
        name: `${CELL}-ingest`,
        endpoint_configuration: { types: ["REGIONAL"] },
      });
    });

    it("has exactly the routes POST /invoices/<stage> for every stage and GET /health", () => {
      const methods = entriesOf(cell, "aws_api_gateway_method").map(([, method]) => {
        const resourceId = referencedId(method["resource_id"], "aws_api_gateway_resource");
        const resource = resourcesOf(cell, "aws_api_gateway_resource")[resourceId]!;
        const parentIsRoot = resource["parent_id"] === ref("aws_api_gateway_rest_api", api().id, "root_resource_id");
        const path = parentIsRoot
          ? `/${resource["path_part"]}`
          : `/${resourcesOf(cell, "aws_api_gateway_resource")[referencedId(resource["parent_id"], "aws_api_gateway_resource")]!["path_part"]}/${resource["path_part"]}`;
        return `${method["http_method"]} ${path}`;
      });
      expect(methods.sort()).toEqual([...STAGES.map((stage) => `POST /invoices/${stage}`), "GET /health"].sort());
    });

    it.each(STAGES)("puts POST /invoices/%s straight onto the cell bus with EventBridge PutEvents", (stage) => {
      const [[, integration], ...others] = onResource("aws_api_gateway_integration", resourceAt("invoices", stage));
      expect(others).toEqual([]);
      const role = byName(cell, "aws_iam_role", `${CELL}-ingest-putevents`);
      expect(integration).toMatchObject({
        type: "AWS",
        integration_http_method: "POST",
        uri: `arn:${PARTITION}:apigateway:${REGION}:events:action/PutEvents`,
        credentials: arnOf("aws_iam_role", role.id),
        passthrough_behavior: "NEVER",
        request_parameters: {
          "integration.request.header.X-Amz-Target": "'AWSEvents.PutEvents'",
          "integration.request.header.Content-Type": "'application/x-amz-json-1.1'",
        },
      });
    });

    it.each(STAGES)("builds the %s PutEvents entry for the cell bus, stamped with meta", (stage) => {
      const [[, integration]] = onResource("aws_api_gateway_integration", resourceAt("invoices", stage));
      const templates = integration["request_templates"] as Record<string, string>;
      expect(Object.keys(templates)).toEqual(["application/json"]);
      const template = templates["application/json"]!;
      expect(template).toContain(`"EventBusName":"${CELL}-invoices"`);
      expect(template).toContain(`"Source":"${INGEST_EVENT_SOURCE}"`);
      expect(template).toContain(`"DetailType":"${stage}"`);
      // Inside Detail (a JSON string), so the quotes are escaped.
      expect(template).toContain(`\\"meta\\":{\\"cell\\":\\"${CELL}\\",\\"stage\\":\\"${stage}\\"`);
      expect(template).toContain(`\\"receivedAt\\":$context.requestTimeEpoch`);
      expect(template).toContain(`\\"requestId\\":\\"$context.requestId\\"`);
    });

    it.each(STAGES)("answers POST /invoices/%s with an error when EventBridge refused the entry", (stage) => {
      const responses = onResource("aws_api_gateway_integration_response", resourceAt("invoices", stage)).map(([, r]) => r);
      const success = responses.find((r) => r["selection_pattern"] === undefined)!;
      const template = (success["response_templates"] as Record<string, string>)["application/json"]!;
      expect(template).toMatch(/#if\(\$result\.FailedEntryCount > 0\)/);
      expect(template).toMatch(/responseOverride\.status = 5\d\d/);
      // Whole-call failures are never answered as success either.
      expect(responses.filter((r) => r["selection_pattern"] !== undefined).map((r) => r["status_code"]).sort()).toEqual(["500", "503"]);
    });

    it("answers GET /health from a mock integration", () => {
      const health = resourceAt("health");
      const [[, method]] = onResource("aws_api_gateway_method", health);
      const [[, integration]] = onResource("aws_api_gateway_integration", health);
      expect(method["http_method"]).toBe("GET");
      expect(integration["type"]).toBe("MOCK");
    });

    it("deploys to a stage traced with X-Ray", () => {
      expect(json).toHaveResourceWithProperties(ApiGatewayStage, { rest_api_id: apiId(), xray_tracing_enabled: true });
    });
  });
});

describe("cell usw1-a (Timestream is not offered in us-west-1: storeRegion us-west-2)", () => {
  let west: SynthesizedStack;

  beforeAll(() => {
    ({ parsed: west } = synthStack(buildTestFleet(config).cells.get("usw1-a")!));
  });

  it("keeps the cell itself and the key of its queues in us-west-1", () => {
    expect((west.provider["aws"] as { region: string }[])[0]!.region).toBe("us-west-1");
    const cellKeyId = referencedId(byName(west, "aws_sqs_queue", "usw1-a-router-dlq").block["kms_master_key_id"], "aws_kms_key");
    expect(resourcesOf(west, "aws_kms_key")[cellKeyId]!["region"]).toBe("us-west-1");
  });

  it("puts the Timestream database and table in us-west-2, encrypted with a key of their own there", () => {
    const database = byName(west, "aws_timestreamwrite_database", "usw1-a-invoices", "database_name").block;
    const table = byName(west, "aws_timestreamwrite_table", "invoice_events", "table_name").block;
    const storeKeyId = referencedId(database["kms_key_id"], "aws_kms_key");
    expect(database["region"]).toBe("us-west-2");
    expect(table["region"]).toBe("us-west-2");
    expect(resourcesOf(west, "aws_kms_key")[storeKeyId]).toMatchObject({ region: "us-west-2", enable_key_rotation: true });
    const rejections = (table["magnetic_store_write_properties"] as { magnetic_store_rejected_data_location: { s3_configuration: TfBlock } })
      .magnetic_store_rejected_data_location.s3_configuration;
    expect(rejections["kms_key_id"]).toBe(arnOf("aws_kms_key", storeKeyId));
  });

  it("keeps the store's rejected-records bucket with the store in us-west-2", () => {
    for (const [id, block] of entriesOf(west, "aws_s3_bucket")) expect(block["region"], id).toBe("us-west-2");
  });

  it.each(STAGES)("points the %s consumer at the store in us-west-2", (stage) => {
    const { fn } = consumerOf(west, "usw1-a", stage);
    expect((fn["environment"] as { variables: Record<string, string> }).variables["TIMESTREAM_REGION"]).toBe("us-west-2");
  });
});

describe("cell use1-a with posting in standard delivery", () => {
  let standard: SynthesizedStack;

  beforeAll(() => {
    const stacks = buildTestFleet(fleet({ stageSettings: { posting: { delivery: "standard" } } }));
    ({ parsed: standard } = synthStack(stacks.cells.get(CELL)!));
  });

  it("has no pipe and no FIFO queues for posting", () => {
    expect(hasNamed(standard, "aws_pipes_pipe", `${CELL}-posting-buffer`)).toBe(false);
    expect(hasNamed(standard, "aws_sqs_queue", `${CELL}-posting.fifo`)).toBe(false);
    expect(hasNamed(standard, "aws_sqs_queue", `${CELL}-posting-dlq.fifo`)).toBe(false);
  });

  it("lets the posting consumer read the stage queue directly, 100 at a time with a batching window", () => {
    const { mapping, queue, fn } = consumerOf(standard, CELL, "posting");
    expect(queue["name"]).toBe(`${CELL}-posting`);
    expect(mapping["batch_size"]).toBe(100);
    expect(mapping["maximum_batching_window_in_seconds"]).toBeGreaterThanOrEqual(1);
    expect(mapping["function_response_types"]).toEqual(["ReportBatchItemFailures"]);
    expect((fn["environment"] as { variables: Record<string, string> }).variables["DELIVERY_MODE"]).toBe("standard");
  });

  it("keeps the stage queue invisible for at least 6x the consumer's timeout and dead-lettering after 5+ receives", () => {
    const { queue, fn } = consumerOf(standard, CELL, "posting");
    expect(queue["visibility_timeout_seconds"]).toBeGreaterThanOrEqual(6 * (fn["timeout"] as number));
    expect(redriveOf(queue).maxReceiveCount).toBeGreaterThanOrEqual(5);
  });

  it.each(STAGES.filter((stage) => stage !== "posting"))("leaves %s in fifo delivery (the override names posting only)", (stage) => {
    expect(hasNamed(standard, "aws_pipes_pipe", `${CELL}-${stage}-buffer`)).toBe(true);
    expect(consumerOf(standard, CELL, stage).queue["name"]).toBe(`${CELL}-${stage}.fifo`);
  });
});

describe("store retention from config", () => {
  it("sets the table's memory and magnetic retention from fleet.json's store", () => {
    const stacks = buildTestFleet(fleet({ store: { memoryRetentionHours: 48, magneticRetentionDays: 730 } }));
    const { parsed } = synthStack(stacks.cells.get(CELL)!);
    expect(byName(parsed, "aws_timestreamwrite_table", "invoice_events", "table_name").block["retention_properties"]).toEqual({
      memory_store_retention_period_in_hours: 48,
      magnetic_store_retention_period_in_days: 730,
    });
  });
});
