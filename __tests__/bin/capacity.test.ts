import { describe, expect, it } from "vitest";
import { EXIT, USAGE, capacity, parseCapacityArgs } from "../../bin/capacity";
import { CliError } from "../../bin/cli";
import type { FleetConfig, FleetInput } from "../../cells/fleet-schema";
import { fleet } from "../support/fleet";

async function run(argv: string[], config: FleetConfig = fleet()) {
  const lines: string[] = [];
  const code = await capacity(argv, { fleet: config, out: (line) => lines.push(line) });
  return { code, text: lines.join("\n") };
}

/** Three regions, one cell each: fits at peak, not after losing use1-a (us-west-1's EventBridge quotas). */
const tightFleet = (capacitySettings: FleetInput["capacity"] = {}) =>
  fleet({
    cells: [
      { id: "use1-a", region: "us-east-1" },
      { id: "use2-a", region: "us-east-2" },
      { id: "usw1-a", region: "us-west-1", storeRegion: "us-west-2" },
    ],
    load: { peakEventsPerSecond: 2100, averageEventsPerSecond: 995, cellPeakEventsPerSecond: 1200 },
    capacity: capacitySettings,
  });

describe("npm run capacity", () => {
  it("prints the plan for people and exits 0 when the shipped fleet fits", async () => {
    const { code, text } = await run([]);

    expect(code).toBe(EXIT.fits);
    expect(text).toContain("Capacity plan: 4 active cells in 4 regions; fleet peak 1,000 events/s (60,000/min), average 995 events/s (86 million/day)");
    expect(text).toContain("events are spread evenly over the 4 stages");
    expect(text).toMatch(/us-west-1: cells usw1-a\n/);
    expect(text).toMatch(/EventBridge PutEvents\s+250\s+1,200 requests\/s\s+20\.8%\s+79\.2%\s+AWS default/);
    expect(text).toContain("binding: us-west-1 Lambda concurrency reserved (quota less 100 unreserved) 22.4%");
    expect(text).toMatch(/lose region us-west-2 \(and usw1-a: store there\)\s+ok\s+use1-a 500\/s/);
    expect(text).toMatch(/ingestion\s+fifo\s+use1-a\s+62\.5\s+1\.6 s\s+1\.6 s\s+1,471 s\s+ok/);
    expect(text).toContain("eventbridge.putEvents: EventBridge PutEvents, https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html (read 2026-11-25)");
    expect(text.split("\n").at(-1)).toMatch(/^Result: fits: .* \(exit 0\)$/);
  });

  it("exits 3 when the fleet does not fit N+1, naming the cell, the region and the quota", async () => {
    const { code, text } = await run([], tightFleet());

    expect(code).toBe(EXIT.nPlusOneFails);
    expect(text).toMatch(/lose cell use1-a\s+FAILS/);
    expect(text).toContain(
      "- after losing cell use1-a, region us-west-1 (usw1-a) would use 87.5% of EventBridge PutEvents (1,050 of 1,200 requests/s, AWS default), over the 80% ceiling",
    );
    expect(text.split("\n").at(-1)).toMatch(/^Result: does NOT fit N\+1 \(lose cell use1-a; lose cell use2-a; .*\(exit 3\)$/);
  });

  it("exits 0 once the raised quotas are recorded in capacity.quotaOverrides", async () => {
    const { code, text } = await run([], tightFleet({ quotaOverrides: { "us-west-1": { "eventbridge.putEvents": 2400, "eventbridge.invocations": 4500 } } }));

    expect(code).toBe(EXIT.fits);
    expect(text).toMatch(/EventBridge PutEvents\s+700\s+2,400 requests\/s\s+29\.2%\s+70\.8%\s+override/);
  });

  it("exits 4 when the fleet fits N+1 but a stage's expected delay misses the objective", async () => {
    const { code, text } = await run([], fleet({ capacity: { visibilityObjectiveSeconds: 1 } }));

    expect(code).toBe(EXIT.visibilityMissed);
    expect(text).toContain(
      'stage ingestion (fifo): expected ingest-to-store delay 1.6 s at peak in use1-a (1.6 s in use1-a after "lose region us-west-2 (and usw1-a: store there)"), over the 1 s objective',
    );
    expect(text.split("\n").at(-1)).toBe(
      "Result: fits N+1, but stages ingestion, reconciliation, authorization, posting miss the 1 s visibility objective (exit 4)",
    );
  });

  it("prints one JSON document with --json, exit code included", async () => {
    const { code, text } = await run(["--json"], tightFleet());
    const document = JSON.parse(text);

    expect(code).toBe(EXIT.nPlusOneFails);
    expect(document).toMatchObject({ exitCode: 3, fitsNPlusOne: false, visibilityWithinObjective: true });
    expect(document.settings).toMatchObject({ peakEventsPerSecond: 2100, utilisationCeilingPercent: 80 });
    expect(document.scenarios.find((s: { label: string }) => s.label === "lose cell use1-a").breaches[0]).toMatchObject({
      limitId: "eventbridge.putEvents",
      region: "us-west-1",
      cells: ["usw1-a"],
    });
    expect(document.quotas["eventbridge.putEvents"]).toMatchObject({ byRegion: { "us-west-1": 1200 }, asOf: "2026-11-25" });
  });

  it("writes an unbounded delay as null in JSON", async () => {
    const { text } = await run(["--json"], fleet({ stageDefaults: { delivery: "fifo", consumer: { maxConcurrency: 2 } } }));
    const document = JSON.parse(text);

    expect(document.visibility[0].expectedSeconds).toBeNull();
    expect(document.exitCode).toBe(3);
  });

  it("prints the cost per million events and per month, fifo against standard, with --cost", async () => {
    const { code, text } = await run(["--cost"]);

    expect(code).toBe(EXIT.fits);
    expect(text).toContain("Cost estimate: 995 events/s on average = 2,615 million events a month, 4 cells; us-east-1 list prices read 2026-11-25");
    expect(text).toMatch(/API Gateway\s+REST API requests\s+\$3\.500\s+\$3\.500\s+\$3\.500\s+\$9,152/);
    expect(text).toMatch(/EventBridge\s+Pipes \(stage queue -> FIFO queue\)\s+\$0\.400\s+\$0\.400\s+-/);
    expect(text).toContain("Delivery mode: fifo costs $1.203 per million events more than standard ($3,147 a month)");
    expect(text).toContain("  - https://aws.amazon.com/api-gateway/pricing/");
    expect(text.split("\n").at(-1)).toMatch(/^Result: fits: /);
  });

  it("keeps the capacity verdict in the exit code with --cost --json", async () => {
    const { code, text } = await run(["--cost", "--json"], tightFleet());
    const document = JSON.parse(text);

    expect(code).toBe(EXIT.nPlusOneFails);
    expect(document).toMatchObject({ exitCode: 3, capacity: { fitsNPlusOne: false } });
    expect(document.cost.modes.map((mode: { mode: string }) => mode.mode)).toEqual(["configured", "fifo", "standard"]);
    expect(document.prices.apiGatewayRestRequest).toMatchObject({ usd: 3.5, source: "https://aws.amazon.com/api-gateway/pricing/" });
  });

  it("prints usage with --help", async () => {
    const { code, text } = await run(["--help"]);

    expect(code).toBe(EXIT.fits);
    expect(text).toBe(USAGE);
  });

  it("refuses unknown options and arguments with exit 2", async () => {
    for (const argv of [["--bogus"], ["extra"], ["--json=yes"]]) {
      const error = await run(argv).catch((e: unknown) => e);
      expect(error, argv.join(" ")).toBeInstanceOf(CliError);
      expect((error as CliError).exitCode).toBe(EXIT.usage);
    }
    expect(() => parseCapacityArgs(["--cost", "--json"])).not.toThrow();
  });

  it("refuses a stage share for an unknown stage with exit 2", async () => {
    const error = await run([], fleet({ capacity: { stageShares: { postng: 2 } } })).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ exitCode: EXIT.usage, message: expect.stringContaining('capacity.stageShares.postng: unknown stage "postng"') });
  });
});
