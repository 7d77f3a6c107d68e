import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { Construct } from "constructs";
import type { StageConfig } from "../cells/fleet-schema";
import type { CellNames } from "../cells/naming";
import { SERVICES, type MetricRef } from "./cell-alarm-specs";
import { METRICS_NAMESPACE } from "./cell-function";

/** A CloudWatch dashboard widget (the dashboard body's JSON). */
interface Widget {
  type: "metric" | "text" | "alarm";
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Record<string, unknown>;
}

const WIDTH = 24;

/** `[namespace, name, dim, value, ..., {stat, period, label}]`, the dashboard's metric row. */
function row(metric: MetricRef, label?: string, region?: string): unknown[] {
  return [
    metric.namespace,
    metric.metricName,
    ...Object.entries(metric.dimensions).flat(),
    { stat: metric.stat, period: metric.period, ...(label ? { label } : {}), ...(region ? { region } : {}) },
  ];
}

/** Lays widgets out left to right, `perRow` to a row. */
class Layout {
  readonly widgets: Widget[] = [];
  private y = 0;

  text(markdown: string): void {
    this.widgets.push({ type: "text", x: 0, y: this.y, width: WIDTH, height: 1, properties: { markdown } });
    this.y += 1;
  }

  row(items: { title: string; metrics: unknown[][]; region: string; stacked?: boolean }[], height = 6): void {
    const width = Math.floor(WIDTH / items.length);
    items.forEach((item, i) =>
      this.widgets.push({
        type: "metric",
        x: i * width,
        y: this.y,
        width,
        height,
        properties: { title: item.title, region: item.region, view: "timeSeries", stacked: item.stacked ?? false, metrics: item.metrics },
      }),
    );
    this.y += height;
  }

  alarms(title: string, alarmArns: readonly string[]): void {
    // An alarm status widget shows at most 100 alarms.
    for (let start = 0; start < alarmArns.length; start += 100) {
      this.widgets.push({
        type: "alarm",
        x: 0,
        y: this.y,
        width: WIDTH,
        height: 6,
        properties: { title: start === 0 ? title : `${title} (continued)`, alarms: alarmArns.slice(start, start + 100) },
      });
      this.y += 6;
    }
  }

  body(): string {
    return JSON.stringify({ widgets: this.widgets });
  }
}

const m = (namespace: string, metricName: string, dimensions: Record<string, string>, stat: string, period = 60): MetricRef => ({
  namespace,
  metricName,
  dimensions,
  stat,
  period,
});

export interface CellDashboardInput {
  readonly names: CellNames;
  readonly region: string;
  readonly apiStageName: string;
  readonly stages: readonly StageConfig[];
  readonly alarmArns: readonly string[];
  /** The stuck-invoice detector's schedule: its metrics come once per run. */
  readonly detectorPeriodSeconds: number;
  /** The canary's schedule, or undefined when the canary is off. */
  readonly canaryPeriodSeconds?: number;
}

/** The cell's dashboard: ingest, routing, each stage's queues, consumer and store, stuck invoices, canary, alarms. */
export function cellDashboardBody(input: CellDashboardInput): string {
  const { names, region } = input;
  const cell = names.cell;
  const api = { ApiName: names.api, Stage: input.apiStageName };
  const layout = new Layout();
  layout.text(`# Cell ${cell} (${region}) — ingest → route → fan out → consume → store`);
  layout.alarms(`${cell} alarms`, input.alarmArns);
  layout.row([
    {
      title: "Ingest requests and errors",
      region,
      metrics: [
        row(m("AWS/ApiGateway", "Count", api, "Sum"), "requests"),
        row(m("AWS/ApiGateway", "4XXError", api, "Sum"), "4xx"),
        row(m("AWS/ApiGateway", "5XXError", api, "Sum"), "5xx"),
      ],
    },
    {
      title: "Ingest latency",
      region,
      metrics: [row(m("AWS/ApiGateway", "Latency", api, "p50"), "p50"), row(m("AWS/ApiGateway", "Latency", api, "p99"), "p99")],
    },
    {
      title: "Routed events per stage",
      region,
      stacked: true,
      metrics: input.stages.map((stage) =>
        row(m("AWS/Events", "MatchedEvents", { EventBusName: names.bus, RuleName: names.stage(stage.name).rule }, "Sum"), stage.name),
      ),
    },
  ]);
  for (const stage of input.stages) {
    const s = names.stage(stage.name);
    const consumer = { FunctionName: s.consumerFunction };
    const emf = { service: SERVICES.consumer, stage: stage.name, cell };
    const buffered = stage.delivery === "fifo" ? [s.queue, s.fifoQueue] : [s.queue];
    layout.text(`## ${stage.name} (${stage.delivery} delivery${stage.terminal ? ", terminal" : `, SLA ${stage.slaMinutes} min`})`);
    layout.row([
      {
        title: "Queue depth",
        region,
        metrics: buffered.map((queue) => row(m("AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: queue }, "Maximum"), queue)),
      },
      {
        title: "Oldest message (s)",
        region,
        metrics: buffered.map((queue) => row(m("AWS/SQS", "ApproximateAgeOfOldestMessage", { QueueName: queue }, "Maximum"), queue)),
      },
      {
        title: "Consumer",
        region,
        metrics: [
          row(m("AWS/Lambda", "Invocations", consumer, "Sum"), "invocations"),
          row(m("AWS/Lambda", "Errors", consumer, "Sum"), "errors"),
          row(m("AWS/Lambda", "Throttles", consumer, "Sum"), "throttles"),
          row(m("AWS/Lambda", "ConcurrentExecutions", consumer, "Maximum"), "concurrency"),
        ],
      },
      {
        title: "Store writes",
        region,
        metrics: ["RecordsWritten", "RecordsSuperseded", "RecordsRejected", "WriteFailures", "InvalidInvoiceEvents"].map((name) =>
          row(m(METRICS_NAMESPACE, name, emf, "Sum"), name),
        ),
      },
    ]);
  }
  const canaryPeriod = input.canaryPeriodSeconds;
  layout.text(canaryPeriod === undefined ? "## Stuck invoices" : "## Stuck invoices and the pipeline canary");
  layout.row([
    {
      title: "Stuck invoices per stage",
      region,
      metrics: input.stages
        .filter((stage) => !stage.terminal)
        .map((stage) =>
          row(m(METRICS_NAMESPACE, "StuckInvoices", { service: SERVICES.detector, cell, stage: stage.name }, "Maximum", input.detectorPeriodSeconds), stage.name),
        ),
    },
    ...(canaryPeriod === undefined
      ? []
      : [
          {
            title: "Canary end to end (s)",
            region,
            metrics: [
              row(m(METRICS_NAMESPACE, "CanaryEndToEndSeconds", { service: SERVICES.canary, cell }, "Maximum", canaryPeriod), "end to end"),
              row(m(METRICS_NAMESPACE, "CanaryFailures", { service: SERVICES.canary, cell }, "Maximum", canaryPeriod), "failures"),
            ],
          },
        ]),
  ]);
  return layout.body();
}

export interface FleetDashboardInput {
  readonly cells: readonly { readonly names: CellNames; readonly region: string; readonly active: boolean }[];
  readonly apiStageName: string;
  readonly stages: readonly StageConfig[];
  readonly detectorPeriodSeconds: number;
  /** The canary's schedule, or undefined when the canary is off. */
  readonly canaryPeriodSeconds?: number;
}

/** The fleet at a glance: a row per cell, each metric read from the cell's own region. */
export function fleetDashboardBody(input: FleetDashboardInput): string {
  const layout = new Layout();
  layout.text("# cellfleet — one row per cell");
  for (const { names, region, active } of input.cells) {
    const cell = names.cell;
    const api = { ApiName: names.api, Stage: input.apiStageName };
    const terminal = input.stages.find((stage) => stage.terminal)!;
    layout.text(`## ${cell} (${region})${active ? "" : " — drained"}`);
    layout.row(
      [
        {
          title: `${cell}: ingest`,
          region,
          metrics: [
            row(m("AWS/ApiGateway", "Count", api, "Sum", 300), "requests", region),
            row(m("AWS/ApiGateway", "5XXError", api, "Sum", 300), "5xx", region),
          ],
        },
        {
          title: `${cell}: stored at ${terminal.name}`,
          region,
          metrics: [row(m(METRICS_NAMESPACE, "RecordsWritten", { service: SERVICES.consumer, stage: terminal.name, cell }, "Sum", 300), "records", region)],
        },
        {
          title: `${cell}: stuck invoices`,
          region,
          metrics: input.stages
            .filter((stage) => !stage.terminal)
            .map((stage) =>
              row(m(METRICS_NAMESPACE, "StuckInvoices", { service: SERVICES.detector, cell, stage: stage.name }, "Maximum", input.detectorPeriodSeconds), stage.name, region),
            ),
        },
        ...(input.canaryPeriodSeconds === undefined
          ? []
          : [
              {
                title: `${cell}: canary end to end (s)`,
                region,
                metrics: [row(m(METRICS_NAMESPACE, "CanaryEndToEndSeconds", { service: SERVICES.canary, cell }, "Maximum", input.canaryPeriodSeconds), "seconds", region)],
              },
            ]),
      ],
      5,
    );
  }
  return layout.body();
}

/** A CloudWatch dashboard from a generated body. */
export class Dashboard extends Construct {
  readonly dashboard: CloudwatchDashboard;

  constructor(scope: Construct, id: string, props: { readonly name: string; readonly body: string; readonly region?: string }) {
    super(scope, id);
    this.dashboard = new CloudwatchDashboard(this, "dashboard", {
      dashboardName: props.name,
      dashboardBody: props.body,
      region: props.region,
    });
  }
}
