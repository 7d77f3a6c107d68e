import { beforeAll, describe, expect, it } from "vitest";
import { cellNames } from "../../cells/naming";
import { cellDashboardBody } from "../../stacks/dashboards";
import { buildTestFleet, defaultFleetInput, fleet, synthStack, type SynthesizedStack } from "../support/fleet";
import { byName, entriesOf, ref } from "./terraform-json";

const CELL = "use1-a";
const REGION = "us-east-1";
const GRID_WIDTH = 24;
const config = fleet();
const STAGES = config.stages.map((stage) => stage.name);

/** A drained cell: still deployed and on the fleet dashboard, out of the shared entry. */
const DRAINED = "usw1-a";
const drainedConfig = fleet({
  cells: defaultFleetInput().cells!.map((cell) => (cell.id === DRAINED ? { ...cell, active: false } : cell)),
});

interface Widget {
  type: "metric" | "text" | "alarm";
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Record<string, unknown>;
}
type MetricRow = unknown[];

const parseBody = (body: string) => (JSON.parse(body) as { widgets: Widget[] }).widgets;
const dashboardOf = (stack: SynthesizedStack, name: string) =>
  parseBody(byName(stack, "aws_cloudwatch_dashboard", name, "dashboard_name").block["dashboard_body"] as string);
const metricsOf = (widget: Widget) => (widget.properties["metrics"] ?? []) as MetricRow[];
const markdownOf = (widget: Widget) => widget.properties["markdown"] as string;
const optionsOf = (row: MetricRow) => row[row.length - 1] as Record<string, unknown>;
/** A metric row's dimensions as an object (`[ns, name, k1, v1, k2, v2, {options}]`). */
function dimensionsOf(row: MetricRow): Record<string, string> {
  const pairs = row.slice(2, -1) as string[];
  return Object.fromEntries(pairs.flatMap((_, i) => (i % 2 === 0 ? [[pairs[i]!, pairs[i + 1]!]] : [])));
}

/** Widgets in reading order (top to bottom, left to right). */
const readingOrder = (widgets: Widget[]) => [...widgets].sort((a, b) => a.y - b.y || a.x - b.x);

/** The dashboard cut into sections, each opened by a `## ...` text widget. */
function sections(widgets: Widget[]): { heading: string; widgets: Widget[] }[] {
  const result: { heading: string; widgets: Widget[] }[] = [];
  for (const widget of readingOrder(widgets)) {
    if (widget.type === "text" && markdownOf(widget).startsWith("## ")) result.push({ heading: markdownOf(widget), widgets: [] });
    else result.at(-1)?.widgets.push(widget);
  }
  return result;
}

/** Shared expectations: every dashboard fits CloudWatch's 24-column grid and its metric rows are well formed. */
function expectWellFormed(widgets: Widget[]): void {
  for (const w of widgets) {
    expect(Number.isInteger(w.x) && Number.isInteger(w.y) && Number.isInteger(w.width) && Number.isInteger(w.height), JSON.stringify(w)).toBe(true);
    expect(w.x).toBeGreaterThanOrEqual(0);
    expect(w.y).toBeGreaterThanOrEqual(0);
    expect(w.width).toBeGreaterThan(0);
    expect(w.height).toBeGreaterThan(0);
    expect(w.x + w.width, `widget at (${w.x}, ${w.y})`).toBeLessThanOrEqual(GRID_WIDTH);
  }
  const overlaps = widgets.flatMap((a, i) =>
    widgets
      .slice(i + 1)
      .filter((b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height)
      .map((b) => `(${a.x},${a.y}) and (${b.x},${b.y})`),
  );
  expect(overlaps).toEqual([]);

  for (const widget of widgets.filter((w) => w.type === "metric")) {
    expect(widget.properties).toMatchObject({ title: expect.any(String), region: expect.any(String), view: "timeSeries" });
    const rows = metricsOf(widget);
    expect(rows.length, String(widget.properties["title"])).toBeGreaterThan(0);
    for (const row of rows) {
      const [namespace, name] = row;
      const pairs = row.slice(2, -1);
      expect(typeof namespace, JSON.stringify(row)).toBe("string");
      expect(typeof name, JSON.stringify(row)).toBe("string");
      expect(pairs.length % 2, `dimension pairs of ${JSON.stringify(row)}`).toBe(0);
      expect(pairs.every((part) => typeof part === "string" && part.length > 0), JSON.stringify(row)).toBe(true);
      const options = optionsOf(row);
      expect(options !== null && typeof options === "object" && !Array.isArray(options), JSON.stringify(row)).toBe(true);
      expect(options).toMatchObject({ stat: expect.stringMatching(/^(Sum|Maximum|Minimum|Average|SampleCount|p\d+(\.\d+)?)$/) });
      expect(options["period"] as number % 60, JSON.stringify(row)).toBe(0);
    }
  }
}

describe("dashboards", () => {
  let cell: SynthesizedStack;
  let global: SynthesizedStack;
  let drainedGlobal: SynthesizedStack;

  beforeAll(() => {
    const stacks = buildTestFleet(config);
    cell = synthStack(stacks.cells.get(CELL)!).parsed;
    global = synthStack(stacks.global).parsed;
    drainedGlobal = synthStack(buildTestFleet(drainedConfig).global).parsed;
  });

  describe(`the cell dashboard (${CELL})`, () => {
    const widgets = () => dashboardOf(cell, CELL);

    it("is named for the cell and its body is valid JSON made of widgets", () => {
      const { block } = byName(cell, "aws_cloudwatch_dashboard", CELL, "dashboard_name");
      expect(() => JSON.parse(block["dashboard_body"] as string)).not.toThrow();
      expect(widgets().length).toBeGreaterThan(0);
    });

    it("lays its widgets out inside the 24-column grid, none overlapping, with well-formed metric rows", () => {
      expectWellFormed(widgets());
    });

    it("reads every metric in the cell's region", () => {
      for (const widget of widgets().filter((w) => w.type === "metric")) {
        expect(widget.properties["region"]).toBe(REGION);
      }
    });

    it("lists every alarm of the cell, once, in alarm widgets of at most 100", () => {
      const alarmWidgets = widgets().filter((w) => w.type === "alarm");
      const listed = alarmWidgets.flatMap((w) => w.properties["alarms"] as string[]);
      const every = entriesOf(cell, "aws_cloudwatch_metric_alarm").map(([id]) => ref("aws_cloudwatch_metric_alarm", id, "arn"));
      expect(every.length).toBeGreaterThan(100);
      expect([...listed].sort()).toEqual([...every].sort());
      for (const widget of alarmWidgets) expect((widget.properties["alarms"] as string[]).length).toBeLessThanOrEqual(100);
      expect(alarmWidgets).toHaveLength(Math.ceil(every.length / 100));
    });

    it("splits any number of alarms into chunks of 100, in order, the first titled for the cell", () => {
      const alarmArns = Array.from({ length: 250 }, (_, i) => `arn:aws:cloudwatch:${REGION}:111122223333:alarm:${CELL}-a${i}`);
      const body = parseBody(
        cellDashboardBody({ names: cellNames(CELL), region: REGION, apiStageName: "v1", stages: config.stages, alarmArns, detectorPeriodSeconds: 900 }),
      );
      const alarmWidgets = readingOrder(body).filter((w) => w.type === "alarm");
      expect(alarmWidgets.map((w) => (w.properties["alarms"] as string[]).length)).toEqual([100, 100, 50]);
      expect(alarmWidgets.flatMap((w) => w.properties["alarms"] as string[])).toEqual(alarmArns);
      expect(alarmWidgets[0]!.properties["title"]).toBe(`${CELL} alarms`);
      expectWellFormed(body);
    });

    it("has a section per stage, in the configured order, saying its delivery and its SLA or that it is terminal", () => {
      const headings = sections(widgets()).map((s) => s.heading);
      expect(headings.slice(0, STAGES.length)).toEqual([
        "## ingestion (fifo delivery, SLA 60 min)",
        "## reconciliation (fifo delivery, SLA 240 min)",
        "## authorization (fifo delivery, SLA 1440 min)",
        "## posting (fifo delivery, terminal)",
      ]);
    });

    it.each(STAGES)("shows the %s stage's own queues, consumer and store writes in its section", (stage) => {
      const section = sections(widgets()).find((s) => s.heading.startsWith(`## ${stage} `))!;
      const rows = section.widgets.flatMap(metricsOf);
      const queues = rows.filter((row) => row[0] === "AWS/SQS").map((row) => dimensionsOf(row)["QueueName"]);
      expect(new Set(queues)).toEqual(new Set([`${CELL}-${stage}`, `${CELL}-${stage}.fifo`]));
      const lambda = rows.filter((row) => row[0] === "AWS/Lambda");
      expect(lambda.map((row) => row[1])).toEqual(["Invocations", "Errors", "Throttles", "ConcurrentExecutions"]);
      for (const row of lambda) expect(dimensionsOf(row)).toEqual({ FunctionName: `${CELL}-${stage}-consumer` });
      const store = rows.filter((row) => row[0] === "cellfleet");
      expect(store.map((row) => row[1])).toContain("RecordsRejected");
      for (const row of store) expect(dimensionsOf(row)).toEqual({ service: "stage-consumer", stage, cell: CELL });
    });

    it("charts the ingest API of the cell's v1 stage and the routed events of every stage's rule", () => {
      const rows = widgets().flatMap(metricsOf);
      const api = rows.filter((row) => row[0] === "AWS/ApiGateway");
      expect(new Set(api.map((row) => row[1]))).toEqual(new Set(["Count", "4XXError", "5XXError", "Latency"]));
      for (const row of api) expect(dimensionsOf(row)).toEqual({ ApiName: `${CELL}-ingest`, Stage: "v1" });
      const routed = rows.filter((row) => row[0] === "AWS/Events" && row[1] === "MatchedEvents").map(dimensionsOf);
      expect(routed).toEqual(STAGES.map((stage) => ({ EventBusName: `${CELL}-invoices`, RuleName: `${CELL}-${stage}` })));
    });

    it("charts stuck invoices for the non-terminal stages only", () => {
      const stuck = widgets()
        .flatMap(metricsOf)
        .filter((row) => row[1] === "StuckInvoices")
        .map(dimensionsOf);
      expect(stuck).toEqual(
        ["ingestion", "reconciliation", "authorization"].map((stage) => ({ service: "stuck-invoice-detector", cell: CELL, stage })),
      );
    });
  });

  describe("the fleet dashboard (global stack)", () => {
    const CELLS = config.cells.map((c) => ({ id: c.id, region: c.region }));
    const widgets = () => dashboardOf(global, "cellfleet-fleet");

    it("is one dashboard in the global stack, named for the project, with a valid JSON body", () => {
      expect(entriesOf(global, "aws_cloudwatch_dashboard")).toHaveLength(1);
      expect(widgets().length).toBeGreaterThan(0);
    });

    it("lays its widgets out inside the 24-column grid, none overlapping, with well-formed metric rows", () => {
      expectWellFormed(widgets());
    });

    it("has a row per cell, in config order, headed by the cell and its region", () => {
      expect(sections(widgets()).map((s) => s.heading)).toEqual(CELLS.map(({ id, region }) => `## ${id} (${region})`));
    });

    it.each(CELLS.map(({ id, region }) => [id, region]))("reads every metric of %s's row in its region (%s), and only that cell's", (id, region) => {
      const section = sections(widgets()).find((s) => s.heading.startsWith(`## ${id} `))!;
      const metricWidgets = section.widgets.filter((w) => w.type === "metric");
      expect(metricWidgets.length).toBeGreaterThan(0);
      for (const widget of metricWidgets) {
        expect(widget.properties["region"]).toBe(region);
        for (const row of metricsOf(widget)) {
          expect(optionsOf(row)["region"], JSON.stringify(row)).toBe(region);
          const dims = dimensionsOf(row);
          expect(dims["cell"] ?? dims["ApiName"], JSON.stringify(row)).toMatch(new RegExp(`^${id}(-ingest)?$`));
        }
      }
    });

    it("puts each row's widgets side by side on the same line", () => {
      for (const section of sections(widgets())) {
        expect(new Set(section.widgets.map((w) => w.y)).size, section.heading).toBe(1);
      }
    });

    it("marks a drained cell (active: false), and only that one", () => {
      const headings = sections(dashboardOf(drainedGlobal, "cellfleet-fleet")).map((s) => s.heading);
      expect(headings).toEqual(
        CELLS.map(({ id, region }) => `## ${id} (${region})${id === DRAINED ? " — drained" : ""}`),
      );
      expect(sections(widgets()).map((s) => s.heading).some((h) => h.includes("drained"))).toBe(false);
    });
  });
});

describe("a cell dashboard follows the operations config", () => {
  it("charts stuck invoices at the detector's schedule and leaves the canary out when it is off", () => {
    const config = fleet();
    const body = JSON.parse(
      cellDashboardBody({ names: cellNames("use1-a"), region: "us-east-1", apiStageName: "v1", stages: config.stages, alarmArns: [], detectorPeriodSeconds: 1800 }),
    ) as { widgets: { properties: { title?: string; metrics?: unknown[][] } }[] };
    const stuck = body.widgets.find((w) => w.properties.title === "Stuck invoices per stage")!;
    for (const metric of stuck.properties.metrics!) expect(metric.at(-1)).toMatchObject({ period: 1800 });
    expect(body.widgets.some((w) => String(w.properties.title).startsWith("Canary"))).toBe(false);
  });
});
