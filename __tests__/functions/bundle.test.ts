import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleFunctions, type FunctionBundles } from "../../functions/bundle";

const scratch = mkdtempSync(path.join(os.tmpdir(), "cellfleet-bundle-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const CONSUMER_SOURCE = "functions/stage-consumer/consumer.ts";
const MARKER = "from-the-manifest";

interface Manifest {
  key: string;
  inputs: Record<string, string>;
  bundles: Record<string, { zipPath: string; sha256: string }>;
}

describe("the function bundle's cache", () => {
  const outDir = path.join(scratch, "functions");
  const manifestFile = path.join(outDir, "bundles.json");
  let built: FunctionBundles;
  beforeAll(() => {
    built = bundleFunctions(outDir);
  }, 60_000);

  const manifest = () => JSON.parse(readFileSync(manifestFile, "utf8")) as Manifest;
  /** Edits the manifest and marks the consumer's recorded bundle, so a result taken from the cache shows it. */
  const editManifest = (edit: (m: Manifest) => void) => {
    const m = manifest();
    m.bundles["stage-consumer"]!.sha256 = MARKER;
    edit(m);
    writeFileSync(manifestFile, JSON.stringify(m));
  };

  it("records every file esbuild read, our sources and bundled node_modules, with its content hash", () => {
    const { inputs, bundles } = manifest();
    expect(inputs[CONSUMER_SOURCE]).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(Object.keys(inputs).some((input) => input.startsWith("node_modules/@aws-lambda-powertools/batch/"))).toBe(true);
    expect(bundles).toEqual(JSON.parse(JSON.stringify(built)));
  });

  it("reuses the recorded bundles when nothing it read has changed", () => {
    editManifest(() => {});
    expect(bundleFunctions(outDir)["stage-consumer"].sha256).toBe(MARKER);
  });

  it.each([
    ["a source file changed", (m: Manifest) => void (m.inputs[CONSUMER_SOURCE] = "an older hash")],
    ["the dependencies, tsconfig, esbuild or its options changed (the key)", (m: Manifest) => void (m.key = "an older key")],
    ["a zip is gone", (m: Manifest) => rmSync(m.bundles["pipeline-canary"]!.zipPath)],
  ])("bundles again when %s, to the same bytes", (_case, edit) => {
    editManifest(edit);

    const again = bundleFunctions(outDir);

    expect(again).toEqual(built);
    expect(manifest().inputs[CONSUMER_SOURCE]).toBe(sha256Of(CONSUMER_SOURCE));
  }, 60_000);

  it("bundles again when the manifest is unreadable", () => {
    writeFileSync(manifestFile, "{ not json");
    expect(bundleFunctions(outDir)).toEqual(built);
    expect(manifest().key).toMatch(/^[0-9a-f]{64}$/);
  }, 60_000);
});

/** What a fresh bundle records for a file: the sha256 of its bytes. */
function sha256Of(projectPath: string): string {
  return createHash("sha256").update(readFileSync(path.join(__dirname, "..", "..", projectPath))).digest("base64");
}
