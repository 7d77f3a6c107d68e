import { existsSync, readdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { App } from "cdktf";
import { capacityWarnings } from "./cells/capacity";
import { buildFleet } from "./cells/factory";
import { loadFleet } from "./cells/load-fleet";
import { bundleFunctions } from "./functions/bundle";
import { setTokenCreationTraces } from "./stacks/token-traces";

// cdktf records a stack trace for every token it creates, for an error that quotes it: a third of
// a synth (stacks/token-traces.ts). CELLFLEET_TOKEN_TRACES=1 keeps them, with source maps (tsx
// turns them on; mapping every trace costs another sixth) for a readable one.
const tokenTraces = process.env.CELLFLEET_TOKEN_TRACES === "1";
setTokenCreationTraces(tokenTraces);
process.setSourceMapsEnabled(tokenTraces);

// fleet.json -> zod parse -> FleetConfig -> factory -> stacks -> constructs -> cdktf.out.
// CELLFLEET_CONFIG points at another fleet file (a staging fleet, tests).
const configFile = process.env.CELLFLEET_CONFIG ?? path.join(__dirname, "cells", "fleet.json");
const outdir = process.env.CDKTF_OUTDIR ?? "cdktf.out";
const partial = `${outdir}.partial-${process.pid}`;

try {
  const fleet = loadFleet(configFile);
  // Capacity problems warn (npm run capacity explains them); they do not stop a synth.
  for (const warning of capacityWarnings(fleet)) console.warn(`warning: ${warning}`);
  assertReplaceable(outdir);
  // Synthesize beside the output, then swap: a failure leaves the previous output untouched,
  // and a success leaves no stale stack of a removed cell.
  const app = new App({ outdir: partial });
  buildFleet(app, fleet, bundleFunctions());
  app.synth();
  rmSync(outdir, { recursive: true, force: true });
  renameSync(partial, outdir);
} catch (error) {
  rmSync(partial, { recursive: true, force: true });
  // Config and construct errors name the field at fault; a stack trace would only bury it.
  console.error(error instanceof Error ? error.message : String(error));
  if (process.env.CELLFLEET_DEBUG) console.error(error);
  process.exitCode = 1;
}

/** Refuses to replace a directory that is not a previous synth's output. */
function assertReplaceable(dir: string): void {
  if (!existsSync(dir)) return;
  const entries = readdirSync(dir);
  if (entries.length > 0 && !entries.includes("manifest.json")) {
    throw new Error(`refusing to replace ${path.resolve(dir)}: it is not a previous synth output (no manifest.json)`);
  }
}
