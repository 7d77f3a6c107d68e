/**
 * Every alarm of a cell as data: which metric, which statistic, what threshold, which severity.
 * A pure function of config and names, so the alarms can be read, tested and drawn on the
 * dashboard without synthesizing anything.
 */
import type { ConsumerSettings, StageConfig } from "../cells/fleet-schema";
import type { CellNames } from "../cells/naming";
import type { Severity } from "./alert-topics";
import { METRICS_NAMESPACE } from "./cell-function";

/** One CloudWatch metric as an alarm or a dashboard reads it. */
export interface MetricRef {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** `Sum`, `Maximum`, `Average`, or a percentile like `p99`. */
  readonly stat: string;
  /** Seconds. */
  readonly period: number;
}

export type Comparison =
  | "GreaterThanOrEqualToThreshold"
  | "GreaterThanThreshold"
  | "LessThanLowerOrGreaterThanUpperThreshold";

export interface AlarmSpec {
  /** Suffix of the alarm name (`<cell>-<what>`). */
  readonly what: string;
  readonly severity: Severity;
  /** Why it matters and what to do first: the alarm description an on-call engineer reads. */
  readonly description: string;
  /** Metrics by id (`m1` ...). With one metric and no expression, the alarm is on it directly. */
  readonly metrics: Readonly<Record<string, MetricRef>>;
  /** Metric math over the ids, e.g. `100 * errors / requests`. */
  readonly expression?: string;
  /** Anomaly band width in standard deviations (the alarm is outside the band). */
  readonly anomalyBandWidth?: number;
  readonly threshold?: number;
  readonly comparison: Comparison;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: "notBreaching" | "breaching" | "missing";
  /**
   * Warnings escalate to critical when they stay in ALARM for `escalateAfterMinutes` (a twin
   * alarm over that window); false where a lasting warning is not a page (client errors, volume).
   */
  readonly escalates?: boolean;
}

export interface CellAlarmInput {
  readonly names: CellNames;
  readonly stages: readonly StageConfig[];
  readonly apiStageName: string;
  readonly thresholds: {
    readonly api5xxRatePercent: number;
    readonly api4xxRatePercent: number;
    readonly apiP99LatencyMs: number;
    readonly queueAgeSeconds: number;
    readonly queueDepth: number;
    readonly consumerErrorRatePercent: number;
    readonly durationOfTimeoutPercent: number;
    readonly concurrencyOfMaxPercent: number;
  };
  readonly stuckInvoices: { readonly scheduleMinutes: number };
  readonly canary: { readonly enabled: boolean; readonly scheduleMinutes: number; readonly maxEndToEndSeconds: number };
}

/** Powertools service names: the `service` dimension of each function's EMF metrics. */
export const SERVICES = {
  consumer: "stage-consumer",
  detector: "stuck-invoice-detector",
  canary: "pipeline-canary",
} as const;

const MINUTE = 60;

const metric = (namespace: string, metricName: string, dimensions: Record<string, string>, stat: string, period = MINUTE): MetricRef => ({
  namespace,
  metricName,
  dimensions,
  stat,
  period,
});

/** The cell's dead-letter queues (label for alarm names, queue name): each one's first message pages. */
export function deadLetterQueues(names: CellNames, stages: readonly StageConfig[]): { label: string; queue: string }[] {
  return [
    { label: "router-dlq", queue: names.routerDlq },
    { label: "alerts-dlq", queue: names.alertsDlq },
    { label: "async-dlq", queue: names.asyncDlq },
    ...stages.flatMap((stage) => {
      const s = names.stage(stage.name);
      return [
        { label: `${stage.name}-fanout-dlq`, queue: s.fanoutDlq },
        { label: `${stage.name}-dlq`, queue: s.queueDlq },
        ...(stage.delivery === "fifo" ? [{ label: `${stage.name}-fifo-dlq`, queue: s.fifoDlq }] : []),
      ];
    }),
  ];
}

export function cellAlarmSpecs(input: CellAlarmInput): AlarmSpec[] {
  const { names, thresholds: t } = input;
  const cell = names.cell;
  const api = { ApiName: names.api, Stage: input.apiStageName };
  const specs: AlarmSpec[] = [
    {
      what: "api-5xx-rate",
      severity: "critical",
      description: `More than ${t.api5xxRatePercent}% of ingest requests fail with 5xx: clients are told to retry and events are not entering the cell. Check EventBridge PutEvents errors and the integration role.`,
      metrics: {
        errors: metric("AWS/ApiGateway", "5XXError", api, "Sum"),
        requests: metric("AWS/ApiGateway", "Count", api, "Sum"),
      },
      expression: "IF(requests > 0, 100 * errors / requests, 0)",
      threshold: t.api5xxRatePercent,
      comparison: "GreaterThanThreshold",
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: "notBreaching",
    },
    {
      what: "api-4xx-rate",
      severity: "warning",
      description: `More than ${t.api4xxRatePercent}% of ingest requests are refused with 4xx (bad bodies, keys, throttling): a client is misbehaving or a contract changed. See the access logs' errorType.`,
      metrics: {
        errors: metric("AWS/ApiGateway", "4XXError", api, "Sum"),
        requests: metric("AWS/ApiGateway", "Count", api, "Sum"),
      },
      expression: "IF(requests > 0, 100 * errors / requests, 0)",
      threshold: t.api4xxRatePercent,
      comparison: "GreaterThanThreshold",
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: "notBreaching",
      escalates: false,
    },
    {
      what: "api-p99-latency",
      severity: "warning",
      description: `Ingest p99 latency above ${t.apiP99LatencyMs} ms for 5 minutes: PutEvents is slow or throttled.`,
      metrics: { m1: metric("AWS/ApiGateway", "Latency", api, "p99") },
      threshold: t.apiP99LatencyMs,
      comparison: "GreaterThanThreshold",
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: "notBreaching",
    },
  ];

  for (const stage of input.stages) {
    const s = names.stage(stage.name);
    const rule = { EventBusName: names.bus, RuleName: s.rule };
    const consumerDims = { FunctionName: s.consumerFunction };
    const emf = { service: SERVICES.consumer, stage: stage.name, cell };
    specs.push(
      {
        what: `${stage.name}-rule-failed-invocations`,
        severity: "critical",
        description: `The ${stage.name} rule could not deliver to its topic: events go to the router DLQ after retries. Check the topic policy and the key policy.`,
        metrics: { m1: metric("AWS/Events", "FailedInvocations", rule, "Sum") },
        threshold: 1,
        comparison: "GreaterThanOrEqualToThreshold",
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        treatMissingData: "notBreaching",
      },
      {
        what: `${stage.name}-rule-throttled`,
        severity: "warning",
        description: `The ${stage.name} rule is throttled: deliveries are delayed (EventBridge retries). Raise the invocation quota or spread load.`,
        metrics: { m1: metric("AWS/Events", "ThrottledRules", rule, "Sum") },
        threshold: 1,
        comparison: "GreaterThanOrEqualToThreshold",
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
        treatMissingData: "notBreaching",
      },
      {
        what: `${stage.name}-volume-anomaly`,
        severity: "warning",
        description: `${stage.name} volume left its learned band (CloudWatch anomaly detection): a client stopped sending, or a surge arrived.`,
        metrics: { volume: metric("AWS/Events", "MatchedEvents", rule, "Sum", 5 * MINUTE) },
        anomalyBandWidth: 3,
        comparison: "LessThanLowerOrGreaterThanUpperThreshold",
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: "breaching",
        escalates: false,
      },
    );

    // Queues that feed a consumer or a pipe.
    specs.push(...queueAlarms(stage.name, s.queue, t));
    if (stage.delivery === "fifo") specs.push(...queueAlarms(`${stage.name}-fifo`, s.fifoQueue, t));
    if (stage.delivery === "fifo") {
      specs.push({
        what: `${stage.name}-pipe-failures`,
        severity: "warning",
        description: `The ${stage.name} pipe fails to move events into the FIFO queue; after maxReceiveCount they land in ${s.queueDlq}.`,
        metrics: {
          execution: metric("AWS/EventBridge/Pipes", "ExecutionFailed", { PipeName: s.pipe }, "Sum"),
          target: metric("AWS/EventBridge/Pipes", "TargetStageFailed", { PipeName: s.pipe }, "Sum"),
        },
        expression: "execution + target",
        threshold: 1,
        comparison: "GreaterThanOrEqualToThreshold",
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: "notBreaching",
      });
    }
    specs.push(...consumerAlarms(stage.name, consumerDims, stage.consumer, t), ...storeAlarms(stage.name, emf));
  }

  for (const { label, queue } of deadLetterQueues(names, input.stages)) specs.push(deadLetterAlarmSpec(label, queue));

  const detectorPeriod = input.stuckInvoices.scheduleMinutes * MINUTE;
  for (const stage of input.stages.filter((candidate) => !candidate.terminal)) {
    specs.push({
      what: `${stage.name}-stuck-invoices`,
      severity: "warning",
      description: `Invoices have sat in ${stage.name} longer than its SLA (${stage.slaMinutes} min); the warning topic lists them. Trace one with npm run trace.`,
      metrics: {
        m1: metric(METRICS_NAMESPACE, "StuckInvoices", { service: SERVICES.detector, cell, stage: stage.name }, "Maximum", detectorPeriod),
      },
      threshold: 1,
      comparison: "GreaterThanOrEqualToThreshold",
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
    });
  }
  specs.push({
    what: "stuck-invoice-detector-failures",
    severity: "warning",
    description: "The stuck-invoice detector could not query the store: stuck invoices would go unnoticed.",
    metrics: {
      m1: metric(METRICS_NAMESPACE, "StuckInvoiceDetectorFailures", { service: SERVICES.detector, cell }, "Maximum", detectorPeriod),
    },
    threshold: 1,
    comparison: "GreaterThanOrEqualToThreshold",
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    treatMissingData: "breaching",
  });

  if (input.canary.enabled) {
    const canaryPeriod = input.canary.scheduleMinutes * MINUTE;
    specs.push(
      {
        what: "canary-failures",
        severity: "critical",
        description: "The synthetic invoice did not make it from the public API to the store: the pipeline is broken end to end. The router stops sending traffic here while this is in ALARM.",
        metrics: { m1: metric(METRICS_NAMESPACE, "CanaryFailures", { service: SERVICES.canary, cell }, "Maximum", canaryPeriod) },
        threshold: 1,
        comparison: "GreaterThanOrEqualToThreshold",
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        // No canary result is itself a failure.
        treatMissingData: "breaching",
      },
      {
        what: "canary-end-to-end",
        severity: "warning",
        description: `The synthetic invoice took longer than ${input.canary.maxEndToEndSeconds} s from API to store: the visibility objective is at risk.`,
        metrics: { m1: metric(METRICS_NAMESPACE, "CanaryEndToEndSeconds", { service: SERVICES.canary, cell }, "Maximum", canaryPeriod) },
        threshold: input.canary.maxEndToEndSeconds,
        comparison: "GreaterThanThreshold",
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        treatMissingData: "notBreaching",
      },
    );
  }
  return specs;
}

/** Alarms of a queue that feeds a consumer or a pipe; `what` labels them (`posting-fifo`). */
function queueAlarms(what: string, queue: string, t: CellAlarmInput["thresholds"]): AlarmSpec[] {
  const q = { QueueName: queue };
  return [
    {
      what: `${what}-queue-age`,
      severity: "warning",
      description: `The oldest message in ${queue} is older than ${t.queueAgeSeconds} s: its consumer is falling behind.`,
      metrics: { m1: metric("AWS/SQS", "ApproximateAgeOfOldestMessage", q, "Maximum") },
      threshold: t.queueAgeSeconds,
      comparison: "GreaterThanOrEqualToThreshold",
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: "notBreaching",
    },
    {
      what: `${what}-queue-depth`,
      severity: "warning",
      description: `${queue} holds more than ${t.queueDepth} visible messages: a backlog is building.`,
      metrics: { m1: metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", q, "Maximum") },
      threshold: t.queueDepth,
      comparison: "GreaterThanOrEqualToThreshold",
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: "notBreaching",
    },
    {
      what: `${what}-queue-stalled`,
      severity: "critical",
      description: `${queue} is stalled: its oldest message is older than ${t.queueAgeSeconds} s and nothing was deleted for 10 minutes. The consumer or pipe is not making progress.`,
      metrics: {
        age: metric("AWS/SQS", "ApproximateAgeOfOldestMessage", q, "Maximum"),
        deleted: metric("AWS/SQS", "NumberOfMessagesDeleted", q, "Sum"),
      },
      expression: `IF(age >= ${t.queueAgeSeconds} AND deleted == 0, 1, 0)`,
      threshold: 1,
      comparison: "GreaterThanOrEqualToThreshold",
      evaluationPeriods: 10,
      datapointsToAlarm: 10,
      treatMissingData: "notBreaching",
    },
  ];
}

function consumerAlarms(
  stage: string,
  dims: Record<string, string>,
  settings: ConsumerSettings,
  t: CellAlarmInput["thresholds"],
): AlarmSpec[] {
  return [
    {
      what: `${stage}-consumer-error-rate`,
      severity: "critical",
      description: `More than ${t.consumerErrorRatePercent}% of ${stage} consumer invocations fail as a whole: batches return to the queue and may reach the DLQ.`,
      metrics: {
        errors: metric("AWS/Lambda", "Errors", dims, "Sum"),
        invocations: metric("AWS/Lambda", "Invocations", dims, "Sum"),
      },
      expression: "IF(invocations > 0, 100 * errors / invocations, 0)",
      threshold: t.consumerErrorRatePercent,
      comparison: "GreaterThanThreshold",
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: "notBreaching",
    },
    {
      what: `${stage}-consumer-throttles`,
      severity: "warning",
      description: `The ${stage} consumer is throttled: raise its concurrency or the account's limit.`,
      metrics: { m1: metric("AWS/Lambda", "Throttles", dims, "Sum") },
      threshold: 1,
      comparison: "GreaterThanOrEqualToThreshold",
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: "notBreaching",
    },
    {
      what: `${stage}-consumer-duration`,
      severity: "warning",
      description: `${stage} consumer p99 duration is above ${t.durationOfTimeoutPercent}% of its ${settings.timeoutSeconds} s timeout: batches are about to time out.`,
      metrics: { m1: metric("AWS/Lambda", "Duration", dims, "p99") },
      threshold: Math.round(settings.timeoutSeconds * 1000 * (t.durationOfTimeoutPercent / 100)),
      comparison: "GreaterThanOrEqualToThreshold",
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: "notBreaching",
    },
    {
      what: `${stage}-consumer-concurrency`,
      severity: "warning",
      description: `The ${stage} consumer runs at more than ${t.concurrencyOfMaxPercent}% of its ${settings.maxConcurrency} maximum concurrency: little headroom left for a peak.`,
      metrics: { m1: metric("AWS/Lambda", "ConcurrentExecutions", dims, "Maximum") },
      threshold: Math.ceil(settings.maxConcurrency * (t.concurrencyOfMaxPercent / 100)),
      comparison: "GreaterThanOrEqualToThreshold",
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: "notBreaching",
    },
  ];
}

function storeAlarms(stage: string, dims: Record<string, string>): AlarmSpec[] {
  return [
    {
      what: `${stage}-store-rejected`,
      severity: "critical",
      description: `Timestream rejected ${stage} records (retention window, version conflict): those messages head for the DLQ. See the consumer logs' reason.`,
      metrics: { m1: metric(METRICS_NAMESPACE, "RecordsRejected", dims, "Sum") },
      threshold: 1,
      comparison: "GreaterThanOrEqualToThreshold",
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
    },
    {
      what: `${stage}-store-write-failures`,
      severity: "warning",
      description: `${stage} writes to Timestream keep failing (throttling, access): messages are retried and may reach the DLQ.`,
      metrics: { m1: metric(METRICS_NAMESPACE, "WriteFailures", dims, "Sum") },
      threshold: 1,
      comparison: "GreaterThanOrEqualToThreshold",
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData: "notBreaching",
    },
    {
      what: `${stage}-invalid-events`,
      severity: "warning",
      description: `The ${stage} consumer received events that are not valid invoices or were misrouted: they go to the DLQ. Check the producer.`,
      metrics: { m1: metric(METRICS_NAMESPACE, "InvalidInvoiceEvents", dims, "Sum") },
      threshold: 1,
      comparison: "GreaterThanOrEqualToThreshold",
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
    },
  ];
}

/** A dead-letter queue's alarm: its first message pages. */
export function deadLetterAlarmSpec(label: string, queue: string): AlarmSpec {
  return {
    what: `${label}-messages`,
    severity: "critical",
    description: `${queue} received a message: something could not be delivered or processed and waits for a human. Inspect it, fix the cause, then npm run redrive.`,
    metrics: {
      visible: metric("AWS/SQS", "ApproximateNumberOfMessagesVisible", { QueueName: queue }, "Maximum"),
      // A DLQ drained between two samples still shows the message it was sent.
      sent: metric("AWS/SQS", "NumberOfMessagesSent", { QueueName: queue }, "Sum"),
    },
    expression: "MAX([visible, sent])",
    threshold: 1,
    comparison: "GreaterThanOrEqualToThreshold",
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: "notBreaching",
  };
}
