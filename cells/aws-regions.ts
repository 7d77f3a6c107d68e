/**
 * Where a cell can run. Read from the AWS endpoint model (botocore 1.43.11 `endpoints.json`,
 * partition `aws`) on 2026-11-25; update from a newer model when AWS adds regions.
 */

/** Every commercial AWS region (EventBridge, API Gateway, SNS, SQS and Lambda are in all). */
export const AWS_REGIONS = [
  "af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
  "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
  "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-central-1",
  "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
  "eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1",
  "mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
] as const;
export type AwsRegion = (typeof AWS_REGIONS)[number];

/** Regions with EventBridge Pipes, which every cell's FIFO buffer needs. */
export const PIPES_REGIONS: readonly AwsRegion[] = [
  "af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
  "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ca-central-1",
  "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1",
  "eu-west-2", "eu-west-3", "me-central-1", "me-south-1", "sa-east-1", "us-east-1", "us-east-2",
  "us-west-1", "us-west-2",
];

/**
 * Regions with Timestream for LiveAnalytics. Notably not us-west-1: a cell there keeps its
 * store in a neighbouring region (`cells[].storeRegion`).
 */
export const TIMESTREAM_REGIONS: readonly AwsRegion[] = [
  "ap-northeast-1", "ap-south-1", "ap-southeast-2", "eu-central-1", "eu-west-1", "us-east-1",
  "us-east-2", "us-west-2",
];

export const isAwsRegion = (value: string): value is AwsRegion =>
  (AWS_REGIONS as readonly string[]).includes(value);
