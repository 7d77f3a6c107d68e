import { z } from "zod";
import { commonConfig, commonEnv, parseEnv, rule, type CommonConfig } from "../shared/function-env";

const STAGE_NAME = /^[a-z](?:[a-z0-9]|-(?=[a-z0-9]))*$/;
/** The fleet schema's bounds on a stage SLA (one year). */
const MAX_SLA_MINUTES = 525_600;

/** A whole number in a range, given as text (every environment variable is text). */
const wholeNumber = (min: number, max: number) => {
  const message = `must be a whole number from ${min} to ${max}`;
  return z
    .string(rule(message))
    .regex(/^\d+$/, message)
    .transform(Number)
    .pipe(z.int().min(min, message).max(max, message));
};

const SLAS_MESSAGE = `must be a JSON object mapping each non-terminal stage name to whole minutes (1-${MAX_SLA_MINUTES})`;

const stageSlas = z
  .string(rule(SLAS_MESSAGE))
  .transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: SLAS_MESSAGE });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .record(
        z.string().regex(STAGE_NAME, SLAS_MESSAGE),
        z.int(SLAS_MESSAGE).min(1, SLAS_MESSAGE).max(MAX_SLA_MINUTES, SLAS_MESSAGE),
        { error: SLAS_MESSAGE },
      )
      .refine((slas) => Object.keys(slas).length > 0, SLAS_MESSAGE),
  );

/** The environment of a cell's stuck-invoice detector, as the cell stack sets it. */
const DetectorEnvSchema = z
  .object({
    CELL_ID: z.string(rule("must name a cell")).min(1, "must name a cell"),
    ...commonEnv,
    TERMINAL_STAGE: z.string(rule("must name the terminal stage")).regex(STAGE_NAME, "must name the terminal stage"),
    STAGE_SLAS_MINUTES: stageSlas,
    MAX_LISTED: wholeNumber(1, 500),
    LOOKBACK_DAYS: wholeNumber(1, 365),
    ALERT_TOPIC_ARN: z
      .string(rule("must be an SNS topic ARN"))
      .regex(/^arn:aws[a-z-]*:sns:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:[A-Za-z0-9_-]{1,256}$/, "must be an SNS topic ARN"),
  })
  .superRefine((env, ctx) => {
    if (Object.hasOwn(env.STAGE_SLAS_MINUTES, env.TERMINAL_STAGE)) {
      ctx.addIssue({
        code: "custom",
        path: ["STAGE_SLAS_MINUTES"],
        message: "must not give the terminal stage (TERMINAL_STAGE) an SLA: an invoice there is done",
      });
    }
  });

export interface DetectorConfig extends CommonConfig {
  cellId: string;
  /** The last stage of the journey: an invoice whose latest event is there is done. */
  terminalStage: string;
  /** Every non-terminal stage, in journey order, with the minutes an invoice may stay there. */
  stageSlasMinutes: Readonly<Record<string, number>>;
  /** Most invoice ids listed in one alert (the counts always cover every stuck invoice). */
  maxListed: number;
  /** How far back the query looks for an invoice's latest event. */
  lookbackDays: number;
  /** Where the alert goes (the cell's warning topic). */
  alertTopicArn: string;
  /** The topic's region, from its ARN (the SNS client must call that region). */
  alertTopicRegion: string;
}

export const DEFAULT_SERVICE_NAME = "stuck-invoice-detector";

/** Reads and validates the detector's environment; the error names every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): DetectorConfig {
  const vars = parseEnv(DetectorEnvSchema, env, "stuck-invoice detector");
  return {
    cellId: vars.CELL_ID,
    terminalStage: vars.TERMINAL_STAGE,
    stageSlasMinutes: vars.STAGE_SLAS_MINUTES,
    maxListed: vars.MAX_LISTED,
    lookbackDays: vars.LOOKBACK_DAYS,
    alertTopicArn: vars.ALERT_TOPIC_ARN,
    alertTopicRegion: vars.ALERT_TOPIC_ARN.split(":")[3]!,
    ...commonConfig(vars, DEFAULT_SERVICE_NAME),
  };
}
