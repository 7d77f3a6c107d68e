/**
 * Capacity planner: does the fleet fit its AWS quotas at peak, and still after losing any one cell
 * or any one region (N+1)? And how long does an event take from the API to the store?
 *
 *   npm run capacity [-- --json]
 *   npm run capacity -- --cost [--json]
 *
 *   (no flag)  per region and per cell: load against each quota at peak, headroom, the binding
 *              quota; every loss scenario; each stage's expected and worst-case ingest-to-store
 *              delay against the objective.
 *   --cost     what the fleet costs per million events and per month at its average load, per
 *              service, as configured and with every stage in fifo and in standard mode
 *              (us-east-1 list prices from cells/capacity/prices.ts). The exit code still
 *              reports the capacity check.
 *   --json     the same as one JSON document.
 *
 * Reads cells/fleet.json (or CELLFLEET_CONFIG); quotas come from cells/capacity/quotas.ts with
 * `capacity.quotaOverrides` from the fleet applied. Calls no AWS API.
 *
 * Exit codes:
 *   0  fits: every cell and region stays under the utilisation ceiling at peak and after any single
 *      loss, and every stage's expected delay is within the objective
 *   1  the fleet file is invalid, or an unexpected failure
 *   2  invalid usage: an unknown option or argument, or a capacity setting naming an unknown stage
 *   3  does not fit N+1: a cell or region over the ceiling at peak or after losing a cell or a region
 *      (each breach is named: cell, region, quota)
 *   4  fits N+1, but a stage's expected ingest-to-store delay misses the objective
 */
import { parseArgs } from "node:util";
import {
  type CapacityPlan,
  CapacityConfigError,
  type CostEstimate,
  PRICES,
  QUOTAS,
  type Usage,
  costRows,
  describeBreachGroup,
  describeVisibilityMiss,
  estimateCost,
  formatNumber,
  formatPercent,
  formatSeconds,
  groupBreaches,
  planCapacity,
} from "../cells/capacity";
import type { FleetConfig } from "../cells/fleet-schema";
import { CliError, loadCliFleet, runCli } from "./cli";

export const EXIT = { fits: 0, failed: 1, usage: 2, nPlusOneFails: 3, visibilityMissed: 4 } as const;

export const USAGE = [
  "usage: npm run capacity -- [--cost] [--json]",
  "  --cost   cost per million events and per month, per service, fifo vs standard delivery",
  "  --json   one JSON document instead of tables",
].join("\n");

export interface CapacityOptions {
  json: boolean;
  cost: boolean;
  help: boolean;
}

export interface CapacityDeps {
  /** Writes one line (stdout). */
  out: (line: string) => void;
  /** The fleet; default `loadCliFleet()` (`CELLFLEET_CONFIG` or cells/fleet.json). */
  fleet?: FleetConfig;
}

/** Parses `process.argv.slice(2)`; unknown options and arguments are usage errors (exit 2). */
export function parseCapacityArgs(argv: readonly string[]): CapacityOptions {
  try {
    const { values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        json: { type: "boolean" },
        cost: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
    return { json: values.json ?? false, cost: values.cost ?? false, help: values.help ?? false };
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n${USAGE}`, EXIT.usage);
  }
}

/** The exit code a plan earns. */
export function exitCodeOf(plan: CapacityPlan): number {
  if (!plan.fitsNPlusOne) return EXIT.nPlusOneFails;
  if (!plan.visibilityWithinObjective) return EXIT.visibilityMissed;
  return EXIT.fits;
}

/** Runs the planner (and the cost estimate with --cost); returns the exit code. */
export async function capacity(argv: readonly string[], deps: CapacityDeps): Promise<number> {
  const options = parseCapacityArgs(argv);
  if (options.help) {
    deps.out(USAGE);
    return EXIT.fits;
  }
  const fleet = deps.fleet ?? loadCliFleet();
  let plan: CapacityPlan;
  let estimate: CostEstimate | undefined;
  try {
    plan = planCapacity(fleet);
    if (options.cost) estimate = estimateCost(fleet);
  } catch (error) {
    if (error instanceof CapacityConfigError) throw new CliError(error.message, EXIT.usage);
    throw error;
  }
  const exitCode = exitCodeOf(plan);
  if (options.json) {
    const document = estimate
      ? { cost: estimate, prices: PRICES, capacity: { fitsNPlusOne: plan.fitsNPlusOne, visibilityWithinObjective: plan.visibilityWithinObjective }, exitCode }
      : { ...plan, quotas: QUOTAS, exitCode };
    deps.out(JSON.stringify(document, jsonNumbers, 2));
  } else if (estimate) {
    for (const line of formatCost(estimate)) deps.out(line);
    deps.out("");
    deps.out(summaryLine(plan, exitCode));
  } else {
    for (const line of formatPlan(plan)) deps.out(line);
  }
  return exitCode;
}

/** JSON has no Infinity: an unbounded delay (consumers cannot keep up) is written as null. */
const jsonNumbers = (_key: string, value: unknown): unknown => (typeof value === "number" && !Number.isFinite(value) ? null : value);

/** The plan as tables for people. */
export function formatPlan(plan: CapacityPlan): string[] {
  const { settings } = plan;
  const active = plan.cells.filter((cell) => cell.active);
  const regions = new Set(active.map((cell) => cell.region));
  const lines: string[] = [
    `Capacity plan: ${active.length} active cell${active.length === 1 ? "" : "s"} in ${regions.size} region${regions.size === 1 ? "" : "s"}; ` +
      `fleet peak ${formatNumber(settings.peakEventsPerSecond)} events/s (${formatNumber(settings.peakEventsPerSecond * 60)}/min), ` +
      `average ${formatNumber(settings.averageEventsPerSecond)} events/s (${formatNumber((settings.averageEventsPerSecond * 86_400) / 1e6)} million/day)`,
    `Utilisation ceiling ${settings.utilisationCeilingPercent}%; visibility objective ${formatSeconds(settings.visibilityObjectiveSeconds)} (${settings.visibilityObjectiveFrom})`,
    "",
    "Assumptions",
    ...plan.assumptions.map((text) => `  - ${text}`),
    "",
    "Regions at peak (quotas shared by every cell in the region)",
  ];
  for (const region of plan.regions) {
    const who = [
      region.cells.length > 0 ? `cells ${region.cells.join(", ")}` : undefined,
      region.storesFor.length > 0 ? `store of ${region.storesFor.join(", ")}` : undefined,
      region.hub ? "archive hub" : undefined,
    ].filter(Boolean);
    lines.push(`  ${region.region}: ${who.join("; ")}`);
    lines.push(...usageTable(region.usages, (usage) => usage.name).map((line) => `    ${line}`));
    lines.push(`    binding: ${bindingText(region.binding)}`);
  }
  lines.push("", "Cells at peak (their own limits; the region's quotas are above)");
  for (const cell of plan.cells) {
    if (!cell.active) {
      lines.push(`  ${cell.cell} (${cell.region}): drained (active: false), takes no load`);
      continue;
    }
    const store = cell.storeRegion === cell.region ? "" : `, store in ${cell.storeRegion}`;
    lines.push(`  ${cell.cell} (${cell.region}${store}, weight ${formatNumber(cell.weight)}): ${formatNumber(cell.eventsPerSecond)} events/s; binding: ${bindingText(cell.binding)}`);
    lines.push(...usageTable(cell.usages, (usage) => (usage.stage ? `${usage.stage}: ${usage.name}` : usage.name)).map((line) => `    ${line}`));
  }

  lines.push("", `N+1: lose any one cell, then any one region (ceiling ${settings.utilisationCeilingPercent}%)`);
  lines.push(
    ...table(
      ["SCENARIO", "RESULT", "BUSIEST CELL", "MOST USED LIMIT"],
      plan.scenarios.map((scenario) => [
        scenario.label,
        scenario.fits ? "ok" : "FAILS",
        scenario.busiest ? `${scenario.busiest.cell} ${formatNumber(scenario.busiest.eventsPerSecond)}/s` : "-",
        scenario.noSurvivors ? "no cell left" : bindingText(scenario.worst),
      ]),
    ).map((line) => `  ${line}`),
  );
  for (const scenario of plan.scenarios.filter((s) => s.noSurvivors)) {
    lines.push(`  ${scenario.kind === "baseline" ? "no active cell takes the load" : `after "${scenario.label}" no active cell is left to take the load`}`);
  }
  const groups = groupBreaches(plan);
  if (groups.length > 0) {
    lines.push(`  over the ${settings.utilisationCeilingPercent}% ceiling (each limit once, in its worst scenario):`);
    for (const group of groups) lines.push(`  - ${describeBreachGroup(group, settings.utilisationCeilingPercent)}`);
  }

  lines.push("", `Visibility: ingest to store, at peak, in the busiest cell (objective ${formatSeconds(settings.visibilityObjectiveSeconds)})`);
  lines.push(
    ...table(
      ["STAGE", "DELIVERY", "CELL", "EVENTS/S", "EXPECTED", "AFTER WORST LOSS", "WORST CASE", "RESULT"],
      plan.visibility.map((stage) => [
        stage.stage,
        stage.delivery,
        stage.cell,
        formatNumber(stage.arrivalPerSecond),
        formatSeconds(stage.expectedSeconds),
        stage.expectedAfterLossSeconds === undefined ? "-" : formatSeconds(stage.expectedAfterLossSeconds),
        formatSeconds(stage.worstSeconds),
        stage.withinObjective ? "ok" : "MISSES OBJECTIVE",
      ]),
    ).map((line) => `  ${line}`),
  );
  const slowest = [...plan.visibility].sort((a, b) => b.expectedSeconds - a.expectedSeconds)[0];
  if (slowest) {
    lines.push(`  expected, ${slowest.stage}: ${slowest.expected.map((part) => `${part.part} ${formatSeconds(part.seconds)}`).join(" + ")}`);
    lines.push(`  worst case, ${slowest.stage}: ${slowest.worst.map((part) => `${part.part} ${formatSeconds(part.seconds)}`).join(" + ")}`);
    lines.push(
      "  the worst case (every delivery but the last fails before the DLQ) exceeds the objective by design: such an event is late, " +
        "and the DLQ depth and queue-age alarms say so",
    );
    if (slowest.routerRetrySeconds > 0) {
      lines.push(`  an event the router cannot hand to its stage topic is retried for up to ${formatSeconds(slowest.routerRetrySeconds)} (router.maxEventAgeSeconds) before the router DLQ`);
    }
  }
  for (const stage of plan.visibility.filter((s) => !s.withinObjective)) lines.push(`  ${describeVisibilityMiss(stage)}`);
  if (plan.notes.length > 0) lines.push("", "Notes", ...plan.notes.map((note) => `  - ${note}`));

  lines.push("", "Quota sources");
  for (const quota of Object.values(QUOTAS)) {
    lines.push(`  ${quota.id}: ${quota.name}, ${quota.source} (read ${quota.asOf})${quota.note ? `; ${quota.note}` : ""}`);
  }
  lines.push("", summaryLine(plan, exitCodeOf(plan)));
  return lines;
}

function summaryLine(plan: CapacityPlan, exitCode: number): string {
  const { settings } = plan;
  if (exitCode === EXIT.nPlusOneFails) {
    const failing = plan.scenarios.filter((scenario) => !scenario.fits).map((scenario) => scenario.label);
    return `Result: does NOT fit N+1 (${failing.join("; ")}): see the breaches above, raise the quota (capacity.quotaOverrides once AWS has) or add a cell (exit ${exitCode})`;
  }
  if (exitCode === EXIT.visibilityMissed) {
    const missing = plan.visibility.filter((stage) => !stage.withinObjective).map((stage) => stage.stage);
    const which = missing.length === 1 ? `stage ${missing[0]} misses` : `stages ${missing.join(", ")} miss`;
    return `Result: fits N+1, but ${which} the ${formatSeconds(settings.visibilityObjectiveSeconds)} visibility objective (exit ${exitCode})`;
  }
  return (
    `Result: fits: every cell and region stays under ${settings.utilisationCeilingPercent}% of every limit at peak and after losing any one cell or region, ` +
    `and every stage's expected delay is within ${formatSeconds(settings.visibilityObjectiveSeconds)} (exit ${exitCode})`
  );
}

function bindingText(usage: Usage | undefined): string {
  if (!usage?.checked) return "-";
  const where = usage.cell ? `${usage.cell}${usage.stage ? ` ${usage.stage}` : ""} ` : `${usage.region} `;
  return `${where}${usage.name} ${formatPercent(usage.utilisationPercent!)}`;
}

function usageTable(usages: readonly Usage[], label: (usage: Usage) => string): string[] {
  return table(
    ["LIMIT", "LOAD", "LIMIT VALUE", "USE", "HEADROOM", "FROM"],
    usages.map((usage) => [
      label(usage),
      formatNumber(usage.load),
      usage.limit === undefined ? "not published" : `${formatNumber(usage.limit)} ${usage.unit}`,
      usage.utilisationPercent === undefined ? "-" : `${formatPercent(usage.utilisationPercent)}${usage.overCeiling ? " !" : usage.checked ? "" : " (config)"}`,
      usage.headroomPercent === undefined ? "-" : formatPercent(usage.headroomPercent),
      usage.limit === undefined ? "-" : usage.limitSource === "aws-default" ? "AWS default" : usage.limitSource === "override" ? "override" : "fleet.json",
    ]),
  );
}

/** The cost estimate as a table for people. */
export function formatCost(estimate: CostEstimate): string[] {
  const modes = estimate.modes;
  const rows = costRows(estimate);
  const money = (value: number, cents: boolean) =>
    value === 0 ? "-" : `$${value.toLocaleString("en-US", { minimumFractionDigits: cents ? 3 : 0, maximumFractionDigits: cents ? 3 : 0 })}`;
  const lines = [
    `Cost estimate: ${formatNumber(estimate.averageEventsPerSecond)} events/s on average = ${formatNumber(estimate.eventsPerMonth / 1e6)} million events a month, ` +
      `${estimate.cells} cell${estimate.cells === 1 ? "" : "s"}; ${estimate.pricesRegion} list prices read ${estimate.pricesAsOf}`,
    "",
    ...table(
      ["SERVICE", "ITEM", ...modes.map((mode) => `$/MILLION ${mode.label.toUpperCase()}`), ...modes.map((mode) => `$/MONTH ${mode.label.toUpperCase()}`)],
      [
        ...rows.map((row) => [
          row.service,
          row.fixed ? `${row.item} (fixed)` : row.item,
          ...row.perMillion.map((value) => money(value, true)),
          ...row.perMonth.map((value) => money(value, false)),
        ]),
        ["TOTAL", "", ...modes.map((mode) => money(mode.perMillionEvents, true)), ...modes.map((mode) => money(mode.perMonth, false))],
      ],
    ),
    "",
  ];
  const fifo = modes.find((mode) => mode.mode === "fifo");
  const standard = modes.find((mode) => mode.mode === "standard");
  if (fifo && standard) {
    const perMillion = fifo.perMillionEvents - standard.perMillionEvents;
    const perMonth = fifo.perMonth - standard.perMonth;
    lines.push(
      `Delivery mode: fifo costs ${money(perMillion, true)} per million events more than standard (${money(perMonth, false)} a month): ` +
        "the pipe, the FIFO queue's requests, and consumer batches of 10 instead of 100. It buys per-invoice order.",
    );
  }
  lines.push("", "Assumptions", ...estimate.assumptions.map((text) => `  - ${text}`));
  lines.push("Not included", ...estimate.notIncluded.map((text) => `  - ${text}`));
  lines.push("Price sources", ...[...new Set(Object.values(PRICES).map((price) => price.source))].map((source) => `  - ${source}`));
  return lines;
}

/** Left-aligned text columns, numbers right-aligned. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)));
  const numeric = header.map((_, i) => i > 0 && rows.length > 0 && rows.every((row) => /^[-$∞\d]/.test(row[i] ?? "")));
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [render(header), ...rows.map(render)];
}

if (require.main === module) {
  runCli(() => capacity(process.argv.slice(2), { out: (line) => process.stdout.write(`${line}\n`) }));
}
