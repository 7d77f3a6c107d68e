import { z } from "zod";
import { commonConfig, commonEnv, optional, parseEnv, rule, type CommonConfig } from "../shared/function-env";

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
    INGEST_URL: z.url({ protocol: /^https?$/, ...rule("must be the stage URL, such as https://abc.execute-api.us-east-1.amazonaws.com/v1") }),
    FIRST_STAGE: z.string(rule("must name a stage")).regex(/^[a-z][a-z0-9-]*$/, "must name a stage"),
    API_KEY_SECRET_ID: z.string(rule("must name a secret")).min(1, "must name a secret"),
    ...commonEnv,
    MAX_END_TO_END_SECONDS: seconds(900),
    POLL_INTERVAL_SECONDS: seconds(300),
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

export interface CanaryConfig extends CommonConfig {
  cellId: string;
  ingest: {
    /** `POST` target of the synthetic event: `<INGEST_URL>/invoices/<FIRST_STAGE>`. */
    url: string;
    /** The stage the canary posts to, and whose stored row it waits for. */
    firstStage: string;
    /** Secrets Manager secret whose SecretString is the canary client's API key. */
    apiKeySecretId: string;
  };
  /** The event must be stored this long after it was sent, or the run fails. */
  maxEndToEndSeconds: number;
  /** Wait between two looks into the store. */
  pollIntervalSeconds: number;
}

export const DEFAULT_MAX_END_TO_END_SECONDS = 120;
export const DEFAULT_POLL_INTERVAL_SECONDS = 5;
export const DEFAULT_SERVICE_NAME = "pipeline-canary";

/** Reads and validates the canary's environment; the error names every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): CanaryConfig {
  const vars = parseEnv(CanaryEnvSchema, env, "pipeline canary");
  const baseUrl = vars.INGEST_URL.replace(/\/+$/, "");
  return {
    cellId: vars.CELL_ID,
    ingest: {
      url: `${baseUrl}/invoices/${vars.FIRST_STAGE}`,
      firstStage: vars.FIRST_STAGE,
      apiKeySecretId: vars.API_KEY_SECRET_ID,
    },
    maxEndToEndSeconds: vars.MAX_END_TO_END_SECONDS ?? DEFAULT_MAX_END_TO_END_SECONDS,
    pollIntervalSeconds: vars.POLL_INTERVAL_SECONDS ?? DEFAULT_POLL_INTERVAL_SECONDS,
    ...commonConfig(vars, DEFAULT_SERVICE_NAME),
  };
}
