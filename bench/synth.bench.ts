/**
 * `npm run bench`: the issue's benchmarks, as ratios measured in one run (the machines are
 * shared and noisy), written to bench/results.json. Not part of the tests.
 *
 * 1. Synth: generated fleets of 1, 4, 16, 64 and 100 cells through `tsx main.ts`, each next to
 *    a floor app (bench/floor-app.ts) with the same stacks, the same number of resources per
 *    stack (of one trivial type) and the same provider modules loaded. Wall time, CPU time and
 *    peak RSS of each, time per added cell, real / floor ratios. Plus the shipped fleet.json.
 * 2. Consumer: bench/consumer.bench.ts, pinned to one core when `taskset` exists.
 *
 * Options: --sizes 1,4,16 (subset of fleet sizes), --no-consumer, --no-synth, --no-diagnostics
 * (skip the 16-cell token-trace diagnostic), --dry (do not write bench/results.json).
 *
 * The warm-up synth leaves the function bundle cached (functions/bundle.ts), as a developer's
 * second synth finds it: measured synths skip esbuild. A cold bundle adds ~0.6 s to any size.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ConsumerBenchResult } from "./consumer.bench";
import type { FloorShape } from "./floor-app";

const ROOT = path.resolve(__dirname, "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
const PRELOAD = path.join(__dirname, "measure-preload.cjs");
const RESULTS = path.join(__dirname, "results.json");

/** Regions that offer both EventBridge Pipes and Timestream (no storeRegion needed). */
const REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1", "ap-southeast-2", "ap-south-1"];
const DEFAULT_SIZES = [1, 4, 16, 64, 100];
/** Real synths: median of 3 for small fleets, one run for the big ones (slow, steadier). */
const repeatsFor = (cells: number) => (cells <= 16 ? 3 : 1);
/** Floor synths are quick (and short runs are the noisiest): always median of 3. */
const FLOOR_REPEATS = 3;

const TARGETS = {
  synth100WallSeconds: 20,
  synth100PeakRssBytes: 2e9,
  synthOverheadRatio: 1.5,
  consumerRatio: 2,
  // Earlier targets, still shown in the README.
  defaultFleetWallSeconds: 10,
  perAddedCellSeconds: 0.3,
};

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const SIZES = option("--sizes")?.split(",").map(Number) ?? DEFAULT_SIZES;

const log = (message: string) => process.stderr.write(`${message}\n`);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const round = (value: number, digits = 3) => Number(value.toFixed(digits));
const mb = (kb: number) => round(kb / 1024, 0);

// ---- one measured synth ------------------------------------------------------------------

interface Run {
  wallSeconds: number;
  /** CPU seconds of the node processes (tsx launcher + app). */
  cpuSeconds: number;
  /** Peak RSS of the largest node process (the app; esbuild's own process is not counted). */
  peakRssKb: number;
  providerModules: string[];
}

function measuredSynth(script: string, env: NodeJS.ProcessEnv, workDir: string): Run {
  const measureFile = path.join(workDir, `measure-${process.hrtime.bigint()}.jsonl`);
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    ...env,
    CHECKPOINT_DISABLE: "1",
    BENCH_MEASURE_FILE: measureFile,
    NODE_OPTIONS: [process.env.NODE_OPTIONS, `--require ${PRELOAD}`].filter(Boolean).join(" "),
  };
  const start = process.hrtime.bigint();
  const child = spawnSync(TSX, [script], { cwd: ROOT, env: childEnv, stdio: ["ignore", "ignore", "pipe"], maxBuffer: 64 << 20 });
  const wallSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (child.status !== 0) throw new Error(`${script} failed (exit ${child.status}):\n${child.stderr.toString()}`);
  const lines = readFileSync(measureFile, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { maxRssKb: number; cpuSeconds: number; providerModules: string[] });
  rmSync(measureFile, { force: true });
  return {
    wallSeconds,
    cpuSeconds: lines.reduce((sum, line) => sum + line.cpuSeconds, 0),
    peakRssKb: Math.max(...lines.map((line) => line.maxRssKb)),
    providerModules: lines.flatMap((line) => line.providerModules),
  };
}

function fleetWithCells(count: number): string {
  const fleet = JSON.parse(readFileSync(path.join(ROOT, "cells", "fleet.json"), "utf8"));
  delete fleet.$schema;
  fleet.tenants = {};
  fleet.cells = Array.from({ length: count }, (_, i) => ({ id: `b${i}`, region: REGIONS[i % REGIONS.length] }));
  return JSON.stringify(fleet, null, 2);
}

/** Stacks, regions and block counts (resources + data sources) of a real synth's output. */
function shapeOf(outdir: string, providerModules: string[]): FloorShape {
  const stacksDir = path.join(outdir, "stacks");
  const count = (blocks: Record<string, Record<string, unknown>> | undefined) =>
    Object.values(blocks ?? {}).reduce((sum, byName) => sum + Object.keys(byName).length, 0);
  const stacks = readdirSync(stacksDir).map((id) => {
    const json = JSON.parse(readFileSync(path.join(stacksDir, id, "cdk.tf.json"), "utf8"));
    return {
      id,
      region: (json.provider?.aws?.[0]?.region as string | undefined) ?? "us-east-1",
      resources: count(json.resource) + count(json.data),
      outputs: Object.keys(json.output ?? {}).length,
    };
  });
  return { providerModules: [...new Set(providerModules)].sort(), stacks };
}

interface SideResult {
  wallSeconds: number;
  wallSecondsAll: number[];
  cpuSeconds: number;
  /** Median over the repeats of each run's peak. */
  peakRssMb: number;
  peakRssMbAll: number[];
}

interface SizeResult {
  cells: number;
  /** The shipped cells/fleet.json, or a generated fleet of `cells` cells. */
  config: "cells/fleet.json" | "generated";
  /** Real synths (median); the floor always runs FLOOR_REPEATS times. */
  repeats: number;
  stacks: number;
  /** Resources + data sources over every stack. */
  blocks: number;
  /** @cdktf/provider-aws modules loaded by the real app (and by the floor). */
  providerModules: number;
  /** Size of every stack's cdk.tf.json: real resources carry far more than the floor's. */
  stackJsonMb: { real: number; floor: number };
  real: SideResult;
  floor: SideResult;
  /** real / floor, wall time (the target) and CPU time (steadier on a busy machine). */
  ratioWall: number;
  ratioCpu: number;
}

const side = (runs: Run[]): SideResult => ({
  wallSeconds: round(median(runs.map((r) => r.wallSeconds))),
  wallSecondsAll: runs.map((r) => round(r.wallSeconds)),
  cpuSeconds: round(median(runs.map((r) => r.cpuSeconds))),
  peakRssMb: mb(median(runs.map((r) => r.peakRssKb))),
  peakRssMbAll: runs.map((r) => mb(r.peakRssKb)),
});

/** Real and floor synths of one fleet, alternated so that machine noise hits both. */
function benchSize(cells: number | "default", extraEnv: NodeJS.ProcessEnv = {}): SizeResult {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cellfleet-bench-"));
  try {
    const label = cells === "default" ? "cells/fleet.json" : `${cells} cell${cells === 1 ? "" : "s"}`;
    const repeats = repeatsFor(cells === "default" ? 4 : cells);
    const realEnv: NodeJS.ProcessEnv = { ...extraEnv, CDKTF_OUTDIR: path.join(dir, "real.out") };
    if (cells !== "default") {
      realEnv.CELLFLEET_CONFIG = path.join(dir, "fleet.json");
      writeFileSync(realEnv.CELLFLEET_CONFIG, fleetWithCells(cells));
    }
    const floorEnv: NodeJS.ProcessEnv = { ...extraEnv, CDKTF_OUTDIR: path.join(dir, "floor.out"), FLOOR_SHAPE: path.join(dir, "shape.json") };

    const real: Run[] = [];
    const floor: Run[] = [];
    let shape: FloorShape | undefined;
    const outputMb = { real: 0, floor: 0 };
    for (let i = 0; i < Math.max(repeats, FLOOR_REPEATS); i++) {
      if (i >= repeats) {
        floor.push(measuredSynth("bench/floor-app.ts", floorEnv, dir));
        log(`  ${label}, floor run ${i + 1}/${FLOOR_REPEATS}: ${floor[i]!.wallSeconds.toFixed(2)} s ${mb(floor[i]!.peakRssKb)} MB`);
        continue;
      }
      real.push(measuredSynth("main.ts", realEnv, dir));
      if (!shape) {
        shape = shapeOf(realEnv.CDKTF_OUTDIR!, real[0]!.providerModules);
        writeFileSync(floorEnv.FLOOR_SHAPE!, JSON.stringify(shape));
        outputMb.real = stackJsonMb(realEnv.CDKTF_OUTDIR!);
      }
      floor.push(measuredSynth("bench/floor-app.ts", floorEnv, dir));
      if (i === 0) outputMb.floor = stackJsonMb(floorEnv.CDKTF_OUTDIR!);
      log(
        `  ${label}, run ${i + 1}/${Math.max(repeats, FLOOR_REPEATS)}: real ${real[i]!.wallSeconds.toFixed(2)} s ${mb(real[i]!.peakRssKb)} MB, ` +
          `floor ${floor[i]!.wallSeconds.toFixed(2)} s ${mb(floor[i]!.peakRssKb)} MB`,
      );
    }
    const realSide = side(real);
    const floorSide = side(floor);
    return {
      cells: cells === "default" ? shape!.stacks.length - 2 : cells,
      config: cells === "default" ? "cells/fleet.json" : "generated",
      repeats,
      stacks: shape!.stacks.length,
      blocks: shape!.stacks.reduce((sum, s) => sum + s.resources, 0),
      providerModules: shape!.providerModules.length,
      stackJsonMb: outputMb,
      real: realSide,
      floor: floorSide,
      ratioWall: round(realSide.wallSeconds / floorSide.wallSeconds),
      ratioCpu: round(realSide.cpuSeconds / floorSide.cpuSeconds),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function stackJsonMb(outdir: string): number {
  const stacksDir = path.join(outdir, "stacks");
  const bytes = readdirSync(stacksDir).reduce((sum, id) => sum + statSync(path.join(stacksDir, id, "cdk.tf.json")).size, 0);
  return round(bytes / 2 ** 20, 2);
}

/** Seconds and MB per added cell between consecutive sizes, and a least-squares fit. */
function perAddedCell(sizes: SizeResult[], pick: (s: SizeResult) => SideResult) {
  const steps = sizes.slice(1).map((s, i) => {
    const prev = sizes[i]!;
    const added = s.cells - prev.cells;
    return {
      from: prev.cells,
      to: s.cells,
      seconds: round((pick(s).wallSeconds - pick(prev).wallSeconds) / added),
      peakRssMb: round((pick(s).peakRssMb - pick(prev).peakRssMb) / added, 1),
    };
  });
  const xs = sizes.map((s) => s.cells);
  const ys = sizes.map((s) => pick(s).wallSeconds);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  const fitSeconds = sxx === 0 ? Number.NaN : xs.reduce((a, x, i) => a + (x - mx) * (ys[i]! - my), 0) / sxx;
  return { steps, fitSeconds: round(fitSeconds), fitInterceptSeconds: round(my - fitSeconds * mx) };
}

// ---- consumer ----------------------------------------------------------------------------

function hasTaskset(): boolean {
  try {
    execFileSync("taskset", ["-p", String(process.pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function runConsumer(): ConsumerBenchResult & { pinnedToCore: number | null } {
  const core = os.cpus().length - 1;
  const pinned = hasTaskset();
  const command = pinned ? "taskset" : TSX;
  const commandArgs = [...(pinned ? ["-c", String(core), TSX] : []), "bench/consumer.bench.ts", "--json"];
  log(`consumer: 2 cases x 5 rounds of 2 s${pinned ? `, pinned to core ${core}` : " (taskset missing: not pinned)"}`);
  const child = spawnSync(command, commandArgs, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"], maxBuffer: 16 << 20 });
  if (child.status !== 0) throw new Error(`consumer bench failed (exit ${child.status})`);
  const lastLine = child.stdout.toString().trim().split("\n").pop()!;
  return { ...(JSON.parse(lastLine) as ConsumerBenchResult), pinnedToCore: pinned ? core : null };
}

// ---- main --------------------------------------------------------------------------------

interface TargetRow {
  name: string;
  target: string;
  measured: string;
  pass: boolean;
}

function main(): void {
  const startedAt = new Date();
  const machine = {
    node: process.version,
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    totalMemoryGb: round(os.totalmem() / 2 ** 30, 1),
    platform: `${os.platform()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((l) => round(l, 2)),
  };
  log(`cellfleet bench on ${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}, load ${machine.loadAverageAtStart.join(" ")}`);

  let synth: Record<string, unknown> | undefined;
  const rows: TargetRow[] = [];
  const sizes: SizeResult[] = [];

  if (!flag("--no-synth")) {
    // Warm-up, unmeasured: the function bundle cache, tsx's transpile cache, the disk cache.
    log("synth: warm-up");
    benchSizeQuiet(1);
    log("synth: shipped cells/fleet.json");
    const defaultFleet = benchSize("default");
    for (const cells of SIZES) {
      log(`synth: ${cells} cell${cells === 1 ? "" : "s"} (real x${repeatsFor(cells)}, floor x${FLOOR_REPEATS})`);
      sizes.push(benchSize(cells));
    }
    // Diagnostic: the same 16-cell synths with cdktf's token creation traces on (its default,
    // with source maps), to show what turning them off saves (stacks/token-traces.ts).
    let withTokenTraces: SizeResult | undefined;
    if (SIZES.includes(16) && !flag("--no-diagnostics")) {
      log("synth diagnostic: 16 cells with token creation traces on");
      withTokenTraces = benchSize(16, { CELLFLEET_TOKEN_TRACES: "1" });
    }
    const realPerCell = perAddedCell(sizes, (s) => s.real);
    const floorPerCell = perAddedCell(sizes, (s) => s.floor);
    synth = {
      method:
        "wall time of `tsx <app>` from spawn to exit, median of the repeats (real: 3 up to 16 cells, else 1; floor: 3); " +
        "peak RSS of the app's node process (process.resourceUsage().maxRSS via a --require preload), median of the repeats; floor = bench/floor-app.ts with the same stacks, " +
        "the same resource + data-source count per stack (all SsmParameter) and the same provider modules loaded",
      defaultFleet,
      sizes,
      perAddedCell: {
        real: realPerCell,
        floor: floorPerCell,
        ratioOfFits: round(realPerCell.fitSeconds / floorPerCell.fitSeconds),
      },
      diagnostics: withTokenTraces && {
        sixteenCellsWithTokenTraces: withTokenTraces,
        realSecondsAddedByTokenTraces: round(
          withTokenTraces.real.wallSeconds - (sizes.find((s) => s.cells === 16)?.real.wallSeconds ?? Number.NaN),
        ),
      },
    };

    const largest = sizes.find((s) => s.cells === 100);
    if (largest) {
      rows.push({
        name: "synth 100 cells, wall time",
        target: `< ${TARGETS.synth100WallSeconds} s`,
        measured: `${largest.real.wallSeconds.toFixed(1)} s`,
        pass: largest.real.wallSeconds < TARGETS.synth100WallSeconds,
      });
      rows.push({
        name: "synth 100 cells, peak RSS",
        target: `< ${TARGETS.synth100PeakRssBytes / 1e9} GB`,
        measured: `${((largest.real.peakRssMb * 2 ** 20) / 1e9).toFixed(2)} GB`,
        pass: largest.real.peakRssMb * 2 ** 20 < TARGETS.synth100PeakRssBytes,
      });
    }
    const worst = sizes.reduce((a, b) => (b.ratioWall > a.ratioWall ? b : a));
    rows.push({
      name: "synth overhead vs floor (worst size)",
      target: `<= ${TARGETS.synthOverheadRatio}x`,
      measured: `${worst.ratioWall.toFixed(2)}x at ${worst.cells} cells`,
      pass: worst.ratioWall <= TARGETS.synthOverheadRatio,
    });
    rows.push({
      name: "synth shipped fleet.json (4 cells)",
      target: `< ${TARGETS.defaultFleetWallSeconds} s`,
      measured: `${defaultFleet.real.wallSeconds.toFixed(2)} s`,
      pass: defaultFleet.real.wallSeconds < TARGETS.defaultFleetWallSeconds,
    });
    rows.push({
      name: "synth time per added cell (fit)",
      target: `< ${TARGETS.perAddedCellSeconds} s`,
      measured: `${realPerCell.fitSeconds.toFixed(3)} s`,
      pass: realPerCell.fitSeconds < TARGETS.perAddedCellSeconds,
    });
  }

  let consumer: ReturnType<typeof runConsumer> | undefined;
  if (!flag("--no-consumer")) {
    consumer = runConsumer();
    for (const c of consumer.cases) {
      rows.push({
        name: `consumer ${c.mode}, batches of ${c.batchSize}`,
        target: `<= ${TARGETS.consumerRatio}x floor`,
        measured: `${c.ratio.toFixed(2)}x (${Math.round(c.handlerEventsPerSecond)} vs ${Math.round(c.floorEventsPerSecond)} events/s)`,
        pass: c.ratio <= TARGETS.consumerRatio,
      });
    }
  }

  // ---- report ----
  if (sizes.length > 0) {
    console.log("\nsynth (median wall time; peak RSS of the app process)");
    console.log("cells  stacks  blocks |  real s   real MB |  floor s  floor MB | ratio wall  cpu | tf.json MB real/floor | s per tf.json MB real/floor");
    const all = synth ? [synth.defaultFleet as SizeResult, ...sizes] : sizes;
    for (const s of all) {
      console.log(
        `${(s.config === "generated" ? String(s.cells) : "fleet").padStart(5)}  ${String(s.stacks).padStart(6)}  ${String(s.blocks).padStart(6)} | ` +
          `${s.real.wallSeconds.toFixed(2).padStart(6)}  ${String(s.real.peakRssMb).padStart(8)} | ` +
          `${s.floor.wallSeconds.toFixed(2).padStart(7)}  ${String(s.floor.peakRssMb).padStart(8)} | ` +
          `${s.ratioWall.toFixed(2).padStart(10)}  ${s.ratioCpu.toFixed(2).padStart(4)} | ${`${s.stackJsonMb.real} / ${s.stackJsonMb.floor}`.padEnd(20)} | ` +
          `${(s.real.wallSeconds / s.stackJsonMb.real).toFixed(2)} / ${(s.floor.wallSeconds / s.stackJsonMb.floor).toFixed(2)}`,
      );
    }
    const per = synth!.perAddedCell as { real: ReturnType<typeof perAddedCell>; floor: ReturnType<typeof perAddedCell>; ratioOfFits: number };
    console.log("\nper added cell (real / floor):");
    for (const [i, step] of per.real.steps.entries()) {
      const f = per.floor.steps[i]!;
      console.log(`  ${step.from} -> ${step.to}: ${step.seconds.toFixed(3)} s / ${f.seconds.toFixed(3)} s, ${step.peakRssMb} MB / ${f.peakRssMb} MB`);
    }
    console.log(`  least-squares fit: ${per.real.fitSeconds.toFixed(3)} s / ${per.floor.fitSeconds.toFixed(3)} s (ratio ${per.ratioOfFits.toFixed(2)})`);
    const diag = synth!.diagnostics as { sixteenCellsWithTokenTraces: SizeResult; realSecondsAddedByTokenTraces: number } | undefined;
    if (diag) {
      const d = diag.sixteenCellsWithTokenTraces;
      console.log(
        `\ndiagnostic, 16 cells with token creation traces on (cdktf's default): real ${d.real.wallSeconds.toFixed(2)} s ` +
          `(${diag.realSecondsAddedByTokenTraces.toFixed(2)} s more), floor ${d.floor.wallSeconds.toFixed(2)} s, ratio ${d.ratioWall.toFixed(2)}`,
      );
    }
  }
  if (consumer) {
    console.log(`\nconsumer (events/s on one core${consumer.pinnedToCore === null ? ", not pinned" : ""}; median of ${consumer.rounds} rounds)`);
    for (const c of consumer.cases) {
      console.log(
        `  ${c.mode.padEnd(8)} x${String(c.batchSize).padEnd(3)}: handler ${Math.round(c.handlerEventsPerSecond)}, floor ${Math.round(c.floorEventsPerSecond)}, ` +
          `ratio ${c.ratio.toFixed(2)}; WriteRecords calls/batch ${c.writeCallsPerBatch}; ` +
          `null sink (no SDK) ${Math.round(c.nullSinkEventsPerSecond)}, ratio ${c.nullSinkRatio.toFixed(2)}; ` +
          `SDK ~${Math.round(c.sdkMicrosPerWriteCall)} us per WriteRecords call`,
      );
    }
  }
  console.log("\ntargets");
  for (const row of rows) {
    console.log(`  ${row.pass ? "PASS" : "FAIL"}  ${row.name.padEnd(38)} ${row.target.padEnd(14)} ${row.measured}`);
  }

  const results = {
    measuredAt: startedAt.toISOString(),
    durationSeconds: round((Date.now() - startedAt.getTime()) / 1000, 1),
    machine,
    targets: rows,
    synth,
    consumer,
  };
  if (!flag("--dry")) {
    writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\nwritten to ${path.relative(ROOT, RESULTS)} in ${results.durationSeconds} s`);
  }
}

function benchSizeQuiet(cells: number): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), "cellfleet-bench-"));
  try {
    const config = path.join(dir, "fleet.json");
    writeFileSync(config, fleetWithCells(cells));
    const run = measuredSynth("main.ts", { CELLFLEET_CONFIG: config, CDKTF_OUTDIR: path.join(dir, "out") }, dir);
    const shapeFile = path.join(dir, "shape.json");
    writeFileSync(shapeFile, JSON.stringify(shapeOf(path.join(dir, "out"), run.providerModules)));
    measuredSynth("bench/floor-app.ts", { FLOOR_SHAPE: shapeFile, CDKTF_OUTDIR: path.join(dir, "floor.out") }, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (!existsSync(TSX)) {
  console.error(`missing ${TSX}: run npm ci first`);
  process.exit(1);
}
mkdirSync(path.dirname(RESULTS), { recursive: true });
main();
