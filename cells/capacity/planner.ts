import { ingestThrottle } from "../cell-load";
import type { CellConfig, FleetConfig } from "../fleet-schema";
import { PLANNING_MODEL, reservedConcurrency } from "./model";
import { type LimitSource, QUOTAS, type QuotaId, quotaLimit } from "./quotas";
import {
  type StageVisibility,
  consumerLoad,
  expectedDelay,
  routerRetrySeconds,
  sumSeconds,
  worstDelay,
} from "./visibility";

/**
 * The capacity planner: the fleet's peak spread over its active cells by weight, every cell's and
 * every region's load against the AWS quotas in force there (cells sharing a region share its
 * quotas), the same after losing any one cell and any one region, and each stage's
 * ingest-to-store delay. Pure and fast: `main.ts` runs it at every synth through `capacityWarnings`.
 */

/** The parts of the fleet the planner reads. */
export type PlannerFleet = Pick<FleetConfig, "cells" | "stages" | "load" | "api" | "capacity" | "global" | "operations" | "queues" | "router">;

/** Limits from the fleet's own configuration rather than AWS. */
export type ConfigLimitId = "cell.apiThrottle" | "cell.consumerConcurrency";
export type LimitId = QuotaId | ConfigLimitId;

/** One load against one limit. */
export interface Usage {
  readonly limitId: LimitId;
  readonly name: string;
  readonly unit: string;
  readonly region: string;
  /** Set for limits of one cell (its stage throttle, a stage's consumer or FIFO queue). */
  readonly cell?: string;
  readonly stage?: string;
  readonly load: number;
  /** Undefined when AWS publishes no default and the fleet sets no override: reported, not checked. */
  readonly limit: number | undefined;
  readonly limitSource: LimitSource | "fleet.json";
  readonly utilisationPercent: number | undefined;
  readonly headroomPercent: number | undefined;
  /**
   * Whether the usage counts towards N+1: false for a limit without a value, and for the API
   * Gateway burst bucket, whose "load" is configuration (the stages' burst limits), not traffic.
   */
  readonly checked: boolean;
  /** Checked and above the utilisation ceiling (which is at most 100%, so also every quota exceeded). */
  readonly overCeiling: boolean;
}

export interface RegionCapacity {
  readonly region: string;
  /** Active cells running in the region. */
  readonly cells: readonly string[];
  /** Cells elsewhere whose store (Timestream) is here. */
  readonly storesFor: readonly string[];
  /** The global stack's archive hub receives every cell's events here. */
  readonly hub: boolean;
  readonly usages: readonly Usage[];
  readonly binding: Usage | undefined;
}

export interface CellCapacity {
  readonly cell: string;
  readonly region: string;
  readonly storeRegion: string;
  readonly active: boolean;
  readonly weight: number;
  readonly eventsPerSecond: number;
  /** The cell's own limits (stage throttle, consumers, FIFO queues). */
  readonly usages: readonly Usage[];
  /** The most used limit the cell depends on: its own, or a quota it shares with its region. */
  readonly binding: Usage | undefined;
}

export interface Breach {
  readonly limitId: LimitId;
  readonly name: string;
  readonly region: string;
  /** The cells that draw on the limit: the one cell, or every surviving cell sharing the region's quota. */
  readonly cells: readonly string[];
  readonly stage?: string;
  readonly load: number;
  readonly limit: number;
  readonly unit: string;
  readonly limitSource: LimitSource | "fleet.json";
  readonly utilisationPercent: number;
}

export interface Scenario {
  readonly kind: "baseline" | "lose-cell" | "lose-region";
  /** The lost cell id or region; undefined for the baseline. */
  readonly lost: string | undefined;
  /** Every active cell out of service, including cells whose store is in a lost region. */
  readonly lostCells: readonly string[];
  readonly label: string;
  readonly fits: boolean;
  /** Nobody left to take the load. */
  readonly noSurvivors: boolean;
  readonly busiest: { readonly cell: string; readonly eventsPerSecond: number } | undefined;
  /** The most used limit across the survivors. */
  readonly worst: Usage | undefined;
  readonly breaches: readonly Breach[];
}

export interface CapacityPlan {
  readonly settings: {
    readonly peakEventsPerSecond: number;
    readonly averageEventsPerSecond: number;
    readonly utilisationCeilingPercent: number;
    readonly visibilityObjectiveSeconds: number;
    readonly visibilityObjectiveFrom: "capacity.visibilityObjectiveSeconds" | "operations.canary.maxEndToEndSeconds";
    /** Fraction of events per stage (sums to 1). */
    readonly stageShares: Readonly<Record<string, number>>;
  };
  readonly assumptions: readonly string[];
  readonly regions: readonly RegionCapacity[];
  readonly cells: readonly CellCapacity[];
  /** Baseline first, then each active cell lost, then each region with an active cell or store lost. */
  readonly scenarios: readonly Scenario[];
  /** Baseline and every loss scenario within the ceiling. */
  readonly fitsNPlusOne: boolean;
  readonly visibility: readonly StageVisibility[];
  readonly visibilityWithinObjective: boolean;
  /** Configuration worth a look that does not fail N+1 (stage burst limits beyond the account's burst bucket). */
  readonly notes: readonly string[];
}

/** A capacity setting the schema cannot check alone (it needs the stage list). */
export class CapacityConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CapacityConfigError";
  }
}

const REGIONAL_QUOTAS: readonly QuotaId[] = [
  "apigateway.rps",
  "apigateway.burst",
  "eventbridge.putEvents",
  "eventbridge.invocations",
  "sns.publish",
  "pipes.concurrency",
  "lambda.concurrency",
  "timestream.ingestion",
];

/** Fraction of the fleet's events per stage: `capacity.stageShares` weights, 1 for stages not named. */
export function stageShares(fleet: Pick<FleetConfig, "stages" | "capacity">): Map<string, number> {
  const named = fleet.capacity.stageShares;
  const known = new Set(fleet.stages.map((stage) => stage.name));
  for (const name of Object.keys(named)) {
    if (!known.has(name)) {
      throw new CapacityConfigError(`capacity.stageShares.${name}: unknown stage "${name}" (one of ${[...known].join(", ")})`);
    }
  }
  const weights = fleet.stages.map((stage) => [stage.name, named[stage.name] ?? 1] as const);
  const total = weights.reduce((sum, [, weight]) => sum + weight, 0);
  return new Map(weights.map(([name, weight]) => [name, weight / total]));
}

/** Events per second each active, surviving cell takes: the fleet's peak split by weight. */
export function cellLoads(fleet: Pick<FleetConfig, "cells" | "load">, lost: ReadonlySet<string> = new Set()): Map<string, number> {
  const survivors = fleet.cells.filter((cell) => cell.active && !lost.has(cell.id));
  const totalWeight = survivors.reduce((sum, cell) => sum + cell.weight, 0);
  return new Map(survivors.map((cell) => [cell.id, (fleet.load.peakEventsPerSecond * cell.weight) / totalWeight]));
}

const storeRegionOf = (cell: CellConfig): string => cell.storeRegion ?? cell.region;

interface Evaluation {
  readonly loads: Map<string, number>;
  readonly cells: Map<string, { readonly usages: Usage[] }>;
  readonly regions: Map<string, RegionCapacity>;
}

class Planner {
  readonly shares: Map<string, number>;
  readonly ceiling: number;

  constructor(readonly fleet: PlannerFleet) {
    this.shares = stageShares(fleet);
    this.ceiling = fleet.capacity.utilisationCeilingPercent;
  }

  usage(
    fields: Pick<Usage, "limitId" | "name" | "unit" | "region" | "cell" | "stage">,
    load: number,
    limit: number | undefined,
    limitSource: Usage["limitSource"],
  ): Usage {
    const utilisation = limit === undefined ? undefined : (load / limit) * 100;
    const checked = utilisation !== undefined && fields.limitId !== "apigateway.burst";
    // Built key by key: spreading `fields` (whose optional keys vary) made every usage a slow
    // dictionary object, and the N+1 scenarios create ~90,000 of them for 100 cells (0.75 s -> 0.15 s).
    return {
      limitId: fields.limitId,
      name: fields.name,
      unit: fields.unit,
      region: fields.region,
      ...(fields.cell === undefined ? {} : { cell: fields.cell }),
      ...(fields.stage === undefined ? {} : { stage: fields.stage }),
      load,
      limit,
      limitSource,
      utilisationPercent: utilisation,
      headroomPercent: utilisation === undefined ? undefined : 100 - utilisation,
      checked,
      // Rounded so that a load exactly at the ceiling is not failed by floating-point noise.
      overCeiling: checked && Math.round(utilisation! * 1e6) / 1e6 > this.ceiling,
    };
  }

  quotaUsage(id: QuotaId, region: string, load: number, where: Pick<Usage, "cell" | "stage"> = {}): Usage {
    const quota = QUOTAS[id];
    const { limit, source } = quotaLimit(id, region, this.fleet.capacity.quotaOverrides);
    if (id === "lambda.concurrency") {
      // Every function in a cell reserves its concurrency, and AWS keeps some of the quota unreserved.
      const unreserved = PLANNING_MODEL.unreservedConcurrencyMinimum;
      const name = `Lambda concurrency reserved (quota less ${unreserved} unreserved)`;
      return this.usage({ limitId: id, name, unit: quota.unit, region, ...where }, load, limit === undefined ? undefined : Math.max(0, limit - unreserved), source);
    }
    return this.usage({ limitId: id, name: quota.name, unit: quota.unit, region, ...where }, load, limit, source);
  }

  /** Loads and usages with the given cells out of service (and, for a region loss, the hub too if it is there). */
  evaluate(lostCells: ReadonlySet<string>, lostRegion?: string): Evaluation {
    const { fleet } = this;
    const loads = cellLoads(fleet, lostCells);
    const regional = new Map<string, Map<QuotaId, number>>();
    const add = (region: string, id: QuotaId, value: number) => {
      const quotas = regional.get(region) ?? new Map<QuotaId, number>();
      quotas.set(id, (quotas.get(id) ?? 0) + value);
      regional.set(region, quotas);
    };
    const cells = new Map<string, { usages: Usage[] }>();

    for (const cell of fleet.cells) {
      const eventsPerSecond = loads.get(cell.id);
      if (eventsPerSecond === undefined) continue;
      const throttle = ingestThrottle(fleet, cell);
      const usages: Usage[] = [
        this.usage(
          { limitId: "cell.apiThrottle", name: "API stage throttle", unit: "requests/s", region: cell.region, cell: cell.id },
          eventsPerSecond,
          throttle.rateLimit,
          "fleet.json",
        ),
      ];
      for (const stage of fleet.stages) {
        const load = consumerLoad(stage, eventsPerSecond * this.shares.get(stage.name)!);
        usages.push(
          this.usage(
            { limitId: "cell.consumerConcurrency", name: "consumer concurrency (maxConcurrency)", unit: "executions", region: cell.region, cell: cell.id, stage: stage.name },
            load.concurrency,
            stage.consumer.maxConcurrency,
            "fleet.json",
          ),
        );
        if (stage.delivery === "fifo") {
          usages.push(this.quotaUsage("sqs.fifoThroughput", cell.region, load.arrivalPerSecond, { cell: cell.id, stage: stage.name }));
        }
        if (stage.delivery === "fifo") add(cell.region, "pipes.concurrency", load.pipeConcurrency);
      }
      cells.set(cell.id, { usages });
      add(cell.region, "apigateway.rps", eventsPerSecond);
      add(cell.region, "apigateway.burst", throttle.burstLimit);
      add(cell.region, "eventbridge.putEvents", eventsPerSecond);
      // Two rules match every event: its stage's, and the forward to the archive hub.
      add(cell.region, "eventbridge.invocations", 2 * eventsPerSecond);
      add(cell.region, "sns.publish", eventsPerSecond);
      add(storeRegionOf(cell), "timestream.ingestion", eventsPerSecond * PLANNING_MODEL.sizes.timestreamWritesPerEvent);
    }
    // Reserved concurrency is deployed with a cell, drained or lost: it counts wherever the region is up.
    for (const cell of fleet.cells) {
      if (cell.region !== lostRegion) add(cell.region, "lambda.concurrency", reservedConcurrency(fleet));
    }
    const hubRegion = fleet.global.region;
    const hubAlive = hubRegion !== lostRegion && loads.size > 0;
    if (hubAlive) add(hubRegion, "eventbridge.putEvents", [...loads.values()].reduce((sum, value) => sum + value, 0));

    const regions = new Map<string, RegionCapacity>();
    for (const [region, quotas] of [...regional].sort(([a], [b]) => a.localeCompare(b))) {
      const usages = REGIONAL_QUOTAS.filter((id) => quotas.has(id)).map((id) => this.quotaUsage(id, region, quotas.get(id)!));
      regions.set(region, {
        region,
        cells: fleet.cells.filter((cell) => loads.has(cell.id) && cell.region === region).map((cell) => cell.id),
        storesFor: fleet.cells.filter((cell) => loads.has(cell.id) && cell.region !== region && storeRegionOf(cell) === region).map((cell) => cell.id),
        hub: hubAlive && region === hubRegion,
        usages,
        binding: mostUsed(usages),
      });
    }
    return { loads, cells, regions };
  }

  /** The regional usages a cell depends on: its region's quotas, and Timestream where its store is. */
  sharedUsages(evaluation: Evaluation, cell: CellConfig): Usage[] {
    const own = evaluation.regions.get(cell.region)?.usages.filter((usage) => usage.limitId !== "timestream.ingestion") ?? [];
    const store = evaluation.regions.get(storeRegionOf(cell))?.usages.filter((usage) => usage.limitId === "timestream.ingestion") ?? [];
    return [...own, ...store];
  }

  scenario(kind: Scenario["kind"], lost: string | undefined, lostCells: ReadonlySet<string>, label: string): Scenario & { evaluation: Evaluation } {
    const evaluation = this.evaluate(lostCells, kind === "lose-region" ? lost : undefined);
    const survivors = this.fleet.cells.filter((cell) => evaluation.loads.has(cell.id));
    const breaches: Breach[] = [];
    const all: Usage[] = [];
    for (const [id, { usages }] of evaluation.cells) {
      all.push(...usages);
      for (const usage of usages.filter((u) => u.overCeiling)) breaches.push(breachOf(usage, [id]));
    }
    for (const region of evaluation.regions.values()) {
      all.push(...region.usages);
      for (const usage of region.usages.filter((u) => u.overCeiling)) {
        const sharing =
          usage.limitId === "timestream.ingestion"
            ? survivors.filter((cell) => storeRegionOf(cell) === region.region)
            : survivors.filter((cell) => cell.region === region.region);
        const names = sharing.map((cell) => cell.id);
        if (usage.limitId === "eventbridge.putEvents" && region.hub) names.push("archive hub");
        breaches.push(breachOf(usage, names));
      }
    }
    let busiest: Scenario["busiest"];
    for (const [cell, eventsPerSecond] of evaluation.loads) {
      if (!busiest || eventsPerSecond > busiest.eventsPerSecond) busiest = { cell, eventsPerSecond };
    }
    const noSurvivors = survivors.length === 0;
    return {
      kind,
      lost,
      lostCells: [...lostCells].filter((id) => this.fleet.cells.some((cell) => cell.id === id && cell.active)),
      label,
      fits: !noSurvivors && breaches.length === 0,
      noSurvivors,
      busiest,
      worst: mostUsed(all),
      breaches,
      evaluation,
    };
  }

  scenarios(): Array<Scenario & { evaluation: Evaluation }> {
    const active = this.fleet.cells.filter((cell) => cell.active);
    const result = [this.scenario("baseline", undefined, new Set(), "all cells up")];
    for (const cell of active) result.push(this.scenario("lose-cell", cell.id, new Set([cell.id]), `lose cell ${cell.id}`));
    const regions = [...new Set(active.flatMap((cell) => [cell.region, storeRegionOf(cell)]))].sort();
    for (const region of regions) {
      const lost = active.filter((cell) => cell.region === region || storeRegionOf(cell) === region);
      const storeOnly = lost.filter((cell) => cell.region !== region).map((cell) => cell.id);
      const label = `lose region ${region}` + (storeOnly.length > 0 ? ` (and ${storeOnly.join(", ")}: store there)` : "");
      result.push(this.scenario("lose-region", region, new Set(lost.map((cell) => cell.id)), label));
    }
    return result;
  }
}

function breachOf(usage: Usage, cells: string[]): Breach {
  return {
    limitId: usage.limitId,
    name: usage.name,
    region: usage.region,
    cells,
    ...(usage.stage === undefined ? {} : { stage: usage.stage }),
    load: usage.load,
    limit: usage.limit!,
    unit: usage.unit,
    limitSource: usage.limitSource,
    utilisationPercent: usage.utilisationPercent!,
  };
}

/** The checked usage with the highest utilisation. */
export function mostUsed(usages: readonly Usage[]): Usage | undefined {
  let best: Usage | undefined;
  for (const usage of usages) {
    if (!usage.checked) continue;
    if (!best || usage.utilisationPercent! > best.utilisationPercent!) best = usage;
  }
  return best;
}

/** Plans the fleet's capacity. Throws CapacityConfigError for a capacity setting that names an unknown stage. */
export function planCapacity(fleet: PlannerFleet): CapacityPlan {
  const planner = new Planner(fleet);
  const scenarios = planner.scenarios();
  const baseline = scenarios[0]!;

  const cells: CellCapacity[] = fleet.cells.map((cell) => {
    const own = baseline.evaluation.cells.get(cell.id)?.usages ?? [];
    return {
      cell: cell.id,
      region: cell.region,
      storeRegion: storeRegionOf(cell),
      active: cell.active,
      weight: cell.weight,
      eventsPerSecond: baseline.evaluation.loads.get(cell.id) ?? 0,
      usages: own,
      binding: cell.active ? mostUsed([...own, ...planner.sharedUsages(baseline.evaluation, cell)]) : undefined,
    };
  });

  const objectiveFromConfig = fleet.capacity.visibilityObjectiveSeconds;
  const objective = objectiveFromConfig ?? fleet.operations.canary.maxEndToEndSeconds;
  const losses = scenarios.slice(1).filter((scenario) => scenario.busiest);
  const worstLoss = losses.reduce<(typeof losses)[number] | undefined>(
    (worst, scenario) => (!worst || scenario.busiest!.eventsPerSecond > worst.busiest!.eventsPerSecond ? scenario : worst),
    undefined,
  );
  const visibility = fleet.stages.map((stage): StageVisibility => {
    const share = planner.shares.get(stage.name)!;
    const arrival = (baseline.busiest?.eventsPerSecond ?? 0) * share;
    const expected = expectedDelay(stage, arrival);
    const worst = worstDelay(fleet, stage, arrival);
    const afterLoss = worstLoss
      ? { scenario: worstLoss.label, cell: worstLoss.busiest!.cell, arrivalPerSecond: worstLoss.busiest!.eventsPerSecond * share }
      : undefined;
    const expectedSeconds = sumSeconds(expected);
    const expectedAfterLossSeconds = afterLoss ? sumSeconds(expectedDelay(stage, afterLoss.arrivalPerSecond)) : undefined;
    return {
      stage: stage.name,
      delivery: stage.delivery,
      cell: baseline.busiest?.cell ?? "-",
      arrivalPerSecond: arrival,
      consumerMaxConcurrency: stage.consumer.maxConcurrency,
      expectedSeconds,
      expected,
      expectedAfterLossSeconds,
      afterLoss,
      worstSeconds: sumSeconds(worst),
      worst,
      routerRetrySeconds: routerRetrySeconds(fleet),
      objectiveSeconds: objective,
      withinObjective: expectedSeconds <= objective && (expectedAfterLossSeconds === undefined || expectedAfterLossSeconds <= objective),
    };
  });

  const notes: string[] = [];
  for (const region of baseline.evaluation.regions.values()) {
    const burst = region.usages.find((usage) => usage.limitId === "apigateway.burst");
    if (burst?.limit !== undefined && burst.load > burst.limit) {
      notes.push(
        `region ${region.region}: the API stage burst limits of ${region.cells.join(", ")} add up to ${formatNumber(burst.load)} requests, ` +
          `more than the account's ${formatNumber(burst.limit)}-request burst bucket: simultaneous bursts are throttled by the account first`,
      );
    }
  }
  const shares = Object.fromEntries(planner.shares);
  const evenShares = fleet.stages.every((stage) => fleet.capacity.stageShares[stage.name] === undefined);
  return {
    settings: {
      peakEventsPerSecond: fleet.load.peakEventsPerSecond,
      averageEventsPerSecond: fleet.load.averageEventsPerSecond,
      utilisationCeilingPercent: planner.ceiling,
      visibilityObjectiveSeconds: objective,
      visibilityObjectiveFrom: objectiveFromConfig === undefined ? "operations.canary.maxEndToEndSeconds" : "capacity.visibilityObjectiveSeconds",
      stageShares: shares,
    },
    assumptions: assumptions(fleet, evenShares),
    regions: [...baseline.evaluation.regions.values()],
    cells,
    scenarios: scenarios.map(({ evaluation: _evaluation, ...scenario }) => scenario),
    fitsNPlusOne: scenarios.every((scenario) => scenario.fits),
    visibility,
    visibilityWithinObjective: visibility.every((stage) => stage.withinObjective),
    notes,
  };
}

function assumptions(fleet: PlannerFleet, evenShares: boolean): string[] {
  const { consumer, pipe } = PLANNING_MODEL;
  return [
    "each cell takes the fleet's peak (load.peakEventsPerSecond) × its weight / the sum of active cells' weights; a lost cell's or region's load is spread over the survivors the same way",
    evenShares
      ? `every event belongs to one stage (the stage in its URL); events are spread evenly over the ${fleet.stages.length} stages (set capacity.stageShares to change that)`
      : "every event belongs to one stage (the stage in its URL); events are spread over the stages by capacity.stageShares",
    "quotas are per account and region: cells sharing a region share them; each cell's FIFO queues have their own throughput",
    "a cell's own limits come from fleet.json: its API stage throttle (its sized peak × api.throttleHeadroom) and each stage's consumer maxConcurrency",
    "a region's API Gateway burst bucket is compared with the sum of its cells' stage burst limits: reported, and noted when exceeded, but configuration rather than load, so it does not fail N+1",
    "per event: 1 API request, 1 PutEvents request, 2 rule invocations (stage rule, hub forward), 1 SNS publish, 1 FIFO send (fifo stages); the hub region also receives every cell's forwarded event (counted against its PutEvents quota)",
    `a consumer invocation takes ${consumer.perBatchSeconds * 1000} ms + ${consumer.perRecordSeconds * 1000} ms per record; the concurrency a stage needs = batches per second × that duration, against its maxConcurrency`,
    `every deployed cell (drained ones too) reserves its consumers' maxConcurrency plus 1 for the detector and 1 for the canary; a region can reserve its Lambda quota less the ${PLANNING_MODEL.unreservedConcurrencyMinimum} AWS keeps unreserved`,
    "batches are full at peak, except that a standard stage's batching window closes a batch early when events arrive more slowly",
    `the pipe reads batches of ${pipe.batchSize} with a ${pipe.batchingWindowSeconds} s window; managed hops (ingest, route, fan-out, pipe) take their typical time (cells/capacity/model.ts)`,
    "a cell whose store (storeRegion) is in a lost region is lost with it",
    "Timestream publishes no ingestion quota: its load is reported and checked only against an override",
  ];
}

/** One limit breached in one or more scenarios: its worst breach and every scenario it happens in. */
export interface BreachGroup {
  readonly worst: Breach;
  /** The scenario of the worst breach: "at peak", "after losing cell use1-a", "after losing region us-west-1". */
  readonly worstWhen: string;
  /** Every scenario it happens in, baseline first. */
  readonly when: readonly string[];
  /** The other scenarios it happens in, summarised: "at peak", "after losing any other cell", "after losing region us-east-1". */
  readonly also: readonly string[];
}

/** The plan's breaches, one group per limit (a cell's limit, or a region's quota). */
export function groupBreaches(plan: Pick<CapacityPlan, "scenarios">): BreachGroup[] {
  const groups = new Map<string, { worst: Breach; worstScenario: Scenario; scenarios: Scenario[] }>();
  for (const scenario of plan.scenarios) {
    for (const breach of scenario.breaches) {
      const key = isCellLimit(breach) ? `${breach.limitId}|${breach.cells[0]}|${breach.stage ?? ""}` : `${breach.limitId}|${breach.region}`;
      const group = groups.get(key);
      if (!group) groups.set(key, { worst: breach, worstScenario: scenario, scenarios: [scenario] });
      else {
        group.scenarios.push(scenario);
        if (breach.utilisationPercent > group.worst.utilisationPercent) Object.assign(group, { worst: breach, worstScenario: scenario });
      }
    }
  }
  const total = (kind: Scenario["kind"]) => plan.scenarios.filter((scenario) => scenario.kind === kind).length;
  return [...groups.values()].map(({ worst, worstScenario, scenarios }) => {
    const others = scenarios.filter((scenario) => scenario !== worstScenario);
    const lossesOf = (kind: "lose-cell" | "lose-region", noun: string) => {
      const lost = others.filter((scenario) => scenario.kind === kind).map((scenario) => scenario.lost!);
      const possible = total(kind) - (worstScenario.kind === kind ? 1 : 0);
      if (lost.length === 0) return [];
      // Lists stay readable in a fleet of a hundred cells: "any other cell", or the first few and a count.
      if (lost.length === possible && lost.length > 1) return [`after losing any ${worstScenario.kind === kind ? "other" : "one"} ${noun}`];
      if (lost.length > LISTED_SCENARIOS) return [`after losing ${noun} ${lost.slice(0, LISTED_SCENARIOS).join(", ")} or ${lost.length - LISTED_SCENARIOS} more`];
      return lost.map((id) => `after losing ${noun} ${id}`);
    };
    return {
      worst,
      worstWhen: describeScenario(worstScenario),
      when: scenarios.map(describeScenario),
      also: [...(others.some((scenario) => scenario.kind === "baseline") ? ["at peak"] : []), ...lossesOf("lose-cell", "cell"), ...lossesOf("lose-region", "region")],
    };
  });
}

/** How many lost cells or regions a warning names before it counts the rest. */
const LISTED_SCENARIOS = 5;

const describeScenario = (scenario: Scenario): string =>
  scenario.kind === "baseline" ? "at peak" : `after losing ${scenario.kind === "lose-region" ? `region ${scenario.lost}` : `cell ${scenario.lost}`}`;

const isCellLimit = (breach: Breach): boolean => breach.limitId.startsWith("cell.") || breach.limitId === "sqs.fifoThroughput";

/** "after losing region us-west-1, cell use1-a (us-east-1) would use 200% of API stage throttle (...), over the quota; also at peak". */
export function describeBreachGroup(group: BreachGroup, ceilingPercent: number): string {
  return `${group.worstWhen}, ${describeBreach(group.worst, ceilingPercent)}${group.also.length > 0 ? `; also ${group.also.join(", ")}` : ""}`;
}

/**
 * One line per problem the synth should warn about: each limit a cell or region would take over
 * the utilisation ceiling at peak or after losing any one cell or region (with the scenarios it
 * happens in), no cell left after a loss, and each stage whose expected ingest-to-store delay
 * misses the objective. Empty when the fleet fits. Never throws.
 */
export function capacityWarnings(fleet: PlannerFleet): string[] {
  let plan: CapacityPlan;
  try {
    plan = planCapacity(fleet);
  } catch (error) {
    return [`capacity: ${error instanceof Error ? error.message : String(error)}`];
  }
  const warnings: string[] = [];
  for (const scenario of plan.scenarios.filter((s) => s.noSurvivors)) {
    warnings.push(`capacity: ${scenario.kind === "baseline" ? "no active cell" : `after "${scenario.label}" no active cell is left`} to take the fleet's ${formatNumber(plan.settings.peakEventsPerSecond)} events/s`);
  }
  for (const group of groupBreaches(plan)) warnings.push(`capacity: ${describeBreachGroup(group, plan.settings.utilisationCeilingPercent)}`);
  for (const stage of plan.visibility.filter((s) => !s.withinObjective)) warnings.push(`capacity: ${describeVisibilityMiss(stage)}`);
  for (const note of plan.notes) warnings.push(`capacity: ${note}`);
  return warnings;
}

/** "cell use1-a (us-east-1) stage posting is at 85% of SNS Publish ... (1,500 messages/s, AWS default), over the 80% ceiling". */
export function describeBreach(breach: Breach, ceilingPercent: number): string {
  const who = isCellLimit(breach)
      ? `cell ${breach.cells[0]} (${breach.region})`
      : `region ${breach.region} (${breach.cells.length > 0 ? breach.cells.join(", ") : "no cells"})`;
  const stage = breach.stage === undefined ? "" : ` stage ${breach.stage}`;
  const source = breach.limitSource === "override" ? "raised in capacity.quotaOverrides" : breach.limitSource === "fleet.json" ? "from fleet.json" : "AWS default";
  const over = breach.utilisationPercent > 100 ? "over the quota" : `over the ${ceilingPercent}% ceiling`;
  return (
    `${who}${stage} would use ${formatPercent(breach.utilisationPercent)} of ${breach.name} ` +
    `(${formatNumber(breach.load)} of ${formatNumber(breach.limit)} ${breach.unit}, ${source}), ${over}`
  );
}

export function describeVisibilityMiss(stage: StageVisibility): string {
  const after =
    stage.expectedAfterLossSeconds !== undefined && stage.expectedAfterLossSeconds > stage.objectiveSeconds && stage.afterLoss
      ? ` (${formatSeconds(stage.expectedAfterLossSeconds)} in ${stage.afterLoss.cell} after "${stage.afterLoss.scenario}")`
      : "";
  const unbounded = !Number.isFinite(stage.expectedSeconds) || !Number.isFinite(stage.expectedAfterLossSeconds ?? 0);
  return (
    `stage ${stage.stage} (${stage.delivery}): expected ingest-to-store delay ${formatSeconds(stage.expectedSeconds)} at peak in ${stage.cell}${after}, ` +
    `over the ${formatSeconds(stage.objectiveSeconds)} objective` +
    (unbounded ? ` (its ${stage.consumerMaxConcurrency} consumers cannot keep up: the backlog grows without bound)` : "")
  );
}

export const formatNumber = (value: number): string =>
  Number.isFinite(value) ? value.toLocaleString("en-US", { maximumFractionDigits: value < 10 ? 2 : value < 100 ? 1 : 0 }) : "∞";
export const formatPercent = (value: number): string => `${value.toLocaleString("en-US", { maximumFractionDigits: 1 })}%`;
export const formatSeconds = (value: number): string =>
  Number.isFinite(value) ? `${value.toLocaleString("en-US", { maximumFractionDigits: value < 10 ? 1 : 0 })} s` : "∞";
