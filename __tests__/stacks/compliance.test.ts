import { Testing, TerraformStack } from "cdktf";
import { beforeAll, describe, expect, it } from "vitest";
import type { FleetConfig } from "../../cells/fleet-schema";
import { STACK_IDS, fleetNames } from "../../cells/naming";
import { ALLOWED_MANAGED_POLICIES, GLOBAL_REQUIRED_TAGS, applyPolicyAspects } from "../../stacks/aspects";
import { stackFoundation } from "../../stacks/stack-foundation";
import { CellKey } from "../../stacks/cell-key";
import { complianceNames } from "../../cells/naming";
import { COMPLIANCE_RULES, Compliance, SQS_CUSTOMER_KEY_GUARD } from "../../stacks/compliance";
import { buildTestFleet, defaultFleetInput, fleet, synthStack, type SynthesizedStack } from "../support/fleet";
import { aspectErrors } from "./aspects/aspect-stack";
import { ACCOUNT, PARTITION, byName, entriesOf, grantOf, grantsOf, ref, resourcesOf, statementsOf, type Statement, type TfBlock } from "./terraform-json";

const COMPLIANCE_TYPES = [
  "aws_cloudtrail",
  "aws_config_configuration_recorder",
  "aws_config_configuration_recorder_status",
  "aws_config_delivery_channel",
  "aws_config_config_rule",
  "aws_s3_bucket_logging",
];

/** A fleet with the compliance module switched on (and a retention other than the default). */
function enabledFleet(): FleetConfig {
  return fleet({ compliance: { enabled: true, trailRetentionDays: 400 } });
}

/**
 * A stack like the global stack (its foundation and key), with the module
 * built as GlobalStack builds it when `compliance.enabled`, and every policy aspect.
 */
function complianceStack(config: FleetConfig, cellRegions = config.cells.map((cell) => cell.region)) {
  const stack = new TerraformStack(Testing.app(), STACK_IDS.global);
  const region = config.global.region;
  const account = stackFoundation(stack, {
    fleet: config,
    stackId: STACK_IDS.global,
    region,
    tags: { project: config.project, stack: STACK_IDS.global, region },
  });
  const key = new CellKey(stack, "key", { alias: fleetNames(config.project).globalKeyAlias, region, account, description: "global key" });
  const compliance = new Compliance(stack, "compliance", {
    project: config.project,
    account,
    controlRegion: region,
    cellRegions,
    trailRetentionDays: config.compliance.trailRetentionDays,
    notificationKey: key,
  });
  applyPolicyAspects(stack, { requiredTags: GLOBAL_REQUIRED_TAGS });
  return { stack, compliance };
}

const names = complianceNames("cellfleet");
const TRAIL_ARN = `arn:${PARTITION}:cloudtrail:us-east-1:${ACCOUNT}:trail/cellfleet-trail`;
const CELL_REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2"];

/** The statement with this sid (exactly one). */
function statement(statements: Statement[], sid: string): Statement {
  const found = statements.filter((s) => s.sid === sid);
  expect(found, `statement ${sid}`).toHaveLength(1);
  return found[0]!;
}

function bucketPolicy(stack: SynthesizedStack, bucketId: string): Statement[] {
  const [policy] = Object.values(resourcesOf(stack, "aws_s3_bucket_policy")).filter((p) => p["bucket"] === ref("aws_s3_bucket", bucketId, "id"));
  return statementsOf(stack, policy!["policy"]);
}

/** The blocks of `type` that configure the bucket (`bucket = <bucket>.id`). */
function onBucket(stack: SynthesizedStack, type: string, bucketId: string): TfBlock[] {
  return Object.values(resourcesOf(stack, type)).filter((block) => block["bucket"] === ref("aws_s3_bucket", bucketId, "id"));
}

describe("the compliance module (CloudTrail and AWS Config, optional)", () => {
  describe("when compliance is off (the default)", () => {
    it("is off in the shipped fleet.json and in the schema's default", () => {
      expect(fleet().compliance).toEqual({ enabled: false, trailRetentionDays: 365 });
      const { compliance: _omitted, ...withoutCompliance } = defaultFleetInput();
      expect(fleet(withoutCompliance).compliance.enabled).toBe(false);
    });

    it("leaves the global stack without a trail, a Config recorder, rule or trail bucket", () => {
      const global = synthStack(buildTestFleet(fleet()).global).parsed;
      for (const type of COMPLIANCE_TYPES) expect(resourcesOf(global, type), type).toEqual({});
      const buckets = Object.values(resourcesOf(global, "aws_s3_bucket")).map((b) => String(b["bucket"]));
      expect(buckets.filter((name) => name.includes("trail"))).toEqual([]);
      expect(Object.values(resourcesOf(global, "aws_iam_role")).map((r) => r["name"])).not.toContain(names.configRole);
    });
  });

  describe("when compliance is on", () => {
    let stack: SynthesizedStack;
    let compliance: Compliance;
    let errors: string[];
    let trailBucketId: string;
    let accessLogBucketId: string;
    let keyId: string;

    beforeAll(() => {
      const built = complianceStack(enabledFleet());
      compliance = built.compliance;
      errors = aspectErrors(built.stack);
      stack = synthStack(built.stack).parsed;
      trailBucketId = byName(stack, "aws_s3_bucket", names.trailBucket(ACCOUNT), "bucket").id;
      accessLogBucketId = byName(stack, "aws_s3_bucket", names.trailAccessLogBucket(ACCOUNT), "bucket").id;
      keyId = byName(stack, "aws_kms_alias", names.trailKeyAlias).block["target_key_id"] as string;
      keyId = /^\$\{aws_kms_key\.([^.]+)\.key_id\}$/.exec(keyId)![1]!;
    });

    describe("the CloudTrail trail", () => {
      it("is one multi-region trail in the control region, with global service events and log file validation", () => {
        const trails = Object.values(resourcesOf(stack, "aws_cloudtrail"));
        expect(trails).toHaveLength(1);
        expect(trails[0]).toMatchObject({
          name: "cellfleet-trail",
          region: "us-east-1",
          is_multi_region_trail: true,
          include_global_service_events: true,
          enable_log_file_validation: true,
          enable_logging: true,
        });
      });

      it("writes to the trail bucket under cloudtrail/, encrypted with the trail's own key", () => {
        const trail = Object.values(resourcesOf(stack, "aws_cloudtrail"))[0]!;
        expect(trail["s3_bucket_name"]).toBe(ref("aws_s3_bucket", trailBucketId, "id"));
        expect(trail["s3_key_prefix"]).toBe("cloudtrail");
        expect(trail["kms_key_id"]).toBe(ref("aws_kms_key", keyId, "arn"));
        expect(resourcesOf(stack, "aws_kms_key")[keyId]).toMatchObject({ enable_key_rotation: true, region: "us-east-1" });
      });

      it("copies events to an encrypted CloudWatch Logs group kept at least a year, through a role only this trail can assume", () => {
        const trail = Object.values(resourcesOf(stack, "aws_cloudtrail"))[0]!;
        const { id: groupId, block: group } = byName(stack, "aws_cloudwatch_log_group", names.trailLogGroup);
        expect(trail["cloud_watch_logs_group_arn"]).toBe(`${ref("aws_cloudwatch_log_group", groupId, "arn")}:*`);
        expect(group).toMatchObject({ retention_in_days: 400, kms_key_id: ref("aws_kms_key", keyId, "arn") });

        const { id: roleId, block: role } = byName(stack, "aws_iam_role", names.trailLogsRole);
        expect(trail["cloud_watch_logs_role_arn"]).toBe(ref("aws_iam_role", roleId, "arn"));
        expect(grantsOf(statementsOf(stack, role["assume_role_policy"]))).toEqual([
          grantOf({
            actions: ["sts:AssumeRole"],
            principals: [{ type: "Service", identifiers: ["cloudtrail.amazonaws.com"] }],
            condition: [
              { test: "StringEquals", variable: "aws:SourceAccount", values: [ACCOUNT] },
              { test: "StringEquals", variable: "aws:SourceArn", values: [TRAIL_ARN] },
            ],
          }),
        ]);
        const [policy] = Object.values(resourcesOf(stack, "aws_iam_role_policy")).filter((p) => p["role"] === ref("aws_iam_role", roleId, "id"));
        expect(grantsOf(statementsOf(stack, policy!["policy"]))).toEqual([
          grantOf({ actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`${ref("aws_cloudwatch_log_group", groupId, "arn")}:log-stream:*`] }),
        ]);
      });

      it("notifies log-file deliveries on a TLS-only topic encrypted with the global key, which only this trail may publish to", () => {
        const trail = Object.values(resourcesOf(stack, "aws_cloudtrail"))[0]!;
        const { id: topicId, block: topic } = byName(stack, "aws_sns_topic", names.trailTopic);
        expect(trail["sns_topic_name"]).toBe(ref("aws_sns_topic", topicId, "name"));
        const globalKeyId = Object.keys(resourcesOf(stack, "aws_kms_key")).find((id) => id !== keyId)!;
        expect(topic["kms_master_key_id"]).toBe(ref("aws_kms_key", globalKeyId, "arn"));
        const globalKeyPolicy = statementsOf(stack, resourcesOf(stack, "aws_kms_key")[globalKeyId]!["policy"]);
        expect(statement(globalKeyPolicy, "AllowCloudtrailEnvelope")).toMatchObject({
          actions: ["kms:GenerateDataKey", "kms:Decrypt"],
          condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [ACCOUNT] }],
        });
        const [topicPolicy] = Object.values(resourcesOf(stack, "aws_sns_topic_policy"));
        const statements = statementsOf(stack, topicPolicy!["policy"]);
        expect(statement(statements, "DenyInsecureTransport")).toMatchObject({ effect: "Deny", actions: ["sns:Publish"] });
        expect(statement(statements, "AllowCloudtrailPublish")).toMatchObject({
          actions: ["sns:Publish"],
          resources: [ref("aws_sns_topic", topicId, "arn")],
          principals: [{ type: "Service", identifiers: ["cloudtrail.amazonaws.com"] }],
          condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [TRAIL_ARN] }],
        });
      });
    });

    describe("the trail key's policy", () => {
      let statements: Statement[];
      beforeAll(() => {
        statements = statementsOf(stack, resourcesOf(stack, "aws_kms_key")[keyId]!["policy"]);
      });

      it("lets CloudTrail generate data keys for this trail only, within CloudTrail's encryption context", () => {
        expect(grantOf(statement(statements, "AllowCloudTrailEncryptLogs"))).toEqual(
          grantOf({
            actions: ["kms:GenerateDataKey*"],
            resources: ["*"],
            principals: [{ type: "Service", identifiers: ["cloudtrail.amazonaws.com"] }],
            condition: [
              { test: "StringEquals", variable: "aws:SourceArn", values: [TRAIL_ARN] },
              { test: "StringLike", variable: "kms:EncryptionContext:aws:cloudtrail:arn", values: [`arn:${PARTITION}:cloudtrail:*:${ACCOUNT}:trail/*`] },
            ],
          }),
        );
        expect(statement(statements, "AllowCloudTrailDescribeKey")).toMatchObject({
          actions: ["kms:DescribeKey"],
          condition: [{ test: "StringEquals", variable: "aws:SourceArn", values: [TRAIL_ARN] }],
        });
      });

      it("lets S3 encrypt the trail bucket's access logs, Config this account's deliveries and CloudWatch Logs the trail's group", () => {
        expect(statement(statements, "AllowS3ServerAccessLogs")).toMatchObject({
          actions: ["kms:GenerateDataKey"],
          principals: [{ type: "Service", identifiers: ["logging.s3.amazonaws.com"] }],
          condition: expect.arrayContaining([{ test: "ArnEquals", variable: "aws:SourceArn", values: [ref("aws_s3_bucket", trailBucketId, "arn")] }]),
        });
        expect(statement(statements, "AllowConfigDelivery")).toMatchObject({
          principals: [{ type: "Service", identifiers: ["config.amazonaws.com"] }],
          condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [ACCOUNT] }],
        });
        expect(statement(statements, "AllowCloudWatchLogs")).toMatchObject({
          principals: [{ type: "Service", identifiers: ["logs.us-east-1.amazonaws.com"] }],
          condition: [
            {
              test: "ArnEquals",
              variable: "kms:EncryptionContext:aws:logs:arn",
              values: [`arn:${PARTITION}:logs:us-east-1:${ACCOUNT}:log-group:${names.trailLogGroup}`],
            },
          ],
        });
      });

      it("lets no other service principal use the key", () => {
        const services = statements.flatMap((s) => s.principals ?? []).filter((p) => p.type === "Service").flatMap((p) => p.identifiers);
        expect([...new Set(services)].sort()).toEqual(["cloudtrail.amazonaws.com", "config.amazonaws.com", "logging.s3.amazonaws.com", "logs.us-east-1.amazonaws.com"]);
      });
    });

    describe("the trail bucket and its access-log bucket", () => {
      it.each([
        ["trail bucket", () => trailBucketId],
        ["access-log bucket", () => accessLogBucketId],
      ])("the %s blocks public access, enforces bucket ownership, is SSE-KMS with the trail key, versioned and expires after the retention", (_what, bucket) => {
        const id = bucket();
        expect(onBucket(stack, "aws_s3_bucket_public_access_block", id)).toEqual([
          expect.objectContaining({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true }),
        ]);
        expect(onBucket(stack, "aws_s3_bucket_ownership_controls", id)).toEqual([expect.objectContaining({ rule: { object_ownership: "BucketOwnerEnforced" } })]);
        const [encryption] = onBucket(stack, "aws_s3_bucket_server_side_encryption_configuration", id);
        expect(encryption!["rule"]).toEqual([
          { apply_server_side_encryption_by_default: { sse_algorithm: "aws:kms", kms_master_key_id: ref("aws_kms_key", keyId, "arn") }, bucket_key_enabled: true },
        ]);
        expect(onBucket(stack, "aws_s3_bucket_versioning", id)).toEqual([expect.objectContaining({ versioning_configuration: { status: "Enabled" } })]);
        const [lifecycle] = onBucket(stack, "aws_s3_bucket_lifecycle_configuration", id);
        expect(lifecycle!["rule"]).toEqual([expect.objectContaining({ status: "Enabled", expiration: [{ days: 400 }] })]);
        expect(onBucket(stack, "aws_s3_bucket_notification", id)).toHaveLength(1);
      });

      it("logs access to the trail bucket into the access-log bucket", () => {
        expect(onBucket(stack, "aws_s3_bucket_logging", trailBucketId)).toEqual([
          expect.objectContaining({ target_bucket: ref("aws_s3_bucket", accessLogBucketId, "id"), target_prefix: "trail-bucket/" }),
        ]);
        expect(onBucket(stack, "aws_s3_bucket_logging", accessLogBucketId)).toEqual([]);
      });

      it.each([
        ["trail bucket", () => trailBucketId],
        ["access-log bucket", () => accessLogBucketId],
      ])("the %s refuses requests without TLS and uploads asking for encryption other than SSE-KMS", (_what, bucket) => {
        const id = bucket();
        const arn = ref("aws_s3_bucket", id, "arn");
        const statements = bucketPolicy(stack, id);
        expect(grantOf(statement(statements, "DenyInsecureTransport"))).toEqual(
          grantOf({
            effect: "Deny",
            actions: ["s3:*"],
            resources: [arn, `${arn}/*`],
            principals: [{ type: "*", identifiers: ["*"] }],
            condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
          }),
        );
        expect(grantOf(statement(statements, "DenyUploadsNotEncryptedWithKms"))).toEqual(
          grantOf({
            effect: "Deny",
            actions: ["s3:PutObject"],
            resources: [`${arn}/*`],
            principals: [{ type: "*", identifiers: ["*"] }],
            condition: [
              { test: "StringNotEquals", variable: "s3:x-amz-server-side-encryption", values: ["aws:kms"] },
              { test: "Null", variable: "s3:x-amz-server-side-encryption", values: ["false"] },
            ],
          }),
        );
      });

      it("lets CloudTrail check the trail bucket's ACL and write its logs, for this trail only and owned by the bucket owner", () => {
        const arn = ref("aws_s3_bucket", trailBucketId, "arn");
        const statements = bucketPolicy(stack, trailBucketId);
        const cloudtrail = [{ type: "Service", identifiers: ["cloudtrail.amazonaws.com"] }];
        expect(grantOf(statement(statements, "AllowCloudTrailAclCheck"))).toEqual(
          grantOf({
            actions: ["s3:GetBucketAcl"],
            resources: [arn],
            principals: cloudtrail,
            condition: [{ test: "StringEquals", variable: "aws:SourceArn", values: [TRAIL_ARN] }],
          }),
        );
        expect(grantOf(statement(statements, "AllowCloudTrailWrite"))).toEqual(
          grantOf({
            actions: ["s3:PutObject"],
            resources: [`${arn}/cloudtrail/AWSLogs/${ACCOUNT}/*`],
            principals: cloudtrail,
            condition: [
              { test: "StringEquals", variable: "s3:x-amz-acl", values: ["bucket-owner-full-control"] },
              { test: "StringEquals", variable: "aws:SourceArn", values: [TRAIL_ARN] },
            ],
          }),
        );
      });

      it("lets AWS Config of this account check the trail bucket and write under config/", () => {
        const arn = ref("aws_s3_bucket", trailBucketId, "arn");
        const statements = bucketPolicy(stack, trailBucketId);
        const config = [{ type: "Service", identifiers: ["config.amazonaws.com"] }];
        const thisAccount = { test: "StringEquals", variable: "aws:SourceAccount", values: [ACCOUNT] };
        expect(grantOf(statement(statements, "AllowConfigAclCheck"))).toEqual(
          grantOf({ actions: ["s3:GetBucketAcl", "s3:ListBucket"], resources: [arn], principals: config, condition: [thisAccount] }),
        );
        expect(grantOf(statement(statements, "AllowConfigWrite"))).toEqual(
          grantOf({
            actions: ["s3:PutObject"],
            resources: [`${arn}/config/AWSLogs/${ACCOUNT}/Config/*`],
            principals: config,
            condition: [{ test: "StringEquals", variable: "s3:x-amz-acl", values: ["bucket-owner-full-control"] }, thisAccount],
          }),
        );
      });

      it("lets only S3's log delivery for the trail bucket write to the access-log bucket", () => {
        const arn = ref("aws_s3_bucket", accessLogBucketId, "arn");
        const allows = bucketPolicy(stack, accessLogBucketId).filter((s) => (s.effect ?? "Allow") === "Allow");
        expect(grantsOf(allows)).toEqual([
          grantOf({
            actions: ["s3:PutObject"],
            resources: [`${arn}/trail-bucket/*`],
            principals: [{ type: "Service", identifiers: ["logging.s3.amazonaws.com"] }],
            condition: [
              { test: "ArnEquals", variable: "aws:SourceArn", values: [ref("aws_s3_bucket", trailBucketId, "arn")] },
              { test: "StringEquals", variable: "aws:SourceAccount", values: [ACCOUNT] },
            ],
          }),
        ]);
      });
    });

    describe("AWS Config", () => {
      it("records every supported resource type, global ones included, in the control region and every cell region", () => {
        expect(compliance.regions).toEqual(CELL_REGIONS);
        const recorders = Object.values(resourcesOf(stack, "aws_config_configuration_recorder"));
        expect(recorders.map((r) => r["region"]).sort()).toEqual(CELL_REGIONS);
        const { id: roleId } = byName(stack, "aws_iam_role", names.configRole);
        for (const recorder of recorders) {
          expect(recorder).toMatchObject({
            name: "cellfleet",
            role_arn: ref("aws_iam_role", roleId, "arn"),
            recording_group: { all_supported: true, include_global_resource_types: true },
          });
        }
      });

      it("delivers every region's history to the trail bucket under config/, encrypted with the trail key", () => {
        const channels = entriesOf(stack, "aws_config_delivery_channel");
        expect(channels.map(([, c]) => c["region"]).sort()).toEqual(CELL_REGIONS);
        for (const [, channel] of channels) {
          expect(channel).toMatchObject({
            s3_bucket_name: ref("aws_s3_bucket", trailBucketId, "id"),
            s3_key_prefix: "config",
            s3_kms_key_arn: ref("aws_kms_key", keyId, "arn"),
          });
          const recorder = entriesOf(stack, "aws_config_configuration_recorder").find(([, r]) => r["region"] === channel["region"])!;
          expect(channel["depends_on"]).toContain(`aws_config_configuration_recorder.${recorder[0]}`);
        }
      });

      it("turns every region's recorder on once its delivery channel exists", () => {
        const statuses = Object.values(resourcesOf(stack, "aws_config_configuration_recorder_status"));
        expect(statuses.map((s) => s["region"]).sort()).toEqual(CELL_REGIONS);
        for (const status of statuses) {
          expect(status["is_enabled"]).toBe(true);
          const [channelId] = entriesOf(stack, "aws_config_delivery_channel").find(([, c]) => c["region"] === status["region"])!;
          expect(status["depends_on"]).toEqual([`aws_config_delivery_channel.${channelId}`]);
        }
      });

      it("uses one role, assumable by Config for this account only, with AWS_ConfigRole and exactly the delivery grants", () => {
        const { id: roleId, block: role } = byName(stack, "aws_iam_role", names.configRole);
        expect(grantsOf(statementsOf(stack, role["assume_role_policy"]))).toEqual([
          grantOf({
            actions: ["sts:AssumeRole"],
            principals: [{ type: "Service", identifiers: ["config.amazonaws.com"] }],
            condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [ACCOUNT] }],
          }),
        ]);
        const attachments = Object.values(resourcesOf(stack, "aws_iam_role_policy_attachment")).filter((a) => a["role"] === ref("aws_iam_role", roleId, "name"));
        expect(attachments.map((a) => a["policy_arn"])).toEqual([`arn:${PARTITION}:iam::aws:policy/service-role/AWS_ConfigRole`]);

        const bucket = ref("aws_s3_bucket", trailBucketId, "arn");
        const [policy] = Object.values(resourcesOf(stack, "aws_iam_role_policy")).filter((p) => p["role"] === ref("aws_iam_role", roleId, "id"));
        expect(grantsOf(statementsOf(stack, policy!["policy"]))).toEqual(
          grantsOf([
            { actions: ["s3:GetBucketAcl"], resources: [bucket] },
            {
              actions: ["s3:PutObject", "s3:PutObjectAcl"],
              resources: [`${bucket}/config/AWSLogs/${ACCOUNT}/Config/*`],
              condition: [{ test: "StringEquals", variable: "s3:x-amz-acl", values: ["bucket-owner-full-control"] }],
            },
            { actions: ["kms:GenerateDataKey", "kms:Decrypt"], resources: [ref("aws_kms_key", keyId, "arn")] },
          ]),
        );
      });

      describe("rules mirroring the policy aspects, in every recorded region", () => {
        const managed = (identifier: string, parameters?: Record<string, string>) => ({ identifier, parameters });
        it.each([
          managed("SNS_ENCRYPTED_KMS"),
          managed("LAMBDA_DLQ_CHECK"),
          managed("LAMBDA_CONCURRENCY_CHECK"),
          managed("CLOUDWATCH_ALARM_ACTION_CHECK", { alarmActionRequired: "true", okActionRequired: "true", insufficientDataActionRequired: "false" }),
          managed("CLOUDWATCH_ALARM_ACTION_ENABLED_CHECK"),
          managed("API_GW_EXECUTION_LOGGING_ENABLED", { loggingLevel: "ERROR,INFO" }),
          managed("API_GW_XRAY_ENABLED"),
        ])("AWS managed rule $identifier, with its parameters", ({ identifier, parameters }) => {
          const rules = Object.values(resourcesOf(stack, "aws_config_config_rule")).filter(
            (r) => (r["source"] as { source_identifier?: string })["source_identifier"] === identifier,
          );
          expect(rules.map((r) => r["region"]).sort()).toEqual(CELL_REGIONS);
          for (const rule of rules) {
            expect(rule["source"]).toEqual({ owner: "AWS", source_identifier: identifier });
            expect(rule["input_parameters"] === undefined ? undefined : JSON.parse(rule["input_parameters"] as string)).toEqual(parameters);
            expect(rule["name"]).toMatch(/^cellfleet-/);
            const [recorderId] = entriesOf(stack, "aws_config_configuration_recorder").find(([, r]) => r["region"] === rule["region"])!;
            expect(rule["depends_on"]).toEqual([`aws_config_configuration_recorder.${recorderId}`]);
          }
        });

        it("SQS encryption with a customer managed key, as a Guard custom policy rule (AWS has no managed rule for it)", () => {
          const rules = Object.values(resourcesOf(stack, "aws_config_config_rule")).filter((r) => r["name"] === names.configRule("sqs-encrypted-with-customer-key"));
          expect(rules.map((r) => r["region"]).sort()).toEqual(CELL_REGIONS);
          for (const rule of rules) {
            expect(rule["scope"]).toEqual({ compliance_resource_types: ["AWS::SQS::Queue"] });
            expect(rule["source"]).toEqual({
              owner: "CUSTOM_POLICY",
              source_detail: [{ message_type: "ConfigurationItemChangeNotification" }, { message_type: "OversizedConfigurationItemChangeNotification" }],
              custom_policy_details: { policy_runtime: "guard-2.x.x", policy_text: SQS_CUSTOMER_KEY_GUARD },
            });
          }
          expect(SQS_CUSTOMER_KEY_GUARD).toMatch(/when resourceType == "AWS::SQS::Queue"/);
          expect(SQS_CUSTOMER_KEY_GUARD).toMatch(/configuration\.KmsMasterKeyId exists/);
          expect(SQS_CUSTOMER_KEY_GUARD).toMatch(/alias\\\/aws\\\/sqs/);
        });

        it("one rule per mirrored check and region, each name unique within its region", () => {
          const rules = Object.values(resourcesOf(stack, "aws_config_config_rule"));
          expect(rules).toHaveLength(COMPLIANCE_RULES.length * CELL_REGIONS.length);
          for (const region of CELL_REGIONS) {
            const inRegion = rules.filter((r) => r["region"] === region).map((r) => r["name"]);
            expect(new Set(inRegion).size).toBe(COMPLIANCE_RULES.length);
          }
        });
      });
    });

    it("passes every policy aspect (AWS_ConfigRole is an allowed managed policy, with its reason)", () => {
      expect(ALLOWED_MANAGED_POLICIES["service-role/AWS_ConfigRole"]).toMatch(/AWS Config/);
      expect(errors).toEqual([]);
    });
  });

  describe("regions", () => {
    it("records a region once however many cells share it, and the control region even without a cell", () => {
      const config = enabledFleet();
      const { stack } = complianceStack(config, ["us-west-2", "us-west-2", "eu-west-1"]);
      const parsed = synthStack(stack).parsed;
      const regions = Object.values(resourcesOf(parsed, "aws_config_configuration_recorder")).map((r) => r["region"]);
      expect(regions.sort()).toEqual(["eu-west-1", "us-east-1", "us-west-2"]);
    });

    it("leaves out a managed rule where AWS does not offer it, and says so", () => {
      const { stack, compliance } = complianceStack(enabledFleet(), ["ap-east-2"]);
      expect(compliance.skippedRules).toEqual({
        "ap-east-2": ["lambda-dlq", "lambda-concurrency", "cloudwatch-alarm-actions-enabled", "api-gw-execution-logging", "api-gw-xray"],
      });
      const parsed = synthStack(stack).parsed;
      const inTaipei = Object.values(resourcesOf(parsed, "aws_config_config_rule")).filter((r) => r["region"] === "ap-east-2");
      expect(inTaipei.map((r) => r["name"]).sort()).toEqual(
        ["cloudwatch-alarm-actions", "sns-encrypted-kms", "sqs-encrypted-with-customer-key"].map((id) => names.configRule(id)).sort(),
      );
    });
  });

  describe("props", () => {
    it.each([89, 3651, 365.5])("refuses trailRetentionDays %s, naming the prop", (days) => {
      const config = enabledFleet();
      expect(() => complianceStack({ ...config, compliance: { enabled: true, trailRetentionDays: days } })).toThrow(/trailRetentionDays must be .*90-3650, got/);
    });

    it("keeps the CloudWatch Logs copy at least a year, and at least as long as the bucket (rounded up to a retention CloudWatch accepts)", () => {
      for (const [days, expected] of [[90, 365], [365, 365], [1000, 1096], [3650, 3653]] as const) {
        const config = enabledFleet();
        const { stack } = complianceStack({ ...config, compliance: { enabled: true, trailRetentionDays: days } });
        const parsed = synthStack(stack).parsed;
        expect(byName(parsed, "aws_cloudwatch_log_group", names.trailLogGroup).block["retention_in_days"], `${days} days`).toBe(expected);
      }
    });

    it("names every bucket within S3's 63 characters for the longest project name", () => {
      const longest = complianceNames("p".repeat(24));
      for (const name of [longest.trailBucket("123456789012"), longest.trailAccessLogBucket("123456789012")]) expect(name.length).toBeLessThanOrEqual(63);
      expect(longest.configRole.length).toBeLessThanOrEqual(64);
      expect(longest.trailLogsRole.length).toBeLessThanOrEqual(64);
    });
  });
});
