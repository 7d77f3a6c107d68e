import { TerraformOutput } from "cdktf";
import type { Construct } from "constructs";
import type { CellConfig, FleetConfig } from "../cells/fleet-schema";
import { ingestThrottle } from "../cells/cell-load";
import { cellNames, fleetNames, sharedHostname, subscriberEndpoint, tenantHostname } from "../cells/naming";
import { sharedEntryCells, tenantsOf } from "../cells/routing";
import { ApiClients } from "./api-clients";
import { CellKey } from "./cell-key";
import { CELL_REQUIRED_TAGS, applyPolicyAspects } from "./aspects";
import { CellOperations } from "./cell-operations";
import { EncryptedQueue } from "./encrypted-queue";
import { EventRouter } from "./event-router";
import { CellDomain } from "./cell-domain";
import type { FunctionBundles } from "../functions/bundle";
import { FunctionCode } from "./function-code";
import { IngestApi } from "./ingest-api";
import { IngestFirewall } from "./ingest-firewall";
import { InvoiceStore } from "./invoice-store";
import { invoiceRequestModelSchema } from "./request-model";
import { FleetStack, stackFoundation } from "./stack-foundation";
import { StagePipeline } from "./stage-pipeline";

export interface CellStackProps {
  readonly fleet: FleetConfig;
  readonly cell: CellConfig;
  /** The functions' bundles, built once per synth and shared by every cell. */
  readonly bundles: FunctionBundles;
}

/**
 * One self-contained cell (stack id `cell-<id>`): the whole invoice pipeline in one region,
 * with its own provider and state. It references nothing in any other stack.
 */
export class CellStack extends FleetStack {
  readonly key: CellKey;
  readonly router: EventRouter;
  readonly store: InvoiceStore;
  readonly api: IngestApi;
  readonly domain: CellDomain;
  readonly operations: CellOperations;
  readonly pipelines: ReadonlyMap<string, StagePipeline>;

  constructor(scope: Construct, props: CellStackProps) {
    const { fleet, cell } = props;
    const names = cellNames(cell.id);
    super(scope, names.stackId);

    const account = stackFoundation(this, {
      fleet,
      stackId: names.stackId,
      region: cell.region,
      tags: { project: fleet.project, cell: cell.id, region: cell.region },
    });

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

    this.store.reportRejectionsTo({
      ruleName: names.rejectionReportsRule,
      roleName: names.rejectionReportsRole,
      busArn: names.busArn(cell.region, account),
      account: account.account,
      ruleArn: names.rejectionReportsRuleArn(storeRegion, account),
    });

    const fleetWide = fleetNames(fleet.project);
    this.router.forwardToHub({
      cellId: cell.id,
      ruleName: names.forwardRule,
      roleName: names.forwardRole,
      hubBusArn: fleetWide.hubBusArn(fleet.global.region, account),
      ruleArn: names.forwardRuleArn(cell.region, account),
      account: account.account,
    });

    const asyncDeadLetterQueue = new EncryptedQueue(this, "async-dlq", {
      queueName: names.asyncDlq,
      key: this.key,
      retentionDays: fleet.queues.dlqRetentionDays,
    });

    const code = new FunctionCode(this, "stage-consumer-code", props.bundles["stage-consumer"]);
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
          asyncDeadLetterQueue,
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
      stageName: fleet.api.stageName,
      requestModel: invoiceRequestModelSchema(),
      throttle: ingestThrottle(fleet, cell),
      accessLogGroupName: names.apiAccessLogGroup,
      executionLogGroupName: (apiId, stageName) => names.apiExecutionLogGroup(apiId, stageName),
      logRetentionDays: fleet.logRetentionDays,
      key: this.key,
    });
    new ApiClients(this, "clients", {
      restApiId: this.api.api.id,
      stageName: this.api.stage.stageName,
      tiers: fleet.api.clientTiers,
      clients: fleet.api.clients,
      usagePlanName: (tier) => names.usagePlan(tier),
      apiKeyName: (client) => names.apiKey(client),
      keySecretName: (client) => fleetWide.apiKeySecret(client),
    });
    new IngestFirewall(this, "firewall", {
      webAclName: names.webAcl,
      logGroupName: names.wafLogGroup,
      stageArn: this.api.stageArn,
      ipRateLimitPer5Minutes: fleet.api.waf.ipRateLimitPer5Minutes,
      maxBodyBytes: fleet.api.waf.maxBodyBytes,
      key: this.key,
      logRetentionDays: fleet.logRetentionDays,
    });
    const domainName = fleet.api.domain.name;
    const servesSharedEntry = sharedEntryCells(fleet).some((candidate) => candidate.id === cell.id);
    this.domain = new CellDomain(this, "domain", {
      hostnames: [
        names.hostname(domainName),
        ...(servesSharedEntry ? [sharedHostname(domainName)] : []),
        ...tenantsOf(fleet, cell.id).map((tenant) => tenantHostname(tenant, domainName)),
      ],
      hostedZoneId: fleet.api.domain.hostedZoneId,
      restApiId: this.api.api.id,
      stageName: this.api.stage.stageName,
    });

    this.operations = new CellOperations(this, "operations", {
      fleet,
      cell,
      names,
      account,
      key: this.key,
      store: this.store,
      api: this.api,
      asyncDeadLetterQueue,
      busName: this.router.busName,
      code: {
        detector: new FunctionCode(this, "stuck-invoice-detector-code", props.bundles["stuck-invoice-detector"]),
        canary: new FunctionCode(this, "pipeline-canary-code", props.bundles["pipeline-canary"]),
      },
    });

    new TerraformOutput(this, "ingest_url", {
      value: `https://${names.hostname(fleet.api.domain.name)}`,
      description: "POST <url>/invoices/<stage> with an x-api-key header",
    });
    new TerraformOutput(this, "stage_url", { value: this.api.url, description: "the stage's execute-api URL" });
    new TerraformOutput(this, "event_bus_arn", { value: this.router.bus.arn });
    applyPolicyAspects(this, { requiredTags: CELL_REQUIRED_TAGS });
  }
}
