/**
 * The synth benchmark's floor: a cdktf app with the same stacks (ids, regions, S3 backend, one
 * AwsProvider each) and the same number of resources per stack as a real synth of the same
 * fleet, every resource of one trivial type (SsmParameter), after loading the same
 * @cdktf/provider-aws modules the real app loads. Whatever the real app costs beyond this is
 * our code: config parsing, the function bundle, constructs, aspects, real resource bodies.
 *
 * Input: $FLOOR_SHAPE (JSON written by synth.bench.ts), output: $CDKTF_OUTDIR, swapped into
 * place like main.ts does.
 */
import { readFileSync, renameSync, rmSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { App, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";

export interface FloorShape {
  /** Absolute paths of the provider modules the real app loaded. */
  providerModules: string[];
  stacks: { id: string; region: string; resources: number; outputs: number }[];
}

// This app's allocations all come from a few sites (one resource type), and V8's allocation-site
// pretenuring sometimes (at random, per process) decides early to tenure them: the old space
// then fills with garbage, and the same floor takes ~1.8x the time and ~2.3x the memory (seen
// at 64 cells in 2 of 3 runs). The real app does not show this. A floor is the least the shape
// can cost, so the floor opts out of that heuristic.
setFlagsFromString("--no-allocation-site-pretenuring");

const shape = JSON.parse(readFileSync(process.env.FLOOR_SHAPE ?? "", "utf8")) as FloorShape;
const outdir = process.env.CDKTF_OUTDIR ?? "cdktf.out";
const partial = `${outdir}.partial-${process.pid}`;

// Pay the same module-load cost as the real app.
for (const modulePath of shape.providerModules) require(modulePath);

const app = new App({ outdir: partial });
for (const spec of shape.stacks) {
  const stack = new TerraformStack(app, spec.id);
  new S3Backend(stack, { bucket: "floor-state", key: `floor/${spec.id}.tfstate`, region: "us-east-1", encrypt: true });
  new AwsProvider(stack, "aws", { region: spec.region });
  for (let i = 0; i < spec.resources; i++) {
    new SsmParameter(stack, `p${i}`, { name: `/floor/${spec.id}/p${i}`, type: "String", value: `value-${i}` });
  }
  for (let i = 0; i < spec.outputs; i++) new TerraformOutput(stack, `o${i}`, { value: `output-${i}` });
}
app.synth();
rmSync(outdir, { recursive: true, force: true });
renameSync(partial, outdir);
