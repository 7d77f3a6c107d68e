import { describe, expect, it } from "vitest";
import { type ModeCost, costRows, estimateCost } from "../../cells/capacity";
import { fleet } from "../support/fleet";

const KB_PER_GB = 1024 * 1024;
const line = (mode: ModeCost, service: string, item: string) => mode.lines.find((l) => l.service === service && l.item === item);
const byMode = (estimate: ReturnType<typeof estimateCost>) => Object.fromEntries(estimate.modes.map((mode) => [mode.mode, mode]));

describe("cost estimate", () => {
  const estimate = estimateCost(fleet());
  const { configured, fifo, standard } = byMode(estimate);

  it("prices the shipped fleet at its average load: 995 events/s over a 730-hour month", () => {
    expect(estimate.eventsPerMonth).toBe(995 * 3600 * 730);
    expect(estimate).toMatchObject({ pricesRegion: "us-east-1", pricesAsOf: "2026-11-25", cells: 4 });
    // The shipped fleet is all fifo.
    expect(configured!.perMillionEvents).toBeCloseTo(fifo!.perMillionEvents, 12);
  });

  it("charges the edge and the routing per event, whatever the delivery mode", () => {
    for (const mode of [fifo!, standard!]) {
      expect(line(mode, "API Gateway", "REST API requests")!.perMillionEvents).toBeCloseTo(3.5, 12);
      expect(line(mode, "AWS WAF", "requests inspected")!.perMillionEvents).toBeCloseTo(0.6, 12);
      expect(line(mode, "EventBridge", "PutEvents (custom events)")!.perMillionEvents).toBeCloseTo(1, 12);
      expect(line(mode, "SNS", "publish to the stage topic")!.perMillionEvents).toBeCloseTo(0.5, 12);
      // One send from SNS, then receives and deletes in tens: 1.2 standard requests at $0.40 per million.
      expect(line(mode, "SQS", "stage queue (send, receive, delete)")!.perMillionEvents).toBeCloseTo(0.48, 12);
    }
    const api = line(configured!, "API Gateway", "REST API requests")!;
    expect(api.perMonth).toBeCloseTo(3.5 * (estimate.eventsPerMonth / 1e6), 6);
  });

  it("adds the pipe and the FIFO queue in fifo mode, and batches of 10 instead of 100", () => {
    expect(line(fifo!, "EventBridge", "Pipes (stage queue -> FIFO queue)")!.perMillionEvents).toBeCloseTo(0.4, 12);
    expect(line(fifo!, "SQS", "FIFO queue (send, receive, delete)")!.perMillionEvents).toBeCloseTo(1.2 * 0.5, 12);
    expect(line(standard!, "EventBridge", "Pipes (stage queue -> FIFO queue)")).toBeUndefined();
    expect(line(standard!, "SQS", "FIFO queue (send, receive, delete)")).toBeUndefined();

    // 100,000 invocations per million events in fifo mode, 10,000 in standard (a 2 s window gathers 100 at ~62 events/s per stage).
    expect(line(fifo!, "Lambda", "consumer invocations")!.perMillionEvents).toBeCloseTo(0.02, 12);
    expect(line(standard!, "Lambda", "consumer invocations")!.perMillionEvents).toBeCloseTo(0.002, 12);
    // 512 MB: 100,000 × 0.4 s × 0.5 GB = 20,000 GB-s, against 10,000 × 2.2 s × 0.5 GB = 11,000 GB-s (arm64 $0.0000133334).
    expect(line(fifo!, "Lambda", "consumer duration (arm64)")!.perMillionEvents).toBeCloseTo(20_000 * 0.0000133334, 9);
    expect(line(standard!, "Lambda", "consumer duration (arm64)")!.perMillionEvents).toBeCloseTo(11_000 * 0.0000133334, 9);
  });

  it("shows what fifo delivery costs over standard per million events and per month", () => {
    const lambda = (20_000 - 11_000) * 0.0000133334 + (0.02 - 0.002);
    const logs = ((100_000 - 10_000) * 1 * 0.5) / KB_PER_GB;
    const xray = (100_000 - 10_000) * 0.05 * (5 / 1e6);
    const difference = 0.4 + 0.6 + lambda + logs + xray;

    expect(fifo!.perMillionEvents - standard!.perMillionEvents).toBeCloseTo(difference, 9);
    expect(fifo!.perMonth - standard!.perMonth).toBeCloseTo(difference * (estimate.eventsPerMonth / 1e6), 3);
    expect(difference).toBeCloseTo(1.2034, 4);
  });

  it("charges the fixed costs per deployed cell: a web ACL with its rules, a KMS key", () => {
    expect(configured!.fixed.map((l) => [l.service, l.perMonth])).toEqual([
      ["AWS WAF", 4 * (5 + 5 * 1)], // a web ACL and its five rules per cell
      ["KMS", 4],
    ]);
    expect(configured!.perMonth).toBeCloseTo(configured!.perMillionEvents * (estimate.eventsPerMonth / 1e6) + 44, 6);
  });

  it("weights a mixed fleet by stage: one standard stage of four costs a quarter of the switch", () => {
    const mixed = byMode(estimateCost(fleet({ stageSettings: { posting: { delivery: "standard" } } })));

    expect(line(mixed.configured!, "EventBridge", "Pipes (stage queue -> FIFO queue)")!.perMillionEvents).toBeCloseTo(0.3, 12);
    expect(mixed.configured!.perMillionEvents).toBeCloseTo(fifo!.perMillionEvents - (fifo!.perMillionEvents - standard!.perMillionEvents) / 4, 9);
  });

  it("lines the modes up side by side, event costs first and fixed costs last", () => {
    const rows = costRows(estimate);
    const pipes = rows.find((row) => row.item === "Pipes (stage queue -> FIFO queue)")!;

    expect(pipes.perMillion.map((value) => Math.round(value * 100) / 100)).toEqual([0.4, 0.4, 0]);
    expect(rows.slice(-2).map((row) => [row.service, row.fixed])).toEqual([
      ["AWS WAF", true],
      ["KMS", true],
    ]);
  });
});
