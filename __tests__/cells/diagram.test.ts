import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EXIT_STALE, REPO_ROOT, drawDiagram } from "../../bin/diagram";
import {
  README_BEGIN,
  README_END,
  embedInReadme,
  fleetDiagramMarkdown,
  fleetMermaid,
  fleetMermaidBlock,
  mermaidLabel,
} from "../../cells/diagram";
import type { FleetConfig } from "../../cells/fleet-schema";
import { fleetNames } from "../../cells/naming";
import { fleet } from "../support/fleet";

const DOCS_FILE = path.join(REPO_ROOT, "docs", "fleet.md");
const README_FILE = path.join(REPO_ROOT, "README.md");

/** Three cells in two regions, one drained, one storing elsewhere; the hub in a region of its own. */
const SMALL = fleet({
  global: { region: "eu-west-1", archiveRetentionDays: 35 },
  cells: [
    { id: "use2-a", region: "us-east-2" },
    { id: "use2-b", region: "us-east-2", active: false },
    { id: "usw1-a", region: "us-west-1", storeRegion: "us-west-2" },
  ],
  tenants: { "big-co": "usw1-a", "--odd--": "use2-a" },
  stageSettings: { posting: { delivery: "standard" } },
});

// ---- a reader for the flowchart we generate (one statement per line) ----

interface MermaidNode {
  id: string;
  shape: string;
  label: string;
  /** The innermost subgraph it is defined in. */
  parent: string | undefined;
}
interface MermaidSubgraph {
  id: string;
  label: string;
  parent: string | undefined;
}
interface MermaidEdge {
  from: string;
  to: string;
  label: string | undefined;
  dotted: boolean;
}

const ID = "[A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*";
const LABEL = '"([^"]*)"';
const NODE_LINE = new RegExp(`^(${ID})(\\[\\[|\\[\\(|\\(\\[|\\{\\{|\\[)${LABEL}(\\]\\]|\\)\\]|\\]\\)|\\}\\}|\\])$`);
const SUBGRAPH_LINE = new RegExp(`^subgraph (${ID})\\[${LABEL}\\]$`);
const EDGE_LINE = new RegExp(`^(${ID}) (-->|-\\.->)(?:\\|${LABEL}\\|)? (${ID})$`);
const CLASS_LINE = new RegExp(`^class (${ID}(?:,${ID})*) ([A-Za-z]+)$`);

function readFlowchart(source: string) {
  const nodes = new Map<string, MermaidNode>();
  const subgraphs = new Map<string, MermaidSubgraph>();
  const edges: MermaidEdge[] = [];
  const classes = new Map<string, string[]>();
  const classDefs = new Map<string, string>();
  const open: string[] = [];
  const unknown: string[] = [];
  const [header, ...body] = source.trimEnd().split("\n");
  for (const raw of body) {
    const line = raw.trim();
    let match: RegExpExecArray | null;
    if (line === "" || line.startsWith("%%")) continue;
    if ((match = SUBGRAPH_LINE.exec(line))) {
      subgraphs.set(match[1]!, { id: match[1]!, label: match[2]!, parent: open.at(-1) });
      open.push(match[1]!);
    } else if (line === "end") {
      if (open.pop() === undefined) unknown.push("unbalanced end");
    } else if ((match = NODE_LINE.exec(line))) {
      if (nodes.has(match[1]!)) unknown.push(`node ${match[1]} defined twice`);
      nodes.set(match[1]!, { id: match[1]!, shape: `${match[2]}${match[4]}`, label: match[3]!, parent: open.at(-1) });
    } else if ((match = EDGE_LINE.exec(line))) {
      edges.push({ from: match[1]!, to: match[4]!, label: match[3], dotted: match[2] === "-.->" });
    } else if ((match = CLASS_LINE.exec(line))) {
      for (const id of match[1]!.split(",")) classes.set(id, [...(classes.get(id) ?? []), match[2]!]);
    } else if ((match = /^classDef ([A-Za-z]+) (.+)$/.exec(line))) {
      classDefs.set(match[1]!, match[2]!);
    } else {
      unknown.push(line);
    }
  }
  if (open.length > 0) unknown.push(`unclosed subgraphs: ${open.join(", ")}`);
  const ancestors = (id: string): string[] => {
    const parent = nodes.get(id)?.parent ?? subgraphs.get(id)?.parent;
    return parent === undefined ? [] : [parent, ...ancestors(parent)];
  };
  const edgesFrom = (id: string) => edges.filter((edge) => edge.from === id);
  const edgesTo = (id: string) => edges.filter((edge) => edge.to === id);
  return { header, nodes, subgraphs, edges, classes, classDefs, unknown, ancestors, edgesFrom, edgesTo };
}

const chart = (config: FleetConfig) => readFlowchart(fleetMermaid(config));

/** The one node with every one of `lines` among the lines of its label. */
function nodeLabelled(flow: ReturnType<typeof readFlowchart>, ...lines: string[]): MermaidNode {
  const found = [...flow.nodes.values()].filter((node) => lines.every((line) => node.label.split("<br/>").includes(line)));
  expect(found.map((node) => node.id), `one node labelled ${lines.join(" + ")}`).toHaveLength(1);
  return found[0]!;
}

function cellSubgraph(flow: ReturnType<typeof readFlowchart>, cellId: string): MermaidSubgraph {
  const found = [...flow.subgraphs.values()].filter((sub) => new RegExp(`^cell ${cellId}( |$)`).test(sub.label));
  expect(found, `one subgraph for cell ${cellId}`).toHaveLength(1);
  return found[0]!;
}

/** The nodes of a cell's compact chain, by their first label line. */
function cellNode(flow: ReturnType<typeof readFlowchart>, cellId: string, kind: "API" | "bus" | "Timestream"): MermaidNode {
  const sub = cellSubgraph(flow, cellId);
  const found = [...flow.nodes.values()].filter((node) => node.parent === sub.id && node.label.startsWith(`${kind}<br/>`));
  expect(found, `${kind} node of cell ${cellId}`).toHaveLength(1);
  return found[0]!;
}

describe("docs/fleet.md (the fleet picture)", () => {
  it("is exactly what `npm run diagram` draws from cells/fleet.json", () => {
    const onDisk = readFileSync(DOCS_FILE, "utf8");

    expect(onDisk, "docs/fleet.md is stale: run `npm run diagram` and commit the result").toBe(fleetDiagramMarkdown(fleet()));
  });

  it("has a title, says where it comes from and holds one mermaid block", () => {
    const markdown = fleetDiagramMarkdown(fleet());

    expect(markdown).toMatch(/^# .+\n/);
    expect(markdown).toContain("`npm run diagram` from `cells/fleet.json`");
    expect(markdown.match(/^```mermaid$/gm)).toHaveLength(1);
    expect(markdown.endsWith(fleetMermaidBlock(fleet()))).toBe(true);
  });

  const readme = readFileSync(README_FILE, "utf8");
  it("is embedded, current, in the README between the fleet-diagram markers", () => {
    expect(embedInReadme(readme, fleetMermaidBlock(fleet())), "README.md's diagram is stale: run `npm run diagram`").toBe(readme);
  });
});

describe("the fleet diagram", () => {
  const flow = chart(SMALL);
  const domain = SMALL.api.domain.name;
  const hub = fleetNames(SMALL.project);

  it("puts every cell inside the subgraph of its region, and its chain inside the cell", () => {
    for (const cell of SMALL.cells) {
      const sub = cellSubgraph(flow, cell.id);
      const region = flow.subgraphs.get(sub.parent!);
      expect(region?.label, `cell ${cell.id}'s region`).toMatch(new RegExp(`^${cell.region}( |$)`));
      for (const kind of ["API", "bus", "Timestream"] as const) {
        expect(flow.ancestors(cellNode(flow, cell.id, kind).id)).toEqual([sub.id, region!.id]);
      }
    }
    expect([...flow.subgraphs.values()].filter((sub) => sub.label.startsWith("us-east-2"))).toHaveLength(1);
  });

  it("latency-routes the shared api.<domain> entry to the first active cell of each region only", () => {
    const twoPerRegion = chart(
      fleet({
        cells: [
          { id: "use1-a", region: "us-east-1", active: false },
          { id: "use1-b", region: "us-east-1" },
          { id: "use1-c", region: "us-east-1" },
          { id: "use2-a", region: "us-east-2" },
        ],
      }),
    );
    const sharedEntry = nodeLabelled(twoPerRegion, `api.${domain}`);

    expect(twoPerRegion.edgesFrom(sharedEntry.id).map((edge) => edge.to)).toEqual([
      cellNode(twoPerRegion, "use1-b", "API").id,
      cellNode(twoPerRegion, "use2-a", "API").id,
    ]);
  });

  it("latency-routes the shared api.<domain> entry to the active cells only", () => {
    const entry = nodeLabelled(flow, `api.${domain}`);
    const routed = flow.edgesFrom(entry.id).map((edge) => edge.to);

    expect(routed).toEqual([cellNode(flow, "use2-a", "API").id, cellNode(flow, "usw1-a", "API").id]);
    expect(flow.edgesFrom(entry.id).every((edge) => edge.label === "latency")).toBe(true);
  });

  it("marks a drained cell: dashed class, (drained) in its label, and no edge from the shared entry", () => {
    const entry = nodeLabelled(flow, `api.${domain}`);
    const sub = cellSubgraph(flow, "use2-b");
    const api = cellNode(flow, "use2-b", "API");

    expect(sub.label).toBe("cell use2-b (drained)");
    expect(flow.classes.get(sub.id)).toEqual(["drained"]);
    expect(flow.classes.get(api.id)).toEqual(["drained"]);
    expect(flow.classDefs.get("drained")).toMatch(/stroke-dasharray/);
    expect(flow.edgesTo(api.id).map((edge) => edge.from)).not.toContain(entry.id);
    expect(flow.edgesTo(api.id).map((edge) => edge.from)).toEqual([nodeLabelled(flow, `use2-b.${domain}`, "(drained)").id]);
    expect(flow.classes.get(cellSubgraph(flow, "use2-a").id)).toBeUndefined();
  });

  it("gives every cell its own hostname, routed to that cell", () => {
    for (const cell of SMALL.cells) {
      const host = nodeLabelled(flow, `${cell.id}.${domain}`);
      expect(host.parent).toBe(flow.nodes.get(nodeLabelled(flow, `api.${domain}`).id)!.parent);
      expect(flow.edgesFrom(host.id).map((edge) => edge.to)).toEqual([cellNode(flow, cell.id, "API").id]);
    }
  });

  it("draws each tenant pin as an edge from the tenant's hostname to its cell", () => {
    for (const [tenant, cellId] of Object.entries(SMALL.tenants)) {
      const pin = nodeLabelled(flow, `${tenant}.${domain}`, `tenant ${tenant}`);
      expect(flow.edgesFrom(pin.id)).toEqual([{ from: pin.id, to: cellNode(flow, cellId, "API").id, label: "pinned", dotted: false }]);
    }
  });

  it("keeps the archive hub (bus and archive) in the global region, drawn even without a cell there", () => {
    const hubBus = nodeLabelled(flow, hub.hubBus);
    const archive = nodeLabelled(flow, hub.archive);
    const globalRegion = [...flow.subgraphs.values()].find((sub) => sub.label.startsWith("eu-west-1"));

    expect(globalRegion).toBeDefined();
    expect(flow.ancestors(hubBus.id).at(-1)).toBe(globalRegion!.id);
    expect(flow.ancestors(archive.id).at(-1)).toBe(globalRegion!.id);
    expect(archive.shape).toBe("[()]");
    expect(flow.edgesFrom(hubBus.id)).toContainEqual({ from: hubBus.id, to: archive.id, label: undefined, dotted: false });
  });

  it("forwards every cell's live events to the hub and replays dr-<cell>-* back through that cell's replay rule", () => {
    const hubBus = nodeLabelled(flow, hub.hubBus);
    for (const cell of SMALL.cells) {
      const bus = cellNode(flow, cell.id, "bus");
      expect(flow.edgesFrom(bus.id), `forwarding from ${cell.id}`).toContainEqual({ from: bus.id, to: hubBus.id, label: "live events", dotted: false });
      const replays = flow.edgesFrom(hubBus.id).filter((edge) => edge.to === bus.id);
      expect(replays, `replay into ${cell.id}`).toHaveLength(1);
      expect(replays[0]!.dotted).toBe(true);
      expect(replays[0]!.label).toContain(`dr-${cell.id}-*`);
      expect(replays[0]!.label).toContain(hub.replayRule(cell.id));
    }
  });

  it("notes the store region only on a cell that stores elsewhere", () => {
    expect(cellNode(flow, "usw1-a", "Timestream").label).toContain("store in us-west-2");
    expect(cellNode(flow, "use2-a", "Timestream").label).not.toContain("store in");
  });

  it("chains each cell API -> bus -> stage pipelines -> store", () => {
    for (const cell of SMALL.cells) {
      const api = cellNode(flow, cell.id, "API");
      const bus = cellNode(flow, cell.id, "bus");
      const [stages] = flow.edgesFrom(bus.id).filter((edge) => flow.nodes.get(edge.to)?.parent === bus.parent);
      expect(flow.edgesFrom(api.id).map((edge) => edge.to)).toEqual([bus.id]);
      expect(flow.nodes.get(stages!.to)!.label).toBe("4 stage pipelines (3 fifo, 1 standard)");
      expect(flow.edgesFrom(stages!.to).map((edge) => edge.to)).toEqual([cellNode(flow, cell.id, "Timestream").id]);
    }
  });

  it("details one cell's pipeline: fifo stages through a Pipe into a FIFO queue, standard stages straight to the consumer", () => {
    const next = (id: string) => flow.edgesFrom(id).map((edge) => flow.nodes.get(edge.to)!);
    const bus = nodeLabelled(flow, "EventBridge bus", "{cell}-invoices");
    const store = nodeLabelled(flow, "{cell}-invoices.invoice_events");
    expect(next(nodeLabelled(flow, "API Gateway", "{cell}-ingest").id)).toEqual([bus]);

    for (const stage of SMALL.stages) {
      const topic = nodeLabelled(flow, "SNS topic", `{cell}-${stage.name}`);
      expect(flow.edgesTo(topic.id)).toEqual([{ from: bus.id, to: topic.id, label: `rule: ${stage.name}`, dotted: false }]);
      const [queue] = next(topic.id);
      expect(queue!.label).toBe(`SQS queue<br/>{cell}-${stage.name}`);
      const [afterQueue] = next(queue!.id);
      if (stage.delivery === "fifo") {
        expect(afterQueue!.shape, `${stage.name}: pipe`).toBe("{{}}");
        expect(afterQueue!.label).toContain(`{cell}-${stage.name}-buffer`);
        const [fifo] = next(afterQueue!.id);
        expect(fifo!.label).toBe(`SQS FIFO<br/>{cell}-${stage.name}.fifo`);
        const [consumer] = next(fifo!.id);
        expect(consumer!.label).toBe(`Lambda<br/>{cell}-${stage.name}-consumer`);
        expect(flow.edgesTo(consumer!.id)[0]!.label).toBe("batch 10");
        expect(next(consumer!.id)).toEqual([store]);
      } else {
        expect(afterQueue!.label, `${stage.name}: direct`).toBe(`Lambda<br/>{cell}-${stage.name}-consumer`);
        expect(flow.edgesTo(afterQueue!.id)[0]!.label).toBe("direct, batch 100");
        expect(next(afterQueue!.id)).toEqual([store]);
        expect([...flow.nodes.values()].some((node) => node.label.includes(`{cell}-${stage.name}.fifo`))).toBe(false);
      }
    }
  });

  it("is the same, byte for byte, for the same fleet however its tenants are ordered", () => {
    const reordered = fleet({
      global: { region: "eu-west-1", archiveRetentionDays: 35 },
      cells: SMALL.cells.map(({ id, region, storeRegion, active }) => ({ id, region, storeRegion, active })),
      tenants: { "--odd--": "use2-a", "big-co": "usw1-a" },
      stageSettings: { posting: { delivery: "standard" } },
    });

    expect(fleetMermaid(SMALL)).toBe(fleetMermaid(SMALL));
    expect(fleetMermaid(reordered)).toBe(fleetMermaid(SMALL));
    expect(fleetDiagramMarkdown(fleet())).toBe(fleetDiagramMarkdown(fleet()));
  });
});

describe("the diagram's Mermaid syntax", () => {
  for (const [name, config] of [
    ["the default fleet", fleet()],
    ["a small fleet with a drained cell and odd tenant ids", SMALL],
  ] as const) {
    it(`reads back statement by statement for ${name}: balanced subgraphs, quoted labels, safe ids`, () => {
      const flow = chart(config);

      expect(flow.header).toMatch(/^flowchart (TB|LR)$/);
      expect(flow.unknown).toEqual([]);
      const declared = new Set([...flow.nodes.keys(), ...flow.subgraphs.keys()]);
      for (const id of declared) {
        expect(id, "no double hyphen (Mermaid reads it as a link)").not.toMatch(/--/);
        expect(id, "no id Mermaid reserves").not.toMatch(/^(end|subgraph|graph|flowchart|class|classDef|style|click)$/);
        expect(id, "no id starting o/x (read as a circle/cross edge)").not.toMatch(/^[ox]/);
      }
      for (const edge of flow.edges) {
        expect(flow.nodes.has(edge.from), `edge from ${edge.from}`).toBe(true);
        expect(flow.nodes.has(edge.to), `edge to ${edge.to}`).toBe(true);
      }
      for (const id of flow.classes.keys()) expect(declared.has(id), `class on ${id}`).toBe(true);
      const source = fleetMermaid(config);
      expect(source.match(/^\s*subgraph /gm)?.length).toBe(source.match(/^\s*end$/gm)?.length);
      for (const line of source.split("\n")) {
        if (line.trim().startsWith("%%")) continue;
        expect(line, "a label opens with a quote").not.toMatch(/(\[\[|\[\(|\(\[|\{\{|\[|\|)(?!["\[(])[^\s-]/);
      }
    });
  }

  it("quotes every label and turns a double quote into Mermaid's #quot; entity", () => {
    expect(mermaidLabel("a [b] (c) {d}", 'say "hi"')).toBe('"a [b] (c) {d}<br/>say #quot;hi#quot;"');
  });
});

describe("the README embed", () => {
  it("replaces what lies between the markers and nothing else", () => {
    const readme = `# cellfleet\n\nintro\n\n${README_BEGIN}\nold diagram\n${README_END}\n\nmore\n`;

    expect(embedInReadme(readme, "NEW\n")).toBe(`# cellfleet\n\nintro\n\n${README_BEGIN}\nNEW\n${README_END}\n\nmore\n`);
    expect(embedInReadme(`${README_BEGIN}\n${README_END}\n`, "NEW\n")).toBe(`${README_BEGIN}\nNEW\n${README_END}\n`);
  });

  it("leaves a README without both markers alone", () => {
    expect(embedInReadme("# cellfleet\n", "NEW\n")).toBeUndefined();
    expect(embedInReadme(`${README_BEGIN}\nno end\n`, "NEW\n")).toBeUndefined();
  });
});

describe("npm run diagram", () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  const run = async (argv: string[]) => {
    const out: string[] = [];
    const code = await drawDiagram(argv, { loadFleet: () => SMALL, root, out: (text) => out.push(text) });
    return { code, out: out.join("") };
  };

  it("writes docs/fleet.md and the README's embedded block; --check then passes", async () => {
    root = mkdtempSync(path.join(tmpdir(), "diagram-"));
    writeFileSync(path.join(root, "README.md"), `# x\n${README_BEGIN}\n${README_END}\n`);

    expect(await run(["--check"])).toEqual({ code: EXIT_STALE, out: expect.stringContaining("stale: docs/fleet.md, README.md; run `npm run diagram`") });
    expect((await run([])).code).toBe(0);
    expect(readFileSync(path.join(root, "docs", "fleet.md"), "utf8")).toBe(fleetDiagramMarkdown(SMALL));
    expect(readFileSync(path.join(root, "README.md"), "utf8")).toBe(`# x\n${README_BEGIN}\n${fleetMermaidBlock(SMALL)}${README_END}\n`);
    expect(await run(["--check"])).toEqual({ code: 0, out: "up to date: docs/fleet.md, README.md\n" });
  });

  it("--check exits 1 naming the stale file when docs/fleet.md was edited by hand", async () => {
    root = mkdtempSync(path.join(tmpdir(), "diagram-"));
    mkdirSync(path.join(root, "docs"));
    writeFileSync(path.join(root, "docs", "fleet.md"), `${fleetDiagramMarkdown(SMALL)}\nhand edit\n`);
    writeFileSync(path.join(root, "README.md"), "# no markers\n");

    expect(await run(["--check"])).toEqual({ code: EXIT_STALE, out: "stale: docs/fleet.md; run `npm run diagram` and commit the result\n" });
    expect(readFileSync(path.join(root, "README.md"), "utf8")).toBe("# no markers\n");
  });

  it("--block prints just the mermaid block and writes nothing", async () => {
    root = mkdtempSync(path.join(tmpdir(), "diagram-"));

    expect(await run(["--block"])).toEqual({ code: 0, out: fleetMermaidBlock(SMALL) });
    expect(() => readFileSync(path.join(root!, "docs", "fleet.md"))).toThrow();
  });

  it("refuses unknown options and --check with --block (exit 2)", async () => {
    await expect(run(["--chek"])).rejects.toMatchObject({ exitCode: 2 });
    await expect(run(["--check", "--block"])).rejects.toMatchObject({ exitCode: 2 });
  });
});
