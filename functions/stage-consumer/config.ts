import { z } from "zod";

/** Unset and empty are the same thing for optional variables (Terraform writes ""). */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

/** "is not set" when missing, else the rule the value breaks. */
const rule = (message: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? "is not set" : message),
});

/** The environment of a stage consumer, as the cell stack sets it. */
const ConsumerEnvSchema = z.object({
  STAGE: z.string(rule("must name a stage")).min(1, "must name a stage"),
  CELL_ID: z.string(rule("must name a cell")).min(1, "must name a cell"),
  AWS_REGION: z.string(rule("must be a region")).regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, "must be a region such as us-east-1"),
  DELIVERY_MODE: z.enum(["fifo", "standard"], rule("must be fifo or standard")),
  TIMESTREAM_DATABASE: z.string(rule("must name a database")).min(1, "must name a database"),
  TIMESTREAM_TABLE: z.string(rule("must name a table")).min(1, "must name a table"),
  TIMESTREAM_REGION: optional(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, "must be a region such as us-west-2")),
  TIMESTREAM_ENDPOINT: optional(z.url("must be a URL such as http://localhost:5000")),
  POWERTOOLS_SERVICE_NAME: optional(z.string()),
  POWERTOOLS_METRICS_NAMESPACE: optional(z.string()),
});

export type DeliveryMode = "fifo" | "standard";

export interface ConsumerConfig {
  stage: string;
  cellId: string;
  region: string;
  deliveryMode: DeliveryMode;
  timestream: {
    database: string;
    table: string;
    /** Where the store lives: the cell's region unless Timestream is not offered there. */
    region: string;
    /** Set only for tests and emulators; AWS uses endpoint discovery. */
    endpoint: string | undefined;
  };
  serviceName: string;
  metricsNamespace: string;
}

export const DEFAULT_SERVICE_NAME = "stage-consumer";
export const DEFAULT_METRICS_NAMESPACE = "cellfleet";

export class ConsumerConfigError extends Error {
  override readonly name = "ConsumerConfigError";
}

/** Reads and validates the consumer's environment; the error names every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): ConsumerConfig {
  const result = ConsumerEnvSchema.safeParse(env);
  if (!result.success) {
    // Name and rule only: never echo a value from the environment.
    const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new ConsumerConfigError(`Invalid stage consumer environment: ${problems.join("; ")}`);
  }
  const vars = result.data;
  return {
    stage: vars.STAGE,
    cellId: vars.CELL_ID,
    region: vars.AWS_REGION,
    deliveryMode: vars.DELIVERY_MODE,
    timestream: {
      database: vars.TIMESTREAM_DATABASE,
      table: vars.TIMESTREAM_TABLE,
      region: vars.TIMESTREAM_REGION ?? vars.AWS_REGION,
      endpoint: vars.TIMESTREAM_ENDPOINT,
    },
    serviceName: vars.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME,
    metricsNamespace: vars.POWERTOOLS_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE,
  };
}
