import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildSync } from "esbuild";
import { zipSync } from "fflate";
import type { FunctionBundle } from "../stacks/function-code";

const PROJECT_ROOT = path.resolve(__dirname, "..");

/** Zip entries get this fixed time, so the same sources always give the same bytes. */
const FIXED_MTIME = new Date("2020-01-01T00:00:00Z");

/** The Lambda functions in this repository: name -> entry point. */
export const FUNCTION_ENTRIES = {
  "stage-consumer": "functions/stage-consumer/handler.ts",
} as const;
export type FunctionName = keyof typeof FUNCTION_ENTRIES;

/**
 * Bundles one function with esbuild into a deterministic zip (one `index.js`, fixed entry
 * time) under `.cache/functions/`. Called once per synth; every cell uses the same file.
 */
export function bundleFunction(name: FunctionName, outDir = path.join(PROJECT_ROOT, ".cache", "functions")): FunctionBundle {
  const result = buildSync({
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [FUNCTION_ENTRIES[name]],
    bundle: true,
    platform: "node",
    target: "node24",
    format: "cjs",
    mainFields: ["module", "main"],
    minify: true,
    keepNames: true,
    legalComments: "none",
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0]!.contents;
  const zip = zipSync({ "index.js": [code, { mtime: FIXED_MTIME, level: 9 }] });
  mkdirSync(outDir, { recursive: true });
  const zipPath = path.join(outDir, `${name}.zip`);
  writeFileSync(zipPath, zip);
  return {
    zipPath,
    sha256: createHash("sha256").update(zip).digest("base64"),
    handler: "index.handler",
  };
}
