import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import type { FleetConfig } from "../cells/fleet-schema";
import { embedInReadme, fleetDiagramMarkdown, fleetMermaidBlock } from "../cells/diagram";
import { CliError, loadCliFleet, runCli } from "./cli";

/**
 * `npm run diagram [-- --check | --block]`
 *
 * Draws the fleet from its config (`CELLFLEET_CONFIG`, else cells/fleet.json) as a Mermaid
 * flowchart: writes `docs/fleet.md` and, when the README has the embed markers, the block
 * between them. Exit codes: 0 written / up to date, 1 stale (`--check`) or config failure,
 * 2 bad arguments.
 */

export const USAGE = [
  "usage: npm run diagram [-- --check | --block]",
  "  (no option)  write docs/fleet.md and the README's embedded diagram",
  "  --check      write nothing; exit 1 when either is stale",
  "  --block      print only the ```mermaid block (for pasting elsewhere)",
].join("\n");

export const EXIT_STALE = 1;

/** The repository root: docs/fleet.md and README.md live under it. */
export const REPO_ROOT = path.join(__dirname, "..");

export interface DiagramDeps {
  /** The fleet to draw; default `loadCliFleet()`. */
  loadFleet?: () => FleetConfig;
  /** Repository root; default the one this file is in. */
  root?: string;
  /** Standard output. */
  out: (text: string) => void;
}

/** One generated file: where it goes, and its content now and as generated. */
interface Target {
  readonly file: string;
  readonly current: string | undefined;
  readonly generated: string;
}

export async function drawDiagram(argv: readonly string[], deps: DiagramDeps): Promise<number> {
  let values: { check?: boolean; block?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        check: { type: "boolean", default: false },
        block: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new CliError(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`, 2);
  }
  if (values.help) {
    deps.out(`${USAGE}\n`);
    return 0;
  }
  if (values.check && values.block) throw new CliError(`--check and --block do not go together\n${USAGE}`, 2);

  const fleet = (deps.loadFleet ?? loadCliFleet)();
  if (values.block) {
    deps.out(fleetMermaidBlock(fleet));
    return 0;
  }

  const root = deps.root ?? REPO_ROOT;
  const read = (file: string) => (existsSync(file) ? readFileSync(file, "utf8") : undefined);
  const docsFile = path.join(root, "docs", "fleet.md");
  const readmeFile = path.join(root, "README.md");
  const targets: Target[] = [{ file: docsFile, current: read(docsFile), generated: fleetDiagramMarkdown(fleet) }];
  const readme = read(readmeFile);
  const embedded = readme === undefined ? undefined : embedInReadme(readme, fleetMermaidBlock(fleet));
  if (embedded !== undefined) targets.push({ file: readmeFile, current: readme, generated: embedded });

  const stale = targets.filter((target) => target.current !== target.generated);
  const shown = (file: string) => path.relative(root, file);
  if (values.check) {
    if (stale.length === 0) {
      deps.out(`up to date: ${targets.map((t) => shown(t.file)).join(", ")}\n`);
      return 0;
    }
    deps.out(`stale: ${stale.map((t) => shown(t.file)).join(", ")}; run \`npm run diagram\` and commit the result\n`);
    return EXIT_STALE;
  }
  for (const target of stale) {
    mkdirSync(path.dirname(target.file), { recursive: true });
    writeFileSync(target.file, target.generated);
    deps.out(`wrote ${shown(target.file)}\n`);
  }
  if (stale.length === 0) deps.out(`up to date: ${targets.map((t) => shown(t.file)).join(", ")}\n`);
  if (embedded === undefined) deps.out("README.md has no embedded diagram (no fleet-diagram markers): left alone\n");
  return 0;
}

if (require.main === module) {
  runCli(() => drawDiagram(process.argv.slice(2), { out: (text) => process.stdout.write(text) }));
}
