import type { DeliveryMode, FleetConfig, StageConfig } from "../fleet-schema";
import { PLANNING_MODEL, consumerSeconds } from "./model";
import { PRICES_AS_OF, PRICES_REGION, type PriceId, cost } from "./prices";
import { stageShares } from "./planner";
import { effectiveBatch } from "./visibility";

/**
 * What the fleet costs to run at its average load (`load.averageEventsPerSecond`), per service,
 * per million events and per month, from the dated us-east-1 price table in `prices.ts`: as
 * configured, and with every stage in fifo mode and in standard mode for comparison.
 */

export type CostFleet = Pick<FleetConfig, "cells" | "stages" | "load" | "capacity" | "global" | "store">;

export interface CostLine {
  readonly service: string;
  readonly item: string;
  readonly perMillionEvents: number;
  readonly perMonth: number;
  readonly prices: readonly PriceId[];
}

export interface ModeCost {
  readonly mode: "configured" | DeliveryMode;
  readonly label: string;
  /** Costs that grow with the number of events. */
  readonly lines: readonly CostLine[];
  /** Monthly costs per deployed cell, whatever the load. */
  readonly fixed: readonly CostLine[];
  /** Event-driven costs only. */
  readonly perMillionEvents: number;
  /** Event-driven and fixed costs. */
  readonly perMonth: number;
}

export interface CostEstimate {
  readonly pricesRegion: string;
  readonly pricesAsOf: string;
  readonly averageEventsPerSecond: number;
  readonly eventsPerMonth: number;
  readonly cells: number;
  /** Configured, all-fifo, all-standard. */
  readonly modes: readonly ModeCost[];
  readonly assumptions: readonly string[];
  readonly notIncluded: readonly string[];
}

/** The ingest firewall's rules per cell (`stacks/ingest-firewall.ts`: rate, body size, two AWS managed groups). */
const WAF_RULES_PER_CELL = 5;
const KB_PER_GB = 1024 * 1024;
/** SQS receives and deletes in batches of up to 10 (the pipe, or Lambda's pollers). */
const SQS_BATCH = 10;

interface PerEvent {
  readonly service: string;
  readonly item: string;
  readonly price: PriceId;
  /** Price units per event. */
  readonly units: number;
}

export function estimateCost(fleet: CostFleet): CostEstimate {
  const eventsPerMonth = fleet.load.averageEventsPerSecond * 3600 * PLANNING_MODEL.hoursPerMonth;
  const modes: ModeCost[] = [
    modeCost(fleet, "configured", fleet.stages, eventsPerMonth),
    modeCost(fleet, "fifo", fleet.stages.map((stage) => inMode(stage, "fifo")), eventsPerMonth),
    modeCost(fleet, "standard", fleet.stages.map((stage) => inMode(stage, "standard")), eventsPerMonth),
  ];
  const { sizes, xraySampledFraction } = PLANNING_MODEL;
  return {
    pricesRegion: PRICES_REGION,
    pricesAsOf: PRICES_AS_OF,
    averageEventsPerSecond: fleet.load.averageEventsPerSecond,
    eventsPerMonth,
    cells: fleet.cells.length,
    modes,
    assumptions: [
      `list prices for ${PRICES_REGION} read on ${PRICES_AS_OF} (cells/capacity/prices.ts), first-tier rates, no free tier`,
      `monthly figures at load.averageEventsPerSecond over ${PLANNING_MODEL.hoursPerMonth} hours; storage at its steady state (archive ${fleet.global.archiveRetentionDays} days, memory store ${fleet.store.memoryRetentionHours} h, magnetic store ${fleet.store.magneticRetentionDays} days)`,
      `sizes: event ${sizes.eventKb} KB, stored record ${sizes.storedRecordKb} KB, access-log line ${sizes.accessLogLineKb} KB, WAF log record ${sizes.wafLogRecordKb} KB, consumer logs ${sizes.consumerLogKbPerInvocation} KB per invocation`,
      `X-Ray records ${xraySampledFraction * 100}% of API requests and consumer invocations (default sampling)`,
      "a stage switched to fifo uses batches of 10, one switched to standard batches of 100 with its batching window",
    ],
    notIncluded: [
      "CloudWatch alarms, dashboards, metrics and log storage",
      "Route 53 records and health checks, Secrets Manager secrets, KMS requests (data keys are cached)",
      "Timestream queries (dashboards, the stuck-invoice detector), X-Ray trace retrieval",
      "data transfer, idle empty receives, replays",
    ],
  };
}

/** The stage as it would be in `mode`: a switched stage takes that mode's default batch. */
function inMode(stage: StageConfig, mode: DeliveryMode): StageConfig {
  if (stage.delivery === mode) return stage;
  return { ...stage, delivery: mode, consumer: { ...stage.consumer, batchSize: mode === "fifo" ? 10 : 100 } };
}

function modeCost(fleet: CostFleet, mode: ModeCost["mode"], stages: readonly StageConfig[], eventsPerMonth: number): ModeCost {
  const perEvent = [...fleetItems(fleet), ...stageItems(fleet, stages)];
  const lines = combine(perEvent).map(({ service, item, usdPerEvent, prices }) => ({
    service,
    item,
    perMillionEvents: usdPerEvent * 1_000_000,
    perMonth: usdPerEvent * eventsPerMonth,
    prices,
  }));
  const cells = fleet.cells.length;
  const fixed: CostLine[] = [
    { service: "AWS WAF", item: `web ACL and ${WAF_RULES_PER_CELL} rules per cell (${cells} cells)`, perMillionEvents: 0, perMonth: cells * (cost("wafWebAclMonth", 1) + cost("wafRuleMonth", WAF_RULES_PER_CELL)), prices: ["wafWebAclMonth", "wafRuleMonth"] },
    { service: "KMS", item: `one key per cell (${cells} cells)`, perMillionEvents: 0, perMonth: cost("kmsKeyMonth", cells), prices: ["kmsKeyMonth"] },
  ];
  const variable = lines.reduce((sum, line) => sum + line.perMonth, 0);
  return {
    mode,
    label: mode === "configured" ? "as configured" : `all ${mode}`,
    lines,
    fixed,
    perMillionEvents: lines.reduce((sum, line) => sum + line.perMillionEvents, 0),
    perMonth: variable + fixed.reduce((sum, line) => sum + line.perMonth, 0),
  };
}

/** Per-event items every stage shares: the edge, routing, fan-out, the stage queue's send, the store. */
function fleetItems(fleet: CostFleet): PerEvent[] {
  const { sizes, xraySampledFraction, hoursPerMonth } = PLANNING_MODEL;
  const daysPerMonth = hoursPerMonth / 24;
  const eventGb = sizes.eventKb / KB_PER_GB;
  const storedGb = sizes.storedRecordKb / KB_PER_GB;
  return [
    { service: "API Gateway", item: "REST API requests", price: "apiGatewayRestRequest", units: 1 },
    { service: "AWS WAF", item: "requests inspected", price: "wafRequest", units: 1 },
    { service: "EventBridge", item: "PutEvents (custom events)", price: "eventBridgeCustomEvent", units: 1 },
    { service: "EventBridge", item: "forward to the archive hub (cross-region)", price: "eventBridgeCrossRegionEvent", units: 1 },
    { service: "EventBridge", item: "archive (ingest)", price: "eventBridgeArchiveGb", units: eventGb },
    { service: "EventBridge", item: `archive storage (${fleet.global.archiveRetentionDays} days)`, price: "eventBridgeArchiveStorageGbMonth", units: eventGb * (fleet.global.archiveRetentionDays / daysPerMonth) },
    { service: "SNS", item: "publish to the stage topic", price: "snsPublish", units: 1 },
    { service: "SQS", item: "stage queue (send, receive, delete)", price: "sqsStandardRequest", units: 1 + 2 / SQS_BATCH },
    { service: "Timestream", item: "writes", price: "timestreamWrite", units: sizes.timestreamWritesPerEvent },
    { service: "Timestream", item: `memory store (${fleet.store.memoryRetentionHours} h)`, price: "timestreamMemoryGbHour", units: storedGb * fleet.store.memoryRetentionHours },
    { service: "Timestream", item: `magnetic store (${fleet.store.magneticRetentionDays} days, steady state)`, price: "timestreamMagneticGbMonth", units: storedGb * (fleet.store.magneticRetentionDays / daysPerMonth) },
    { service: "CloudWatch Logs", item: "API access logs and WAF logs", price: "logsIngestGb", units: (sizes.accessLogLineKb + sizes.wafLogRecordKb) / KB_PER_GB },
    { service: "X-Ray", item: "API traces", price: "xrayTrace", units: xraySampledFraction },
  ];
}

/** Per-event items that depend on a stage's delivery mode and batches, weighted by stage and cell share. */
function stageItems(fleet: CostFleet, stages: readonly StageConfig[]): PerEvent[] {
  const { sizes, xraySampledFraction } = PLANNING_MODEL;
  const shares = stageShares({ stages, capacity: fleet.capacity });
  const active = fleet.cells.filter((cell) => cell.active);
  const totalWeight = active.reduce((sum, cell) => sum + cell.weight, 0);
  const items: PerEvent[] = [];
  for (const stage of stages) {
    const share = shares.get(stage.name)!;
    if (stage.delivery === "fifo") {
      items.push({ service: "EventBridge", item: "Pipes (stage queue -> FIFO queue)", price: "pipesRequest", units: share });
      items.push({ service: "SQS", item: "FIFO queue (send, receive, delete)", price: "sqsFifoRequest", units: share * (1 + 2 / SQS_BATCH) });
    }
    for (const cell of active) {
      const fraction = share * (cell.weight / totalWeight);
      const arrival = fleet.load.averageEventsPerSecond * fraction;
      const batch = effectiveBatch(stage, arrival);
      const invocationsPerEvent = fraction / batch;
      items.push({ service: "Lambda", item: "consumer invocations", price: "lambdaRequest", units: invocationsPerEvent });
      items.push({
        service: "Lambda",
        item: "consumer duration (arm64)",
        price: "lambdaArmGbSecond",
        units: invocationsPerEvent * consumerSeconds(batch) * (stage.consumer.memoryMb / 1024),
      });
      items.push({ service: "CloudWatch Logs", item: "consumer logs", price: "logsIngestGb", units: (invocationsPerEvent * sizes.consumerLogKbPerInvocation) / KB_PER_GB });
      items.push({ service: "X-Ray", item: "consumer traces", price: "xrayTrace", units: invocationsPerEvent * xraySampledFraction });
    }
  }
  return items;
}

function combine(items: readonly PerEvent[]): Array<{ service: string; item: string; usdPerEvent: number; prices: PriceId[] }> {
  const lines = new Map<string, { service: string; item: string; usdPerEvent: number; prices: PriceId[] }>();
  for (const { service, item, price, units } of items) {
    const key = `${service}\u0000${item}`;
    const line = lines.get(key) ?? { service, item, usdPerEvent: 0, prices: [] };
    line.usdPerEvent += cost(price, units);
    if (!line.prices.includes(price)) line.prices.push(price);
    lines.set(key, line);
  }
  return [...lines.values()];
}

/**
 * The lines of several modes side by side, by service and item (a line one mode lacks costs 0
 * there): the comparison table of `npm run capacity -- --cost`.
 */
export function costRows(
  estimate: CostEstimate,
): Array<{ service: string; item: string; fixed: boolean; perMillion: number[]; perMonth: number[] }> {
  const rows = new Map<string, { service: string; item: string; fixed: boolean; perMillion: number[]; perMonth: number[] }>();
  for (const fixed of [false, true]) {
    estimate.modes.forEach((mode, i) => {
      for (const line of fixed ? mode.fixed : mode.lines) {
        const key = `${line.service}\u0000${line.item}`;
        const row = rows.get(key) ?? { service: line.service, item: line.item, fixed, perMillion: estimate.modes.map(() => 0), perMonth: estimate.modes.map(() => 0) };
        row.perMillion[i] = line.perMillionEvents;
        row.perMonth[i] = line.perMonth;
        rows.set(key, row);
      }
    });
  }
  return [...rows.values()];
}
