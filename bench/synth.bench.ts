/**
 * `npm run bench`: synth speed of the default fleet and the cost of each added cell.
 * Measured as ratios within one run (the machines are shared and noisy); written to
 * bench/results.json. Not part of the tests.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
const REPEATS = 3;
const REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-northeast-1"];

function fleetWithCells(count: number): string {
  const fleet = JSON.parse(readFileSync(path.join(ROOT, "cells", "fleet.json"), "utf8"));
  fleet.$schema = undefined;
  fleet.cells = Array.from({ length: count }, (_, i) => ({ id: `bench-${i}`, region: REGIONS[i % REGIONS.length] }));
  return JSON.stringify(fleet);
}

/** Median wall time of `tsx main.ts` for a fleet, in seconds (process start to exit). */
function synthSeconds(fleetJson: string | undefined): number {
  const dir = mkdtempSync(path.join(tmpdir(), "cellfleet-bench-"));
  const env: NodeJS.ProcessEnv = { ...process.env, CDKTF_OUTDIR: path.join(dir, "out"), CHECKPOINT_DISABLE: "1" };
  if (fleetJson) {
    env.CELLFLEET_CONFIG = path.join(dir, "fleet.json");
    writeFileSync(env.CELLFLEET_CONFIG, fleetJson);
  }
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const start = process.hrtime.bigint();
    execFileSync(TSX, ["main.ts"], { cwd: ROOT, env, stdio: "ignore" });
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  rmSync(dir, { recursive: true, force: true });
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

const baseline = synthSeconds(fleetWithCells(1));
const defaultFleet = synthSeconds(undefined);
const sixteen = synthSeconds(fleetWithCells(16));
const perCell = (sixteen - baseline) / 15;

const results = {
  measuredAt: new Date().toISOString(),
  node: process.version,
  repeats: REPEATS,
  seconds: { oneCell: baseline, defaultFleet, sixteenCells: sixteen, perAddedCell: perCell },
  ratios: {
    defaultFleetToTarget: defaultFleet / 10,
    perAddedCellToTarget: perCell / 0.3,
    perAddedCellToDefaultFleet: perCell / defaultFleet,
  },
  targets: { defaultFleetSeconds: 10, perAddedCellSeconds: 0.3 },
};
writeFileSync(path.join(ROOT, "bench", "results.json"), `${JSON.stringify(results, null, 2)}\n`);
console.log(`default fleet synth: ${defaultFleet.toFixed(2)} s (target 10 s, ratio ${results.ratios.defaultFleetToTarget.toFixed(2)})`);
console.log(`each added cell:     ${perCell.toFixed(3)} s (target 0.3 s, ratio ${results.ratios.perAddedCellToTarget.toFixed(2)})`);
