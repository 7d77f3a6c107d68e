import { z } from "zod";
import { commonConfig, commonEnv, parseEnv, rule, type CommonConfig } from "../shared/function-env";

/** The environment of a stage consumer, as the cell stack sets it. */
const ConsumerEnvSchema = z.object({
  STAGE: z.string(rule("must name a stage")).min(1, "must name a stage"),
  CELL_ID: z.string(rule("must name a cell")).min(1, "must name a cell"),
  DELIVERY_MODE: z.enum(["fifo", "standard"], rule("must be fifo or standard")),
  ...commonEnv,
});

export type DeliveryMode = "fifo" | "standard";

export interface ConsumerConfig extends CommonConfig {
  stage: string;
  cellId: string;
  deliveryMode: DeliveryMode;
}

export const DEFAULT_SERVICE_NAME = "stage-consumer";

/** Reads and validates the consumer's environment; the error names every bad variable. */
export function loadConfig(env: Record<string, string | undefined>): ConsumerConfig {
  const vars = parseEnv(ConsumerEnvSchema, env, "stage consumer");
  return {
    stage: vars.STAGE,
    cellId: vars.CELL_ID,
    deliveryMode: vars.DELIVERY_MODE,
    ...commonConfig(vars, DEFAULT_SERVICE_NAME),
  };
}
