import { z } from "zod";

/** Unset and empty are the same thing for optional variables (Terraform writes ""). */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

/** "is not set" when missing, else the rule the value breaks. */
const rule = (message: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? "is not set" : message),
});

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** A number of seconds written as a plain decimal ("120", "2.5"). */
const seconds = (max: number) =>
  optional(
    z
      .string()
      .regex(/^\d+(\.\d+)?$/, "must be a number of seconds")
      .transform(Number)
      .pipe(z.number().positive("must be more than 0 seconds").max(max, `must be at most ${max} seconds`)),
  );

/** The environment of a cell's pipeline canary, as the cell stack sets it. */
const CanaryEnvSchema = z
  .object({
    // The cell id becomes part of the canary's invoice id (at most 128 characters in all).
    CELL_ID: z.string(rule("must name a cell")).regex(/^[a-z][a-z0-9-]{0,63}$/, "must be a cell id such as use1-a"),
    AWS_REGION: z.string(rule("must be a region")).regex(REGION, "must be a region such as us-east-1"),
    INGEST_URL: z.url({ protocol: /^https?$/, ...rule("must be the stage URL, such as https://abc.execute-api.us-east-1.amazonaws.com/v1") }),
    FIRST_STAGE: z.string(rule("must name a stage")).regex(/^[a-z][a-z0-9-]*$/, "must name a stage"),
    API_KEY_SECRET_ID: z.string(rule("must name a secret")).min(1, "must name a secret"),
    TIMESTREAM_DATABASE: z.string(rule("must name a database")).min(1, "must name a database"),
    TIMESTREAM_TABLE: z.string(rule("must name a table")).min(1, "must name a table"),
    TIMESTREAM_REGION: optional(z.string().regex(REGION, "must be a region such as us-west-2")),
    TIMESTREAM_ENDPOINT: optional(z.url("must be a URL such as http://localhost:5000")),
    MAX_END_TO_END_SECONDS: seconds(900),
    POLL_INTERVAL_SECONDS: seconds(300),
    POWERTOOLS_SERVICE_NAME: optional(z.string()),
    POWERTOOLS_METRICS_NAMESPACE: optional(z.string()),
  })
  .superRefine((vars, context) => {
    const maxSeconds = vars.MAX_END_TO_END_SECONDS ?? DEFAULT_MAX_END_TO_END_SECONDS;
    if ((vars.POLL_INTERVAL_SECONDS ?? DEFAULT_POLL_INTERVAL_SECONDS) > maxSeconds) {
      context.addIssue({
        code: "custom",
        path: ["POLL_INTERVAL_SECONDS"],
        message: `must not be longer than MAX_END_TO_END_SECONDS (${maxSeconds})`,
      });
    }
  });

export interface CanaryConfig {
  cellId: string;
  region: string;
  ingest: {
    /** `POST` target of the synthetic event: `<INGEST_URL>/invoices/<FIRST_STAGE>`. */
    url: string;
    /** The stage the canary posts to, and whose stored row it waits for. */
    firstStage: string;
    /** Secrets Manager secret whose SecretString is the canary client's API key. */
    apiKeySecretId: string;
  };
  timestream: {
    database: string;
    table: string;
    /** Where the store lives: the cell's region unless Timestream is not offered there. */
    region: string;
    /** Set only for tests and emulators; AWS uses endpoint discovery. */
    endpoint: string | undefined;
  };
  /** The event must be stored this long after it was sent, or the run fails. */
  maxEndToEndSeconds: number;
  /** Wait between two looks into the store. */
  pollIntervalSeconds: number;
  serviceName: string;
  metricsNamespace: string;
}

export const DEFAULT_MAX_END_TO_END_SECONDS = 120;
export const DEFAULT_POLL_INTERVAL_SECONDS = 5;
export const DEFAULT_SERVICE_NAME = "pipeline-canary";
export const DEFAULT_METRICS_NAMESPACE = "cellfleet";

export class CanaryConfigError extends Error {
  override readonly name = "CanaryConfigError";
}

/** Reads and validates the canary's environment; the error names every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): CanaryConfig {
  const result = CanaryEnvSchema.safeParse(env);
  if (!result.success) {
    // Name and rule only: never echo a value from the environment.
    const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new CanaryConfigError(`Invalid pipeline canary environment: ${problems.join("; ")}`);
  }
  const vars = result.data;
  const baseUrl = vars.INGEST_URL.replace(/\/+$/, "");
  return {
    cellId: vars.CELL_ID,
    region: vars.AWS_REGION,
    ingest: {
      url: `${baseUrl}/invoices/${vars.FIRST_STAGE}`,
      firstStage: vars.FIRST_STAGE,
      apiKeySecretId: vars.API_KEY_SECRET_ID,
    },
    timestream: {
      database: vars.TIMESTREAM_DATABASE,
      table: vars.TIMESTREAM_TABLE,
      region: vars.TIMESTREAM_REGION ?? vars.AWS_REGION,
      endpoint: vars.TIMESTREAM_ENDPOINT,
    },
    maxEndToEndSeconds: vars.MAX_END_TO_END_SECONDS ?? DEFAULT_MAX_END_TO_END_SECONDS,
    pollIntervalSeconds: vars.POLL_INTERVAL_SECONDS ?? DEFAULT_POLL_INTERVAL_SECONDS,
    serviceName: vars.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME,
    metricsNamespace: vars.POWERTOOLS_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE,
  };
}
