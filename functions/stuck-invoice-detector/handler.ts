import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { SNSClient } from "@aws-sdk/client-sns";
import { TimestreamQueryClient } from "@aws-sdk/client-timestream-query";
import { storeClientOptions } from "../shared/function-env";
import { loadConfig } from "./config";
import { createHandler } from "./detector";

// Once per container: a bad environment fails the cold start with the variable's name.
const config = loadConfig(process.env);

const timestream = new TimestreamQueryClient(storeClientOptions(config.timestream));

export const handler = createHandler({
  config,
  timestream,
  sns: new SNSClient({ region: config.alertTopicRegion }),
  logger: new Logger({ serviceName: config.serviceName }),
  metrics: new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName }),
});
