import { describe, expect, it } from "vitest";
import { capacityWarnings, expectedQueueWaitSeconds, planCapacity } from "../../cells/capacity";
import type { FleetInput } from "../../cells/fleet-schema";
import { fleet } from "../support/fleet";

const stageOf = (plan: ReturnType<typeof planCapacity>, name: string) => plan.visibility.find((stage) => stage.stage === name)!;
const parts = (entries: readonly { part: string; seconds: number }[]) => entries.map((entry) => [entry.part.split(" ")[0], entry.seconds]);

describe("expected queue wait (M/M/c, Erlang C)", () => {
  it("matches the textbook M/M/1 and M/M/2 values", () => {
    // M/M/1, λ = 0.5/s, 1 s service: Wq = ρ / (μ - λ) = 0.5 / 0.5 = 1 s.
    expect(expectedQueueWaitSeconds(0.5, 1, 1)).toBeCloseTo(1, 12);
    // M/M/2, offered load 1: Erlang C = 1/3, Wq = C / (cμ - λ) = 1/3 s.
    expect(expectedQueueWaitSeconds(1, 1, 2)).toBeCloseTo(1 / 3, 12);
    expect(expectedQueueWaitSeconds(0, 1, 2)).toBe(0);
  });

  it("is unbounded when the consumers cannot keep up", () => {
    expect(expectedQueueWaitSeconds(2, 1, 2)).toBe(Number.POSITIVE_INFINITY);
    expect(expectedQueueWaitSeconds(3, 1, 2)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("visibility budget: ingest to store at peak", () => {
  it("adds up a fifo stage: hops, the pipe, a full batch of 10 (0.2 s + 10 × 0.02 s), no batching window", () => {
    // The shipped fleet: 250 events/s per cell, 62.5 per stage; 6.25 batches/s of 0.4 s on up to 50 consumers.
    const stage = stageOf(planCapacity(fleet()), "ingestion");

    expect(stage).toMatchObject({ delivery: "fifo", cell: "use1-a", arrivalPerSecond: 62.5, objectiveSeconds: 120, withinObjective: true });
    expect(parts(stage.expected)).toEqual([
      ["ingest", 0.1],
      ["route", 0.5],
      ["fan", 0.1],
      ["pipe", 0.5],
      ["queue", expectedQueueWaitSeconds(6.25, 0.4, 50)],
      ["consumer", 0.4],
    ]);
    expect(stage.expectedSeconds).toBeCloseTo(1.6, 6);
  });

  it("reports the worst case before the DLQ honestly: maxReceiveCount - 1 visibility timeouts (6 × timeout) on each queue, then a full timeout", () => {
    const stage = stageOf(planCapacity(fleet()), "posting");

    // fifo: the pipe's stage queue and the FIFO queue each hold a failing message 4 × 180 s.
    expect(stage.worst.map((part) => part.seconds).slice(-3)).toEqual([720, 720, 30]);
    expect(stage.worstSeconds).toBeCloseTo(0.1 + 0.5 + 0.1 + 0.5 + expectedQueueWaitSeconds(6.25, 0.4, 50) + 720 + 720 + 30, 6);
    expect(stage.routerRetrySeconds).toBe(86_400);
    // Over the objective by design, which does not fail the expected-case check.
    expect(stage.worstSeconds).toBeGreaterThan(120);
    expect(stage.withinObjective).toBe(true);
  });

  it("adds the batching window of a standard stage: a batch closes when full or when the window ends", () => {
    // 1,000 events/s over 4 cells and 4 stages: 62.5 events/s per stage. Batch 100, window 2 s: 2 s gather 100 (fills in 1.6 s).
    const standard = (consumer: Record<string, number>) =>
      planCapacity(fleet({ stageSettings: { posting: { delivery: "standard", consumer } } }));

    const full = stageOf(standard({}), "posting");
    expect(parts(full.expected)).toEqual([
      ["ingest", 0.1],
      ["route", 0.5],
      ["fan", 0.1],
      ["batching", 1.6],
      ["queue", expectedQueueWaitSeconds(0.625, 2.2, 50)],
      ["consumer", 2.2],
    ]);

    // Window 1 s: 62.5 events a batch, 0.2 + 62.5 × 0.02 = 1.45 s.
    const windowed = stageOf(standard({ maxBatchingWindowSeconds: 1 }), "posting");
    expect(parts(windowed.expected).filter(([part]) => part === "batching" || part === "consumer")).toEqual([
      ["batching", 1],
      ["consumer", 1.45],
    ]);
    // Standard: one queue's retries only.
    expect(windowed.worst.map((part) => part.seconds).slice(-2)).toEqual([720, 30]);
  });

  it("flags a stage whose expected delay misses the objective, and warns at synth", () => {
    const slow: Partial<FleetInput> = {
      stageSettings: { posting: { delivery: "standard", consumer: { batchSize: 10_000, maxBatchingWindowSeconds: 300 } } },
    };
    const plan = planCapacity(fleet(slow));
    const posting = stageOf(plan, "posting");

    // 62.5 events/s take 160 s to fill a batch of 10,000 (the 300 s window would close later).
    expect(posting.expected.find((part) => part.part.startsWith("batching"))!.seconds).toBe(160);
    expect(posting.withinObjective).toBe(false);
    expect(plan.visibilityWithinObjective).toBe(false);
    expect(plan.fitsNPlusOne).toBe(true);
    expect(capacityWarnings(fleet(slow))).toEqual([
      expect.stringMatching(/^capacity: stage posting \(standard\): expected ingest-to-store delay 36\d s at peak in use1-a .*over the 120 s objective$/),
    ]);
  });

  it("takes the objective from capacity.visibilityObjectiveSeconds, else the canary's maxEndToEndSeconds", () => {
    expect(planCapacity(fleet()).settings).toMatchObject({ visibilityObjectiveSeconds: 120, visibilityObjectiveFrom: "operations.canary.maxEndToEndSeconds" });
    const strict = planCapacity(fleet({ capacity: { visibilityObjectiveSeconds: 1 } }));
    expect(strict.settings).toMatchObject({ visibilityObjectiveSeconds: 1, visibilityObjectiveFrom: "capacity.visibilityObjectiveSeconds" });
    expect(strict.visibility.every((stage) => !stage.withinObjective)).toBe(true);
  });

  it("also checks the expected delay in the busiest survivor after the worst single loss", () => {
    const twoCells = (maxConcurrency: number) =>
      fleet({
        cells: [
          { id: "use1-a", region: "us-east-1" },
          { id: "usw2-a", region: "us-west-2" },
        ],
        load: { peakEventsPerSecond: 2000, averageEventsPerSecond: 995, cellPeakEventsPerSecond: 2500 },
        stageDefaults: { delivery: "fifo", consumer: { maxConcurrency } },
      });
    const config = twoCells(30);
    const stage = stageOf(planCapacity(config), "ingestion");

    // 250 events/s per stage: 25 batches/s of 0.4 s = 10 of 30 consumers; after a loss 20 of 30.
    expect(stage.expectedSeconds).toBeLessThan(2);
    expect(stage.afterLoss).toEqual({ scenario: "lose cell use1-a", cell: "usw2-a", arrivalPerSecond: 500 });
    expect(stage.expectedAfterLossSeconds).toBeCloseTo(1.6 + expectedQueueWaitSeconds(50, 0.4, 30), 6);
    expect(stage.withinObjective).toBe(true);

    // 15 consumers: 10 busy at peak, 20 needed after a loss.
    const tight = planCapacity(twoCells(15));
    const after = stageOf(tight, "ingestion");
    expect(after.expectedSeconds).toBeLessThan(120);
    expect(after.expectedAfterLossSeconds).toBe(Number.POSITIVE_INFINITY);
    expect(after.withinObjective).toBe(false);
  });
});
