import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { App, Lazy, TerraformStack, Token, Tokenization } from "cdktf";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { buildFleet } from "../../cells/factory";
import { FleetStack } from "../../stacks/stack-foundation";
import { setTokenCreationTraces } from "../../stacks/token-traces";
import { fleet, functionBundles } from "../support/fleet";

// The synth leaves out two things stock cdktf does: token creation traces and the preparation
// pass that looks for cross-stack references. Neither may change a byte of the output.

const workDir = mkdtempSync(path.join(os.tmpdir(), "cellfleet-synth-shortcuts-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
  setTokenCreationTraces(false); // as the test setup leaves it (__tests__/setup/synth-speed.ts)
});

/** Synthesizes the default fleet as main.ts does; returns each stack's cdk.tf.json text by stack id. */
function synthDefaultFleet(name: string): Map<string, string> {
  const outdir = path.join(workDir, name);
  const app = new App({ outdir });
  buildFleet(app, fleet(), functionBundles());
  app.synth();
  const stacksDir = path.join(outdir, "stacks");
  return new Map(readdirSync(stacksDir).map((id) => [id, readFileSync(path.join(stacksDir, id, "cdk.tf.json"), "utf8")]));
}

/** The creation trace cdktf keeps on a token (what a "token created at" error would quote). */
function creationTrace(): string[] {
  const token = Lazy.stringValue({ produce: () => "value" });
  return Tokenization.reverseString(token).firstToken!.creationStack;
}

describe("the synth's shortcuts", () => {
  it("write the same Terraform JSON for every stack as stock cdktf (creation traces on, preparation pass run)", () => {
    setTokenCreationTraces(false);
    const fast = synthDefaultFleet("fast");

    setTokenCreationTraces(true);
    const prepare = vi.spyOn(FleetStack.prototype, "prepareStack").mockImplementation(function (this: FleetStack) {
      TerraformStack.prototype.prepareStack.call(this);
    });
    const stock = synthDefaultFleet("stock");

    expect(prepare).toHaveBeenCalledTimes(stock.size);
    expect([...fast.keys()].sort()).toEqual([...stock.keys()].sort());
    expect(fast.size).toBe(fleet().cells.length + 2);
    for (const [id, json] of stock) expect(fast.get(id), id).toBe(json);
  }, 60_000);

  it("turns token creation traces off and back on", () => {
    setTokenCreationTraces(false);
    expect(creationTrace()).toEqual([]);

    setTokenCreationTraces(true);
    const trace = creationTrace();
    expect(trace.length).toBeGreaterThan(0);
    expect(trace.join("\n")).toContain("synth-shortcuts.test.ts");
    expect(Token.isUnresolved(Lazy.stringValue({ produce: () => "value" }))).toBe(true);
  });
});
