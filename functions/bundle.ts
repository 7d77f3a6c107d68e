import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
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
 * time) under `.cache/functions/`, named by its content. Called once per synth; every cell
 * uses the same file.
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
