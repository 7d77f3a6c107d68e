import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildSync, version as esbuildVersion, type BuildOptions } from "esbuild";
import { zipSync } from "fflate";
import type { FunctionBundle } from "../stacks/function-code";

const PROJECT_ROOT = path.resolve(__dirname, "..");
const DEFAULT_OUT_DIR = path.join(PROJECT_ROOT, ".cache", "functions");
/** What the last bundle read and wrote, to skip the next one when nothing it read has changed. */
const MANIFEST = "bundles.json";

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
const FUNCTION_NAMES = Object.keys(FUNCTION_ENTRIES) as FunctionName[];

const BUILD_OPTIONS = {
  absWorkingDir: PROJECT_ROOT,
  entryPoints: FUNCTION_ENTRIES,
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
  metafile: true,
} as const satisfies BuildOptions;

/**
 * Bundles every function with one esbuild run into deterministic zips (one `index.js` each,
 * fixed entry time) under `.cache/functions/`, named by content. Called once per synth; every
 * cell uses the same files.
 *
 * The bundle (esbuild plus zipping, ~0.6 s) is skipped when nothing it depends on changed: the
 * manifest beside the zips records the content hash of every file esbuild read (our sources and
 * each module of node_modules it bundled), under a key made of esbuild's version, the build
 * options, package-lock.json and tsconfig.json. Checking it hashes ~1,000 files (~2.5 MB, ~15 ms).
 * Not seen: a new file that changes how an unchanged import resolves (`x.ts` beside `x/index.ts`);
 * deleting `.cache/functions` forces a fresh bundle.
 */
export function bundleFunctions(outDir = DEFAULT_OUT_DIR): FunctionBundles {
  const key = cacheKey();
  const cached = cachedBundles(outDir, key);
  if (cached) return cached;

  const result = buildSync(BUILD_OPTIONS);
  const byName = new Map(result.outputFiles.map((file) => [path.basename(file.path, ".js"), file.contents]));
  const bundles = Object.fromEntries(FUNCTION_NAMES.map((name) => [name, writeZip(name, byName.get(name)!, outDir)])) as FunctionBundles;
  const inputs = Object.fromEntries(Object.keys(result.metafile.inputs).map((input) => [input, fileHash(input)]));
  writeAtomically(path.join(outDir, MANIFEST), JSON.stringify({ key, inputs, bundles } satisfies Manifest, null, 1));
  return bundles;
}

/** One function's bundle (tests and tools that need a single one). */
export function bundleFunction(name: FunctionName, outDir = DEFAULT_OUT_DIR): FunctionBundle {
  return bundleFunctions(outDir)[name];
}

interface Manifest {
  key: string;
  /** Every file esbuild read, relative to the project root -> its content hash. */
  inputs: Record<string, string>;
  bundles: FunctionBundles;
}

function cacheKey(): string {
  const hash = createHash("sha256").update(JSON.stringify({ esbuildVersion, BUILD_OPTIONS }));
  for (const file of ["package-lock.json", "tsconfig.json"]) hash.update(fileHash(file));
  return hash.digest("hex");
}

/** The bundles the manifest records, if its key matches and every input and zip is unchanged. */
function cachedBundles(outDir: string, key: string): FunctionBundles | undefined {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(outDir, MANIFEST), "utf8")) as Manifest;
  } catch {
    return undefined; // no manifest yet, or an unreadable one: bundle
  }
  if (manifest.key !== key || FUNCTION_NAMES.some((name) => !existsSync(manifest.bundles?.[name]?.zipPath ?? ""))) return undefined;
  const unchanged = Object.entries(manifest.inputs).every(([input, hash]) => fileHash(input) === hash);
  return unchanged ? manifest.bundles : undefined;
}

function fileHash(projectPath: string): string {
  try {
    return createHash("sha256").update(readFileSync(path.join(PROJECT_ROOT, projectPath))).digest("base64");
  } catch {
    return "missing";
  }
}

function writeZip(name: string, code: Uint8Array, outDir: string): FunctionBundle {
  const zip = zipSync({ "index.js": [code, { mtime: FIXED_MTIME, level: 9 }] });
  const digest = createHash("sha256").update(zip);
  const sha256 = digest.copy().digest("base64");
  // Content-addressed: a concurrent synth never reads a half-written zip.
  const zipPath = path.join(outDir, `${name}-${digest.digest("hex").slice(0, 16)}.zip`);
  if (!existsSync(zipPath)) writeAtomically(zipPath, zip);
  return { zipPath, sha256, handler: "index.handler" };
}

function writeAtomically(file: string, content: string | Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, content);
  renameSync(partial, file);
}
