import { readFileSync } from "node:fs";
import path from "node:path";
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  CancelMessageMoveTaskCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CliError } from "../../bin/cli";
import { parseRedriveArgs, redrive, type RedriveDeps, type RedriveOptions } from "../../bin/redrive";
import { parseFleet } from "../../cells/load-fleet";

const sqsMock = mockClient(SQSClient);
const cloudwatchMock = mockClient(CloudWatchClient);

/** The shipped fleet, with `posting` switched to standard delivery. */
const FLEET = parseFleet(
  JSON.stringify({
    ...JSON.parse(readFileSync(path.join(__dirname, "..", "..", "cells", "fleet.json"), "utf8")),
    stageSettings: { posting: { delivery: "standard" } },
  }),
);

const arn = (name: string) => `arn:aws:sqs:us-east-2:123456789012:${name}`;
const url = (name: string) => `https://sqs.us-east-2.amazonaws.com/123456789012/${name}`;

interface World {
  /** Visible / in-flight messages per queue name (others: 0). */
  depth?: Record<string, [number, number]>;
  /** CloudWatch datapoints for the DLQ's oldest message age (newest first). */
  ages?: number[];
  /** ListMessageMoveTasks answers in order; the last one repeats. The first is the pre-check. */
  tasks?: ListMessageMoveTasksResultEntry[][];
}

function world({ depth = {}, ages = [], tasks = [[]] }: World = {}) {
  sqsMock.on(GetQueueUrlCommand).callsFake(({ QueueName }: { QueueName: string }) => ({ QueueUrl: url(QueueName) }));
  sqsMock.on(GetQueueAttributesCommand).callsFake(({ QueueUrl }: { QueueUrl: string }) => {
    const name = QueueUrl.split("/").pop()!;
    const [visible, inFlight] = depth[name] ?? [0, 0];
    return {
      Attributes: {
        QueueArn: arn(name),
        ApproximateNumberOfMessages: String(visible),
        ApproximateNumberOfMessagesNotVisible: String(inFlight),
      },
    };
  });
  cloudwatchMock.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: "oldest", Values: ages, Timestamps: ages.map(() => new Date()) }] });
  let list = sqsMock.on(ListMessageMoveTasksCommand);
  for (const answer of tasks.slice(0, -1)) list = list.resolvesOnce({ Results: answer });
  list.resolves({ Results: tasks[tasks.length - 1] });
  sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: "task-1" });
  sqsMock.on(CancelMessageMoveTaskCommand).resolves({ ApproximateNumberOfMessagesMoved: 30 });
}

function harness(overrides: Partial<RedriveDeps> = {}) {
  const lines: string[] = [];
  const audits: Record<string, unknown>[] = [];
  const regions: string[] = [];
  const deps: RedriveDeps = {
    fleet: FLEET,
    sqs: (region) => {
      regions.push(region);
      return new SQSClient({ region });
    },
    cloudwatch: (region) => {
      regions.push(region);
      return new CloudWatchClient({ region });
    },
    out: (line) => lines.push(line),
    confirm: undefined,
    sleep: vi.fn(async () => {}),
    pollIntervalMs: 1234,
    audit: (line) => audits.push(JSON.parse(line) as Record<string, unknown>),
    ...overrides,
  };
  return { deps, lines, audits, regions, text: () => lines.join("\n") };
}

const base: RedriveOptions = { cell: "use2-a", stage: "reconciliation" };
const started = () => sqsMock.commandCalls(StartMessageMoveTaskCommand);

const running = (moved: number, toMove = 100): ListMessageMoveTasksResultEntry => ({
  TaskHandle: "task-1",
  Status: "RUNNING",
  SourceArn: arn("use2-a-reconciliation-dlq.fifo"),
  ApproximateNumberOfMessagesMoved: moved,
  ApproximateNumberOfMessagesToMove: toMove,
  StartedTimestamp: 2_000,
});
/** An earlier, finished task on the same DLQ (ListMessageMoveTasks keeps the last ten). */
const earlierTask: ListMessageMoveTasksResultEntry = {
  Status: "COMPLETED",
  SourceArn: arn("use2-a-reconciliation-dlq.fifo"),
  ApproximateNumberOfMessagesMoved: 7,
  ApproximateNumberOfMessagesToMove: 7,
  StartedTimestamp: 1_000,
};
/** Ended tasks carry no handle. */
const ended = (Status: string, moved: number, extra: Partial<ListMessageMoveTasksResultEntry> = {}): ListMessageMoveTasksResultEntry => ({
  ...running(moved),
  TaskHandle: undefined,
  Status,
  ...extra,
});

beforeEach(() => {
  sqsMock.reset();
  cloudwatchMock.reset();
  vi.stubEnv("CELLFLEET_OPERATOR", "alice");
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe("redrive: the plan", () => {
  it("prints source DLQ, destination, count, oldest age and rate, and a dry run starts nothing", async () => {
    world({ depth: { "use2-a-reconciliation-dlq.fifo": [120, 3] }, ages: [3 * 3600 + 12 * 60] });
    const { deps, text, regions } = harness();

    const code = await redrive({ ...base, dryRun: true }, deps);

    expect(code).toBe(0);
    expect(text()).toContain("source DLQ:   use2-a-reconciliation-dlq.fifo");
    expect(text()).toContain("destination:  use2-a-reconciliation.fifo");
    expect(text()).toContain("messages:     120 (+3 in flight)");
    expect(text()).toContain("oldest:       3h 12m");
    expect(text()).toContain("rate:         chosen by SQS");
    expect(text()).toContain("dry run: no move task started");
    expect(started()).toHaveLength(0);
    expect(new Set(regions)).toEqual(new Set(["us-east-2"]));
  });

  it("reads the oldest age from CloudWatch: AWS/SQS ApproximateAgeOfOldestMessage, Maximum, last 15 minutes", async () => {
    world({ depth: { "use2-a-reconciliation-dlq.fifo": [1, 0] } });
    const { deps, text } = harness({ now: () => Date.parse("2026-01-01T12:00:00Z") });

    await redrive({ ...base, dryRun: true }, deps);

    const [call] = cloudwatchMock.commandCalls(GetMetricDataCommand);
    const input = call!.args[0].input;
    expect(input.MetricDataQueries![0]!.MetricStat).toMatchObject({
      Metric: { Namespace: "AWS/SQS", MetricName: "ApproximateAgeOfOldestMessage", Dimensions: [{ Name: "QueueName", Value: "use2-a-reconciliation-dlq.fifo" }] },
      Stat: "Maximum",
    });
    expect(input.EndTime!.getTime() - input.StartTime!.getTime()).toBe(15 * 60 * 1000);
    expect(text()).toContain("oldest:       unknown");
  });

  it("prints the plan and the result as JSON lines with --json", async () => {
    world({ depth: { "use2-a-reconciliation-dlq.fifo": [5, 0] }, ages: [90] });
    const { deps, lines } = harness();

    await redrive({ ...base, dryRun: true, json: true, rate: "25" }, deps);

    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.map((e) => e.event)).toEqual(["plan", "result"]);
    expect(events[0]).toMatchObject({
      cell: "use2-a",
      region: "us-east-2",
      stage: "reconciliation",
      dlq: "fifo",
      source: { name: "use2-a-reconciliation-dlq.fifo", arn: arn("use2-a-reconciliation-dlq.fifo") },
      destination: { name: "use2-a-reconciliation.fifo", arn: arn("use2-a-reconciliation.fifo") },
      messages: 5,
      oldestMessageAgeSeconds: 90,
      rate: 25,
    });
    expect(events[1]).toMatchObject({ result: "dry-run", exitCode: 0 });
  });
});

describe("redrive: which DLQ", () => {
  it("redrives a fifo stage's FIFO DLQ back into its FIFO queue by default", async () => {
    world({ depth: { "use2-a-reconciliation-dlq.fifo": [2, 0] }, tasks: [[], [ended("COMPLETED", 2)]] });
    const { deps } = harness();

    expect(await redrive({ ...base, yes: true }, deps)).toBe(0);
    expect(started()[0]!.args[0].input).toEqual({
      SourceArn: arn("use2-a-reconciliation-dlq.fifo"),
      DestinationArn: arn("use2-a-reconciliation.fifo"),
    });
  });

  it("redrives a standard stage's queue DLQ back into the stage queue by default", async () => {
    world({ depth: { "use2-a-posting-dlq": [2, 0] }, tasks: [[], [ended("COMPLETED", 2)]] });
    const { deps } = harness();

    expect(await redrive({ cell: "use2-a", stage: "posting", yes: true }, deps)).toBe(0);
    expect(started()[0]!.args[0].input).toMatchObject({ SourceArn: arn("use2-a-posting-dlq"), DestinationArn: arn("use2-a-posting") });
  });

  it("redrives a fifo stage's queue DLQ (what the pipe could not deliver) with --dlq queue", async () => {
    world({ depth: { "use2-a-reconciliation-dlq": [1, 0] } });
    const { deps, text } = harness();

    await redrive({ ...base, dlq: "queue", dryRun: true }, deps);

    expect(text()).toContain("source DLQ:   use2-a-reconciliation-dlq\n");
    expect(text()).toContain("destination:  use2-a-reconciliation (");
  });

  it("refuses --dlq fifo on a standard stage, pointing at its queue DLQ", async () => {
    const { deps } = harness();
    const run = redrive({ cell: "use2-a", stage: "posting", dlq: "fifo" }, deps);
    await expect(run).rejects.toThrow(/standard delivery: it has no FIFO queue.*use2-a-posting-dlq \(--dlq queue\)/);
    await expect(run).rejects.toMatchObject({ exitCode: 2 });
  });

  it.each([
    ["fanout", "use2-a-reconciliation-fanout-dlq", /SNS deliveries/],
    ["router", "use2-a-router-dlq", /EventBridge rule deliveries/],
  ])("refuses --dlq %s: its messages never came from a queue; says to inspect and re-ingest through the API", async (dlq, name, why) => {
    const { deps, audits } = harness();
    const run = redrive({ ...base, dlq }, deps);

    await expect(run).rejects.toBeInstanceOf(CliError);
    await expect(run).rejects.toMatchObject({ exitCode: 2 });
    const message = await run.catch((error: Error) => error.message);
    expect(message).toContain(`refusing to redrive ${name}`);
    expect(message).toMatch(why);
    expect(message).toMatch(/cannot return them to their source/);
    expect(message).toMatch(/re-ingest .* through the API \(POST \/invoices\//);
    expect(sqsMock.calls()).toHaveLength(0);
    expect(audits[0]).toMatchObject({ audit: "redrive", result: "refused" });
  });

  it("rejects an unknown --dlq value", async () => {
    const { deps } = harness();
    await expect(redrive({ ...base, dlq: "main" }, deps)).rejects.toThrow(/--dlq must be "fifo" or "queue".*got "main"/);
  });
});

describe("redrive: refusals and nothing to do", () => {
  it("says so and starts nothing when the DLQ is empty", async () => {
    world({ depth: { "use2-a-reconciliation-dlq.fifo": [0, 0] } });
    const { deps, text, audits } = harness();

    expect(await redrive({ ...base, yes: true }, deps)).toBe(0);
    expect(text()).toContain("use2-a-reconciliation-dlq.fifo is empty: nothing to move");
    expect(started()).toHaveLength(0);
    expect(audits[0]).toMatchObject({ result: "empty", planCount: 0, moved: 0 });
  });

  it("refuses with exit 4 when a move task is already running on the DLQ, naming its handle and progress", async () => {
    world({ depth: { "use2-a-reconciliation-dlq.fifo": [60, 0] }, tasks: [[{ ...running(40), TaskHandle: "other-task" }, earlierTask]] });
    const { deps, text } = harness();

    expect(await redrive({ ...base, yes: true }, deps)).toBe(4);
    expect(text()).toMatch(/already running \(task other-task\)/);
    expect(text()).toContain("moved 40 / 100 (40%)");
    expect(started()).toHaveLength(0);
  });

  it("refuses without a terminal and without --yes: scripts must pass --yes", async () => {
    world({ depth: { "use2-a-reconciliation-dlq.fifo": [3, 0] } });
    const { deps, text } = harness({ confirm: undefined });

    expect(await redrive(base, deps)).toBe(2);
    expect(text()).toMatch(/stdin is not a terminal.*pass --yes/);
    expect(started()).toHaveLength(0);
  });

  it("asks on a terminal, and a no starts nothing (exit 5)", async () => {
    world({ depth: { "use2-a-reconciliation-dlq.fifo": [3, 0] } });
    const confirm = vi.fn(async () => false);
    const { deps, audits } = harness({ confirm });

    expect(await redrive(base, deps)).toBe(5);
    expect(confirm).toHaveBeenCalledWith(expect.stringMatching(/Move 3 message\(s\) from use2-a-reconciliation-dlq.fifo to use2-a-reconciliation.fifo\?/));
    expect(started()).toHaveLength(0);
    expect(audits[0]).toMatchObject({ result: "declined" });
  });

  it("starts after a yes at the prompt", async () => {
    world({ depth: { "use2-a-reconciliation-dlq.fifo": [3, 0] }, tasks: [[], [ended("COMPLETED", 3)]] });
    const { deps } = harness({ confirm: async () => true });

    expect(await redrive(base, deps)).toBe(0);
    expect(started()).toHaveLength(1);
  });

  it.each(["0", "501", "2.5", "-1", "fast", 1000])("rejects --rate %s before calling AWS", async (rate) => {
    const { deps } = harness();
    const run = redrive({ ...base, rate }, deps);
    await expect(run).rejects.toThrow(/--rate must be a whole number of messages per second from 1 to 500/);
    await expect(run).rejects.toMatchObject({ exitCode: 2 });
    expect(sqsMock.calls()).toHaveLength(0);
  });

  it("names the known cells for an unknown cell, and the known stages for an unknown stage", async () => {
    const { deps, audits } = harness();
    await expect(redrive({ cell: "nope", stage: "posting" }, deps)).rejects.toThrow('unknown cell "nope" (one of use1-a, use2-a, usw1-a, usw2-a)');
    await expect(redrive({ cell: "use2-a", stage: "postng" }, deps)).rejects.toThrow(
      'unknown stage "postng" (one of ingestion, reconciliation, authorization, posting)',
    );
    await expect(redrive({ stage: "posting" }, deps)).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/^--cell is required/) });
    expect(audits.map((a) => a.result)).toEqual(["refused", "refused", "refused"]);
  });

  it("says which queue is missing when the cell is not deployed (exit 1)", async () => {
    sqsMock.on(GetQueueUrlCommand).rejects(Object.assign(new Error("The specified queue does not exist."), { name: "QueueDoesNotExist" }));
    const { deps } = harness();
    const run = redrive(base, deps);
    await expect(run).rejects.toThrow("queue use2-a-reconciliation-dlq.fifo does not exist in us-east-2: is cell use2-a deployed");
    await expect(run).rejects.toMatchObject({ exitCode: 1 });
  });
});

describe("redrive: the move task", () => {
  it("starts the task with explicit source and destination ARNs, polls progress until COMPLETED", async () => {
    world({
      depth: { "use2-a-reconciliation-dlq.fifo": [100, 0] },
      tasks: [[earlierTask], [running(0), earlierTask], [running(60), earlierTask], [ended("COMPLETED", 100), earlierTask]],
    });
    const { deps, lines, text } = harness();

    expect(await redrive({ ...base, yes: true, rate: "50" }, deps)).toBe(0);

    expect(started()).toHaveLength(1);
    expect(started()[0]!.args[0].input).toEqual({
      SourceArn: arn("use2-a-reconciliation-dlq.fifo"),
      DestinationArn: arn("use2-a-reconciliation.fifo"),
      MaxNumberOfMessagesPerSecond: 50,
    });
    expect(sqsMock.commandCalls(ListMessageMoveTasksCommand)).toHaveLength(4);
    expect(sqsMock.commandCalls(ListMessageMoveTasksCommand)[1]!.args[0].input).toEqual({ SourceArn: arn("use2-a-reconciliation-dlq.fifo"), MaxResults: 10 });
    expect(deps.sleep).toHaveBeenCalledWith(1234);
    expect(lines).toContain("started move task task-1");
    expect(lines).toContain("  moved 0 / 100 (0%)");
    expect(lines).toContain("  moved 60 / 100 (60%)");
    expect(text()).toContain("done: moved 100 message(s) from use2-a-reconciliation-dlq.fifo back to use2-a-reconciliation.fifo.");
    expect(sqsMock.commandCalls(CancelMessageMoveTaskCommand)).toHaveLength(0);
  });

  it("lets SQS choose the rate when --rate is not given", async () => {
    world({ depth: { "use2-a-reconciliation-dlq.fifo": [1, 0] }, tasks: [[], [ended("COMPLETED", 1)]] });
    const { deps } = harness();
    await redrive({ ...base, yes: true }, deps);
    expect(started()[0]!.args[0].input).not.toHaveProperty("MaxNumberOfMessagesPerSecond");
  });

  it("reports a failed task with its FailureReason (exit 1)", async () => {
    world({
      depth: { "use2-a-reconciliation-dlq.fifo": [100, 0] },
      tasks: [[], [running(10)], [ended("FAILED", 10, { FailureReason: "AccessDenied: kms:Decrypt" })]],
    });
    const { deps, text, audits } = harness();

    expect(await redrive({ ...base, yes: true }, deps)).toBe(1);
    expect(text()).toContain("the move task failed after moving 10 message(s): AccessDenied: kms:Decrypt");
    expect(audits[0]).toMatchObject({ result: "failed", moved: 10, failureReason: "AccessDenied: kms:Decrypt" });
  });

  it("treats a task cancelled by someone else as cancelled (exit 5)", async () => {
    world({ depth: { "use2-a-reconciliation-dlq.fifo": [100, 0] }, tasks: [[], [running(10)], [ended("CANCELLED", 20)]] });
    const { deps } = harness();
    expect(await redrive({ ...base, yes: true }, deps)).toBe(5);
  });

  it("on Ctrl-C cancels the task and waits for CANCELLED (exit 5)", async () => {
    world({
      depth: { "use2-a-reconciliation-dlq.fifo": [100, 0] },
      tasks: [[], [running(10)], [{ ...ended("CANCELLING", 30) }], [ended("CANCELLED", 30)]],
    });
    const controller = new AbortController();
    // The operator presses Ctrl-C during the first wait; the wait itself never ends on its own.
    const sleep = vi.fn((_ms: number) => {
      if (sleep.mock.calls.length === 1) {
        controller.abort();
        return new Promise<void>(() => {});
      }
      return Promise.resolve();
    });
    const { deps, text, audits } = harness({ signal: controller.signal, sleep });

    expect(await redrive({ ...base, yes: true }, deps)).toBe(5);
    const cancels = sqsMock.commandCalls(CancelMessageMoveTaskCommand);
    expect(cancels).toHaveLength(1);
    expect(cancels[0]!.args[0].input).toEqual({ TaskHandle: "task-1" });
    expect(sqsMock.commandCalls(ListMessageMoveTasksCommand)).toHaveLength(4);
    expect(text()).toContain("cancelling move task task-1");
    expect(text()).toContain("cancelled after moving 30 message(s); the rest are still in use2-a-reconciliation-dlq.fifo.");
    expect(audits[0]).toMatchObject({ result: "cancelled", moved: 30, taskHandle: "task-1" });
  });

  it("starts nothing when Ctrl-C came before the task started", async () => {
    world({ depth: { "use2-a-reconciliation-dlq.fifo": [100, 0] } });
    const controller = new AbortController();
    controller.abort();
    const { deps } = harness({ signal: controller.signal });
    expect(await redrive({ ...base, yes: true }, deps)).toBe(5);
    expect(started()).toHaveLength(0);
  });

  it("prints progress and the result as JSON lines with --json", async () => {
    world({ depth: { "use2-a-reconciliation-dlq.fifo": [100, 0] }, tasks: [[], [running(50)], [ended("COMPLETED", 100)]] });
    const { deps, lines } = harness();

    await redrive({ ...base, yes: true, json: true }, deps);

    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.map((e) => e.event)).toEqual(["plan", "started", "progress", "result"]);
    expect(events[2]).toEqual({ event: "progress", status: "RUNNING", moved: 50, toMove: 100, percent: 50 });
    expect(events[3]).toMatchObject({ result: "completed", exitCode: 0, moved: 100, taskHandle: "task-1" });
  });
});

describe("redrive: the audit line", () => {
  it("writes exactly one line per run with who, what and the result", async () => {
    world({ depth: { "use2-a-reconciliation-dlq.fifo": [100, 0] }, tasks: [[], [ended("COMPLETED", 98)]] });
    let clock = 10_000;
    const { deps, audits } = harness({ now: () => (clock += 250) });

    await redrive({ ...base, yes: true }, deps);

    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      audit: "redrive",
      who: "alice",
      cell: "use2-a",
      stage: "reconciliation",
      dlq: "fifo",
      sourceQueue: "use2-a-reconciliation-dlq.fifo",
      destinationQueue: "use2-a-reconciliation.fifo",
      planCount: 100,
      moved: 98,
      result: "completed",
      dryRun: false,
      taskHandle: "task-1",
    });
    expect(audits[0]!.durationMs).toBeGreaterThan(0);
  });

  it("marks a dry run", async () => {
    world({ depth: { "use2-a-reconciliation-dlq.fifo": [4, 0] } });
    const { deps, audits } = harness();
    await redrive({ ...base, dryRun: true }, deps);
    expect(audits).toEqual([expect.objectContaining({ result: "dry-run", dryRun: true, planCount: 4, moved: 0 })]);
  });
});

describe("parseRedriveArgs", () => {
  it("reads the documented options", () => {
    expect(parseRedriveArgs(["--cell", "use1-a", "--stage", "posting", "--dlq", "queue", "--rate", "20", "--dry-run", "--json", "--yes"])).toMatchObject({
      cell: "use1-a",
      stage: "posting",
      dlq: "queue",
      rate: "20",
      dryRun: true,
      json: true,
      yes: true,
    });
  });

  it("rejects an unknown option with the usage (exit 2)", () => {
    expect(() => parseRedriveArgs(["--cell", "use1-a", "--force"])).toThrow(/--force[\s\S]*usage: npm run redrive/);
  });
});
