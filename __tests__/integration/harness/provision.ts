/**
 * Recreates the messaging and storage resources of the synthesized stacks in the moto server,
 * from the Terraform JSON itself (never re-declared here), so a change to a construct is what
 * the integration tests exercise.
 *
 * Created, with the synthesized arguments (Terraform references resolved to the emulator's
 * names and ARNs):
 * - EventBridge buses, rules with their exact `event_pattern`, targets (retry policy and DLQ
 *   included; moto stores them but never retries), archives;
 * - SQS queues (FIFO settings, visibility, retention, long-poll wait, `redrive_policy`);
 * - SNS topics and `sqs` subscriptions (`filter_policy`, `filter_policy_scope`,
 *   `raw_message_delivery`, `redrive_policy`); a subscriber queue outside the stack (a
 *   downstream team's) is created from its endpoint ARN;
 * - Timestream databases and tables (retention, magnetic-store writes on/off), in the
 *   resource's own `region` where it has one.
 *
 * Stand-ins, because moto cannot run them:
 * - A rule target that is an SNS topic: moto's PutEvents answers HTTP 500 for it, so an SQS
 *   probe queue takes the topic's place and `relayRuleToTopic` publishes what arrived there to
 *   the topic (what EventBridge would have done).
 * - Every rule also gets an SQS probe target (`probe`), so a test sees exactly which rules
 *   matched; every bus gets an observer rule on the ingest source (`observer`).
 * - Pipes and Lambda functions are not created; their synthesized definitions are returned
 *   (`pipes`, `consumers`) for `hops.ts` and `consumer.ts` to run in-process. Rule targets of
 *   other services (Lambda, logs, ...) are not put either; the rule's probe still records
 *   what it matched.
 *
 * Left out, because moto does not enforce them: KMS keys and every `kms_*` argument, IAM
 * roles and policies (a role ARN is derived from its name), topic and queue policies, the
 * S3 bucket for Timestream's magnetic-store rejections. Resources of other types (API
 * Gateway, WAF, Lambda, CloudWatch, Route 53, S3, Secrets Manager, Scheduler, ...) are not
 * created. An argument of a recreated resource that the harness does not know fails
 * provisioning with its name, so a new construct setting is never silently dropped.
 */
import {
  CreateArchiveCommand,
  CreateEventBusCommand,
  PutRuleCommand,
  PutTargetsCommand,
  type Target,
} from "@aws-sdk/client-eventbridge";
import { CreateTopicCommand, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, SetQueueAttributesCommand, type QueueAttributeName } from "@aws-sdk/client-sqs";
import { CreateDatabaseCommand, CreateTableCommand } from "@aws-sdk/client-timestream-write";
import { INGEST_EVENT_SOURCE } from "../../../functions/shared/invoice-event";
import { EMULATOR_ACCOUNT, EMULATOR_PARTITION, type Emulator } from "./emulator";
import {
  resolveReferences,
  stringAttribute,
  type Attributes,
  type TerraformResource,
  type TerraformStack,
} from "./terraform";

export interface EmulatedQueue {
  readonly name: string;
  readonly region: string;
  readonly url: string;
  readonly arn: string;
  readonly fifo: boolean;
  /** Terraform address; undefined for queues the harness adds (probes, subscriber queues). */
  readonly address?: string;
  redrive?: { readonly deadLetterQueue: EmulatedQueue; readonly maxReceiveCount: number };
}

export interface EmulatedTopic {
  readonly address: string;
  readonly name: string;
  readonly region: string;
  readonly arn: string;
}

export interface EmulatedSubscription {
  readonly address: string;
  readonly topic: EmulatedTopic;
  readonly queue: EmulatedQueue;
  readonly rawMessageDelivery: boolean;
  readonly filterPolicy: unknown;
}

/** Where a rule's synthesized target delivers in the emulator. */
export type EmulatedTarget =
  | { readonly kind: "queue"; readonly queue: EmulatedQueue }
  | { readonly kind: "event-bus"; readonly arn: string }
  /** moto cannot deliver to SNS: the rule's probe queue stands in for this topic. */
  | { readonly kind: "topic-via-probe"; readonly topic: EmulatedTopic }
  /** A target the harness does not run (Lambda, logs, ...); listed in the stack's `skipped`. */
  | { readonly kind: "not-delivered"; readonly arn: string };

export interface EmulatedRule {
  readonly address: string;
  readonly name: string;
  readonly arn: string;
  readonly region: string;
  readonly busName: string;
  readonly eventPattern: unknown;
  readonly targets: EmulatedTarget[];
  /** Receives every event the rule matched (an extra SQS target added by the harness). */
  readonly probe: EmulatedQueue;
}

export interface EmulatedBus {
  readonly address: string;
  readonly name: string;
  readonly arn: string;
  readonly region: string;
  /** Receives every ingest event put on the bus (a harness rule, not in the stacks). */
  readonly observer: EmulatedQueue;
}

export interface EmulatedArchive {
  readonly address: string;
  readonly name: string;
  readonly arn: string;
  readonly region: string;
  readonly sourceBusArn: string;
}

/** A synthesized EventBridge Pipe (SQS -> SQS), not created: `hops.ts` runs it. */
export interface PipeDefinition {
  readonly address: string;
  readonly name: string;
  readonly source: EmulatedQueue;
  readonly target: EmulatedQueue;
  readonly batchSize: number;
  readonly inputTemplate: string | undefined;
  readonly messageGroupId: string | undefined;
  readonly messageDeduplicationId: string | undefined;
}

/** A synthesized Lambda function fed by an SQS event source mapping, not created: `consumer.ts` runs it. */
export interface ConsumerDefinition {
  readonly address: string;
  readonly functionName: string;
  readonly region: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly queue: EmulatedQueue;
  readonly batchSize: number;
  readonly reportsBatchItemFailures: boolean;
}

export interface EmulatedStore {
  readonly database: string;
  readonly table: string;
  readonly region: string;
}

export interface EmulatedStack {
  readonly name: string;
  readonly region: string;
  readonly buses: EmulatedBus[];
  readonly queues: EmulatedQueue[];
  readonly topics: EmulatedTopic[];
  readonly subscriptions: EmulatedSubscription[];
  readonly rules: EmulatedRule[];
  readonly archives: EmulatedArchive[];
  readonly stores: EmulatedStore[];
  readonly pipes: PipeDefinition[];
  readonly consumers: ConsumerDefinition[];
  /** Resources of the types above that were not created, and why (e.g. email subscriptions). */
  readonly skipped: { readonly address: string; readonly reason: string }[];
}

/** Resource attributes that never reach the emulator (see the file header). */
const IGNORED = ["//", "region", "depends_on", "lifecycle", "tags", "tags_all", "count", "for_each"];

/** Resets the emulator and creates every stack in it; stacks are independent of one another. */
export async function provisionStacks(emulator: Emulator, stacks: Iterable<TerraformStack>): Promise<Map<string, EmulatedStack>> {
  await emulator.reset();
  const provisioned = await Promise.all([...stacks].map((stack) => new StackProvisioner(emulator, stack).run()));
  return new Map(provisioned.map((stack) => [stack.name, stack]));
}

class StackProvisioner {
  /** Attributes of created resources, by Terraform address, for reference resolution. */
  readonly #created = new Map<string, Record<string, string>>();
  readonly #queuesByArn = new Map<string, EmulatedQueue>();
  readonly #topicsByArn = new Map<string, EmulatedTopic>();
  readonly #result: EmulatedStack;

  constructor(
    private readonly emulator: Emulator,
    private readonly stack: TerraformStack,
  ) {
    this.#result = {
      name: stack.name,
      region: stack.region,
      buses: [],
      queues: [],
      topics: [],
      subscriptions: [],
      rules: [],
      archives: [],
      stores: [],
      pipes: [],
      consumers: [],
      skipped: [],
    };
  }

  async run(): Promise<EmulatedStack> {
    const of = (type: string) => this.stack.ofType(type);
    await Promise.all(of("aws_cloudwatch_event_bus").map((bus) => this.#createBus(bus)));
    await Promise.all(of("aws_sqs_queue").map((queue) => this.#createQueue(queue)));
    // Redrive policies name other queues: set once every queue exists.
    await Promise.all(of("aws_sqs_queue").map((queue) => this.#setRedrive(queue)));
    await Promise.all(of("aws_sns_topic").map((topic) => this.#createTopic(topic)));
    await Promise.all(of("aws_sns_topic_subscription").map((subscription) => this.#subscribe(subscription)));
    await Promise.all(of("aws_cloudwatch_event_rule").map((rule) => this.#createRule(rule)));
    for (const target of of("aws_cloudwatch_event_target")) await this.#putTarget(target);
    await Promise.all(of("aws_cloudwatch_event_archive").map((archive) => this.#createArchive(archive)));
    await Promise.all(of("aws_timestreamwrite_database").map((database) => this.#createDatabase(database)));
    await Promise.all(of("aws_timestreamwrite_table").map((table) => this.#createTable(table)));
    for (const pipe of of("aws_pipes_pipe")) this.#describePipe(pipe);
    for (const mapping of of("aws_lambda_event_source_mapping")) this.#describeConsumer(mapping);
    return this.#result;
  }

  // --- EventBridge ---------------------------------------------------------------------------

  async #createBus(resource: TerraformResource): Promise<void> {
    const attrs = this.#attributes(resource, ["name"], []);
    const name = required(resource, attrs, "name");
    const { EventBusArn: arn } = await this.emulator.events(resource.region).send(new CreateEventBusCommand({ Name: name }));
    if (!arn) throw new Error(`${resource.address}: CreateEventBus returned no ARN`);
    this.#created.set(resource.address, { name, arn, id: name });
    const observer = await this.#createHarnessQueue(`itest-observe-${name}`, resource.region);
    const observerRule = `itest-observe-${name}`.slice(0, 64);
    const events = this.emulator.events(resource.region);
    await events.send(
      new PutRuleCommand({ Name: observerRule, EventBusName: name, EventPattern: JSON.stringify({ source: [INGEST_EVENT_SOURCE] }) }),
    );
    await events.send(
      new PutTargetsCommand({ Rule: observerRule, EventBusName: name, Targets: [{ Id: "itest-observer", Arn: observer.arn }] }),
    );
    this.#result.buses.push({ address: resource.address, name, arn, region: resource.region, observer });
  }

  async #createRule(resource: TerraformResource): Promise<void> {
    const attrs = this.#attributes(resource, ["name", "event_pattern"], ["event_bus_name", "description", "state", "role_arn"]);
    const name = required(resource, attrs, "name");
    const busName = stringAttribute(attrs, "event_bus_name") ?? "default";
    const eventPattern = required(resource, attrs, "event_pattern");
    const state = stringAttribute(attrs, "state");
    const { RuleArn: arn } = await this.emulator.events(resource.region).send(
      new PutRuleCommand({
        Name: name,
        EventBusName: busName,
        EventPattern: eventPattern,
        Description: stringAttribute(attrs, "description"),
        ...(state === undefined ? {} : { State: state as "ENABLED" }),
      }),
    );
    if (!arn) throw new Error(`${resource.address}: PutRule returned no ARN`);
    this.#created.set(resource.address, { name, arn, id: `${busName}/${name}` });
    const probe = await this.#createHarnessQueue(`itest-probe-${name}`, resource.region);
    await this.emulator.events(resource.region).send(
      new PutTargetsCommand({ Rule: name, EventBusName: busName, Targets: [{ Id: "itest-probe", Arn: probe.arn }] }),
    );
    this.#result.rules.push({
      address: resource.address,
      name,
      arn,
      region: resource.region,
      busName,
      eventPattern: JSON.parse(eventPattern) as unknown,
      targets: [],
      probe,
    });
  }

  async #putTarget(resource: TerraformResource): Promise<void> {
    const attrs = this.#attributes(
      resource,
      ["rule", "arn"],
      ["event_bus_name", "target_id", "role_arn", "retry_policy", "dead_letter_config", "input", "input_path", "input_transformer", "sqs_target"],
    );
    const ruleName = required(resource, attrs, "rule");
    const busName = stringAttribute(attrs, "event_bus_name") ?? "default";
    const rule = this.#result.rules.find((candidate) => candidate.name === ruleName && candidate.busName === busName);
    if (!rule) throw new Error(`${resource.address}: rule ${busName}/${ruleName} was not created`);
    const arn = required(resource, attrs, "arn");
    const service = arn.split(":")[2];

    if (service === "sns") {
      const topic = this.#topicsByArn.get(arn);
      if (!topic) throw new Error(`${resource.address}: target topic ${arn} is not in this stack`);
      rule.targets.push({ kind: "topic-via-probe", topic });
      return;
    }
    if (service === "sqs") {
      const queue = this.#queuesByArn.get(arn);
      if (!queue) throw new Error(`${resource.address}: target queue ${arn} is not in this stack`);
      rule.targets.push({ kind: "queue", queue });
    } else if (service === "events" && arn.includes(":event-bus/")) {
      rule.targets.push({ kind: "event-bus", arn });
    } else {
      // Lambda, Step Functions, logs, ...: nothing here runs them; the probe shows what matched.
      rule.targets.push({ kind: "not-delivered", arn });
      this.#result.skipped.push({ address: resource.address, reason: `${service} target (not run by the harness; the rule's probe records matches)` });
      return;
    }

    const retry = objectAttribute(attrs, "retry_policy");
    const deadLetter = objectAttribute(attrs, "dead_letter_config");
    const transformer = objectAttribute(attrs, "input_transformer");
    const sqsTarget = objectAttribute(attrs, "sqs_target");
    const target: Target = {
      Id: (stringAttribute(attrs, "target_id") ?? resource.name).slice(0, 64),
      Arn: arn,
      RoleArn: stringAttribute(attrs, "role_arn"),
      Input: stringAttribute(attrs, "input"),
      InputPath: stringAttribute(attrs, "input_path"),
      ...(retry && {
        RetryPolicy: {
          MaximumRetryAttempts: retry.maximum_retry_attempts as number | undefined,
          MaximumEventAgeInSeconds: retry.maximum_event_age_in_seconds as number | undefined,
        },
      }),
      ...(deadLetter && { DeadLetterConfig: { Arn: deadLetter.arn as string } }),
      ...(transformer && {
        InputTransformer: {
          InputPathsMap: transformer.input_paths as Record<string, string> | undefined,
          InputTemplate: transformer.input_template as string,
        },
      }),
      ...(sqsTarget && { SqsParameters: { MessageGroupId: sqsTarget.message_group_id as string } }),
    };
    const response = await this.emulator.events(resource.region).send(
      new PutTargetsCommand({ Rule: ruleName, EventBusName: busName, Targets: [target] }),
    );
    if (response.FailedEntryCount) throw new Error(`${resource.address}: PutTargets failed: ${JSON.stringify(response.FailedEntries)}`);
  }

  async #createArchive(resource: TerraformResource): Promise<void> {
    const attrs = this.#attributes(resource, ["name", "event_source_arn"], ["description", "event_pattern", "retention_days"]);
    const name = required(resource, attrs, "name");
    const sourceBusArn = required(resource, attrs, "event_source_arn");
    const retention = attrs.retention_days;
    const { ArchiveArn: arn } = await this.emulator.events(resource.region).send(
      new CreateArchiveCommand({
        ArchiveName: name,
        EventSourceArn: sourceBusArn,
        Description: stringAttribute(attrs, "description"),
        EventPattern: stringAttribute(attrs, "event_pattern"),
        RetentionDays: typeof retention === "number" ? retention : undefined,
      }),
    );
    if (!arn) throw new Error(`${resource.address}: CreateArchive returned no ARN`);
    this.#created.set(resource.address, { name, arn, id: name });
    this.#result.archives.push({ address: resource.address, name, arn, region: resource.region, sourceBusArn });
  }

  // --- SQS and SNS ---------------------------------------------------------------------------

  /** A queue of the stack, with its synthesized settings (redrive policy later). */
  async #createQueue(resource: TerraformResource): Promise<EmulatedQueue> {
    const attrs = this.#attributes(
      resource,
      ["name"],
      [
        "fifo_queue",
        "content_based_deduplication",
        "deduplication_scope",
        "fifo_throughput_limit",
        "visibility_timeout_seconds",
        "message_retention_seconds",
        "receive_wait_time_seconds",
        "delay_seconds",
        "max_message_size",
      ],
      // Redrive policies name other queues: set by #setRedrive once every queue exists.
      ["redrive_policy", "redrive_allow_policy", "kms_master_key_id", "kms_data_key_reuse_period_seconds", "sqs_managed_sse_enabled"],
    );
    const settings: [QueueAttributeName, string | undefined][] = [
      ["FifoQueue", attrs.fifo_queue === true ? "true" : undefined],
      ["ContentBasedDeduplication", stringAttribute(attrs, "content_based_deduplication")],
      ["DeduplicationScope", stringAttribute(attrs, "deduplication_scope")],
      ["FifoThroughputLimit", stringAttribute(attrs, "fifo_throughput_limit")],
      ["VisibilityTimeout", stringAttribute(attrs, "visibility_timeout_seconds")],
      ["MessageRetentionPeriod", stringAttribute(attrs, "message_retention_seconds")],
      ["ReceiveMessageWaitTimeSeconds", stringAttribute(attrs, "receive_wait_time_seconds")],
      ["DelaySeconds", stringAttribute(attrs, "delay_seconds")],
      ["MaximumMessageSize", stringAttribute(attrs, "max_message_size")],
    ];
    const queue = await this.#makeQueue(required(resource, attrs, "name"), resource.region, settings, resource.address);
    this.#created.set(resource.address, { name: queue.name, arn: queue.arn, url: queue.url, id: queue.url });
    this.#result.queues.push(queue);
    return queue;
  }

  /** A queue the harness adds (probe, observer, a subscriber's own queue): default settings. */
  #createHarnessQueue(name: string, region: string): Promise<EmulatedQueue> {
    return this.#makeQueue(name, region, [], undefined);
  }

  async #makeQueue(
    name: string,
    region: string,
    settings: [QueueAttributeName, string | undefined][],
    address: string | undefined,
  ): Promise<EmulatedQueue> {
    const Attributes = Object.fromEntries(settings.filter(([, value]) => value !== undefined)) as Record<string, string>;
    const { QueueUrl: url } = await this.emulator.sqs(region).send(new CreateQueueCommand({ QueueName: name, Attributes }));
    if (!url) throw new Error(`queue ${name}: CreateQueue returned no URL`);
    const arn = `arn:${EMULATOR_PARTITION}:sqs:${region}:${EMULATOR_ACCOUNT}:${name}`;
    const queue: EmulatedQueue = { name, region, url, arn, fifo: Attributes.FifoQueue === "true", ...(address && { address }) };
    this.#queuesByArn.set(arn, queue);
    return queue;
  }

  async #setRedrive(resource: TerraformResource): Promise<void> {
    const queue = this.#queueAt(resource.address);
    const attrs = this.#resolve(resource, ["redrive_policy", "redrive_allow_policy"]);
    const redrive = stringAttribute(attrs, "redrive_policy");
    const allow = stringAttribute(attrs, "redrive_allow_policy");
    if (redrive === undefined && allow === undefined) return;
    await this.emulator.sqs(queue.region).send(
      new SetQueueAttributesCommand({
        QueueUrl: queue.url,
        Attributes: { ...(redrive && { RedrivePolicy: redrive }), ...(allow && { RedriveAllowPolicy: allow }) },
      }),
    );
    if (redrive) {
      const policy = JSON.parse(redrive) as { deadLetterTargetArn: string; maxReceiveCount: number | string };
      const deadLetterQueue = this.#queuesByArn.get(policy.deadLetterTargetArn);
      if (!deadLetterQueue) throw new Error(`${resource.address}: dead-letter queue ${policy.deadLetterTargetArn} is not in this stack`);
      queue.redrive = { deadLetterQueue, maxReceiveCount: Number(policy.maxReceiveCount) };
    }
  }

  async #createTopic(resource: TerraformResource): Promise<void> {
    const attrs = this.#attributes(
      resource,
      ["name"],
      ["fifo_topic", "content_based_deduplication", "display_name"],
      ["kms_master_key_id"],
    );
    const name = required(resource, attrs, "name");
    const fifo = attrs.fifo_topic === true;
    const { TopicArn: arn } = await this.emulator.sns(resource.region).send(
      new CreateTopicCommand({
        Name: name,
        Attributes: {
          ...(fifo && { FifoTopic: "true" }),
          ...(attrs.content_based_deduplication === true && { ContentBasedDeduplication: "true" }),
          ...(typeof attrs.display_name === "string" && { DisplayName: attrs.display_name }),
        },
      }),
    );
    if (!arn) throw new Error(`${resource.address}: CreateTopic returned no ARN`);
    this.#created.set(resource.address, { name, arn, id: arn });
    const topic: EmulatedTopic = { address: resource.address, name, region: resource.region, arn };
    this.#topicsByArn.set(arn, topic);
    this.#result.topics.push(topic);
  }

  async #subscribe(resource: TerraformResource): Promise<void> {
    const attrs = this.#attributes(
      resource,
      ["topic_arn", "protocol", "endpoint"],
      ["raw_message_delivery", "filter_policy", "filter_policy_scope", "redrive_policy"],
    );
    const protocol = required(resource, attrs, "protocol");
    if (protocol !== "sqs") {
      this.#result.skipped.push({ address: resource.address, reason: `${protocol} subscription (moto cannot deliver it)` });
      return;
    }
    const topicArn = required(resource, attrs, "topic_arn");
    const topic = this.#topicsByArn.get(topicArn);
    if (!topic) throw new Error(`${resource.address}: topic ${topicArn} is not in this stack`);
    const endpoint = required(resource, attrs, "endpoint");
    // A subscriber's own queue (outside the stack) is created from its ARN: the subscriber owns it.
    const [, , , endpointRegion = "", , endpointName = ""] = endpoint.split(":");
    const queue = this.#queuesByArn.get(endpoint) ?? (await this.#createHarnessQueue(endpointName, endpointRegion));
    const rawMessageDelivery = attrs.raw_message_delivery === true;
    const filterPolicy = stringAttribute(attrs, "filter_policy");
    const filterPolicyScope = stringAttribute(attrs, "filter_policy_scope");
    const redrivePolicy = stringAttribute(attrs, "redrive_policy");
    await this.emulator.sns(resource.region).send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: protocol,
        Endpoint: endpoint,
        ReturnSubscriptionArn: true,
        Attributes: {
          RawMessageDelivery: String(rawMessageDelivery),
          ...(filterPolicy && { FilterPolicy: filterPolicy }),
          ...(filterPolicyScope && { FilterPolicyScope: filterPolicyScope }),
          ...(redrivePolicy && { RedrivePolicy: redrivePolicy }),
        },
      }),
    );
    this.#result.subscriptions.push({
      address: resource.address,
      topic,
      queue,
      rawMessageDelivery,
      filterPolicy: filterPolicy === undefined ? undefined : (JSON.parse(filterPolicy) as unknown),
    });
  }

  // --- Timestream ----------------------------------------------------------------------------

  async #createDatabase(resource: TerraformResource): Promise<void> {
    const attrs = this.#attributes(resource, ["database_name"], [], ["kms_key_id"]);
    const database = required(resource, attrs, "database_name");
    await this.emulator.timestreamWrite(resource.region).send(new CreateDatabaseCommand({ DatabaseName: database }));
    this.#created.set(resource.address, {
      database_name: database,
      id: database,
      arn: `arn:${EMULATOR_PARTITION}:timestream:${resource.region}:${EMULATOR_ACCOUNT}:database/${database}`,
    });
  }

  async #createTable(resource: TerraformResource): Promise<void> {
    const attrs = this.#attributes(
      resource,
      ["database_name", "table_name"],
      ["retention_properties"],
      // Only the on/off switch is recreated: the rejected-data location is an S3 bucket.
      ["magnetic_store_write_properties"],
    );
    const database = required(resource, attrs, "database_name");
    const table = required(resource, attrs, "table_name");
    const retention = objectAttribute(attrs, "retention_properties");
    const magnetic = objectAttribute(resource.attributes, "magnetic_store_write_properties");
    await this.emulator.timestreamWrite(resource.region).send(
      new CreateTableCommand({
        DatabaseName: database,
        TableName: table,
        ...(retention && {
          RetentionProperties: {
            MemoryStoreRetentionPeriodInHours: retention.memory_store_retention_period_in_hours as number,
            MagneticStoreRetentionPeriodInDays: retention.magnetic_store_retention_period_in_days as number,
          },
        }),
        ...(magnetic && {
          MagneticStoreWriteProperties: { EnableMagneticStoreWrites: magnetic.enable_magnetic_store_writes === true },
        }),
      }),
    );
    this.#created.set(resource.address, { table_name: table, database_name: database, id: `${database}:${table}` });
    this.#result.stores.push({ database, table, region: resource.region });
  }

  // --- Pipes and Lambda (described, run in-process) ------------------------------------------

  #describePipe(resource: TerraformResource): void {
    const attrs = this.#resolve(resource, ["name", "source", "target", "source_parameters", "target_parameters"]);
    const name = required(resource, attrs, "name");
    const source = this.#queuesByArn.get(required(resource, attrs, "source"));
    const target = this.#queuesByArn.get(required(resource, attrs, "target"));
    if (!source || !target) throw new Error(`${resource.address}: the harness runs SQS -> SQS pipes of this stack only`);
    const sourceSqs = objectAttribute(objectAttribute(attrs, "source_parameters") ?? {}, "sqs_queue_parameters");
    const targetParameters = objectAttribute(attrs, "target_parameters") ?? {};
    const targetSqs = objectAttribute(targetParameters, "sqs_queue_parameters") ?? {};
    this.#result.pipes.push({
      address: resource.address,
      name,
      source,
      target,
      batchSize: typeof sourceSqs?.batch_size === "number" ? sourceSqs.batch_size : 10,
      inputTemplate: stringAttribute(targetParameters, "input_template"),
      messageGroupId: stringAttribute(targetSqs, "message_group_id"),
      messageDeduplicationId: stringAttribute(targetSqs, "message_deduplication_id"),
    });
  }

  #describeConsumer(mapping: TerraformResource): void {
    const attrs = this.#resolve(mapping, ["event_source_arn", "batch_size", "function_response_types"]);
    const queue = this.#queuesByArn.get(required(mapping, attrs, "event_source_arn"));
    if (!queue) throw new Error(`${mapping.address}: the harness runs functions fed by this stack's SQS queues only`);
    const functionAddress = /^\$\{(aws_lambda_function\.[^.}]+)\.(arn|function_name)\}$/.exec(String(mapping.attributes.function_name))?.[1];
    if (!functionAddress) throw new Error(`${mapping.address}: function_name is not a reference to a function of this stack`);
    const fn = this.stack.at(functionAddress);
    const fnAttrs = this.#resolve(fn, ["function_name", "environment"]);
    const variables = (objectAttribute(fnAttrs, "environment")?.variables ?? {}) as Record<string, string>;
    const responseTypes = attrs.function_response_types;
    this.#result.consumers.push({
      address: fn.address,
      functionName: required(fn, fnAttrs, "function_name"),
      region: fn.region,
      environment: variables,
      queue,
      batchSize: typeof attrs.batch_size === "number" ? attrs.batch_size : 10,
      reportsBatchItemFailures: Array.isArray(responseTypes) && responseTypes.includes("ReportBatchItemFailures"),
    });
  }

  // --- References ----------------------------------------------------------------------------

  /**
   * The resource's attributes with references resolved. Fails on an attribute the harness does
   * not know; `skipped` ones are known but not recreated (or set later), and not resolved.
   */
  #attributes(resource: TerraformResource, requiredNames: string[], optional: string[], skipped: string[] = []): Attributes {
    const known = new Set([...requiredNames, ...optional, ...skipped, ...IGNORED]);
    const unknown = Object.keys(resource.attributes).filter((name) => !known.has(name));
    if (unknown.length > 0) {
      throw new Error(
        `${this.stack.name}: ${resource.address} has ${unknown.join(", ")}, which the integration harness does not ` +
          `recreate in moto; teach __tests__/integration/harness/provision.ts what it means`,
      );
    }
    for (const name of requiredNames) {
      if (resource.attributes[name] === undefined) throw new Error(`${resource.address}: ${name} is not set`);
    }
    return this.#resolve(resource, [...requiredNames, ...optional]);
  }

  #resolve(resource: TerraformResource, names: string[]): Attributes {
    const picked: Attributes = {};
    for (const name of names) {
      if (resource.attributes[name] !== undefined) picked[name] = resolveReferences(resource.attributes[name], this.#lookup);
    }
    return picked;
  }

  readonly #lookup = (expression: string): string => {
    if (expression === "data.aws_partition.partition.partition" || /^data\.aws_partition\.[^.]+\.partition$/.test(expression)) {
      return EMULATOR_PARTITION;
    }
    if (/^data\.aws_caller_identity\.[^.]+\.account_id$/.test(expression)) return EMULATOR_ACCOUNT;
    const match = /^([a-z0-9_]+\.[^.]+)\.([a-z_]+)$/.exec(expression);
    if (!match) throw new Error(`${this.stack.name}: cannot resolve \${${expression}}`);
    const [, address, attribute] = match as unknown as [string, string, string];
    if (address.startsWith("aws_iam_role.") && attribute === "arn") {
      // IAM is not recreated (moto does not enforce it); the ARN follows from the name.
      const name = stringAttribute(this.stack.at(address).attributes, "name");
      return `arn:${EMULATOR_PARTITION}:iam::${EMULATOR_ACCOUNT}:role/${name}`;
    }
    const value = this.#created.get(address)?.[attribute];
    if (value === undefined) {
      throw new Error(`${this.stack.name}: cannot resolve \${${expression}}: the harness has not created ${address} (or has no ${attribute})`);
    }
    return value;
  };

  #queueAt(address: string): EmulatedQueue {
    const queue = this.#result.queues.find((candidate) => candidate.address === address);
    if (!queue) throw new Error(`${this.stack.name}: queue ${address} was not created`);
    return queue;
  }
}

function required(resource: TerraformResource, attrs: Attributes, name: string): string {
  const value = stringAttribute(attrs, name);
  if (value === undefined) throw new Error(`${resource.address}: ${name} is not set`);
  return value;
}

function objectAttribute(attrs: Attributes, name: string): Record<string, unknown> | undefined {
  const value = attrs[name];
  if (value === undefined || value === null) return undefined;
  // Terraform JSON writes a nested block either as an object or as a one-element list.
  const block = Array.isArray(value) ? value[0] : value;
  if (block === null || typeof block !== "object") throw new Error(`attribute ${name} is not a block: ${JSON.stringify(value)}`);
  return block as Record<string, unknown>;
}
