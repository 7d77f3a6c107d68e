import { readFileSync } from "node:fs";
import path from "node:path";
import { App, Testing } from "cdktf";
import { buildFleet, type FleetStacks } from "../../cells/factory";
import type { FleetConfig, FleetInput } from "../../cells/fleet-schema";
import { parseFleet } from "../../cells/load-fleet";
import { bundleFunctions, type FunctionBundles } from "../../functions/bundle";
import type { FunctionBundle } from "../../stacks/function-code";

export const DEFAULT_FLEET_FILE = path.join(__dirname, "..", "..", "cells", "fleet.json");

/** The shipped `cells/fleet.json` as raw JSON, to derive variants from. */
export function defaultFleetInput(): FleetInput {
  return JSON.parse(readFileSync(DEFAULT_FLEET_FILE, "utf8")) as FleetInput;
}

/** A validated fleet: the default one with top-level fields replaced. */
export function fleet(overrides: Partial<FleetInput> = {}): FleetConfig {
  return parseFleet(JSON.stringify({ ...defaultFleetInput(), ...overrides }));
}

let bundles: FunctionBundles | undefined;
/** Every function's bundle, built once per test file (as once per synth in main.ts). */
export function functionBundles(): FunctionBundles {
  bundles ??= bundleFunctions();
  return bundles;
}

/** The stage consumer's bundle. */
export function consumerBundle(): FunctionBundle {
  return functionBundles()["stage-consumer"];
}

/** Builds the whole fleet in a test app (no output written). */
export function buildTestFleet(config: FleetConfig = fleet()): FleetStacks {
  return buildFleet(Testing.app(), config, functionBundles());
}

export interface SynthesizedStack {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data: Record<string, Record<string, Record<string, unknown>>>;
  provider: Record<string, unknown>;
  terraform: Record<string, unknown>;
  output?: Record<string, unknown>;
}

/** One stack's Terraform JSON as a string (for cdktf's matchers) and parsed. */
export function synthStack(stack: Parameters<typeof Testing.synth>[0]): { json: string; parsed: SynthesizedStack } {
  const json = Testing.synth(stack);
  return { json, parsed: JSON.parse(json) as SynthesizedStack };
}

export type { App };
