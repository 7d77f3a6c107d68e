import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Testing } from "cdktf";
import { buildFleet, type FleetStacks } from "../../cells/factory";
import type { FleetConfig } from "../../cells/fleet-schema";
import { bundleFunction } from "../../functions/bundle";
import type { FunctionBundle } from "../../stacks/function-code";
import { fleet } from "../support/fleet";

/**
 * Why not `buildTestFleet`: its bundle is `.cache/functions/stage-consumer.zip`, which every
 * test file (and every `npm run synth`) rewrites in place, while a stack hashes that file when it
 * is built. A stack built while another worker rewrites it gets a different asset path, and the
 * byte-for-byte comparisons here fail for no fault of the code under test. These specs bundle
 * into a directory of their own instead (same function, same bytes).
 */
let bundle: FunctionBundle | undefined;
let bundleDir: string | undefined;

/** The stage-consumer bundle, built once per test file into a private directory. */
export function isolatedConsumerBundle(): FunctionBundle {
  if (!bundle) {
    bundleDir = mkdtempSync(path.join(tmpdir(), "cellfleet-bundle-"));
    process.once("exit", () => rmSync(bundleDir!, { recursive: true, force: true }));
    bundle = bundleFunction("stage-consumer", bundleDir);
  }
  return bundle;
}

/** The whole fleet in a test app, built from the private bundle (no output written). */
export function buildIsolatedFleet(config: FleetConfig = fleet()): FleetStacks {
  return buildFleet(Testing.app(), config, { consumer: isolatedConsumerBundle() });
}
