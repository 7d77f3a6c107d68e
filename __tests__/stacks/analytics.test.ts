import { Testing, TerraformStack } from "cdktf";
import { beforeAll, describe, expect, it } from "vitest";
import type { FleetConfig, FleetInput } from "../../cells/fleet-schema";
import { STACK_IDS } from "../../cells/naming";
import { INVOICE_MEASURE_NAME } from "../../functions/stage-consumer/record";
import { CANARY_LEGAL_ENTITY } from "../../functions/shared/synthetic";
import { stackFoundation } from "../../stacks/stack-foundation";
import { GLOBAL_REQUIRED_TAGS, applyPolicyAspects } from "../../stacks/aspects";
import { addInvoiceAnalytics } from "../../stacks/analytics/invoice-analytics";
import { INVOICE_MEASURE } from "../../stacks/analytics/invoice-sql";
import {
  DASHBOARD_AUTHOR_ACTIONS,
  DASHBOARD_VIEWER_ACTIONS,
  DATA_SET_AUTHOR_ACTIONS,
  DATA_SOURCE_AUTHOR_ACTIONS,
} from "../../stacks/analytics/quicksight-permissions";
import { defaultFleetInput, fleet, synthStack, type SynthesizedStack } from "../support/fleet";
import { aspectErrors } from "./aspects/aspect-stack";
import { ACCOUNT, PARTITION, byName, entriesOf, grantsOf, resourcesOf, statementsOf, type TfBlock } from "./terraform-json";

const VIEWER_GROUP = "arn:aws:quicksight:us-east-1:123456789012:group/default/invoice-viewers";
const VIEWER_USER = "arn:aws:quicksight:us-east-1:123456789012:user/default/cfo";
const AUTHOR = "arn:aws:quicksight:us-east-1:123456789012:user/default/bi-author";

type QuickSightInput = NonNullable<NonNullable<FleetInput["analytics"]>["quicksight"]>;

/** The shipped fleet with QuickSight switched on for these principals. */
function analyticsFleet(quicksight: Partial<QuickSightInput> = {}): FleetConfig {
  return fleet({ analytics: { quicksight: { enabled: true, viewers: [VIEWER_GROUP, VIEWER_USER], authors: [AUTHOR], ...quicksight } } });
}

/** A stack like the global stack (its foundation: provider, default tags, backend, account data sources), the module as GlobalStack adds it, and every policy aspect. */
function analyticsStack(config: FleetConfig) {
  const stack = new TerraformStack(Testing.app(), STACK_IDS.global);
  const region = config.global.region;
  const account = stackFoundation(stack, {
    fleet: config,
    stackId: STACK_IDS.global,
    region,
    tags: { project: config.project, stack: STACK_IDS.global, region },
  });
  const analytics = addInvoiceAnalytics(stack, config, account);
  applyPolicyAspects(stack, { requiredTags: GLOBAL_REQUIRED_TAGS });
  return { stack, analytics };
}

/** Store regions of the shipped fleet and the cells whose tables live there (usw1-a keeps its table in us-west-2). */
const STORE_REGIONS: Record<string, string[]> = {
  "us-east-1": ["use1-a"],
  "us-east-2": ["use2-a"],
  "us-west-2": ["usw1-a", "usw2-a"],
};

const DATA_SET_KEYS = [
  "executive-volume",
  "executive-posting",
  "operations-throughput",
  "operations-latency",
  "operations-stuck",
  "finance-amounts",
  "finance-ageing",
];

const tableRef = (cell: string) => `"${cell}-invoices"."invoice_events"`;
const sqlOf = (dataSet: TfBlock) => ((dataSet["physical_table_map"] as TfBlock[])[0]!["custom_sql"] as TfBlock)["sql_query"] as string;
const columnsOf = (dataSet: TfBlock) => ((dataSet["physical_table_map"] as TfBlock[])[0]!["custom_sql"] as TfBlock)["columns"] as { name: string }[];
/** A resource's permissions (a set in Terraform), sorted by principal, actions sorted. */
const permissionsOf = (block: TfBlock) =>
  (block["permissions"] as { principal: string; actions: string[] }[])
    .map((p) => ({ principal: p.principal, actions: [...p.actions].sort() }))
    .sort((a, b) => a.principal.localeCompare(b.principal));
const sorted = (values: readonly string[]) => [...values].sort();

/** Every resource of `type` in `region`, by construct id. */
function inRegion(stack: SynthesizedStack, type: string, region: string): [string, TfBlock][] {
  return entriesOf(stack, type).filter(([, block]) => block["region"] === region);
}

interface VisualSummary {
  type: string;
  title: string;
  block: TfBlock;
}

function sheetsOf(dashboard: TfBlock): TfBlock[] {
  return (dashboard["definition"] as TfBlock)["sheets"] as TfBlock[];
}

/** Every visual of a dashboard: its type (`bar_chart_visual` ...), title and block. */
function visualsOf(dashboard: TfBlock): VisualSummary[] {
  return sheetsOf(dashboard).flatMap((sheet) =>
    (sheet["visuals"] as TfBlock[]).map((visual) => {
      const [type, block] = Object.entries(visual)[0] as [string, TfBlock];
      const title = ((block["title"] as TfBlock)["format_text"] as TfBlock)["plain_text"] as string;
      return { type, title, block };
    }),
  );
}

function visual(dashboard: TfBlock, title: string): VisualSummary {
  const found = visualsOf(dashboard).filter((v) => v.title === title);
  expect(found, `visual "${title}"`).toHaveLength(1);
  return found[0]!;
}

/** Every object in a tree that has the given key. */
function collect(tree: unknown, key: string): TfBlock[] {
  if (Array.isArray(tree)) return tree.flatMap((item) => collect(item, key));
  if (tree === null || typeof tree !== "object") return [];
  const own = key in tree ? [tree as TfBlock] : [];
  return [...own, ...Object.values(tree).flatMap((value) => collect(value, key))];
}

/** The column names the fields of a visual read, sorted. */
const columnNames = (block: TfBlock) => sorted(collect(block, "column_name").map((column) => column["column_name"] as string));

describe("the analytics module (QuickSight over every cell's Timestream table, optional)", () => {
  describe("when analytics is off (the default)", () => {
    it("is off in the shipped fleet.json and in the schema's default", () => {
      expect(fleet().analytics.quicksight).toEqual({ enabled: false, viewers: [], authors: [] });
      const { analytics: _omitted, ...without } = defaultFleetInput();
      expect(fleet(without).analytics.quicksight.enabled).toBe(false);
    });

    it("creates nothing, even with principals configured", () => {
      const { stack, analytics } = analyticsStack(analyticsFleet({ enabled: false }));
      expect(analytics).toBeUndefined();
      // The stack holds nothing but the provider and the account data sources.
      expect(synthStack(stack).parsed.resource ?? {}).toEqual({});
    });
  });

  describe("when analytics is on", () => {
    let stack: SynthesizedStack;
    let errors: string[];
    const dashboard = (audience: string, region: string) =>
      inRegion(stack, "aws_quicksight_dashboard", region).find(([, d]) => d["dashboard_id"] === `cellfleet-${audience}`)![1];
    const dataSet = (key: string, region: string) => inRegion(stack, "aws_quicksight_data_set", region).find(([, d]) => d["data_set_id"] === `cellfleet-${key}`)![1];

    beforeAll(() => {
      const built = analyticsStack(analyticsFleet());
      errors = aspectErrors(built.stack);
      stack = synthStack(built.stack).parsed;
    }, 120_000);

    it("passes every policy aspect of the global stack", () => {
      expect(errors).toEqual([]);
    });

    describe("Timestream data sources", () => {
      it("are one per store region, created in that region with the per-resource region argument", () => {
        const sources = Object.values(resourcesOf(stack, "aws_cloudcontrolapi_resource"));
        expect(sources.map((s) => s["region"]).sort()).toEqual(Object.keys(STORE_REGIONS));
        // usw1-a runs in us-west-1 but stores in us-west-2: no source in us-west-1.
        expect(sources.map((s) => s["region"])).not.toContain("us-west-1");
      });

      it("are QuickSight TIMESTREAM sources without parameters (the provider's data source resource cannot express one)", () => {
        for (const source of Object.values(resourcesOf(stack, "aws_cloudcontrolapi_resource"))) {
          expect(source["type_name"]).toBe("AWS::QuickSight::DataSource");
          const state = JSON.parse(source["desired_state"] as string) as Record<string, unknown>;
          expect(state).toMatchObject({ AwsAccountId: ACCOUNT, DataSourceId: "cellfleet-timestream", Type: "TIMESTREAM" });
          expect(state["Name"]).toContain(source["region"]);
          expect(state).not.toHaveProperty("DataSourceParameters");
          expect(state["Tags"]).toEqual(expect.arrayContaining([{ Key: "project", Value: "cellfleet" }]));
        }
      });

      it("are granted to the authors only", () => {
        for (const source of Object.values(resourcesOf(stack, "aws_cloudcontrolapi_resource"))) {
          const state = JSON.parse(source["desired_state"] as string) as { Permissions: { Principal: string; Actions: string[] }[] };
          expect(state.Permissions).toEqual([{ Principal: AUTHOR, Actions: [...DATA_SOURCE_AUTHOR_ACTIONS] }]);
        }
      });
    });

    describe("QuickSight's access to the tables", () => {
      it("lets QuickSight's service role query exactly every cell's table, in its store region", () => {
        const { block } = byName(stack, "aws_iam_role_policy", "cellfleet-invoice-analytics");
        expect(block["role"]).toBe("aws-quicksight-service-role-v0");
        const table = (region: string, cell: string) =>
          `arn:${PARTITION}:timestream:${region}:${ACCOUNT}:database/${cell}-invoices/table/invoice_events`;
        expect(grantsOf(statementsOf(stack, block["policy"]))).toEqual(
          grantsOf([
            {
              actions: ["timestream:DescribeTable", "timestream:ListMeasures", "timestream:Select"],
              resources: [table("us-east-1", "use1-a"), table("us-east-2", "use2-a"), table("us-west-2", "usw1-a"), table("us-west-2", "usw2-a")],
            },
            { actions: ["timestream:DescribeEndpoints"], resources: ["*"] },
          ]),
        );
      });
    });

    describe("datasets", () => {
      it("are the seven audience datasets in every store region, each on that region's data source", () => {
        for (const region of Object.keys(STORE_REGIONS)) {
          const dataSets = inRegion(stack, "aws_quicksight_data_set", region);
          expect(dataSets.map(([, d]) => d["data_set_id"]).sort()).toEqual(DATA_SET_KEYS.map((key) => `cellfleet-${key}`).sort());
          const [sourceId] = inRegion(stack, "aws_cloudcontrolapi_resource", region)[0]!;
          for (const [, block] of dataSets) {
            const sql = (block["physical_table_map"] as TfBlock[])[0]!["custom_sql"] as TfBlock;
            expect(sql["data_source_arn"]).toBe(`arn:${PARTITION}:quicksight:${region}:${ACCOUNT}:datasource/cellfleet-timestream`);
            expect(block["depends_on"]).toEqual([`aws_cloudcontrolapi_resource.${sourceId}`]);
          }
        }
      });

      it("query exactly the tables of the cells stored in their region (a union where a region holds several)", () => {
        const cells = Object.values(STORE_REGIONS).flat();
        for (const [region, here] of Object.entries(STORE_REGIONS)) {
          for (const key of DATA_SET_KEYS) {
            const sql = sqlOf(dataSet(key, region));
            for (const cell of cells) expect(sql.includes(tableRef(cell)), `${key} in ${region} reads ${cell}`).toBe(here.includes(cell));
            expect(sql.split("UNION ALL")).toHaveLength(here.length);
          }
        }
        expect(sqlOf(dataSet("executive-volume", "us-west-2"))).toContain(`FROM ${tableRef("usw1-a")}`);
      });

      it("leave the canary's synthetic tenant out, and bound every table they read by time", () => {
        for (const [, block] of entriesOf(stack, "aws_quicksight_data_set")) {
          const sql = sqlOf(block);
          const tables = sql.match(/FROM "[^"]+"\."invoice_events"/g) ?? [];
          expect(tables.length).toBeGreaterThan(0);
          expect(sql.split(`"legalEntityId" <> '${CANARY_LEGAL_ENTITY}'`)).toHaveLength(tables.length + 1);
          expect(sql.split(`measure_name = '${INVOICE_MEASURE_NAME}'`)).toHaveLength(tables.length + 1);
          expect(sql.match(/time >= ago\(\d+[dhm]\)/g)).toHaveLength(tables.length);
        }
      });

      it("read the measure the stage consumers write", () => {
        expect(INVOICE_MEASURE).toBe(INVOICE_MEASURE_NAME);
      });

      it("import day-long windows into SPICE on a refresh schedule and query the live throughput directly", () => {
        const modes = Object.fromEntries(inRegion(stack, "aws_quicksight_data_set", "us-east-1").map(([, d]) => [d["data_set_id"], d["import_mode"]]));
        expect(modes).toEqual({
          "cellfleet-executive-volume": "SPICE",
          "cellfleet-executive-posting": "SPICE",
          "cellfleet-operations-throughput": "DIRECT_QUERY",
          "cellfleet-operations-latency": "SPICE",
          "cellfleet-operations-stuck": "SPICE",
          "cellfleet-finance-amounts": "SPICE",
          "cellfleet-finance-ageing": "SPICE",
        });
        const schedules = inRegion(stack, "aws_quicksight_refresh_schedule", "us-east-1").map(([, s]) => [
          s["data_set_id"],
          ((s["schedule"] as TfBlock[])[0]!["schedule_frequency"] as TfBlock[])[0]!["interval"],
        ]);
        expect(Object.fromEntries(schedules)).toEqual({
          "cellfleet-executive-volume": "DAILY",
          "cellfleet-executive-posting": "DAILY",
          "cellfleet-operations-latency": "HOURLY",
          "cellfleet-operations-stuck": "HOURLY",
          "cellfleet-finance-amounts": "DAILY",
          "cellfleet-finance-ageing": "DAILY",
        });
      });

      it("find stuck invoices by each non-terminal stage's SLA from config, as the detector does", () => {
        const sql = sqlOf(dataSet("operations-stuck", "us-east-1"));
        expect(sql).toContain("WHEN 'ingestion' THEN ago(60m) WHEN 'reconciliation' THEN ago(240m) WHEN 'authorization' THEN ago(1440m)");
        expect(sql).toContain("WHERE stage <> 'posting'");
        expect(sql).toContain("time >= ago(14d)");
      });

      it("measure time to posting from an invoice's first event to its first posting event", () => {
        const sql = sqlOf(dataSet("executive-posting", "us-east-1"));
        expect(sql).toContain(`min(CASE WHEN "stage" = 'posting' THEN time END) AS posted_at`);
        expect(sql).toContain("date_diff('second', started_at, posted_at)");
      });

      it("are granted to the authors only: viewers see data through the dashboards", () => {
        for (const [, block] of entriesOf(stack, "aws_quicksight_data_set")) {
          expect(permissionsOf(block)).toEqual([{ principal: AUTHOR, actions: sorted(DATA_SET_AUTHOR_ACTIONS) }]);
        }
      });
    });

    describe("dashboards", () => {
      it("are executive, operations and finance in every store region, defined in code", () => {
        for (const [region, cells] of Object.entries(STORE_REGIONS)) {
          const dashboards = inRegion(stack, "aws_quicksight_dashboard", region).map(([, d]) => d);
          expect(dashboards.map((d) => d["dashboard_id"]).sort()).toEqual(["cellfleet-executive", "cellfleet-finance", "cellfleet-operations"]);
          for (const d of dashboards) {
            expect(d).not.toHaveProperty("source_entity");
            expect(d["name"]).toContain(`${region} (${cells.join(", ")})`);
            expect(sheetsOf(d).length).toBeGreaterThan(0);
          }
        }
      });

      it("declare their region's datasets only", () => {
        for (const region of Object.keys(STORE_REGIONS)) {
          const ids = new Set(inRegion(stack, "aws_quicksight_data_set", region).map(([id]) => `\${aws_quicksight_data_set.${id}.arn}`));
          for (const [, d] of inRegion(stack, "aws_quicksight_dashboard", region)) {
            const declared = (d["definition"] as TfBlock)["data_set_identifiers_declarations"] as TfBlock[];
            for (const declaration of declared) expect(ids.has(declaration["data_set_arn"] as string)).toBe(true);
          }
        }
      });

      it("name only declared datasets and columns those datasets return", () => {
        const columnsById = new Map(entriesOf(stack, "aws_quicksight_data_set").map(([id, d]) => [`\${aws_quicksight_data_set.${id}.arn}`, columnsOf(d).map((c) => c.name)]));
        for (const [, d] of entriesOf(stack, "aws_quicksight_dashboard")) {
          const declared = new Map(
            ((d["definition"] as TfBlock)["data_set_identifiers_declarations"] as TfBlock[]).map((x) => [x["identifier"], columnsById.get(x["data_set_arn"] as string)!]),
          );
          for (const column of collect(d["definition"], "column_name")) {
            const columns = declared.get(column["data_set_identifier"]);
            expect(columns, `dataset ${String(column["data_set_identifier"])}`).toBeDefined();
            expect(columns).toContain(column["column_name"]);
          }
          for (const { block } of visualsOf(d).filter((v) => v.type === "insight_visual")) expect(declared.has(block["data_set_identifier"])).toBe(true);
        }
      });

      it("give every visual and field a unique id QuickSight accepts, and lay every element out once", () => {
        for (const [, d] of entriesOf(stack, "aws_quicksight_dashboard")) {
          const visualIds = visualsOf(d).map((v) => v.block["visual_id"] as string);
          const fieldIds = collect(d["definition"], "field_id").map((f) => f["field_id"] as string);
          for (const id of [...visualIds, ...fieldIds]) expect(id).toMatch(/^[\w-]{1,512}$/);
          expect(new Set(visualIds).size).toBe(visualIds.length);
          for (const sheet of sheetsOf(d)) {
            const elements = collect(sheet["layouts"], "element_id").map((e) => e["element_id"]);
            const placed = [
              ...(sheet["visuals"] as TfBlock[]).map((v) => (Object.values(v)[0] as TfBlock)["visual_id"]),
              ...((sheet["text_boxes"] as TfBlock[] | undefined) ?? []).map((t) => t["sheet_text_box_id"]),
            ];
            expect(sorted(elements as string[])).toEqual(sorted(placed as string[]));
          }
        }
      });

      it("executive: volume and value per stage, cell and day, time to posting, and a volume insight", () => {
        const executive = dashboard("executive", "us-west-2");
        expect(visualsOf(executive).map((v) => [v.type, v.title])).toEqual([
          ["kpi_visual", "Invoices posted"],
          ["kpi_visual", "Mean minutes to posting"],
          ["kpi_visual", "Worst daily p90 minutes to posting"],
          ["kpi_visual", "Invoice events"],
          ["bar_chart_visual", "Invoices reaching each stage, by cell"],
          ["bar_chart_visual", "Invoice value reaching each stage, by currency"],
          ["line_chart_visual", "Invoices per day, by stage"],
          ["line_chart_visual", "Invoices per day, by cell"],
          ["line_chart_visual", "Time to posting per day, p90 minutes, by cell"],
          ["line_chart_visual", "Time to posting per day, median minutes, by cell"],
          ["insight_visual", "Invoice volume: forecast, day-over-day change and top movers"],
          ["table_visual", "Time to posting by day and cell"],
        ]);
        expect(columnNames(visual(executive, "Invoices reaching each stage, by cell").block)).toEqual(["cell", "invoices", "stage", "stage_order"]);
        const perDay = visual(executive, "Invoices per day, by stage").block;
        expect(collect(perDay, "date_granularity")[0]!["date_granularity"]).toBe("DAY");
        const value = visual(executive, "Invoice value reaching each stage, by currency").block;
        expect(columnNames(value)).toEqual(expect.arrayContaining(["invoice_value", "currency"]));
      });

      it("executive: the volume insight forecasts daily events with a prediction band (QuickSight has no anomaly-detection computation in a definition)", () => {
        const insight = visual(dashboard("executive", "us-east-1"), "Invoice volume: forecast, day-over-day change and top movers").block;
        const computations = (insight["insight_configuration"] as TfBlock)["computation"] as TfBlock[];
        expect(computations.map((c) => Object.keys(c)[0])).toEqual(["forecast", "period_over_period", "top_bottom_movers"]);
        expect(computations[0]!["forecast"]).toMatchObject({ seasonality: "AUTOMATIC", prediction_interval: 90, periods_forward: 7 });
        expect(columnNames(computations[0]!)).toEqual(["day", "events"]);
      });

      it("operations: events per minute per stage, latency percentiles, stuck invoices, and where DLQ depth is", () => {
        const operations = dashboard("operations", "us-east-1");
        expect(visualsOf(operations).map((v) => [v.type, v.title])).toEqual([
          ["line_chart_visual", "Events per minute, by stage"],
          ["line_chart_visual", "Events per minute, by cell"],
          ["bar_chart_visual", "Stage-to-stage latency, worst hour (seconds)"],
          ["line_chart_visual", "Stage-to-stage latency per hour, p90 seconds, by transition"],
          ["table_visual", "Stage-to-stage latency by cell and transition"],
          ["kpi_visual", "Stuck invoices"],
          ["bar_chart_visual", "Stuck invoices by stage and cell"],
          ["table_visual", "Stuck invoices, longest waiting first"],
        ]);
        const perMinute = visual(operations, "Events per minute, by stage").block;
        expect(collect(perMinute, "date_granularity")[0]!["date_granularity"]).toBe("MINUTE");
        expect(columnNames(perMinute)).toEqual(["events", "minute", "stage"]);
        expect(columnNames(visual(operations, "Stage-to-stage latency, worst hour (seconds)").block)).toEqual(
          expect.arrayContaining(["p50_seconds", "p90_seconds", "p99_seconds"]),
        );
        expect(columnNames(visual(operations, "Stuck invoices, longest waiting first").block)).toEqual(
          expect.arrayContaining(["invoice_id", "stage", "minutes_in_stage", "sla_minutes"]),
        );
        const [text] = sheetsOf(operations)[0]!["text_boxes"] as TfBlock[];
        expect(text!["content"]).toMatch(/^<text-box>Dead-letter queue depth is a CloudWatch metric/);
        for (const name of ["cellfleet-fleet (us-east-1)", "use1-a (us-east-1)", "usw1-a (us-west-1)"]) expect(text!["content"]).toContain(name);
      });

      it("finance: authorized vs matched, PPV and PQV by payee and legal entity, due-date ageing, never mixing currencies", () => {
        const finance = dashboard("finance", "us-east-2");
        expect(visualsOf(finance).map((v) => [v.type, v.title])).toEqual([
          ["kpi_visual", "Invoices"],
          ["bar_chart_visual", "Authorized vs matched amount, by legal entity"],
          ["line_chart_visual", "Authorized vs matched amount per invoice date"],
          ["bar_chart_visual", "PPV and PQV by payee, top 20 by PPV"],
          ["bar_chart_visual", "PPV and PQV by legal entity"],
          ["table_visual", "Amounts and variance by legal entity, payee and currency"],
          ["bar_chart_visual", "Open amount by due-date ageing"],
          ["bar_chart_visual", "Open invoices by due-date ageing, by legal entity"],
          ["table_visual", "Ageing by legal entity and currency"],
        ]);
        expect(columnNames(visual(finance, "PPV and PQV by payee, top 20 by PPV").block)).toEqual(expect.arrayContaining(["payee_code", "ppv", "pqv"]));
        for (const { title, block } of visualsOf(finance)) {
          const wells = collect(block, "values").flatMap((w) => columnNames({ values: w["values"] }));
          const amounts = wells.filter((name) => /amount|ppv|pqv/.test(String(name)));
          if (amounts.length > 0) expect(columnNames(block), `${title} splits amounts by currency`).toContain("currency");
        }
      });

      it("grant the configured principals and nobody else: authors author, viewers view", () => {
        for (const [, d] of entriesOf(stack, "aws_quicksight_dashboard")) {
          expect(permissionsOf(d)).toEqual([
            { principal: VIEWER_GROUP, actions: sorted(DASHBOARD_VIEWER_ACTIONS) },
            { principal: AUTHOR, actions: sorted(DASHBOARD_AUTHOR_ACTIONS) },
            { principal: VIEWER_USER, actions: sorted(DASHBOARD_VIEWER_ACTIONS) },
          ]);
        }
      });
    });
  });

  describe("principals", () => {
    it("grant a principal listed as viewer and author once, as author", () => {
      const synthesized = synthStack(analyticsStack(analyticsFleet({ viewers: [AUTHOR, VIEWER_GROUP] })).stack).parsed;
      const [, d] = entriesOf(synthesized, "aws_quicksight_dashboard")[0]!;
      expect(permissionsOf(d)).toEqual([
        { principal: VIEWER_GROUP, actions: sorted(DASHBOARD_VIEWER_ACTIONS) },
        { principal: AUTHOR, actions: sorted(DASHBOARD_AUTHOR_ACTIONS) },
      ]);
    });

    it("with none configured, grant nothing on any asset", () => {
      const synthesized = synthStack(analyticsStack(analyticsFleet({ viewers: [], authors: [] })).stack).parsed;
      for (const type of ["aws_quicksight_dashboard", "aws_quicksight_data_set"]) {
        for (const [, block] of entriesOf(synthesized, type)) expect(block["permissions"] ?? []).toEqual([]);
      }
      for (const [, source] of entriesOf(synthesized, "aws_cloudcontrolapi_resource")) {
        expect(JSON.parse(source["desired_state"] as string)).not.toHaveProperty("Permissions");
      }
    });

    it("must be QuickSight user or group ARNs of the identity region, named by their config field", () => {
      expect(() => analyticsStack(analyticsFleet({ viewers: ["arn:aws:iam::123456789012:user/cfo"] }))).toThrow(
        /^analytics\.quicksight\.viewers\[0\]: "arn:aws:iam::123456789012:user\/cfo" is not a QuickSight user or group ARN/,
      );
      expect(() => analyticsStack(analyticsFleet({ authors: ["arn:aws:quicksight:eu-west-1:123456789012:user/default/bi"] }))).toThrow(
        /^analytics\.quicksight\.authors\[0\]: .* is in eu-west-1, but QuickSight users and groups live in the account's identity region us-east-1/,
      );
      const elsewhere = analyticsFleet({ region: "eu-west-1", authors: ["arn:aws:quicksight:eu-west-1:123456789012:user/default/bi"], viewers: [] });
      expect(() => analyticsStack(elsewhere)).not.toThrow();
    });
  });

  describe("a fleet whose tables share one region", () => {
    it("gets one data source, one set of datasets unioning every cell, and three dashboards", () => {
      const input = defaultFleetInput();
      const config = analyticsFleet();
      const oneRegion = { ...config, cells: input.cells!.map((cell) => ({ ...config.cells.find((c) => c.id === cell.id)!, storeRegion: "us-east-2" as const })) };
      const synthesized = synthStack(analyticsStack(oneRegion).stack).parsed;
      expect(Object.values(resourcesOf(synthesized, "aws_cloudcontrolapi_resource")).map((s) => s["region"])).toEqual(["us-east-2"]);
      expect(entriesOf(synthesized, "aws_quicksight_dashboard")).toHaveLength(3);
      const sql = sqlOf(inRegion(synthesized, "aws_quicksight_data_set", "us-east-2")[0]![1]);
      for (const cell of ["use1-a", "use2-a", "usw1-a", "usw2-a"]) expect(sql).toContain(tableRef(cell));
    });
  });
});
