import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import { TimestreamwriteDatabase } from "@cdktf/provider-aws/lib/timestreamwrite-database";
import { TimestreamwriteTable } from "@cdktf/provider-aws/lib/timestreamwrite-table";
import { Construct } from "constructs";
import type { CellKey } from "./cell-key";
import { PolicyDocument, denyInsecureTransport, type Grantee } from "./policy-document";
import { ServiceRole } from "./service-role";

/** EventBridge's view of "the magnetic store wrote a rejection report into this bucket". */
export const rejectionReportPattern = (bucket: string) => ({
  source: ["aws.s3"],
  "detail-type": ["Object Created"],
  detail: { bucket: { name: [bucket] } },
});

export interface InvoiceStoreProps {
  readonly databaseName: string;
  readonly tableName: string;
  /** Bucket that receives late records the magnetic store rejects asynchronously. */
  readonly rejectedRecordsBucketName: string;
  /** Region of the store; a key in the same region encrypts it. */
  readonly region: string;
  readonly key: CellKey;
  readonly memoryRetentionHours: number;
  readonly magneticRetentionDays: number;
}

/**
 * The cell's invoice store: a Timestream database and table encrypted with the cell key.
 * Magnetic-store writes are on so late (replayed, redelivered) events land; what the magnetic
 * store rejects after accepting the write is reported to a bucket, not lost.
 *
 * Timestream for LiveAnalytics is closed to new AWS customers since 2025-06-20; consumers
 * write through a small sink interface (`functions/stage-consumer/sink.ts`) so it can be swapped.
 */
export class InvoiceStore extends Construct {
  readonly database: TimestreamwriteDatabase;
  readonly table: TimestreamwriteTable;
  readonly rejectedRecords: S3Bucket;

  constructor(scope: Construct, id: string, private readonly props: InvoiceStoreProps) {
    super(scope, id);
    if (props.memoryRetentionHours < 1 || props.memoryRetentionHours > 8766) {
      throw new Error(`InvoiceStore ${this.node.path}: memoryRetentionHours must be 1-8766, got ${props.memoryRetentionHours}`);
    }
    if (props.magneticRetentionDays < 1 || props.magneticRetentionDays > 73000) {
      throw new Error(`InvoiceStore ${this.node.path}: magneticRetentionDays must be 1-73000, got ${props.magneticRetentionDays}`);
    }
    const region = props.region;

    this.rejectedRecords = new S3Bucket(this, "rejected-records", { region, bucket: props.rejectedRecordsBucketName });
    new S3BucketPublicAccessBlock(this, "rejected-records-public-access", {
      region,
      bucket: this.rejectedRecords.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "rejected-records-ownership", {
      region,
      bucket: this.rejectedRecords.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, "rejected-records-encryption", {
      region,
      bucket: this.rejectedRecords.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.key.arn }, bucketKeyEnabled: true }],
    });
    new S3BucketVersioningA(this, "rejected-records-versioning", {
      region,
      bucket: this.rejectedRecords.id,
      versioningConfiguration: { status: "Enabled" },
    });
    new S3BucketLifecycleConfiguration(this, "rejected-records-lifecycle", {
      region,
      bucket: this.rejectedRecords.id,
      rule: [
        {
          id: "expire-after-retention",
          status: "Enabled",
          filter: [{ prefix: "" }],
          expiration: [{ days: props.magneticRetentionDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: 30 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
      ],
    });
    const bucketPolicy = new PolicyDocument(this, "rejected-records-policy", [
      denyInsecureTransport(["s3:*"], [this.rejectedRecords.arn, `${this.rejectedRecords.arn}/*`]),
    ]);
    new S3BucketPolicy(this, "rejected-records-bucket-policy", { region, bucket: this.rejectedRecords.id, policy: bucketPolicy.json });

    this.database = new TimestreamwriteDatabase(this, "database", {
      region,
      databaseName: props.databaseName,
      kmsKeyId: props.key.arn,
    });
    this.table = new TimestreamwriteTable(this, "table", {
      region,
      databaseName: this.database.databaseName,
      tableName: props.tableName,
      retentionProperties: {
        memoryStoreRetentionPeriodInHours: props.memoryRetentionHours,
        magneticStoreRetentionPeriodInDays: props.magneticRetentionDays,
      },
      magneticStoreWriteProperties: {
        enableMagneticStoreWrites: true,
        magneticStoreRejectedDataLocation: {
          s3Configuration: {
            bucketName: this.rejectedRecords.bucket,
            objectKeyPrefix: "magnetic-store-rejections/",
            encryptionOption: "SSE_KMS",
            kmsKeyId: props.key.arn,
          },
        },
      },
    });
  }

  /**
   * Sends every rejection report the magnetic store writes to the cell's bus (from the store's
   * region), where the cell routes it to an alert: a rejected record is an event that never
   * reached the store, and someone must know.
   */
  reportRejectionsTo(options: {
    readonly ruleName: string;
    readonly roleName: string;
    readonly busArn: string;
    readonly account: string;
    readonly ruleArn: string;
  }): void {
    const region = this.props.region;
    new S3BucketNotification(this, "rejected-records-notification", { region, bucket: this.rejectedRecords.id, eventbridge: true });
    const rule = new CloudwatchEventRule(this, "rejection-reports", {
      region,
      name: options.ruleName,
      description: "Timestream magnetic-store rejection reports, to the cell's bus",
      eventPattern: JSON.stringify(rejectionReportPattern(this.props.rejectedRecordsBucketName)),
    });
    const role = new ServiceRole(this, "rejection-reports-role", {
      roleName: options.roleName,
      service: "events.amazonaws.com",
      description: "Carries rejection reports to the cell's bus",
      trustConditions: [
        { test: "StringEquals", variable: "aws:SourceAccount", values: [options.account] },
        { test: "ArnEquals", variable: "aws:SourceArn", values: [options.ruleArn] },
      ],
    });
    role.addToPolicy({ actions: ["events:PutEvents"], resources: [options.busArn] });
    new CloudwatchEventTarget(this, "rejection-reports-target", {
      region,
      rule: rule.name,
      arn: options.busArn,
      roleArn: role.arn,
      retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 },
    });
  }

  get rejectedRecordsBucketName(): string {
    return this.props.rejectedRecordsBucketName;
  }

  /** Environment a consumer's sink reads to find the store. */
  get environment(): Record<string, string> {
    return {
      TIMESTREAM_DATABASE: this.database.databaseName,
      TIMESTREAM_TABLE: this.table.tableName,
      TIMESTREAM_REGION: this.props.region,
    };
  }

  /** Queries on the table (detector, canary), plus endpoint discovery. */
  grantQuery(grantee: Grantee): void {
    grantee.addToPolicy({ actions: ["timestream:Select"], resources: [this.table.arn] });
    grantee.addToPolicy({
      // Endpoint discovery has no resource-level permissions: "*" is the only resource it accepts.
      actions: ["timestream:DescribeEndpoints"],
      resources: ["*"],
    });
  }

  /** WriteRecords on the table, plus the endpoint discovery the SDK needs before any write. */
  grantWrite(grantee: Grantee): void {
    grantee.addToPolicy({ actions: ["timestream:WriteRecords"], resources: [this.table.arn] });
    grantee.addToPolicy({
      // Endpoint discovery has no resource-level permissions: "*" is the only resource it accepts.
      actions: ["timestream:DescribeEndpoints"],
      resources: ["*"],
    });
  }
}
