import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_FLEET_FILE, defaultFleetInput } from "../support/fleet";

// The real entry point (`npm run synth`) as a child process: about 2 s per run, so few runs.
const ROOT = path.join(__dirname, "..", "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");
const STACK_FRAME = /\n\s+at /;
const TIMEOUT = 60_000;

const workDir = mkdtempSync(path.join(os.tmpdir(), "cellfleet-synth-cli-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function synth(configFile: string, outdir: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, CELLFLEET_CONFIG: configFile, CDKTF_OUTDIR: outdir };
  delete env.CELLFLEET_DEBUG; // it prints the stack on purpose
  const run = spawnSync(TSX, ["main.ts"], { cwd: ROOT, env, encoding: "utf8", timeout: TIMEOUT });
  if (run.error) throw run.error;
  return { status: run.status, stderr: run.stderr };
}

/** An invalid fleet with three problems of different kinds, and the lines that must name them. */
function writeInvalidFleet(): { file: string; problems: string[] } {
  const draft = defaultFleetInput() as Record<string, unknown> & { cells: Record<string, unknown>[] };
  draft.cells[1]!.region = "us-est-1";
  draft.logRetentionDays = 2;
  draft.cells[3]!.active = "yes";
  const file = path.join(workDir, "invalid-fleet.json");
  writeFileSync(file, JSON.stringify(draft, null, 2));
  return {
    file,
    problems: [
      'cells[1].region: "us-est-1" is not an AWS region (did you mean "us-east-1"?)',
      "logRetentionDays: 2 is not a retention CloudWatch Logs accepts",
      'cells[3].active: expected boolean, got "yes"',
    ],
  };
}

describe("npm run synth (main.ts)", () => {
  const invalid = writeInvalidFleet();

  it(
    "refuses an invalid fleet: exit code 1, every problem with its path on stderr, no stack, no output directory",
    () => {
      const outdir = path.join(workDir, "out-invalid");

      const { status, stderr } = synth(invalid.file, outdir);

      expect(status).toBe(1);
      expect(stderr).toContain(`${invalid.file} is not a valid fleet:`);
      for (const problem of invalid.problems) expect(stderr).toContain(`  - ${problem}`);
      expect(stderr).not.toMatch(STACK_FRAME);
      expect(existsSync(outdir)).toBe(false);
    },
    TIMEOUT,
  );

  it(
    "leaves the previous output untouched when the fleet is invalid",
    () => {
      const outdir = path.join(workDir, "out-previous");
      const marker = path.join(outdir, "stacks", "cell-use1-a", "cdk.tf.json");
      mkdirSync(path.dirname(marker), { recursive: true });
      writeFileSync(marker, "previous synth");

      const { status } = synth(invalid.file, outdir);

      expect(status).toBe(1);
      expect(readFileSync(marker, "utf8")).toBe("previous synth");
    },
    TIMEOUT,
  );

  it(
    "refuses to replace a directory that is not a previous synth output",
    () => {
      const outdir = path.join(workDir, "not-an-outdir");
      mkdirSync(outdir, { recursive: true });
      writeFileSync(path.join(outdir, "keep.txt"), "precious");

      const { status, stderr } = synth(DEFAULT_FLEET_FILE, outdir);

      expect(status).toBe(1);
      expect(stderr).toContain("is not a previous synth output");
      expect(readFileSync(path.join(outdir, "keep.txt"), "utf8")).toBe("precious");
    },
    TIMEOUT,
  );

  it(
    "synthesizes the default fleet: one stack per cell plus global, replacing any stale stack",
    () => {
      const outdir = path.join(workDir, "out-default");
      const stale = path.join(outdir, "stacks", "cell-removed", "cdk.tf.json");
      mkdirSync(path.dirname(stale), { recursive: true });
      writeFileSync(stale, "{}");
      writeFileSync(path.join(outdir, "manifest.json"), "{}"); // what a previous synth leaves

      const { status, stderr } = synth(DEFAULT_FLEET_FILE, outdir);

      expect(status, stderr).toBe(0);
      expect(readdirSync(path.join(outdir, "stacks")).sort()).toEqual([
        "cell-use1-a",
        "cell-use2-a",
        "cell-usw1-a",
        "cell-usw2-a",
        "global",
        "router",
      ]);
      const stack = (id: string) =>
        JSON.parse(readFileSync(path.join(outdir, "stacks", id, "cdk.tf.json"), "utf8")) as {
          provider: { aws: { region: string }[] };
          terraform: { backend: { s3: { key: string } } };
        };
      for (const [id, region] of [
        ["cell-use1-a", "us-east-1"],
        ["cell-use2-a", "us-east-2"],
        ["cell-usw1-a", "us-west-1"],
        ["cell-usw2-a", "us-west-2"],
        ["global", "us-east-1"],
        ["router", "us-east-1"],
      ] as const) {
        expect(stack(id).provider.aws[0]!.region, id).toBe(region);
        expect(stack(id).terraform.backend.s3.key, id).toBe(`cellfleet/${id}.tfstate`);
      }
    },
    TIMEOUT,
  );
});
