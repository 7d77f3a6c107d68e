import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildSync } from "esbuild";
import { zipSync } from "fflate";
import type { FunctionBundle } from "../stacks/function-code";

const PROJECT_ROOT = path.resolve(__dirname, "..");
const DEFAULT_OUT_DIR = path.join(PROJECT_ROOT, ".cache", "functions");

/** Zip entries get this fixed time, so the same sources always give the same bytes. */
const FIXED_MTIME = new Date("2020-01-01T00:00:00Z");

/** The Lambda functions in this repository: name -> entry point. */
export const FUNCTION_ENTRIES = {
  "stage-consumer": "functions/stage-consumer/handler.ts",
  "stuck-invoice-detector": "functions/stuck-invoice-detector/handler.ts",
  "pipeline-canary": "functions/pipeline-canary/handler.ts",
} as const;
export type FunctionName = keyof typeof FUNCTION_ENTRIES;
export type FunctionBundles = Readonly<Record<FunctionName, FunctionBundle>>;

/**
 * Bundles every function with one esbuild run into deterministic zips (one `index.js` each,
 * fixed entry time) under `.cache/functions/`, named by content. Called once per synth; every
 * cell uses the same files.
 */
export function bundleFunctions(outDir = DEFAULT_OUT_DIR): FunctionBundles {
  const names = Object.keys(FUNCTION_ENTRIES) as FunctionName[];
  const result = buildSync({
    absWorkingDir: PROJECT_ROOT,
    entryPoints: Object.fromEntries(names.map((name) => [name, FUNCTION_ENTRIES[name]])),
    outdir: "bundle",
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
  const byName = new Map(result.outputFiles.map((file) => [path.basename(file.path, ".js"), file.contents]));
  return Object.fromEntries(names.map((name) => [name, writeZip(name, byName.get(name)!, outDir)])) as FunctionBundles;
}

/** One function's bundle (tests and tools that need a single one). */
export function bundleFunction(name: FunctionName, outDir = DEFAULT_OUT_DIR): FunctionBundle {
  return bundleFunctions(outDir)[name];
}

function writeZip(name: string, code: Uint8Array, outDir: string): FunctionBundle {
  const zip = zipSync({ "index.js": [code, { mtime: FIXED_MTIME, level: 9 }] });
  const digest = createHash("sha256").update(zip);
  const sha256 = digest.copy().digest("base64");
  // Content-addressed and written atomically: a concurrent synth never reads a half-written zip.
  const zipPath = path.join(outDir, `${name}-${digest.digest("hex").slice(0, 16)}.zip`);
  if (!existsSync(zipPath)) {
    mkdirSync(outDir, { recursive: true });
    const partial = `${zipPath}.${process.pid}.tmp`;
    writeFileSync(partial, zip);
    renameSync(partial, zipPath);
  }
  return { zipPath, sha256, handler: "index.handler" };
}
