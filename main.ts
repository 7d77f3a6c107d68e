import path from "node:path";
import { App } from "cdktf";
import { buildFleet } from "./cells/factory";
import { FleetConfigError, loadFleet } from "./cells/load-fleet";
import { bundleFunction } from "./functions/bundle";

// fleet.json -> zod parse -> FleetConfig -> factory -> stacks -> constructs.
// CELLFLEET_CONFIG points at another fleet file (tests, staging fleets).
const configFile = process.env.CELLFLEET_CONFIG ?? path.join(__dirname, "cells", "fleet.json");

try {
  const fleet = loadFleet(configFile);
  const app = new App();
  buildFleet(app, fleet, { consumer: bundleFunction("stage-consumer") });
  app.synth();
} catch (error) {
  if (!(error instanceof FleetConfigError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
