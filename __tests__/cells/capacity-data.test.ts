import { describe, expect, it } from "vitest";
import { PLANNING_MODEL, PRICES, QUOTAS, QUOTA_IDS, quotaLimit } from "../../cells/capacity";
import { reservedConcurrency } from "../../cells/capacity/model";
import { VISIBILITY_TIMEOUT_FACTOR } from "../../cells/capacity/visibility";
import { FleetConfigError, parseFleet } from "../../cells/load-fleet";
import { VISIBILITY_TIMEOUT_FACTOR as STACK_VISIBILITY_TIMEOUT_FACTOR } from "../../stacks/settings";
import { buildTestFleet, defaultFleetInput, fleet, synthStack } from "../support/fleet";

describe("quota table", () => {
  it("has one entry per quota id, each with its source and the day it was read", () => {
    expect(Object.keys(QUOTAS)).toEqual([...QUOTA_IDS]);
    for (const quota of Object.values(QUOTAS)) {
      expect(quota.source, quota.id).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
      expect(quota.asOf, quota.id).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  it("knows that PutEvents differs a lot by region", () => {
    expect(quotaLimit("eventbridge.putEvents", "us-east-1").limit).toBe(10_000);
    expect(quotaLimit("eventbridge.putEvents", "us-west-2").limit).toBe(10_000);
    expect(quotaLimit("eventbridge.putEvents", "us-east-2").limit).toBe(2_400);
    expect(quotaLimit("eventbridge.putEvents", "us-west-1").limit).toBe(1_200);
    expect(quotaLimit("eventbridge.putEvents", "me-south-1").limit).toBe(400);
  });

  it("uses an override where the fleet records a raised quota, in that region only", () => {
    const overrides = { "us-west-1": { "eventbridge.putEvents": 5_000 } };

    expect(quotaLimit("eventbridge.putEvents", "us-west-1", overrides)).toEqual({ limit: 5_000, source: "override" });
    expect(quotaLimit("eventbridge.putEvents", "us-east-2", overrides)).toEqual({ limit: 2_400, source: "aws-default" });
    expect(quotaLimit("sns.publish", "us-west-1", overrides)).toEqual({ limit: 1_500, source: "aws-default" });
  });

  it("has no published Timestream ingestion default", () => {
    expect(quotaLimit("timestream.ingestion", "us-east-1").limit).toBeUndefined();
  });
});

describe("capacity settings in fleet.json", () => {
  it("default to an 80% ceiling, an even stage spread and no overrides", () => {
    expect(fleet().capacity).toEqual({ utilisationCeilingPercent: 80, stageShares: {}, quotaOverrides: {} });
  });

  it("accept quota overrides by region and quota id", () => {
    const config = fleet({ capacity: { quotaOverrides: { "us-west-1": { "eventbridge.putEvents": 5000, "lambda.concurrency": 3000 } } } });

    expect(config.capacity.quotaOverrides).toEqual({ "us-west-1": { "eventbridge.putEvents": 5000, "lambda.concurrency": 3000 } });
  });

  it.each([
    ["an unknown quota id", { "us-west-1": { "eventbridge.putEvent": 5000 } }, 'capacity.quotaOverrides["us-west-1"]["eventbridge.putEvent"]: unknown key'],
    ["an unknown region", { "us-west-9": { "sns.publish": 5000 } }, 'capacity.quotaOverrides["us-west-9"]: unknown key'],
    ["a quota that is not positive", { "us-west-1": { "sns.publish": 0 } }, 'capacity.quotaOverrides["us-west-1"]["sns.publish"]: 0 is out of range'],
  ])("refuse %s", (_what, quotaOverrides, message) => {
    const text = JSON.stringify({ ...defaultFleetInput(), capacity: { quotaOverrides } });

    expect(() => parseFleet(text)).toThrow(FleetConfigError);
    expect(() => parseFleet(text)).toThrow(message);
  });

  it("refuse a ceiling above 100%", () => {
    expect(() => parseFleet(JSON.stringify({ ...defaultFleetInput(), capacity: { utilisationCeilingPercent: 120 } }))).toThrow(
      "capacity.utilisationCeilingPercent: 120 is out of range (expected <= 100)",
    );
  });
});

describe("price table", () => {
  it("names an AWS pricing page for every price", () => {
    for (const [id, price] of Object.entries(PRICES)) {
      expect(price.source, id).toMatch(/^https:\/\/aws\.amazon\.com\/[a-z-]+\/pricing\/$/);
      expect(price.usd, id).toBeGreaterThan(0);
    }
  });
});

describe("the planner's model of the code", () => {
  it("uses the consumers' visibility timeout factor", () => {
    expect(VISIBILITY_TIMEOUT_FACTOR).toBe(STACK_VISIBILITY_TIMEOUT_FACTOR);
  });

  it("uses the pipe's batch size and batching window", () => {
    const pipe = Object.values(synthStack(buildTestFleet(fleet()).cells.get("use1-a")!).parsed.resource.aws_pipes_pipe ?? {})[0] as {
      source_parameters: { sqs_queue_parameters: { batch_size: number; maximum_batching_window_in_seconds: number } };
    };
    expect(pipe.source_parameters.sqs_queue_parameters).toEqual({
      batch_size: PLANNING_MODEL.pipe.batchSize,
      maximum_batching_window_in_seconds: PLANNING_MODEL.pipe.batchingWindowSeconds,
    });
  });

  it("reserves the concurrency a synthesized cell reserves", () => {
    // A stage with its own maxConcurrency and no canary: 3 × 50 + 7 + the detector's 1.
    const config = fleet({ stageSettings: { posting: { consumer: { maxConcurrency: 7 } } }, operations: { canary: { enabled: false } } });
    const { parsed } = synthStack(buildTestFleet(config).cells.get("use1-a")!);
    const functions = Object.values(parsed.resource.aws_lambda_function ?? {}) as Array<{ reserved_concurrent_executions?: number }>;
    const reserved = functions.reduce((sum, fn) => sum + (fn.reserved_concurrent_executions ?? 0), 0);

    expect(reservedConcurrency(config)).toBe(158);
    expect(reserved).toBe(reservedConcurrency(config));
  });
});
