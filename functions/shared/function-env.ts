import { z } from "zod";

/**
 * What every cell function's environment has in common, as the cell stack sets it: its region,
 * the cell's store and its Powertools names; and how each function validates its environment
 * (every bad variable named with the rule it breaks, never its value).
 */

/** Unset and empty are the same thing for optional variables (Terraform writes ""). */
export const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema.optional());

/** "is not set" when missing, else the rule the value breaks. */
export const rule = (message: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? "is not set" : message),
});

export const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** The variables every cell function reads; each function's schema adds its own to these. */
export const commonEnv = {
  AWS_REGION: z.string(rule("must be a region")).regex(REGION, "must be a region such as us-east-1"),
  TIMESTREAM_DATABASE: z.string(rule("must name a database")).min(1, "must name a database"),
  TIMESTREAM_TABLE: z.string(rule("must name a table")).min(1, "must name a table"),
  TIMESTREAM_REGION: optional(z.string().regex(REGION, "must be a region such as us-west-2")),
  TIMESTREAM_ENDPOINT: optional(z.url("must be a URL such as http://localhost:5000")),
  POWERTOOLS_SERVICE_NAME: optional(z.string()),
  POWERTOOLS_METRICS_NAMESPACE: optional(z.string()),
};

type CommonVars = z.output<z.ZodObject<typeof commonEnv>>;

/** The cell's Timestream table, as a function reaches it. */
export interface StoreLocation {
  database: string;
  table: string;
  /** Where the store lives: the cell's region unless Timestream is not offered there. */
  region: string;
  /** Set only for tests and emulators; AWS uses endpoint discovery. */
  endpoint: string | undefined;
}

export interface CommonConfig {
  region: string;
  timestream: StoreLocation;
  serviceName: string;
  metricsNamespace: string;
}

export const DEFAULT_METRICS_NAMESPACE = "cellfleet";

/** A function's environment does not hold; the message names every bad variable. */
export class FunctionConfigError extends Error {
  override readonly name = "FunctionConfigError";
}

/**
 * Validates an environment against a function's schema. Only the variable's name and the rule
 * leave: never a value, nor a key inside a JSON value.
 */
export function parseEnv<T extends z.ZodType>(schema: T, env: Record<string, string | undefined>, what: string): z.output<T> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = [...new Set(result.error.issues.map((issue) => `${String(issue.path[0] ?? "(environment)")}: ${issue.message}`))];
  throw new FunctionConfigError(`Invalid ${what} environment: ${problems.join("; ")}`);
}

/** The common part of a function's config, from validated variables. */
export function commonConfig(vars: CommonVars, defaultServiceName: string): CommonConfig {
  return {
    region: vars.AWS_REGION,
    timestream: {
      database: vars.TIMESTREAM_DATABASE,
      table: vars.TIMESTREAM_TABLE,
      region: vars.TIMESTREAM_REGION ?? vars.AWS_REGION,
      endpoint: vars.TIMESTREAM_ENDPOINT,
    },
    serviceName: vars.POWERTOOLS_SERVICE_NAME ?? defaultServiceName,
    metricsNamespace: vars.POWERTOOLS_METRICS_NAMESPACE ?? DEFAULT_METRICS_NAMESPACE,
  };
}

/** A Timestream client's options for the store: its region, and the endpoint only when one is set. */
export function storeClientOptions(store: StoreLocation): { region: string; endpoint?: string } {
  return { region: store.region, ...(store.endpoint === undefined ? {} : { endpoint: store.endpoint }) };
}
