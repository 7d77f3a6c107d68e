import { rmSync } from "node:fs";
import path from "node:path";
import { App } from "cdktf";
import { buildFleet } from "./cells/factory";
import { loadFleet } from "./cells/load-fleet";
import { bundleFunction } from "./functions/bundle";

// fleet.json -> zod parse -> FleetConfig -> factory -> stacks -> constructs -> cdktf.out.
// CELLFLEET_CONFIG points at another fleet file (a staging fleet, tests).
const configFile = process.env.CELLFLEET_CONFIG ?? path.join(__dirname, "cells", "fleet.json");

try {
  const fleet = loadFleet(configFile);
  // A valid fleet replaces the previous output whole: no stale stack of a removed cell survives.
  rmSync(process.env.CDKTF_OUTDIR ?? "cdktf.out", { recursive: true, force: true });
  const app = new App();
  buildFleet(app, fleet, { consumer: bundleFunction("stage-consumer") });
  app.synth();
} catch (error) {
  // Config and construct errors name the field at fault; a stack trace would only bury it.
  console.error(error instanceof Error ? error.message : String(error));
  if (process.env.CELLFLEET_DEBUG) console.error(error);
  process.exitCode = 1;
}
