import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { TerraformStack } from "cdktf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FleetStacks } from "../../cells/factory";
import { FUNCTION_ENTRIES, bundleFunction } from "../../functions/bundle";
import { buildTestFleet, defaultFleetInput, fleet, synthStack, type SynthesizedStack } from "../support/fleet";

const REPO_ROOT = path.join(__dirname, "..", "..");
const config = fleet();
const cellIds = config.cells.map((cell) => cell.id);

const stackIdsOf = (stacks: FleetStacks) =>
  stacks.global.node.scope!.node.children.filter((child) => child instanceof TerraformStack).map((stack) => stack.node.id);

/**
 * A cell's Terraform JSON with its id and region replaced by placeholders, so two cells compare
 * equal exactly when they differ in nothing else. Left out: the backend (checked on its own:
 * its region is the state bucket's, not the cell's) and the API deployment's redeployment hash
 * (a digest of the mapping templates, which are compared in clear).
 */
function normalized(stack: SynthesizedStack, cell: { id: string; region: string }): unknown {
  const copy = structuredClone(stack) as SynthesizedStack;
  delete copy.terraform["backend"];
  for (const deployment of Object.values(copy.resource["aws_api_gateway_deployment"] ?? {})) {
    (deployment["triggers"] as Record<string, string>)["redeployment"] = "<digest of the templates>";
  }
  // The archive hub lives in the control region, the same for every cell.
  const hub = new RegExp(`:events:${config.global.region}:([^:]+):event-bus/cellfleet-archive-hub`, "g");
  return JSON.parse(
    JSON.stringify(copy)
      .replace(hub, ":events:<control region>:$1:event-bus/cellfleet-archive-hub")
      .replaceAll(cell.id, "<cell>")
      .replaceAll(cell.region, "<region>"),
  );
}

describe("the default fleet", () => {
  let stacks: FleetStacks;
  let synthesized: Map<string, { json: string; parsed: SynthesizedStack }>;

  beforeAll(() => {
    stacks = buildTestFleet(config);
    synthesized = new Map([
      ["global", synthStack(stacks.global)],
      ...[...stacks.cells].map(([id, stack]) => [`cell-${id}`, synthStack(stack)] as const),
    ]);
  });

  it("has one cell-<id> stack per configured cell, in config order, plus the global stack", () => {
    expect(stackIdsOf(stacks)).toEqual(["global", ...cellIds.map((id) => `cell-${id}`), "router"]);
    expect([...stacks.cells.keys()]).toEqual(cellIds);
  });

  it("runs the global stack in the control region from config, with its own state key", () => {
    const global = synthesized.get("global")!.parsed;
    expect((global.provider["aws"] as { region: string }[]).map((p) => p.region)).toEqual([config.global.region]);
    expect(global.terraform["backend"]).toEqual({
      s3: { bucket: "cellfleet-terraform-state", region: "us-east-1", key: "cellfleet/global.tfstate", encrypt: true, use_lockfile: true },
    });
  });

  it("gives every stack a state key of its own in the same bucket", () => {
    const backends = [...synthesized.values()].map(({ parsed }) => (parsed.terraform["backend"] as { s3: { key: string; bucket: string } }).s3);
    expect(new Set(backends.map((b) => b.key)).size).toBe(synthesized.size);
    expect(new Set(backends.map((b) => b.bucket))).toEqual(new Set([config.stateBackend.bucket]));
  });

  it("has no cross-stack references: no remote state and no stack dependencies", () => {
    for (const [id, { json }] of synthesized) expect(json, id).not.toContain("terraform_remote_state");
    for (const stack of [stacks.global, ...stacks.cells.values()]) expect(stack.dependencies, stack.node.id).toEqual([]);
  });

  it("runs each cell in its own region", () => {
    for (const cell of config.cells) {
      const provider = synthesized.get(`cell-${cell.id}`)!.parsed.provider["aws"] as { region: string }[];
      expect(provider.map((p) => p.region)).toEqual([cell.region]);
    }
  });

  // usw1-a is the one cell whose store lives in another region (storeRegion): not a twin.
  it.each([
    ["use1-a", "use2-a"],
    ["use1-a", "usw2-a"],
  ])("builds cell %s and cell %s identically except for names and region", (a, b) => {
    const cellA = config.cells.find((cell) => cell.id === a)!;
    const cellB = config.cells.find((cell) => cell.id === b)!;
    const stackA = synthesized.get(`cell-${a}`)!.parsed;
    const stackB = synthesized.get(`cell-${b}`)!.parsed;
    expect(normalized(stackA, cellA)).toEqual(normalized(stackB, cellB));
    // The backends differ in the state key only.
    const backendA = (stackA.terraform["backend"] as { s3: Record<string, unknown> }).s3;
    const backendB = (stackB.terraform["backend"] as { s3: Record<string, unknown> }).s3;
    expect({ ...backendA, key: `cellfleet/cell-${b}.tfstate` }).toEqual(backendB);
  });

  describe("adding a cell to fleet.json", () => {
    let grown: FleetStacks;
    const newCell = { id: "euw1-a", region: "eu-west-1" } as const;

    beforeAll(() => {
      const input = defaultFleetInput();
      grown = buildTestFleet(fleet({ cells: [...input.cells, newCell] }));
    });

    it("adds exactly one stack, cell-<id>", () => {
      expect(stackIdsOf(grown)).toEqual([...stackIdsOf(stacks).filter((id) => id !== "router"), `cell-${newCell.id}`, "router"]);
    });

    it.each(cellIds)("leaves cell-%s byte-identical", (id) => {
      expect(synthStack(grown.cells.get(id)!).json).toBe(synthesized.get(`cell-${id}`)!.json);
    });

    it("builds the new cell like the others, in its own region", () => {
      const added = synthStack(grown.cells.get(newCell.id)!).parsed;
      const reference = synthesized.get("cell-use1-a")!.parsed;
      expect(normalized(added, newCell)).toEqual(normalized(reference, { id: "use1-a", region: "us-east-1" }));
    });
  });
});

describe("synthesis is deterministic", () => {
  const scratch = mkdtempSync(path.join(tmpdir(), "cellfleet-determinism-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** Relative paths of every file under `dir`, sorted. */
  const filesUnder = (dir: string): string[] =>
    readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((entry) => statSync(path.join(dir, entry)).isFile())
      .sort();

  /** Runs the real entry point (`npm run synth`'s command) with its output in `outdir`. */
  const synthInto = (root: string, outdir: string) =>
    execFileSync(path.join(root, "node_modules", ".bin", "tsx"), ["main.ts"], {
      cwd: root,
      env: { ...process.env, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: "1" },
      stdio: "pipe",
      timeout: 90_000,
    });

  it("writes byte-identical output, asset zips included, when main.ts runs twice", () => {
    const root = REPO_ROOT;
    const first = path.join(scratch, "first");
    const second = path.join(scratch, "second");
    synthInto(root, first);
    synthInto(root, second);

    const files = filesUnder(first);
    expect(filesUnder(second)).toEqual(files);
    expect(files).toContain(path.join("stacks", "global", "cdk.tf.json"));
    for (const id of cellIds) expect(files).toContain(path.join("stacks", `cell-${id}`, "cdk.tf.json"));
    const zips = files.filter((file) => file.endsWith(".zip"));
    expect(zips).toHaveLength(cellIds.length * Object.keys(FUNCTION_ENTRIES).length);
    for (const file of files) {
      expect(readFileSync(path.join(second, file)).equals(readFileSync(path.join(first, file))), file).toBe(true);
    }
    // Every cell deploys the very same code for each function.
    for (const name of Object.keys(FUNCTION_ENTRIES)) {
      const copies = zips.filter((file) => path.basename(file).startsWith(`${name}-`));
      expect(copies, name).toHaveLength(cellIds.length);
      const [zip, ...others] = copies.map((file) => readFileSync(path.join(first, file)));
      for (const other of others) expect(other.equals(zip!)).toBe(true);
    }
  });

  it("bundles the consumer to the same bytes and sha256 every time", () => {
    const a = bundleFunction("stage-consumer", path.join(scratch, "bundle-a"));
    const b = bundleFunction("stage-consumer", path.join(scratch, "bundle-b"));
    expect(b.sha256).toBe(a.sha256);
    expect(readFileSync(b.zipPath).equals(readFileSync(a.zipPath))).toBe(true);
  });
});
