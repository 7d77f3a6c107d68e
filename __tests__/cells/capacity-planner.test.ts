import { describe, expect, it } from "vitest";
import {
  type CapacityPlan,
  CapacityConfigError,
  type Scenario,
  capacityWarnings,
  planCapacity,
  stageShares,
} from "../../cells/capacity";
import type { FleetInput } from "../../cells/fleet-schema";
import { fleet } from "../support/fleet";

type CellInput = FleetInput["cells"][number];

/** The shipped fleet with other cells, load and capacity settings. */
const fleetWith = (cells: CellInput[], load: Partial<FleetInput["load"]> = {}, capacity: FleetInput["capacity"] = {}, rest: Partial<FleetInput> = {}) =>
  fleet({
    cells,
    load: { peakEventsPerSecond: 1000, averageEventsPerSecond: 995, cellPeakEventsPerSecond: 500, ...load },
    capacity,
    ...rest,
  });

const scenario = (plan: CapacityPlan, label: string): Scenario => {
  const found = plan.scenarios.find((s) => s.label === label);
  if (!found) throw new Error(`no scenario "${label}" (have: ${plan.scenarios.map((s) => s.label).join("; ")})`);
  return found;
};
const region = (plan: CapacityPlan, name: string) => plan.regions.find((r) => r.region === name)!;
const usage = (plan: CapacityPlan, regionName: string, limitId: string) => region(plan, regionName).usages.find((u) => u.limitId === limitId)!;

/** Three regions, one cell each; usw1-a keeps its store in us-west-2. 700 events/s each at a 2,100 peak. */
const threeRegions = (capacity: FleetInput["capacity"] = {}) =>
  fleetWith(
    [
      { id: "use1-a", region: "us-east-1" },
      { id: "use2-a", region: "us-east-2" },
      { id: "usw1-a", region: "us-west-1", storeRegion: "us-west-2" },
    ],
    { peakEventsPerSecond: 2100, cellPeakEventsPerSecond: 1200 },
    capacity,
  );

describe("capacity planner: load per cell", () => {
  it("gives each active cell the fleet's peak × its weight / the sum of active weights, and a drained cell nothing", () => {
    const plan = planCapacity(
      fleetWith([
        { id: "use1-a", region: "us-east-1" },
        { id: "use2-a", region: "us-east-2" },
        { id: "usw2-a", region: "us-west-2", weight: 2 },
        { id: "usw1-a", region: "us-west-1", storeRegion: "us-west-2", active: false },
      ]),
    );

    expect(Object.fromEntries(plan.cells.map((cell) => [cell.cell, cell.eventsPerSecond]))).toEqual({
      "use1-a": 250,
      "use2-a": 250,
      "usw2-a": 500,
      "usw1-a": 0,
    });
    expect(plan.cells.find((cell) => cell.cell === "usw1-a")!.binding).toBeUndefined();
  });

  it("splits a cell's events over the stages evenly, or by capacity.stageShares", () => {
    expect(Object.fromEntries(stageShares(fleet()))).toEqual({ ingestion: 0.25, reconciliation: 0.25, authorization: 0.25, posting: 0.25 });
    expect(Object.fromEntries(stageShares(fleet({ capacity: { stageShares: { ingestion: 2 } } })))).toEqual({
      ingestion: 0.4,
      reconciliation: 0.2,
      authorization: 0.2,
      posting: 0.2,
    });
  });

  it("refuses a stage share for a stage the fleet does not have", () => {
    const config = fleet({ capacity: { stageShares: { postng: 2 } } });

    expect(() => planCapacity(config)).toThrow(CapacityConfigError);
    expect(() => planCapacity(config)).toThrow('capacity.stageShares.postng: unknown stage "postng"');
    expect(capacityWarnings(config)).toEqual([expect.stringContaining('unknown stage "postng"')]);
  });

  it("counts each hop per event: 1 API request, 1 PutEvents, 2 rule invocations, 1 publish; the hub region also gets every forwarded event", () => {
    const plan = planCapacity(threeRegions());

    expect(usage(plan, "us-east-2", "apigateway.rps").load).toBe(700);
    expect(usage(plan, "us-east-2", "eventbridge.putEvents").load).toBe(700);
    expect(usage(plan, "us-east-2", "eventbridge.invocations").load).toBe(1400);
    expect(usage(plan, "us-east-2", "sns.publish").load).toBe(700);
    // The global region (us-east-1) hosts the archive hub: its own 700 plus the fleet's 2,100.
    expect(usage(plan, "us-east-1", "eventbridge.putEvents").load).toBe(2800);
    expect(region(plan, "us-east-1").hub).toBe(true);
  });

  it("counts a cell's store writes in its store region", () => {
    const plan = planCapacity(threeRegions());

    expect(usage(plan, "us-west-2", "timestream.ingestion").load).toBe(700);
    expect(region(plan, "us-west-2").storesFor).toEqual(["usw1-a"]);
    expect(region(plan, "us-west-1").usages.map((u) => u.limitId)).not.toContain("timestream.ingestion");
  });

  it("needs batches per second × batch duration of each stage's consumers, against its maxConcurrency", () => {
    const plan = planCapacity(threeRegions());
    const consumer = plan.cells.find((cell) => cell.cell === "usw1-a")!.usages.find((u) => u.limitId === "cell.consumerConcurrency")!;

    // 175 events/s per stage in batches of 10 (fifo), 0.2 s + 10 × 0.02 s each: 7 of 50.
    expect(consumer).toMatchObject({ stage: "ingestion", limit: 50, limitSource: "fleet.json" });
    expect(consumer.load).toBeCloseTo(7, 9);
    expect(consumer.utilisationPercent).toBeCloseTo(14, 9);
  });

  it("counts the concurrency every deployed cell reserves against the region's quota less the 100 kept unreserved", () => {
    // 4 consumers × 50 + the detector + the canary = 202 per cell; the drained cell reserves its share too.
    const plan = planCapacity(
      fleetWith([
        { id: "use1-a", region: "us-east-1" },
        { id: "use1-b", region: "us-east-1" },
        { id: "use1-c", region: "us-east-1", active: false },
        { id: "use2-a", region: "us-east-2" },
      ]),
    );

    expect(usage(plan, "us-east-1", "lambda.concurrency")).toMatchObject({ load: 606, limit: 900, limitSource: "aws-default" });
    expect(usage(plan, "us-east-2", "lambda.concurrency").load).toBe(202);
    const raised = planCapacity(fleetWith([{ id: "use1-a", region: "us-east-1" }], {}, { quotaOverrides: { "us-east-1": { "lambda.concurrency": 3000 } } }));
    expect(usage(raised, "us-east-1", "lambda.concurrency")).toMatchObject({ load: 202, limit: 2900, limitSource: "override" });
  });

  it("fails a region whose cells reserve more concurrency than the ceiling allows", () => {
    // Four default cells: 808 of 900 (89.8%), whatever the traffic.
    const plan = planCapacity(fleetWith(["a", "b", "c", "d"].map((x) => ({ id: `use1-${x}`, region: "us-east-1" as const })), { peakEventsPerSecond: 100 }));

    expect(scenario(plan, "all cells up").breaches).toEqual([
      expect.objectContaining({ limitId: "lambda.concurrency", region: "us-east-1", load: 808, limit: 900, cells: ["use1-a", "use1-b", "use1-c", "use1-d"] }),
    ]);
  });
});

describe("capacity planner: quotas and the binding one", () => {
  /** One cell in us-west-1 at 900 events/s: PutEvents 75%, rule invocations 1,800 of 2,250 = 80%, SNS 60%. */
  const oneCell = () =>
    planCapacity(fleetWith([{ id: "usw1-a", region: "us-west-1", storeRegion: "us-west-2" }], { peakEventsPerSecond: 900, cellPeakEventsPerSecond: 1200 }));

  it("compares each regional load with the region's quota and reports headroom", () => {
    const plan = oneCell();

    expect(usage(plan, "us-west-1", "eventbridge.putEvents")).toMatchObject({ load: 900, limit: 1200, utilisationPercent: 75, headroomPercent: 25, limitSource: "aws-default" });
    expect(usage(plan, "us-west-1", "eventbridge.invocations")).toMatchObject({ load: 1800, limit: 2250, utilisationPercent: 80 });
    expect(usage(plan, "us-west-1", "sns.publish")).toMatchObject({ load: 900, limit: 1500, utilisationPercent: 60 });
    expect(usage(plan, "us-west-1", "apigateway.rps")).toMatchObject({ load: 900, limit: 10_000 });
  });

  it("names the most used quota as binding, for the region and for the cell that depends on it", () => {
    const plan = oneCell();

    expect(region(plan, "us-west-1").binding).toMatchObject({ limitId: "eventbridge.invocations", utilisationPercent: 80 });
    // The cell's own limits are lower (stage throttle 900 of 1,800 = 50%), so its region's quota binds it.
    expect(plan.cells[0]!.binding).toMatchObject({ limitId: "eventbridge.invocations", region: "us-west-1" });
  });

  it("lets a load exactly at the ceiling pass", () => {
    const baseline = scenario(oneCell(), "all cells up");

    expect(baseline.fits).toBe(true);
    expect(baseline.breaches).toEqual([]);
  });

  it("reports Timestream's load but checks it only against an override (AWS publishes no default)", () => {
    const plan = oneCell();
    const timestream = usage(plan, "us-west-2", "timestream.ingestion");

    expect(timestream).toMatchObject({ load: 900, limit: undefined, checked: false, overCeiling: false });
    const capped = planCapacity(
      fleetWith([{ id: "usw1-a", region: "us-west-1", storeRegion: "us-west-2" }], { peakEventsPerSecond: 900, cellPeakEventsPerSecond: 1200 }, {
        quotaOverrides: { "us-west-2": { "timestream.ingestion": 1000 } },
      }),
    );
    expect(usage(capped, "us-west-2", "timestream.ingestion")).toMatchObject({ limit: 1000, utilisationPercent: 90, overCeiling: true, limitSource: "override" });
  });

  it("adds up the load of two cells sharing a region against its one quota", () => {
    const plan = planCapacity(
      fleetWith(
        [
          { id: "use1-a", region: "us-east-1" },
          { id: "usw1-a", region: "us-west-1", storeRegion: "us-west-2" },
          { id: "usw1-b", region: "us-west-1", storeRegion: "us-west-2" },
        ],
        { peakEventsPerSecond: 1500, cellPeakEventsPerSecond: 1000 },
      ),
    );
    const putEvents = usage(plan, "us-west-1", "eventbridge.putEvents");

    expect(region(plan, "us-west-1").cells).toEqual(["usw1-a", "usw1-b"]);
    // 500 events/s each would be 42% alone; together they take 1,000 of 1,200.
    expect(putEvents.load).toBe(1000);
    expect(putEvents.utilisationPercent).toBeCloseTo(83.33, 2);
    expect(scenario(plan, "all cells up").breaches).toContainEqual(
      expect.objectContaining({ limitId: "eventbridge.putEvents", region: "us-west-1", cells: ["usw1-a", "usw1-b"] }),
    );
    expect(plan.fitsNPlusOne).toBe(false);
  });

  it("notes stage burst limits beyond the account's burst bucket without failing N+1 for it", () => {
    const plan = planCapacity(
      fleetWith(
        [
          { id: "use1-a", region: "us-east-1" },
          { id: "use1-b", region: "us-east-1" },
          { id: "use1-c", region: "us-east-1" },
        ],
        { peakEventsPerSecond: 300 },
      ),
    );

    // Three cells sized for 500 events/s: stage bursts of 1,500 each, 4,500 of the 5,000 bucket.
    expect(usage(plan, "us-east-1", "apigateway.burst")).toMatchObject({ load: 4500, limit: 5000, checked: false, overCeiling: false });
    expect(plan.notes).toEqual([]);
    expect(scenario(plan, "all cells up").fits).toBe(true);

    const four = planCapacity(
      fleetWith(["a", "b", "c", "d"].map((x) => ({ id: `use1-${x}`, region: "us-east-1" as const })), { peakEventsPerSecond: 300 }, {
        // Room for four cells' reserved concurrency, so that only the burst is in question.
        quotaOverrides: { "us-east-1": { "lambda.concurrency": 3000 } },
      }),
    );
    expect(four.notes).toEqual([expect.stringContaining("region us-east-1: the API stage burst limits of use1-a, use1-b, use1-c, use1-d add up to 6,000")]);
    expect(scenario(four, "all cells up").fits).toBe(true);
    expect(four.scenarios.flatMap((s) => s.breaches).map((b) => b.limitId)).not.toContain("apigateway.burst");
  });
});

describe("capacity planner: N+1", () => {
  it("fits at peak, but losing use1-a pushes usw1-a's region over the ceiling: it names the cell, the region and the quota", () => {
    const plan = planCapacity(threeRegions());

    expect(scenario(plan, "all cells up").fits).toBe(true);
    const lost = scenario(plan, "lose cell use1-a");
    expect(lost.fits).toBe(false);
    expect(lost.busiest).toEqual({ cell: "use2-a", eventsPerSecond: 1050 });
    // 1,050 events/s each: us-west-1 PutEvents 1,050 of 1,200, invocations 2,100 of 2,250; us-east-2 stays within (SNS 70%).
    expect(lost.breaches).toEqual([
      expect.objectContaining({ limitId: "eventbridge.putEvents", region: "us-west-1", cells: ["usw1-a"], load: 1050, limit: 1200, utilisationPercent: 87.5 }),
      expect.objectContaining({ limitId: "eventbridge.invocations", region: "us-west-1", cells: ["usw1-a"], load: 2100, limit: 2250 }),
    ]);
    expect(scenario(plan, "lose cell usw1-a").fits).toBe(true);
    expect(plan.fitsNPlusOne).toBe(false);
  });

  it("warns at synth with one line per breached limit, naming cell, region, quota and every scenario it happens in", () => {
    const warnings = capacityWarnings(threeRegions());

    expect(warnings).toEqual([
      "capacity: after losing cell use1-a, region us-west-1 (usw1-a) would use 87.5% of EventBridge PutEvents (1,050 of 1,200 requests/s, AWS default), over the 80% ceiling; also after losing cell use2-a, after losing region us-east-1, after losing region us-east-2",
      "capacity: after losing cell use1-a, region us-west-1 (usw1-a) would use 93.3% of EventBridge rule invocations (2,100 of 2,250 invocations/s, AWS default), over the 80% ceiling; also after losing cell use2-a, after losing region us-east-1, after losing region us-east-2",
    ]);
  });

  it("keeps a warning readable in a large fleet: every cell's loss is 'any one cell', a long list is cut with a count", () => {
    const twelve: CellInput[] = Array.from({ length: 12 }, (_, i) => ({ id: `c${i}`, region: i % 2 ? "us-east-2" : "us-east-1" }));

    const concurrency = capacityWarnings(fleet({ cells: twelve, tenants: {} })).filter((warning) => warning.includes("Lambda concurrency"));

    // Six cells reserve 6 x 202 executions in each region, whatever the load: over the quota in every scenario.
    expect(concurrency).toEqual([
      expect.stringMatching(/^capacity: at peak, region us-east-1 \(c0, c2, c4, c6, c8, c10\) would use 134\.7% .*; also after losing any one cell, after losing region us-east-2$/),
      expect.stringMatching(/^capacity: at peak, region us-east-2 \(c1, c3, c5, c7, c9, c11\) .*; also after losing any one cell, after losing region us-east-1$/),
    ]);
  });

  it("fails when a lost region's load lands on a survivor in a small region", () => {
    const plan = planCapacity(
      fleetWith(
        [
          { id: "use1-a", region: "us-east-1" },
          { id: "use1-b", region: "us-east-1" },
          { id: "usw1-a", region: "us-west-1", storeRegion: "us-west-2" },
        ],
        { peakEventsPerSecond: 2400, cellPeakEventsPerSecond: 2000 },
      ),
    );
    const lost = scenario(plan, "lose region us-east-1");

    expect(lost.lostCells).toEqual(["use1-a", "use1-b"]);
    expect(lost.busiest).toEqual({ cell: "usw1-a", eventsPerSecond: 2400 });
    expect(lost.breaches.map((b) => [b.limitId, b.region, b.cells, b.utilisationPercent])).toEqual([
      ["eventbridge.putEvents", "us-west-1", ["usw1-a"], 200],
      ["eventbridge.invocations", "us-west-1", ["usw1-a"], (4800 / 2250) * 100],
      ["sns.publish", "us-west-1", ["usw1-a"], 160],
    ]);
    // The hub was in the lost region: nothing is forwarded to it.
    expect(lost.breaches.some((b) => b.cells.includes("archive hub"))).toBe(false);
  });

  it("loses a cell with the region that holds its store", () => {
    const plan = planCapacity(fleet());
    const lost = scenario(plan, "lose region us-west-2 (and usw1-a: store there)");

    expect(lost.lostCells).toEqual(["usw1-a", "usw2-a"]);
    expect(lost.busiest).toEqual({ cell: "use1-a", eventsPerSecond: 500 });
    expect(plan.scenarios.map((s) => s.label)).toEqual([
      "all cells up",
      "lose cell use1-a",
      "lose cell use2-a",
      "lose cell usw1-a",
      "lose cell usw2-a",
      "lose region us-east-1",
      "lose region us-east-2",
      "lose region us-west-1",
      "lose region us-west-2 (and usw1-a: store there)",
    ]);
  });

  it("fails when nobody is left: a one-cell fleet cannot lose its cell", () => {
    const plan = planCapacity(fleetWith([{ id: "use1-a", region: "us-east-1" }], { peakEventsPerSecond: 100 }));
    const lost = scenario(plan, "lose cell use1-a");

    expect(lost).toMatchObject({ fits: false, noSurvivors: true, busiest: undefined });
    expect(plan.fitsNPlusOne).toBe(false);
    expect(capacityWarnings(fleetWith([{ id: "use1-a", region: "us-east-1" }], { peakEventsPerSecond: 100 }))).toContain(
      'capacity: after "lose cell use1-a" no active cell is left to take the fleet\'s 100 events/s',
    );
  });

  it("passes once capacity.quotaOverrides records the raised quotas", () => {
    const plan = planCapacity(threeRegions({ quotaOverrides: { "us-west-1": { "eventbridge.putEvents": 2400, "eventbridge.invocations": 4500 } } }));

    expect(plan.fitsNPlusOne).toBe(true);
    expect(scenario(plan, "lose cell use1-a").breaches).toEqual([]);
    expect(usage(plan, "us-west-1", "eventbridge.putEvents")).toMatchObject({ limit: 2400, limitSource: "override" });
    // Other regions keep AWS's defaults.
    expect(usage(plan, "us-east-2", "eventbridge.putEvents")).toMatchObject({ limit: 2400, limitSource: "aws-default" });
    expect(capacityWarnings(threeRegions({ quotaOverrides: { "us-west-1": { "eventbridge.putEvents": 2400, "eventbridge.invocations": 4500 } } }))).toEqual([]);
  });

  it("applies the configured utilisation ceiling", () => {
    // At a 90% ceiling, 87.5% of PutEvents is fine; 93.3% of invocations is not.
    const plan = planCapacity(threeRegions({ utilisationCeilingPercent: 90 }));

    expect(scenario(plan, "lose cell use1-a").breaches.map((b) => b.limitId)).toEqual(["eventbridge.invocations"]);
  });

  it("checks the shipped fleet: it fits N+1, each cell's API stage throttle binds it, and no warning is raised", () => {
    const plan = planCapacity(fleet());

    expect(plan.fitsNPlusOne).toBe(true);
    expect(plan.cells.map((cell) => [cell.cell, cell.eventsPerSecond, cell.binding?.limitId])).toEqual([
      ["use1-a", 250, "cell.apiThrottle"],
      ["use2-a", 250, "cell.apiThrottle"],
      ["usw1-a", 250, "cell.apiThrottle"],
      ["usw2-a", 250, "cell.apiThrottle"],
    ]);
    // The AWS quota closest to its limit in every region: reserved Lambda concurrency, 202 of 900.
    for (const name of ["us-east-1", "us-east-2", "us-west-1", "us-west-2"]) {
      expect(region(plan, name).binding, name).toMatchObject({ limitId: "lambda.concurrency", load: 202, limit: 900 });
    }
    // By traffic, rule invocations in us-west-1 come closest (500 of 2,250).
    expect(usage(plan, "us-west-1", "eventbridge.invocations").utilisationPercent).toBeCloseTo(22.2, 1);
    // Worst single loss: us-west-2 (with usw1-a's store) leaves 500 events/s on each survivor, 67% of its throttle.
    const worst = plan.scenarios.reduce((a, b) => (b.worst!.utilisationPercent! > a.worst!.utilisationPercent! ? b : a));
    expect(worst.label).toBe("lose region us-west-2 (and usw1-a: store there)");
    expect(worst.worst!.utilisationPercent).toBeCloseTo(66.67, 2);
    expect(capacityWarnings(fleet())).toEqual([]);
  });
});
