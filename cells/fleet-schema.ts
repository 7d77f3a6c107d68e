import { z } from "zod";
import { AWS_REGIONS, PIPES_REGIONS, TIMESTREAM_REGIONS, isAwsRegion } from "./aws-regions";
import { QUOTA_IDS } from "./capacity/quotas";
import { nameProblem } from "./naming";

/**
 * The schema of `cells/fleet.json`: every knob a user has, with its default. `fleet.schema.json`
 * is generated from it (`npm run schema`) for editors; a test keeps the two in step.
 */

const region = z.enum(AWS_REGIONS, {
  error: (issue) => {
    const suggestion = typeof issue.input === "string" ? closest(issue.input, AWS_REGIONS) : undefined;
    return `${JSON.stringify(issue.input)} is not an AWS region${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`;
  },
});

/** The candidate within two edits of `value`, for "did you mean" hints. */
function closest(value: string, candidates: readonly string[]): string | undefined {
  const distance = (a: string, b: string) => {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const current = [i];
      for (let j = 1; j <= b.length; j++) {
        current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      }
      previous = current;
    }
    return previous[b.length]!;
  };
  const [best] = candidates.map((c) => [c, distance(value, c)] as const).sort((x, y) => x[1] - y[1]);
  return best && best[1] <= 2 ? best[0] : undefined;
}

/** The retention periods CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

const positiveInt = (max: number) => z.int().min(1).max(max);

/** Lowercase letters, digits and single hyphens; the limits on length come from `naming.ts`. */
const SLUG = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$/;
const slug = (what: string) =>
  z.string().regex(SLUG, `a valid ${what} (lowercase letters, digits and single hyphens, starting with a letter)`);

export const DeliveryModeSchema = z
  .enum(["fifo", "standard"])
  .describe("fifo: per-invoice order through a Pipe and a FIFO queue; standard: straight to the consumer");

/** Consumer knobs, without defaults (a per-stage override names only what it changes). */
const consumerFields = {
  memoryMb: z.int().min(128).max(10240).describe("consumer Lambda memory (MB); default 512"),
  timeoutSeconds: positiveInt(900).describe("consumer Lambda timeout; queue visibility is 6x this; default 30"),
  batchSize: positiveInt(10_000).describe("records per invocation; default 10 in fifo mode (its maximum), 100 in standard mode"),
  maxBatchingWindowSeconds: z
    .int()
    .min(0)
    .max(300)
    .describe("standard mode only: how long to gather a batch (fifo mode has none); default 2"),
  maxConcurrency: z.int().min(2).max(1000).describe("most concurrent consumer invocations; default 50"),
};

export const ConsumerSettingsSchema = z
  .strictObject({
    memoryMb: consumerFields.memoryMb.default(512),
    timeoutSeconds: consumerFields.timeoutSeconds.default(30),
    batchSize: consumerFields.batchSize.optional(),
    maxBatchingWindowSeconds: consumerFields.maxBatchingWindowSeconds.default(2),
    maxConcurrency: consumerFields.maxConcurrency.default(50),
  })
  .describe("the stage consumer Lambda and its event source mapping");

const slaMinutes = z
  .int()
  .min(1)
  .max(525_600)
  .describe("an invoice whose latest stage is this one for longer is stuck (not used for the terminal stage)");

export const StageSettingsSchema = z.strictObject({
  delivery: DeliveryModeSchema.default("fifo"),
  consumer: ConsumerSettingsSchema.default(ConsumerSettingsSchema.parse({})),
  slaMinutes: slaMinutes.default(240),
});

/** A stage's overrides of `stageDefaults`: only the fields it names change. */
const StageOverridesSchema = z.strictObject({
  delivery: DeliveryModeSchema.optional(),
  consumer: z.strictObject(consumerFields).partial().optional(),
  slaMinutes: slaMinutes.optional(),
});

const subscription = z.strictObject({
  protocol: z.enum(["email", "https", "sqs"]),
  endpoint: z.string().min(1).describe("address, URL or queue ARN ({region} and {cell} are filled per cell)"),
});

export const OperationsSchema = z
  .strictObject({
    alerting: z
      .strictObject({
        critical: z.array(subscription).default([]).describe("pages: data loss risk, stalled pipeline"),
        warning: z.array(subscription).default([]).describe("needs attention today; escalates to critical if it lasts"),
        info: z.array(subscription).default([]).describe("for the record"),
      })
      .default({ critical: [], warning: [], info: [] }),
    escalateAfterMinutes: z.int().min(5).max(1440).default(60).describe("a warning in ALARM this long pages as critical"),
    thresholds: z
      .strictObject({
        api5xxRatePercent: z.number().positive().max(100).default(1),
        api4xxRatePercent: z.number().positive().max(100).default(10),
        apiP99LatencyMs: z.int().positive().default(1500),
        queueAgeSeconds: z.int().positive().default(300).describe("oldest message older than this: stuck in queue"),
        queueDepth: z.int().positive().default(50_000),
        consumerErrorRatePercent: z.number().positive().max(100).default(1),
        durationOfTimeoutPercent: z.number().positive().max(100).default(80),
        concurrencyOfMaxPercent: z.number().positive().max(100).default(80),
      })
      .default({
        api5xxRatePercent: 1,
        api4xxRatePercent: 10,
        apiP99LatencyMs: 1500,
        queueAgeSeconds: 300,
        queueDepth: 50_000,
        consumerErrorRatePercent: 1,
        durationOfTimeoutPercent: 80,
        concurrencyOfMaxPercent: 80,
      }),
    stuckInvoices: z
      .strictObject({
        scheduleMinutes: z.int().min(1).max(720).default(15).describe("its failure alarm spans two runs, within CloudWatch's one day"),
        maxListed: z.int().min(1).max(500).default(50).describe("invoice ids listed in one alert"),
        lookbackDays: z.int().min(1).max(365).default(14).describe("how far back the detector looks"),
      })
      .default({ scheduleMinutes: 15, maxListed: 50, lookbackDays: 14 }),
    canary: z
      .strictObject({
        enabled: z.boolean().default(true),
        scheduleMinutes: z.int().min(1).max(60).default(5),
        client: z.string().default("canary").describe("the api.clients entry whose key the canary uses"),
        maxEndToEndSeconds: z
          .int()
          .min(10)
          .max(840)
          .default(120)
          .describe("the brief's visibility objective (the canary's timeout is this plus 60 s, within Lambda's 900)"),
      })
      .default({ enabled: true, scheduleMinutes: 5, client: "canary", maxEndToEndSeconds: 120 }),
  })
  .describe("alarms by severity, stuck-invoice detection, the pipeline canary");

export const SubscriberSchema = z
  .strictObject({
    name: slug("subscriber name").max(32).describe("unique per stage; names the subscription's DLQ"),
    stage: z.string().describe("the stage whose topic it subscribes to"),
    protocol: z.enum(["sqs", "lambda", "https"]).describe("the endpoint owner grants this topic access (queue policy, function permission)"),
    endpoint: z
      .string()
      .min(1)
      .describe("queue/function/stream ARN or https URL; {region} and {cell} are replaced per cell"),
    filterPolicy: z
      .record(z.string(), z.unknown())
      .optional()
      .describe("SNS filter policy on the message body (the EventBridge event)"),
    rawMessageDelivery: z.boolean().default(true),
  })
  .describe("a downstream consumer of one stage's topic, in every cell");

/** A DNS name we create records and certificates for. */
const hostname = z
  .string()
  .max(200)
  .regex(/^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/, "a lowercase DNS name such as invoices.example.com");

export const ClientTierSchema = z.strictObject({
  rate: z.number().positive().max(10_000).describe("steady requests per second per client, per cell"),
  burst: z.int().min(1).max(5_000).describe("requests a client may burst above its rate, per cell"),
  monthlyQuota: z.int().min(1).describe("requests per client per calendar month, per cell"),
});

export const ApiSchema = z
  .strictObject({
    domain: z
      .strictObject({
        name: hostname.describe("cells answer on <cell>.<name>"),
        hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,32}$/, "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ"),
      })
      .describe("public DNS: a certificate and custom domain per cell, validated in this zone"),
    stageName: slug("stage name").max(32).default("v1"),
    throttleHeadroom: z
      .number()
      .min(1)
      .max(10)
      .default(1.5)
      .describe("stage throttling = the cell's peak times this (room for bursts)"),
    clientTiers: z
      .record(slug("tier name").max(32), ClientTierSchema)
      .default({ standard: { rate: 100, burst: 200, monthlyQuota: 200_000_000 } })
      .describe("usage plans: one per tier in every cell"),
    clients: z
      .array(
        z.strictObject({
          name: slug("client name").max(40).describe("names its API key and key secret"),
          tier: z.string().describe("one of clientTiers"),
        }),
      )
      .default([])
      .describe("API key holders; the global stack keeps each key in a secret replicated to every cell region"),
    waf: z
      .strictObject({
        ipRateLimitPer5Minutes: z.int().min(10).max(2_000_000_000).default(300_000).describe("requests from one IP in 5 minutes before it is blocked"),
        maxBodyBytes: z.int().min(1024).max(65_536).default(16_384).describe("larger request bodies are blocked"),
      })
      .default({ ipRateLimitPer5Minutes: 300_000, maxBodyBytes: 16_384 }),
    manageAccountSettings: z
      .boolean()
      .default(true)
      .describe("the global stack sets API Gateway's CloudWatch role in every cell region (off if managed elsewhere)"),
  })
  .describe("the ingest API edge of every cell");

export const CellSchema = z.strictObject({
  id: slug("cell id").describe("stack id cell-<id>; part of every physical name in the cell"),
  region: region.describe("where the cell runs"),
  storeRegion: region
    .optional()
    .describe("where the cell's Timestream table lives, when Timestream is not offered in region"),
  active: z.boolean().default(true).describe("false drains the cell from shared routing without deleting it"),
  weight: z.number().positive().default(1).describe("share of the fleet's load"),
  peakEventsPerSecond: z.number().positive().optional().describe("what this cell is sized for; default load.cellPeakEventsPerSecond"),
});

export const CapacitySchema = z
  .strictObject({
    utilisationCeilingPercent: z
      .number()
      .positive()
      .max(100)
      .default(80)
      .describe("the most of any quota a cell or region may use at peak, also after losing a cell or a region"),
    visibilityObjectiveSeconds: z
      .int()
      .min(1)
      .max(86_400)
      .optional()
      .describe("ingest-to-store delay every stage must meet at peak; default operations.canary.maxEndToEndSeconds"),
    stageShares: z
      .record(z.string(), z.number().positive())
      .default({})
      .describe("relative share of events per stage (stages not named count 1); default: an even spread"),
    quotaOverrides: z
      .partialRecord(region, z.partialRecord(z.enum(QUOTA_IDS), z.number().positive()))
      .default({})
      .describe("raised AWS quotas: { \"<region>\": { \"<quota id>\": value } }, e.g. { \"us-west-1\": { \"eventbridge.putEvents\": 5000 } }"),
  })
  .describe("the capacity planner (npm run capacity) and its synth-time warnings");

export const FleetSchema = z
  .strictObject({
    $schema: z.string().optional(),
    project: slug("project name").max(24).default("cellfleet").describe("tag value and state key prefix"),
    stateBackend: z
      .strictObject({
        bucket: z
          .string()
          .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "an S3 bucket name")
          .describe("S3 bucket holding every stack's state"),
        region: region,
        keyPrefix: z.string().regex(/^[A-Za-z0-9/_.-]*$/).default("cellfleet"),
      })
      .describe("Terraform S3 backend (state locking with a lock file)"),
    global: z.strictObject({
      region: region.describe("control region: the global stack (router, archive hub)"),
      archiveRetentionDays: z
        .int()
        .min(1)
        .max(3650)
        .default(35)
        .describe("how long the archive hub keeps every cell's events for DR replays"),
    }),
    tenants: z
      .record(z.string().regex(/^[A-Za-z0-9-]{1,63}$/, "a tenant id: letters, digits and hyphens, at most 63"), z.string())
      .default({})
      .describe("tenant -> cell pins: each tenant gets <tenant>.<domain> routed to its cell"),
    stages: z
      .array(slug("stage name").max(24))
      .min(1)
      .describe("the invoice journey in order; the last one is terminal"),
    stageSettings: z
      .record(z.string(), StageOverridesSchema)
      .default({})
      .describe("per-stage overrides of stageDefaults, keyed by stage name"),
    stageDefaults: StageSettingsSchema.default(StageSettingsSchema.parse({})),
    subscribers: z.array(SubscriberSchema).default([]),
    store: z
      .strictObject({
        memoryRetentionHours: positiveInt(8766).default(24),
        magneticRetentionDays: positiveInt(73_000).default(365),
      })
      .default({ memoryRetentionHours: 24, magneticRetentionDays: 365 })
      .describe("Timestream retention (magnetic-store writes are always on, for late events)"),
    queues: z
      .strictObject({
        maxReceiveCount: z.int().min(5).max(1000).default(5).describe("deliveries before a message goes to its DLQ"),
        retentionDays: positiveInt(14).default(4),
        dlqRetentionDays: positiveInt(14).default(14),
      })
      .default({ maxReceiveCount: 5, retentionDays: 4, dlqRetentionDays: 14 }),
    router: z
      .strictObject({
        retryAttempts: z.int().min(0).max(185).default(185).describe("EventBridge target retries before the rule DLQ"),
        maxEventAgeSeconds: z.int().min(60).max(86_400).default(86_400),
      })
      .default({ retryAttempts: 185, maxEventAgeSeconds: 86_400 }),
    load: z
      .strictObject({
        peakEventsPerSecond: z.number().positive().default(1000).describe("fleet-wide month-end peak (60,000/minute)"),
        averageEventsPerSecond: z.number().positive().default(995).describe("fleet-wide average (86 million/day)"),
        cellPeakEventsPerSecond: z
          .number()
          .positive()
          .default(500)
          .describe("what one cell is sized for (throttling, concurrency) unless the cell says otherwise"),
      })
      .default({ peakEventsPerSecond: 1000, averageEventsPerSecond: 995, cellPeakEventsPerSecond: 500 })
      .describe("expected load; a cell is sized by its own peak, so adding a cell changes no other cell"),
    capacity: CapacitySchema.default({ utilisationCeilingPercent: 80, stageShares: {}, quotaOverrides: {} }),
    api: ApiSchema,
    operations: OperationsSchema.default(OperationsSchema.parse({})),
    compliance: z
      .strictObject({
        enabled: z.boolean().default(false).describe("most organisations run CloudTrail and AWS Config centrally"),
        trailRetentionDays: z.int().min(90).max(3650).default(365).describe("how long CloudTrail logs are kept"),
      })
      .default({ enabled: false, trailRetentionDays: 365 })
      .describe("optional: a multi-region CloudTrail trail and AWS Config rules mirroring our policy (global stack)"),
    analytics: z
      .strictObject({
        quicksight: z
          .strictObject({
            enabled: z.boolean().default(false).describe("needs a QuickSight subscription"),
            region: region.optional().describe("the QuickSight account's region; default global.region"),
            viewers: z.array(z.string().min(1)).default([]).describe("QuickSight user/group ARNs that may view the dashboards"),
            authors: z.array(z.string().min(1)).default([]).describe("QuickSight user/group ARNs that may edit datasets and dashboards"),
          })
          .default({ enabled: false, viewers: [], authors: [] }),
      })
      .default({ quicksight: { enabled: false, viewers: [], authors: [] } })
      .describe("optional: QuickSight dashboards over every cell's Timestream table (global stack)"),
    logRetentionDays: z
      .number()
      .refine((days) => LOG_RETENTION_DAYS.includes(days), {
        error: (issue) => `${JSON.stringify(issue.input)} is not a retention CloudWatch Logs accepts (one of ${LOG_RETENTION_DAYS.join(", ")})`,
      })
      .default(365)
      .describe("CloudWatch Logs retention (one of the values CloudWatch accepts); a year keeps the audit trail"),
    cells: z.array(CellSchema).min(1, "a fleet needs at least one cell"),
  })
  // Fleet-wide checks run even when some fields failed, so every problem is reported at once;
  // they read the value defensively for that reason.
  .superRefine((fleet, ctx) => crossFieldProblems(fleet, ctx), { when: (payload) => isRecord(payload.value) });

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const asRecord = (value: unknown): Record<string, unknown> => (isRecord(value) ? value : {});
const asString = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** Checks that span fields: stage references, duplicates, regional services, name lengths. */
function crossFieldProblems(fleet: Record<string, unknown>, ctx: z.RefinementCtx): void {
  const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: "custom", path, message });
  const stageList = asArray(fleet.stages).filter((stage): stage is string => typeof stage === "string");
  const stages = new Set(stageList);
  const expectedStages = `expected one of ${[...stages].join(", ")}`;

  stageList.forEach((stage, i) => {
    if (stageList.indexOf(stage) !== i) issue(["stages", i], `duplicate stage "${stage}"`);
  });
  const stageSettings = asRecord(fleet.stageSettings);
  if (Array.isArray(fleet.stages)) {
    for (const stage of Object.keys(stageSettings)) {
      if (!stages.has(stage)) issue(["stageSettings", stage], `unknown stage "${stage}", ${expectedStages}`);
    }
  }

  const stageDefaults = asRecord(fleet.stageDefaults);
  const defaultConsumer = asRecord(stageDefaults.consumer);
  for (const stage of stageList) {
    const override = asRecord(stageSettings[stage]);
    const overrideConsumer = asRecord(override.consumer);
    const delivery = override.delivery ?? stageDefaults.delivery ?? "fifo";
    const batchSize = overrideConsumer.batchSize ?? defaultConsumer.batchSize;
    const window = overrideConsumer.maxBatchingWindowSeconds ?? defaultConsumer.maxBatchingWindowSeconds ?? 2;
    if (typeof batchSize !== "number") continue;
    const source = overrideConsumer.batchSize !== undefined ? ["stageSettings", stage, "consumer", "batchSize"] : ["stageDefaults", "consumer", "batchSize"];
    if (delivery === "fifo" && batchSize > 10) {
      issue(source, `${batchSize} is too large for stage "${stage}": SQS FIFO delivers at most 10 messages per batch`);
    }
    if (delivery === "standard" && batchSize > 10 && typeof window === "number" && window < 1) {
      issue(source, `stage "${stage}": a batch above 10 needs maxBatchingWindowSeconds >= 1`);
    }
  }

  const subscriberKeys = new Set<string>();
  asArray(fleet.subscribers).forEach((raw, i) => {
    const subscriber = asRecord(raw);
    const stage = asString(subscriber.stage);
    if (stage !== undefined && Array.isArray(fleet.stages) && !stages.has(stage)) {
      issue(["subscribers", i, "stage"], `unknown stage "${stage}", ${expectedStages}`);
    }
    const key = `${stage}/${asString(subscriber.name)}`;
    if (subscriberKeys.has(key)) issue(["subscribers", i, "name"], `duplicate subscriber "${asString(subscriber.name)}" on stage "${stage}"`);
    subscriberKeys.add(key);
  });

  const api = asRecord(fleet.api);
  const tiers = isRecord(api.clientTiers) ? Object.keys(api.clientTiers) : ["standard"];
  const clientNames = new Set<string>();
  asArray(api.clients).forEach((raw, i) => {
    const client = asRecord(raw);
    const tier = asString(client.tier);
    if (tier !== undefined && !tiers.includes(tier)) {
      issue(["api", "clients", i, "tier"], `unknown tier "${tier}", expected one of ${tiers.join(", ")}`);
    }
    const name = asString(client.name);
    if (name !== undefined && clientNames.has(name)) issue(["api", "clients", i, "name"], `duplicate client "${name}"`);
    if (name !== undefined) clientNames.add(name);
  });

  const canary = asRecord(asRecord(fleet.operations).canary);
  const canaryClient = asString(canary.client) ?? "canary";
  if (canary.enabled !== false && Array.isArray(api.clients) && !clientNames.has(canaryClient)) {
    issue(
      ["operations", "canary", "client"],
      `the canary calls the API as client "${canaryClient}", which api.clients does not list (add it, or set operations.canary.enabled to false)`,
    );
  }

  const cellsById = new Map(
    asArray(fleet.cells)
      .map(asRecord)
      .filter((cell) => typeof cell.id === "string")
      .map((cell) => [cell.id as string, cell] as const),
  );
  for (const [tenant, cellId] of Object.entries(asRecord(fleet.tenants))) {
    const pinned = typeof cellId === "string" ? cellsById.get(cellId) : undefined;
    if (typeof cellId === "string" && !pinned) {
      issue(["tenants", tenant], `tenant "${tenant}" is pinned to unknown cell "${cellId}" (one of ${[...cellsById.keys()].join(", ")})`);
    } else if (pinned && pinned.active === false) {
      issue(["tenants", tenant], `tenant "${tenant}" is pinned to drained cell "${cellId}" (active: false); pin it to an active cell`);
    }
  }

  const seen = new Map<string, number>();
  asArray(fleet.cells).forEach((raw, i) => {
    const cell = asRecord(raw);
    const id = asString(cell.id);
    if (id !== undefined) {
      const first = seen.get(id);
      if (first !== undefined) issue(["cells", i, "id"], `duplicate cell id "${id}" (also cells[${first}])`);
      else seen.set(id, i);
      // `dr-<cell>-` replay names and `<cell>-*` alarm patterns must not reach another cell.
      const extended = [...seen.keys()].find((other) => other !== id && (id.startsWith(`${other}-`) || other.startsWith(`${id}-`)));
      if (extended !== undefined) {
        issue(["cells", i, "id"], `"${id}" and "${extended}": one cell id may not be another's followed by "-" (DR replay names and alarm patterns would reach both)`);
      }
      const tooLong = SLUG.test(id) ? nameProblem(id, stageList) : undefined;
      if (tooLong) issue(["cells", i, "id"], tooLong);
    }
    const region = asString(cell.region);
    if (region === undefined || !isAwsRegion(region)) return; // reported by the field itself
    if (!PIPES_REGIONS.includes(region)) issue(["cells", i, "region"], `EventBridge Pipes is not offered in ${region}; a cell needs it`);
    const storeRegion = asString(cell.storeRegion) ?? region;
    if (isAwsRegion(storeRegion) && !TIMESTREAM_REGIONS.includes(storeRegion)) {
      issue(
        ["cells", i, cell.storeRegion === undefined ? "region" : "storeRegion"],
        `Timestream for LiveAnalytics is not offered in ${storeRegion}; set cells[${i}].storeRegion to one of ${TIMESTREAM_REGIONS.join(", ")}`,
      );
    }
  });
}

export type FleetInput = z.input<typeof FleetSchema>;
type ParsedFleet = z.output<typeof FleetSchema>;
export type CellConfig = ParsedFleet["cells"][number];
export type SubscriberConfig = ParsedFleet["subscribers"][number];
export type DeliveryMode = z.output<typeof DeliveryModeSchema>;
export type ConsumerSettings = z.output<typeof ConsumerSettingsSchema>;

/** One stage with its settings resolved (defaults merged with the stage's overrides). */
export interface StageConfig {
  readonly name: string;
  /** Minutes an invoice may sit with this as its latest stage before it is stuck. */
  readonly slaMinutes: number;
  readonly delivery: DeliveryMode;
  readonly consumer: ConsumerSettings & { readonly batchSize: number };
  /** The last stage of the journey (posting, by default). */
  readonly terminal: boolean;
}

/** The typed configuration everything downstream of `fleet.json` works from. */
export interface FleetConfig extends Omit<ParsedFleet, "stages" | "stageSettings" | "stageDefaults" | "$schema"> {
  readonly stages: readonly StageConfig[];
}
