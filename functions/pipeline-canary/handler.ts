import { setTimeout as sleep } from "node:timers/promises";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { TimestreamQueryClient } from "@aws-sdk/client-timestream-query";
import { createHandler } from "./canary";
import { storeClientOptions } from "../shared/function-env";
import { loadConfig } from "./config";

// Once per container: a bad environment fails the cold start with the variable's name.
const config = loadConfig(process.env);

const timestream = new TimestreamQueryClient(storeClientOptions(config.timestream));

export const handler = createHandler({
  config,
  // The secret is replicated to every cell region: read the local replica.
  secrets: new SecretsManagerClient({ region: config.region }),
  timestream,
  post: (url, init) => fetch(url, init),
  logger: new Logger({ serviceName: config.serviceName }),
  metrics: new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName }),
  clock: Date.now,
  sleep: (milliseconds) => sleep(milliseconds),
});
