import { existsSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { App } from "cdktf";
import { buildFleet } from "./cells/factory";
import { loadFleet } from "./cells/load-fleet";
import { bundleFunctions } from "./functions/bundle";

// fleet.json -> zod parse -> FleetConfig -> factory -> stacks -> constructs -> cdktf.out.
// CELLFLEET_CONFIG points at another fleet file (a staging fleet, tests).
const configFile = process.env.CELLFLEET_CONFIG ?? path.join(__dirname, "cells", "fleet.json");

try {
  const fleet = loadFleet(configFile);
  // A valid fleet replaces the previous output whole: no stale stack of a removed cell survives.
  removePreviousOutput(process.env.CDKTF_OUTDIR ?? "cdktf.out");
  const app = new App();
  buildFleet(app, fleet, bundleFunctions());
  app.synth();
} catch (error) {
  // Config and construct errors name the field at fault; a stack trace would only bury it.
  console.error(error instanceof Error ? error.message : String(error));
  if (process.env.CELLFLEET_DEBUG) console.error(error);
  process.exitCode = 1;
}

/** Deletes a previous synth's output, and nothing that does not look like one. */
function removePreviousOutput(outdir: string): void {
  if (!existsSync(outdir)) return;
  const entries = readdirSync(outdir);
  const looksLikeOutput = entries.length === 0 || entries.includes("manifest.json");
  if (!looksLikeOutput) {
    throw new Error(`refusing to replace ${path.resolve(outdir)}: it is not a previous synth output (no manifest.json)`);
  }
  rmSync(outdir, { recursive: true, force: true });
}
