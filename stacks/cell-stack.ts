import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity";
import { DataAwsPartition } from "@cdktf/provider-aws/lib/data-aws-partition";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { CellConfig, FleetConfig } from "../cells/fleet-schema";
import { cellNames, stateKey, subscriberEndpoint, type AccountRef } from "../cells/naming";
import { CellKey } from "./cell-key";
import { EventRouter } from "./event-router";
import { FunctionCode, type FunctionBundle } from "./function-code";
import { IngestApi } from "./ingest-api";
import { InvoiceStore } from "./invoice-store";
import { StagePipeline } from "./stage-pipeline";

export interface CellStackProps {
  readonly fleet: FleetConfig;
  readonly cell: CellConfig;
  /** The stage-consumer bundle, built once per synth and shared by every cell. */
  readonly consumerBundle: FunctionBundle;
}

/**
 * One self-contained cell (stack id `cell-<id>`): the whole invoice pipeline in one region,
 * with its own provider and state. It references nothing in any other stack.
 */
export class CellStack extends TerraformStack {
  readonly key: CellKey;
  readonly router: EventRouter;
  readonly store: InvoiceStore;
  readonly api: IngestApi;
  readonly pipelines: ReadonlyMap<string, StagePipeline>;

  constructor(scope: Construct, props: CellStackProps) {
    const { fleet, cell } = props;
    const names = cellNames(cell.id);
    super(scope, names.stackId);

    new AwsProvider(this, "aws", {
      region: cell.region,
      defaultTags: [{ tags: { project: fleet.project, cell: cell.id, region: cell.region } }],
    });
    configureBackend(this, fleet, names.stackId);

    const account: AccountRef = {
      partition: new DataAwsPartition(this, "partition").partition,
      account: new DataAwsCallerIdentity(this, "account").accountId,
    };

    this.key = new CellKey(this, "key", {
      alias: names.keyAlias,
      region: cell.region,
      account,
      description: `cellfleet cell ${cell.id}: queues, topics, logs, invoice store`,
    });
    this.key.allowLogs();

    const storeRegion = cell.storeRegion ?? cell.region;
    // A KMS key only encrypts in its own region: a store elsewhere gets a key of its own there.
    const storeKey =
      storeRegion === cell.region
        ? this.key
        : new CellKey(this, "store-key", {
            alias: names.storeKeyAlias,
            region: storeRegion,
            account,
            description: `cellfleet cell ${cell.id}: invoice store in ${storeRegion}`,
          });
    this.store = new InvoiceStore(this, "store", {
      databaseName: names.timestreamDatabase,
      tableName: names.timestreamTable,
      rejectedRecordsBucketName: names.rejectedRecordsBucket(account.account),
      region: storeRegion,
      key: storeKey,
      memoryRetentionHours: fleet.store.memoryRetentionHours,
      magneticRetentionDays: fleet.store.magneticRetentionDays,
    });

    this.router = new EventRouter(this, "router", {
      busName: names.bus,
      deadLetterQueueName: names.routerDlq,
      key: this.key,
      retryAttempts: fleet.router.retryAttempts,
      maxEventAgeSeconds: fleet.router.maxEventAgeSeconds,
      dlqRetentionDays: fleet.queues.dlqRetentionDays,
    });

    const code = new FunctionCode(this, "stage-consumer-code", props.consumerBundle);
    const pipelines = new Map<string, StagePipeline>();
    for (const stage of fleet.stages) {
      pipelines.set(
        stage.name,
        new StagePipeline(this, `stage-${stage.name}`, {
          cellNames: names,
          region: cell.region,
          account,
          stage,
          key: this.key,
          router: this.router,
          store: this.store,
          code,
          subscribers: fleet.subscribers
            .filter((subscriber) => subscriber.stage === stage.name)
            .map((subscriber) => ({ ...subscriber, endpoint: subscriberEndpoint(subscriber.endpoint, cell) })),
          queues: fleet.queues,
          logRetentionDays: fleet.logRetentionDays,
        }),
      );
    }
    this.pipelines = pipelines;

    this.api = new IngestApi(this, "ingest", {
      cellId: cell.id,
      region: cell.region,
      account,
      apiName: names.api,
      roleName: names.apiRole,
      stages: fleet.stages.map((stage) => stage.name),
      router: this.router,
    });

    new TerraformOutput(this, "ingest_url", { value: this.api.url, description: "POST <url>/invoices/<stage>" });
    new TerraformOutput(this, "event_bus_arn", { value: this.router.bus.arn });
  }
}

/** S3 backend with a key per stack and S3-native locking (Terraform >= 1.10). */
export function configureBackend(stack: TerraformStack, fleet: FleetConfig, stackId: string): void {
  new S3Backend(stack, {
    bucket: fleet.stateBackend.bucket,
    region: fleet.stateBackend.region,
    key: stateKey(fleet.stateBackend.keyPrefix, stackId),
    encrypt: true,
  });
  // cdktf 0.21's S3Backend has no useLockfile prop; the override synthesizes it.
  stack.addOverride("terraform.backend.s3.use_lockfile", true);
}
