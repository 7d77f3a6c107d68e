import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { TimestreamWriteClient } from "@aws-sdk/client-timestream-write";
import { storeClientOptions } from "../shared/function-env";
import { loadConfig } from "./config";
import { createHandler } from "./consumer";
import { TimestreamSink } from "./sink";

// Once per container: a bad environment fails the cold start with the variable's name.
const config = loadConfig(process.env);

const client = new TimestreamWriteClient(storeClientOptions(config.timestream));

export const handler = createHandler({
  config,
  sink: new TimestreamSink({
    client,
    database: config.timestream.database,
    table: config.timestream.table,
    region: config.region,
  }),
  logger: new Logger({ serviceName: config.serviceName }),
  metrics: new Metrics({ namespace: config.metricsNamespace, serviceName: config.serviceName }),
});
