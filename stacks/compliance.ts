import { Cloudtrail } from "@cdktf/provider-aws/lib/cloudtrail";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { ConfigConfigRule } from "@cdktf/provider-aws/lib/config-config-rule";
import { ConfigConfigurationRecorder } from "@cdktf/provider-aws/lib/config-configuration-recorder";
import { ConfigConfigurationRecorderStatus } from "@cdktf/provider-aws/lib/config-configuration-recorder-status";
import { ConfigDeliveryChannel } from "@cdktf/provider-aws/lib/config-delivery-channel";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketLoggingA } from "@cdktf/provider-aws/lib/s3-bucket-logging";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { Construct } from "constructs";
import type { CellKey } from "./cell-key";
import { PolicyDocument, denyInsecureTransport, iamPolicyJson, type PolicyStatement } from "./policy-document";
import { ServiceRole } from "./service-role";
import { complianceNames, type AccountRef } from "../cells/naming";


/** Where each writer puts its objects in the trail bucket. */
const TRAIL_PREFIX = "cloudtrail";
const CONFIG_PREFIX = "config";
const ACCESS_LOG_PREFIX = "trail-bucket/";

/** The retention periods CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/** An AWS Config rule mirroring one of the fleet's policy aspects. */
export interface ComplianceRule {
  /** Suffix of the rule's name. */
  readonly id: string;
  readonly description: string;
  readonly resourceTypes: readonly string[];
  /** An AWS managed rule, by its identifier, and its input parameters. */
  readonly managed?: { readonly identifier: string; readonly parameters?: Readonly<Record<string, string>> };
  /** A Config custom policy rule (CloudFormation Guard 2), where AWS has no managed rule. */
  readonly guard?: string;
  /**
   * Regions AWS's rule page lists as lacking the managed rule (in 2025, among the regions a
   * fleet can use); the rule is left out there rather than failing the apply.
   */
  readonly unavailableIn?: readonly string[];
}

/**
 * AWS has no managed rule for "SQS queue encrypted with a customer managed key" (Security Hub's
 * SQS.1 is its own rule), so it is a Guard policy over the queue's configuration item: a
 * KmsMasterKeyId that is not AWS's `alias/aws/sqs` (SSE-SQS queues have none).
 */
export const SQS_CUSTOMER_KEY_GUARD = `rule sqs_queue_encrypted_with_customer_key when resourceType == "AWS::SQS::Queue" {
  configuration.KmsMasterKeyId exists
  configuration.KmsMasterKeyId != /^$|alias\\/aws\\/sqs$/
  <<SQS queues are encrypted with a customer managed KMS key (not SSE-SQS, not alias/aws/sqs)>>
}
`;

/**
 * The rules, one per check of the policy aspects (`stacks/aspects/`) that AWS Config can see
 * after deploy: what synth enforces on our stacks, Config reports on everything in the account.
 */
export const COMPLIANCE_RULES: readonly ComplianceRule[] = [
  {
    id: "sqs-encrypted-with-customer-key",
    description: "SQS queues are encrypted with a customer managed KMS key (EncryptionAspect)",
    resourceTypes: ["AWS::SQS::Queue"],
    guard: SQS_CUSTOMER_KEY_GUARD,
  },
  {
    id: "sns-encrypted-kms",
    description: "SNS topics are encrypted with KMS (EncryptionAspect)",
    resourceTypes: ["AWS::SNS::Topic"],
    managed: { identifier: "SNS_ENCRYPTED_KMS" },
  },
  {
    id: "lambda-dlq",
    description: "Lambda functions have a dead-letter queue for failed asynchronous invocations",
    resourceTypes: ["AWS::Lambda::Function"],
    managed: { identifier: "LAMBDA_DLQ_CHECK" },
    unavailableIn: ["ap-east-2"],
  },
  {
    id: "lambda-concurrency",
    description: "Lambda functions have a function-level concurrency limit (reserved concurrency)",
    resourceTypes: ["AWS::Lambda::Function"],
    managed: { identifier: "LAMBDA_CONCURRENCY_CHECK" },
    unavailableIn: ["ap-east-2", "ap-southeast-7", "mx-central-1"],
  },
  {
    id: "cloudwatch-alarm-actions",
    description: "CloudWatch alarms notify on ALARM and on OK (CellAlarms sets both, and no INSUFFICIENT_DATA action)",
    resourceTypes: ["AWS::CloudWatch::Alarm"],
    managed: {
      identifier: "CLOUDWATCH_ALARM_ACTION_CHECK",
      // AWS's default requires an INSUFFICIENT_DATA action, which none of our alarms has by design.
      parameters: { alarmActionRequired: "true", okActionRequired: "true", insufficientDataActionRequired: "false" },
    },
  },
  {
    id: "cloudwatch-alarm-actions-enabled",
    description: "CloudWatch alarm actions are enabled",
    resourceTypes: ["AWS::CloudWatch::Alarm"],
    managed: { identifier: "CLOUDWATCH_ALARM_ACTION_ENABLED_CHECK" },
    unavailableIn: ["ap-east-2", "ap-southeast-6", "ap-southeast-7", "mx-central-1"],
  },
  {
    id: "api-gw-execution-logging",
    description: "API Gateway stages log execution at ERROR or INFO level",
    resourceTypes: ["AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage"],
    managed: { identifier: "API_GW_EXECUTION_LOGGING_ENABLED", parameters: { loggingLevel: "ERROR,INFO" } },
    unavailableIn: ["ap-east-2", "ap-southeast-6"],
  },
  {
    id: "api-gw-xray",
    description: "API Gateway REST API stages are traced with X-Ray",
    resourceTypes: ["AWS::ApiGateway::Stage"],
    managed: { identifier: "API_GW_XRAY_ENABLED" },
    unavailableIn: ["ap-east-2", "ap-southeast-6"],
  },
];

export interface ComplianceProps {
  /** The project name: every resource is named after it (`complianceNames`). */
  readonly project: string;
  readonly account: AccountRef;
  /** Home of the trail, its buckets, key and log group, and a Config recorder (the global stack's region). */
  readonly controlRegion: string;
  /** Regions the cells run in; each gets a Config recorder and the rules too. Duplicates are fine. */
  readonly cellRegions: readonly string[];
  /** Days trail logs and Config history are kept in the bucket (90-3650). */
  readonly trailRetentionDays: number;
  /**
   * The global stack's CellKey: encrypts the trail's notification topic (every SNS topic is
   * encrypted with a CellKey); CloudTrail is let use it for that.
   */
  readonly notificationKey: CellKey;
}

/**
 * The optional compliance module of the global stack (off by default: most organisations run
 * both centrally): a multi-region CloudTrail trail with log file validation into an encrypted,
 * versioned, access-logged bucket, copied to CloudWatch Logs, and an AWS Config recorder in the
 * control region and every cell region with managed rules mirroring the fleet's policy aspects.
 *
 * One customer managed key encrypts the trail, both buckets and the log group; its policy lets
 * each writer use it for exactly its own deliveries. Config's one service role (AWS's
 * `AWS_ConfigRole`) serves every region's recorder; all regions deliver to the one bucket.
 */
export class Compliance extends Construct {
  readonly key: KmsKey;
  readonly bucket: S3Bucket;
  readonly accessLogBucket: S3Bucket;
  readonly trail: Cloudtrail;
  /** Every region with a Config recorder, sorted. */
  readonly regions: readonly string[];
  /** Rule ids left out in a region because AWS does not offer the managed rule there. */
  readonly skippedRules: Readonly<Record<string, readonly string[]>>;

  constructor(scope: Construct, id: string, props: ComplianceProps) {
    super(scope, id);
    const { trailRetentionDays } = props;
    if (!Number.isInteger(trailRetentionDays) || trailRetentionDays < 90 || trailRetentionDays > 3650) {
      throw new Error(`Compliance ${this.node.path}: trailRetentionDays must be a whole number of days, 90-3650, got ${trailRetentionDays}`);
    }
    const region = props.controlRegion;
    const { partition, account } = props.account;
    const names = complianceNames(props.project);
    const trailArn = names.trailArn(region, props.account);
    const logGroupArn = `arn:${partition}:logs:${region}:${account}:log-group:${names.trailLogGroup}`;

    // Buckets first: the key's policy names the trail bucket as the source of access logs.
    this.bucket = new S3Bucket(this, "trail-bucket", { region, bucket: names.trailBucket(account) });
    this.accessLogBucket = new S3Bucket(this, "access-log-bucket", { region, bucket: names.trailAccessLogBucket(account) });

    const keyStatements: PolicyStatement[] = [
      {
        // AWS's default key policy statement: IAM policies can then grant use of the key.
        sid: "AccountAdministersKeyThroughIam",
        actions: ["kms:*"],
        resources: ["*"],
        principals: [{ type: "AWS", identifiers: [`arn:${partition}:iam::${account}:root`] }],
      },
      {
        sid: "AllowCloudTrailEncryptLogs",
        actions: ["kms:GenerateDataKey*"],
        resources: ["*"],
        principals: [{ type: "Service", identifiers: ["cloudtrail.amazonaws.com"] }],
        conditions: [
          { test: "StringEquals", variable: "aws:SourceArn", values: [trailArn] },
          { test: "StringLike", variable: "kms:EncryptionContext:aws:cloudtrail:arn", values: [`arn:${partition}:cloudtrail:*:${account}:trail/*`] },
        ],
      },
      {
        sid: "AllowCloudTrailDescribeKey",
        actions: ["kms:DescribeKey"],
        resources: ["*"],
        principals: [{ type: "Service", identifiers: ["cloudtrail.amazonaws.com"] }],
        conditions: [{ test: "StringEquals", variable: "aws:SourceArn", values: [trailArn] }],
      },
      {
        // Config delivers with its role (granted below); this covers delivery as the service.
        sid: "AllowConfigDelivery",
        actions: ["kms:GenerateDataKey", "kms:Decrypt"],
        resources: ["*"],
        principals: [{ type: "Service", identifiers: ["config.amazonaws.com"] }],
        conditions: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [account] }],
      },
      {
        sid: "AllowS3ServerAccessLogs",
        actions: ["kms:GenerateDataKey"],
        resources: ["*"],
        principals: [{ type: "Service", identifiers: ["logging.s3.amazonaws.com"] }],
        conditions: [
          { test: "StringEquals", variable: "aws:SourceAccount", values: [account] },
          { test: "ArnEquals", variable: "aws:SourceArn", values: [this.bucket.arn] },
        ],
      },
      {
        sid: "AllowCloudWatchLogs",
        actions: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        resources: ["*"],
        principals: [{ type: "Service", identifiers: [`logs.${region}.amazonaws.com`] }],
        conditions: [{ test: "ArnEquals", variable: "kms:EncryptionContext:aws:logs:arn", values: [logGroupArn] }],
      },
    ];
    this.key = new KmsKey(this, "key", {
      region,
      description: `${props.project}: CloudTrail trail, its buckets and log group, and AWS Config history`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: iamPolicyJson(keyStatements),
    });
    new KmsAlias(this, "key-alias", { region, name: names.trailKeyAlias, targetKeyId: this.key.keyId });

    const accessLogs = this.secureBucket("access-log-bucket", this.accessLogBucket, region, trailRetentionDays);
    accessLogs.policy.addStatements({
      sid: "AllowS3ServerAccessLogs",
      actions: ["s3:PutObject"],
      resources: [`${this.accessLogBucket.arn}/${ACCESS_LOG_PREFIX}*`],
      principals: [{ type: "Service", identifiers: ["logging.s3.amazonaws.com"] }],
      conditions: [
        { test: "ArnEquals", variable: "aws:SourceArn", values: [this.bucket.arn] },
        { test: "StringEquals", variable: "aws:SourceAccount", values: [account] },
      ],
    });

    const trailBucket = this.secureBucket("trail-bucket", this.bucket, region, trailRetentionDays);
    const bucketOwnerFullControl = { test: "StringEquals", variable: "s3:x-amz-acl", values: ["bucket-owner-full-control"] };
    const fromThisAccount = { test: "StringEquals", variable: "aws:SourceAccount", values: [account] };
    trailBucket.policy.addStatements(
      {
        sid: "AllowCloudTrailAclCheck",
        actions: ["s3:GetBucketAcl"],
        resources: [this.bucket.arn],
        principals: [{ type: "Service", identifiers: ["cloudtrail.amazonaws.com"] }],
        conditions: [{ test: "StringEquals", variable: "aws:SourceArn", values: [trailArn] }],
      },
      {
        sid: "AllowCloudTrailWrite",
        actions: ["s3:PutObject"],
        resources: [`${this.bucket.arn}/${TRAIL_PREFIX}/AWSLogs/${account}/*`],
        principals: [{ type: "Service", identifiers: ["cloudtrail.amazonaws.com"] }],
        conditions: [bucketOwnerFullControl, { test: "StringEquals", variable: "aws:SourceArn", values: [trailArn] }],
      },
      {
        sid: "AllowConfigAclCheck",
        actions: ["s3:GetBucketAcl", "s3:ListBucket"],
        resources: [this.bucket.arn],
        principals: [{ type: "Service", identifiers: ["config.amazonaws.com"] }],
        conditions: [fromThisAccount],
      },
      {
        sid: "AllowConfigWrite",
        actions: ["s3:PutObject"],
        resources: [`${this.bucket.arn}/${CONFIG_PREFIX}/AWSLogs/${account}/Config/*`],
        principals: [{ type: "Service", identifiers: ["config.amazonaws.com"] }],
        conditions: [bucketOwnerFullControl, fromThisAccount],
      },
    );
    new S3BucketLoggingA(this, "trail-bucket-access-logging", {
      region,
      bucket: this.bucket.id,
      targetBucket: this.accessLogBucket.id,
      targetPrefix: ACCESS_LOG_PREFIX,
      dependsOn: [accessLogs.resource],
    });

    // Near-real-time copy for queries and metric filters; the bucket is the record. At least a
    // year (checkov CKV_AWS_338), and at least as long as the bucket keeps the logs.
    const logRetention = LOG_RETENTION_DAYS.find((days) => days >= Math.max(365, trailRetentionDays))!;
    const logGroup = new CloudwatchLogGroup(this, "trail-log-group", {
      region,
      name: names.trailLogGroup,
      retentionInDays: logRetention,
      kmsKeyId: this.key.arn,
    });
    const logsRole = new ServiceRole(this, "trail-logs-role", {
      roleName: names.trailLogsRole,
      service: "cloudtrail.amazonaws.com",
      description: "CloudTrail copies the trail's events to its CloudWatch Logs group",
      trustConditions: [
        { test: "StringEquals", variable: "aws:SourceAccount", values: [account] },
        { test: "StringEquals", variable: "aws:SourceArn", values: [trailArn] },
      ],
    });
    logsRole.addToPolicy({ actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`${logGroup.arn}:log-stream:*`] });

    // Log-file delivery notifications: nothing subscribes here; a SIEM or archive consumer can.
    const topic = new SnsTopic(this, "trail-topic", { region, name: names.trailTopic, kmsMasterKeyId: props.notificationKey.arn });
    const topicPolicy = new PolicyDocument(this, "trail-topic-policy", [denyInsecureTransport(["sns:Publish"], [topic.arn])]);
    topicPolicy.allowServiceFromSources({
      service: "cloudtrail.amazonaws.com",
      verb: "Publish",
      actions: ["sns:Publish"],
      resources: [topic.arn],
      sourceArns: [trailArn],
    });
    props.notificationKey.allowServiceEnvelope("cloudtrail.amazonaws.com");
    const topicPolicyResource = new SnsTopicPolicy(this, "trail-topic-policy-attachment", { region, arn: topic.arn, policy: topicPolicy.json });

    this.trail = new Cloudtrail(this, "trail", {
      region,
      name: names.trail,
      s3BucketName: this.bucket.id,
      s3KeyPrefix: TRAIL_PREFIX,
      isMultiRegionTrail: true,
      includeGlobalServiceEvents: true,
      enableLogFileValidation: true,
      enableLogging: true,
      kmsKeyId: this.key.arn,
      cloudWatchLogsGroupArn: `${logGroup.arn}:*`,
      cloudWatchLogsRoleArn: logsRole.arn,
      snsTopicName: topic.name,
      // CloudTrail checks on creation that it may write to the bucket, the logs and the topic.
      dependsOn: [trailBucket.resource, logsRole.grants, topicPolicyResource],
    });

    // AWS Config: one role for every region's recorder.
    const configRole = new ServiceRole(this, "config-role", {
      roleName: names.configRole,
      service: "config.amazonaws.com",
      description: "AWS Config records resource configurations and delivers them to the trail bucket",
      trustConditions: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [account] }],
    });
    // AWS's managed policy for a Config role: read access to every resource type Config records.
    const configPolicy = new IamRolePolicyAttachment(this, "config-role-policy", {
      role: configRole.name,
      policyArn: `arn:${partition}:iam::aws:policy/service-role/AWS_ConfigRole`,
    });
    configRole.addToPolicy({ actions: ["s3:GetBucketAcl"], resources: [this.bucket.arn] });
    configRole.addToPolicy({
      actions: ["s3:PutObject", "s3:PutObjectAcl"],
      resources: [`${this.bucket.arn}/${CONFIG_PREFIX}/AWSLogs/${account}/Config/*`],
      conditions: [bucketOwnerFullControl],
    });
    configRole.addToPolicy({ actions: ["kms:GenerateDataKey", "kms:Decrypt"], resources: [this.key.arn] });

    this.regions = [...new Set([region, ...props.cellRegions])].sort();
    const skipped: Record<string, string[]> = {};
    for (const recorderRegion of this.regions) {
      const recorder = new ConfigConfigurationRecorder(this, `recorder-${recorderRegion}`, {
        region: recorderRegion,
        name: names.configRecorder,
        roleArn: configRole.arn,
        // Global resource types in every region, as checkov's CKV2_AWS_48 asks of each recorder.
        recordingGroup: { allSupported: true, includeGlobalResourceTypes: true },
        dependsOn: [configPolicy],
      });
      const channel = new ConfigDeliveryChannel(this, `delivery-channel-${recorderRegion}`, {
        region: recorderRegion,
        name: names.configDeliveryChannel,
        s3BucketName: this.bucket.id,
        s3KeyPrefix: CONFIG_PREFIX,
        s3KmsKeyArn: this.key.arn,
        snapshotDeliveryProperties: { deliveryFrequency: "TwentyFour_Hours" },
        // Config tests that it can write before it accepts the channel.
        dependsOn: [recorder, trailBucket.resource, configRole.grants],
      });
      new ConfigConfigurationRecorderStatus(this, `recorder-status-${recorderRegion}`, {
        region: recorderRegion,
        name: recorder.name,
        isEnabled: true,
        dependsOn: [channel],
      });
      for (const rule of COMPLIANCE_RULES) {
        if (rule.unavailableIn?.includes(recorderRegion)) {
          (skipped[recorderRegion] ??= []).push(rule.id);
          continue;
        }
        new ConfigConfigRule(this, `rule-${recorderRegion}-${rule.id}`, {
          region: recorderRegion,
          name: names.configRule(rule.id),
          description: rule.description,
          scope: { complianceResourceTypes: [...rule.resourceTypes] },
          inputParameters: rule.managed?.parameters ? JSON.stringify(rule.managed.parameters) : undefined,
          source: rule.managed
            ? { owner: "AWS", sourceIdentifier: rule.managed.identifier }
            : {
                owner: "CUSTOM_POLICY",
                sourceDetail: [
                  { messageType: "ConfigurationItemChangeNotification" },
                  { messageType: "OversizedConfigurationItemChangeNotification" },
                ],
                customPolicyDetails: { policyRuntime: "guard-2.x.x", policyText: rule.guard! },
              },
          dependsOn: [recorder],
        });
      }
    }
    this.skippedRules = skipped;
  }

  /**
   * A bucket as every bucket here is: public access blocked, owner-enforced, SSE-KMS with the
   * trail key, versioned, expiring after the retention, EventBridge notifications on, and a
   * policy (returned for more statements) refusing requests without TLS and uploads that ask
   * for any encryption but SSE-KMS.
   */
  private secureBucket(id: string, bucket: S3Bucket, region: string, retentionDays: number) {
    new S3BucketPublicAccessBlock(this, `${id}-public-access`, {
      region,
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, `${id}-ownership`, { region, bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } });
    new S3BucketServerSideEncryptionConfigurationA(this, `${id}-encryption`, {
      region,
      bucket: bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: this.key.arn }, bucketKeyEnabled: true }],
    });
    new S3BucketVersioningA(this, `${id}-versioning`, { region, bucket: bucket.id, versioningConfiguration: { status: "Enabled" } });
    new S3BucketLifecycleConfiguration(this, `${id}-lifecycle`, {
      region,
      bucket: bucket.id,
      rule: [
        {
          id: "expire-after-retention",
          status: "Enabled",
          filter: [{ prefix: "" }],
          expiration: [{ days: retentionDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: 30 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });
    new S3BucketNotification(this, `${id}-notifications`, { region, bucket: bucket.id, eventbridge: true });
    const policy = new PolicyDocument(this, `${id}-policy`, [
      denyInsecureTransport(["s3:*"], [bucket.arn, `${bucket.arn}/*`]),
      {
        // Uploads without the header get the default (SSE-KMS with the trail key); this refuses
        // those asking for anything else. Requiring the header would also refuse S3's access log
        // delivery, which sends none.
        sid: "DenyUploadsNotEncryptedWithKms",
        effect: "Deny",
        actions: ["s3:PutObject"],
        resources: [`${bucket.arn}/*`],
        principals: [{ type: "*", identifiers: ["*"] }],
        conditions: [
          { test: "StringNotEquals", variable: "s3:x-amz-server-side-encryption", values: ["aws:kms"] },
          { test: "Null", variable: "s3:x-amz-server-side-encryption", values: ["false"] },
        ],
      },
    ]);
    const resource = new S3BucketPolicy(this, `${id}-bucket-policy`, { region, bucket: bucket.id, policy: policy.json });
    return { policy, resource };
  }
}
