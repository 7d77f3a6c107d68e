import { beforeAll, describe, expect, it } from "vitest";
import type { FleetConfig } from "../../cells/fleet-schema";
import { cellNames } from "../../cells/naming";
import type { Severity } from "../../stacks/alert-topics";
import { cellAlarmSpecs, type AlarmSpec, type MetricRef } from "../../stacks/cell-alarm-specs";
import { buildTestFleet, defaultFleetInput, fleet, synthStack, type SynthesizedStack } from "../support/fleet";
import {
  ACCOUNT,
  PARTITION,
  byName,
  entriesOf,
  grant,
  grantOf,
  grantsOf,
  hasNamed,
  ref,
  resourcesOf,
  statementsOf,
  type TfBlock,
} from "./terraform-json";

const CELL = "use1-a";
const REGION = "us-east-1";
const names = cellNames(CELL);
const config = fleet();
const STAGES = config.stages.map((stage) => stage.name);
const NON_TERMINAL = config.stages.filter((stage) => !stage.terminal).map((stage) => stage.name);

/** The alarms a fleet's config asks of this cell, as data (no synth needed). */
const specsFor = (fleetConfig: FleetConfig) =>
  cellAlarmSpecs({
    names,
    stages: fleetConfig.stages,
    apiStageName: fleetConfig.api.stageName,
    thresholds: fleetConfig.operations.thresholds,
    stuckInvoices: fleetConfig.operations.stuckInvoices,
    canary: fleetConfig.operations.canary,
  });
const SPECS = specsFor(config);
const ESCALATING = SPECS.filter((spec) => spec.severity === "warning" && spec.escalates !== false);

/**
 * One cell only, with the operations a platform team might change: warnings escalate after 30
 * minutes, the canary is off, alerts go to an HTTPS endpoint and a queue as well as by email.
 */
const HTTPS_ENDPOINT = "https://hooks.example.com/cellfleet/critical";
const SQS_ENDPOINT = "arn:aws:sqs:us-east-1:111122223333:cellfleet-alert-archive";
const defaults = defaultFleetInput();
const variantConfig = fleet({
  cells: [{ id: CELL, region: REGION }],
  operations: {
    ...defaults.operations,
    escalateAfterMinutes: 30,
    canary: { ...defaults.operations!.canary, enabled: false },
    alerting: {
      critical: [
        { protocol: "email", endpoint: "invoice-oncall@example.com" },
        { protocol: "https", endpoint: HTTPS_ENDPOINT },
      ],
      warning: [],
      info: [{ protocol: "sqs", endpoint: SQS_ENDPOINT }],
    },
  },
});

const arnOf = (type: string, id: string) => ref(type, id, "arn");
const topicArn = (stack: SynthesizedStack, severity: Severity) => arnOf("aws_sns_topic", byName(stack, "aws_sns_topic", `${CELL}-${severity}`).id);
const queueArn = (stack: SynthesizedStack, name: string) => arnOf("aws_sqs_queue", byName(stack, "aws_sqs_queue", name).id);
const alarmOf = (stack: SynthesizedStack, what: string) => byName(stack, "aws_cloudwatch_metric_alarm", names.alarm(what), "alarm_name").block;
const functionOf = (stack: SynthesizedStack, name: string) => byName(stack, "aws_lambda_function", name, "function_name");
const envOf = (fn: TfBlock) => (fn["environment"] as { variables: Record<string, string> }).variables;

/** The statements of a role's inline policy, found by the role's name. */
function rolePolicy(stack: SynthesizedStack, roleName: string) {
  const role = byName(stack, "aws_iam_role", roleName);
  const policies = entriesOf(stack, "aws_iam_role_policy").filter(([, p]) => p["role"] === ref("aws_iam_role", role.id, "id"));
  if (policies.length !== 1) throw new Error(`expected one inline policy on role ${roleName}, found ${policies.length}`);
  return { role: role.block, statements: statementsOf(stack, policies[0]![1]["policy"]) };
}

/** Distinct grants (a statement granted twice grants nothing more). */
const distinctGrants = (statements: Parameters<typeof grantsOf>[0]) =>
  [...new Map(grantsOf(statements).map((g) => [JSON.stringify(g), g])).values()];

interface MetricQuery {
  id: string;
  expression?: string;
  label?: string;
  return_data?: boolean;
  metric?: { namespace: string; metric_name: string; dimensions: Record<string, string>; period: number; stat: string };
}

const queriesOf = (alarm: TfBlock) => (alarm["metric_query"] ?? []) as MetricQuery[];
const asMetric = (m: NonNullable<MetricQuery["metric"]>): MetricRef => ({
  namespace: m.namespace,
  metricName: m.metric_name,
  dimensions: m.dimensions,
  stat: m.stat,
  period: m.period,
});

/** The metric an alarm is on directly (no metric math), with its statistic whichever way it is given. */
function directMetric(alarm: TfBlock): MetricRef {
  return {
    namespace: alarm["namespace"] as string,
    metricName: alarm["metric_name"] as string,
    dimensions: alarm["dimensions"] as Record<string, string>,
    stat: (alarm["statistic"] ?? alarm["extended_statistic"]) as string,
    period: alarm["period"] as number,
  };
}

/** The metrics of a metric-math alarm by query id. */
const queryMetrics = (alarm: TfBlock): Record<string, MetricRef> =>
  Object.fromEntries(queriesOf(alarm).filter((q) => q.metric).map((q) => [q.id, asMetric(q.metric!)]));

const expressionOf = (alarm: TfBlock, id: string) => queriesOf(alarm).find((q) => q.id === id);

/** Asserts that an alarm reads exactly the spec's metrics, the way the spec combines them. */
function expectMetricsOf(alarm: TfBlock, spec: AlarmSpec): void {
  const metrics = Object.values(spec.metrics);
  if (metrics.length === 1 && spec.expression === undefined && spec.anomalyBandWidth === undefined) {
    const [only] = metrics as [MetricRef];
    expect(alarm["metric_query"]).toBeUndefined();
    expect(directMetric(alarm)).toEqual(only);
    if (/^p\d+/.test(only.stat)) {
      expect(alarm["extended_statistic"]).toBe(only.stat);
      expect(alarm["statistic"]).toBeUndefined();
    } else {
      expect(alarm["statistic"]).toBe(only.stat);
      expect(alarm["extended_statistic"]).toBeUndefined();
    }
    return;
  }
  expect(alarm["metric_name"]).toBeUndefined();
  expect(queryMetrics(alarm)).toEqual(spec.metrics);
  if (spec.expression !== undefined) {
    expect(expressionOf(alarm, "result")).toMatchObject({ expression: spec.expression, return_data: true });
    // Only the expression is the alarm's time series.
    expect(queriesOf(alarm).filter((q) => q.return_data).map((q) => q.id)).toEqual(["result"]);
  }
  if (spec.anomalyBandWidth !== undefined) {
    const [id] = Object.keys(spec.metrics);
    expect(expressionOf(alarm, "band")).toMatchObject({ expression: `ANOMALY_DETECTION_BAND(${id}, ${spec.anomalyBandWidth})`, return_data: true });
    expect(alarm["threshold_metric_id"]).toBe("band");
    expect(alarm["threshold"]).toBeUndefined();
  }
}

describe(`cell ${CELL} operations`, () => {
  let cell: SynthesizedStack;
  let variant: SynthesizedStack;
  let keyArn: string;

  beforeAll(() => {
    cell = synthStack(buildTestFleet(config).cells.get(CELL)!).parsed;
    variant = synthStack(buildTestFleet(variantConfig).cells.get(CELL)!).parsed;
    const [[keyId]] = entriesOf(cell, "aws_kms_key");
    keyArn = arnOf("aws_kms_key", keyId!);
  });

  describe("severity topics", () => {
    const SEVERITIES: Severity[] = ["critical", "warning", "info"];
    const alarmsOfTheCell = `arn:${PARTITION}:cloudwatch:${REGION}:${ACCOUNT}:alarm:${CELL}-*`;

    /** The subscriptions of one severity topic. */
    const subscriptionsOf = (stack: SynthesizedStack, severity: Severity) =>
      entriesOf(stack, "aws_sns_topic_subscription")
        .map(([, block]) => block)
        .filter((block) => block["topic_arn"] === topicArn(stack, severity));

    it.each(SEVERITIES)("has a %s topic named <cell>-<severity>, encrypted with the cell key", (severity) => {
      expect(byName(cell, "aws_sns_topic", `${CELL}-${severity}`).block["kms_master_key_id"]).toBe(keyArn);
    });

    const rejectionRuleArn = () => {
      // The one on the cell bus (its twin in the store's region sits on the default bus).
      const [id] = entriesOf(cell, "aws_cloudwatch_event_rule").find(
        ([, rule]) => rule["name"] === `${CELL}-store-rejections` && rule["event_bus_name"] === `${CELL}-invoices`,
      )!;
      return ref("aws_cloudwatch_event_rule", id, "arn");
    };

    it.each(SEVERITIES)("lets the %s topic take TLS publishes from the cell's own alarms only", (severity) => {
      const arn = topicArn(cell, severity);
      const [policy] = entriesOf(cell, "aws_sns_topic_policy").filter(([, p]) => p["arn"] === arn);
      expect(grantsOf(statementsOf(cell, policy![1]["policy"]))).toEqual(
        grantsOf([
          {
            effect: "Deny",
            actions: ["sns:Publish"],
            resources: [arn],
            principals: [{ type: "*", identifiers: ["*"] }],
            condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
          },
          {
            effect: "Allow",
            actions: ["sns:Publish"],
            resources: [arn],
            principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
            condition: [{ test: "ArnLike", variable: "aws:SourceArn", values: [alarmsOfTheCell] }],
          },
          // Only the critical topic also takes the store's rejection reports, from that one rule.
          ...(severity === "critical"
            ? [
                {
                  effect: "Allow" as const,
                  actions: ["sns:Publish"],
                  resources: [arn],
                  principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
                  condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: [rejectionRuleArn()] }],
                },
              ]
            : []),
        ]),
      );
    });

    it("lets CloudWatch use the cell key for this account only (a CMK topic would otherwise drop alarms silently)", () => {
      const [[, key]] = entriesOf(cell, "aws_kms_key");
      const grants = statementsOf(cell, key!["policy"]).map(grantOf);
      expect(grants).toContainEqual(
        grantOf({
          effect: "Allow",
          actions: ["kms:GenerateDataKey", "kms:Decrypt"],
          resources: ["*"],
          principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
          condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [ACCOUNT] }],
        }),
      );
    });

    it("subscribes the configured email addresses to their severity's topic", () => {
      const endpoints = (severity: Severity) =>
        subscriptionsOf(cell, severity).map((s) => ({ protocol: s["protocol"], endpoint: s["endpoint"] }));
      expect(endpoints("critical")).toEqual([{ protocol: "email", endpoint: "invoice-oncall@example.com" }]);
      expect(endpoints("warning")).toEqual([{ protocol: "email", endpoint: "invoice-platform@example.com" }]);
      expect(endpoints("info")).toEqual([]);
    });

    it("gives every alert subscription a redrive policy to <cell>-alerts-dlq", () => {
      const dlq = queueArn(cell, `${CELL}-alerts-dlq`);
      const subscriptions = SEVERITIES.flatMap((severity) => subscriptionsOf(cell, severity));
      expect(subscriptions).toHaveLength(2);
      for (const subscription of subscriptions) {
        expect(JSON.parse(subscription["redrive_policy"] as string)).toEqual({ deadLetterTargetArn: dlq });
      }
    });

    it("lets SNS send to the alerts DLQ on behalf of the three severity topics only", () => {
      const dlq = byName(cell, "aws_sqs_queue", `${CELL}-alerts-dlq`);
      const [[, policy]] = entriesOf(cell, "aws_sqs_queue_policy").filter(([, p]) => p["queue_url"] === ref("aws_sqs_queue", dlq.id, "url"));
      const grants = statementsOf(cell, policy!["policy"]).map(grantOf);
      expect(grants).toContainEqual(
        grantOf({
          effect: "Allow",
          actions: ["sqs:SendMessage"],
          resources: [arnOf("aws_sqs_queue", dlq.id)],
          principals: [{ type: "Service", identifiers: ["sns.amazonaws.com"] }],
          condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: SEVERITIES.map((s) => topicArn(cell, s)) }],
        }),
      );
    });

    it("honours HTTPS and SQS subscriptions from config, each on its own severity's topic, with the redrive policy", () => {
      const dlq = queueArn(variant, `${CELL}-alerts-dlq`);
      const view = (severity: Severity) =>
        subscriptionsOf(variant, severity).map((s) => ({
          protocol: s["protocol"],
          endpoint: s["endpoint"],
          deadLetter: (JSON.parse(s["redrive_policy"] as string) as { deadLetterTargetArn: string }).deadLetterTargetArn,
        }));
      expect(view("critical")).toEqual([
        { protocol: "email", endpoint: "invoice-oncall@example.com", deadLetter: dlq },
        { protocol: "https", endpoint: HTTPS_ENDPOINT, deadLetter: dlq },
      ]);
      expect(view("warning")).toEqual([]);
      expect(view("info")).toEqual([{ protocol: "sqs", endpoint: SQS_ENDPOINT, deadLetter: dlq }]);
    });
  });

  describe("alarms: every spec of the default fleet", () => {
    it("synthesizes exactly the specs' alarms and the escalation twins of lasting warnings, nothing else", () => {
      const expected = [...SPECS.map((s) => names.alarm(s.what)), ...ESCALATING.map((s) => names.alarm(`${s.what}-escalated`))];
      const actual = entriesOf(cell, "aws_cloudwatch_metric_alarm").map(([, a]) => a["alarm_name"]);
      expect([...actual].sort()).toEqual([...expected].sort());
    });

    it.each(SPECS.map((spec) => [spec.what, spec] as const))("%s: reads the spec's metrics", (_what, spec) => {
      expectMetricsOf(alarmOf(cell, spec.what), spec);
    });

    it.each(SPECS.map((spec) => [spec.what, spec] as const))(
      "%s: threshold, comparison, periods, missing data and its severity's topic for ALARM and OK",
      (_what, spec) => {
        const alarm = alarmOf(cell, spec.what);
        const topic = topicArn(cell, spec.severity);
        expect(alarm).toMatchObject({
          comparison_operator: spec.comparison,
          evaluation_periods: spec.evaluationPeriods,
          datapoints_to_alarm: spec.datapointsToAlarm,
          treat_missing_data: spec.treatMissingData,
          alarm_actions: [topic],
          ok_actions: [topic],
        });
        expect(alarm["threshold"]).toBe(spec.anomalyBandWidth === undefined ? spec.threshold : undefined);
        expect(alarm["alarm_description"]).toMatch(new RegExp(`^\\[${spec.severity}\\] `));
      },
    );
  });

  describe("alarms: the important ones, by hand", () => {
    const api = { ApiName: `${CELL}-ingest`, Stage: "v1" };
    const critical = () => topicArn(cell, "critical");
    const warning = () => topicArn(cell, "warning");

    it("pages on the API 5xx rate: IF(requests > 0, 100 * errors / requests, 0) over 5XXError and Count of the v1 stage", () => {
      const alarm = alarmOf(cell, "api-5xx-rate");
      expect(queryMetrics(alarm)).toEqual({
        errors: { namespace: "AWS/ApiGateway", metricName: "5XXError", dimensions: api, stat: "Sum", period: 60 },
        requests: { namespace: "AWS/ApiGateway", metricName: "Count", dimensions: api, stat: "Sum", period: 60 },
      });
      expect(expressionOf(alarm, "result")?.expression).toBe("IF(requests > 0, 100 * errors / requests, 0)");
      expect(alarm).toMatchObject({ threshold: 1, comparison_operator: "GreaterThanThreshold", alarm_actions: [critical()] });
    });

    it("warns on the API 4xx rate over 4XXError and Count, and never escalates it (a client's mistakes are not a page)", () => {
      const alarm = alarmOf(cell, "api-4xx-rate");
      expect(queryMetrics(alarm)).toEqual({
        errors: { namespace: "AWS/ApiGateway", metricName: "4XXError", dimensions: api, stat: "Sum", period: 60 },
        requests: { namespace: "AWS/ApiGateway", metricName: "Count", dimensions: api, stat: "Sum", period: 60 },
      });
      expect(alarm).toMatchObject({ threshold: 10, alarm_actions: [warning()], ok_actions: [warning()] });
      expect(hasNamed(cell, "aws_cloudwatch_metric_alarm", `${CELL}-api-4xx-rate-escalated`, "alarm_name")).toBe(false);
    });

    it("warns on p99 ingest latency with the extended statistic p99", () => {
      expect(alarmOf(cell, "api-p99-latency")).toMatchObject({
        namespace: "AWS/ApiGateway",
        metric_name: "Latency",
        dimensions: api,
        extended_statistic: "p99",
        period: 60,
        threshold: 1500,
        alarm_actions: [warning()],
      });
      expect(alarmOf(cell, "api-p99-latency")["statistic"]).toBeUndefined();
    });

    it.each(STAGES)("pages on %s rule FailedInvocations by EventBusName AND RuleName, and warns on ThrottledRules", (stage) => {
      const dims = { EventBusName: `${CELL}-invoices`, RuleName: `${CELL}-${stage}` };
      expect(alarmOf(cell, `${stage}-rule-failed-invocations`)).toMatchObject({
        namespace: "AWS/Events",
        metric_name: "FailedInvocations",
        dimensions: dims,
        statistic: "Sum",
        threshold: 1,
        comparison_operator: "GreaterThanOrEqualToThreshold",
        alarm_actions: [critical()],
      });
      expect(alarmOf(cell, `${stage}-rule-throttled`)).toMatchObject({
        namespace: "AWS/Events",
        metric_name: "ThrottledRules",
        dimensions: dims,
        alarm_actions: [warning()],
      });
    });

    /** Every dead-letter queue of the cell: [alarm label, queue name]. */
    const DLQS: [string, string][] = [
      ["router-dlq", `${CELL}-router-dlq`],
      ["alerts-dlq", `${CELL}-alerts-dlq`],
      ["async-dlq", `${CELL}-async-dlq`],
      ...STAGES.flatMap((stage): [string, string][] => [
        [`${stage}-fanout-dlq`, `${CELL}-${stage}-fanout-dlq`],
        [`${stage}-dlq`, `${CELL}-${stage}-dlq`],
        [`${stage}-fifo-dlq`, `${CELL}-${stage}-dlq.fifo`],
      ]),
    ];

    it("knows every dead-letter queue of the cell", () => {
      const dlqNames = entriesOf(cell, "aws_sqs_queue")
        .map(([, q]) => q["name"] as string)
        .filter((name) => /-dlq(\.fifo)?$/.test(name));
      expect(dlqNames.sort()).toEqual(DLQS.map(([, queue]) => queue).sort());
    });

    it.each(DLQS)("pages on the first message in a DLQ: %s-messages on %s is MAX([visible, sent]) >= 1, 1 of 1", (label, dlq) => {
      const alarm = alarmOf(cell, `${label}-messages`);
      const q = { QueueName: dlq };
      expect(queryMetrics(alarm)).toEqual({
        visible: { namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: q, stat: "Maximum", period: 60 },
        sent: { namespace: "AWS/SQS", metricName: "NumberOfMessagesSent", dimensions: q, stat: "Sum", period: 60 },
      });
      expect(expressionOf(alarm, "result")?.expression).toBe("MAX([visible, sent])");
      expect(alarm).toMatchObject({
        threshold: 1,
        comparison_operator: "GreaterThanOrEqualToThreshold",
        evaluation_periods: 1,
        datapoints_to_alarm: 1,
        alarm_actions: [critical()],
        ok_actions: [critical()],
      });
    });

    const BUFFERS = STAGES.flatMap((stage) => [
      [`${stage}`, `${CELL}-${stage}`],
      [`${stage}-fifo`, `${CELL}-${stage}.fifo`],
    ]);

    it.each(BUFFERS)("watches queue %s (%s): age and depth warn, a stall pages", (what, queue) => {
      const q = { QueueName: queue };
      expect(alarmOf(cell, `${what}-queue-age`)).toMatchObject({
        namespace: "AWS/SQS",
        metric_name: "ApproximateAgeOfOldestMessage",
        dimensions: q,
        statistic: "Maximum",
        threshold: 300,
        alarm_actions: [warning()],
      });
      expect(alarmOf(cell, `${what}-queue-depth`)).toMatchObject({
        namespace: "AWS/SQS",
        metric_name: "ApproximateNumberOfMessagesVisible",
        dimensions: q,
        threshold: 50_000,
        alarm_actions: [warning()],
      });
      const stalled = alarmOf(cell, `${what}-queue-stalled`);
      expect(queryMetrics(stalled)).toEqual({
        age: { namespace: "AWS/SQS", metricName: "ApproximateAgeOfOldestMessage", dimensions: q, stat: "Maximum", period: 60 },
        deleted: { namespace: "AWS/SQS", metricName: "NumberOfMessagesDeleted", dimensions: q, stat: "Sum", period: 60 },
      });
      expect(expressionOf(stalled, "result")?.expression).toBe("IF(age >= 300 AND deleted == 0, 1, 0)");
      expect(stalled).toMatchObject({ threshold: 1, evaluation_periods: 10, datapoints_to_alarm: 10, alarm_actions: [critical()] });
    });

    it.each(STAGES)("warns when the %s pipe fails: ExecutionFailed + TargetStageFailed", (stage) => {
      const alarm = alarmOf(cell, `${stage}-pipe-failures`);
      const pipe = { PipeName: `${CELL}-${stage}-buffer` };
      expect(queryMetrics(alarm)).toEqual({
        execution: { namespace: "AWS/EventBridge/Pipes", metricName: "ExecutionFailed", dimensions: pipe, stat: "Sum", period: 60 },
        target: { namespace: "AWS/EventBridge/Pipes", metricName: "TargetStageFailed", dimensions: pipe, stat: "Sum", period: 60 },
      });
      expect(expressionOf(alarm, "result")?.expression).toBe("execution + target");
      expect(alarm).toMatchObject({ alarm_actions: [warning()] });
    });

    it.each(STAGES)("watches the %s consumer: error rate pages, throttles, duration at 80% of 30 s and concurrency at 80% of 50 warn", (stage) => {
      const fn = { FunctionName: `${CELL}-${stage}-consumer` };
      const errorRate = alarmOf(cell, `${stage}-consumer-error-rate`);
      expect(queryMetrics(errorRate)).toEqual({
        errors: { namespace: "AWS/Lambda", metricName: "Errors", dimensions: fn, stat: "Sum", period: 60 },
        invocations: { namespace: "AWS/Lambda", metricName: "Invocations", dimensions: fn, stat: "Sum", period: 60 },
      });
      expect(expressionOf(errorRate, "result")?.expression).toBe("IF(invocations > 0, 100 * errors / invocations, 0)");
      expect(errorRate).toMatchObject({ threshold: 1, alarm_actions: [critical()] });
      expect(alarmOf(cell, `${stage}-consumer-throttles`)).toMatchObject({
        namespace: "AWS/Lambda",
        metric_name: "Throttles",
        dimensions: fn,
        threshold: 1,
        alarm_actions: [warning()],
      });
      expect(alarmOf(cell, `${stage}-consumer-duration`)).toMatchObject({
        namespace: "AWS/Lambda",
        metric_name: "Duration",
        dimensions: fn,
        extended_statistic: "p99",
        threshold: 24_000,
        alarm_actions: [warning()],
      });
      expect(alarmOf(cell, `${stage}-consumer-concurrency`)).toMatchObject({
        namespace: "AWS/Lambda",
        metric_name: "ConcurrentExecutions",
        dimensions: fn,
        statistic: "Maximum",
        threshold: 40,
        alarm_actions: [warning()],
      });
    });

    it.each(STAGES)("pages when the store rejects %s records (the consumer's EMF metric)", (stage) => {
      expect(alarmOf(cell, `${stage}-store-rejected`)).toMatchObject({
        namespace: "cellfleet",
        metric_name: "RecordsRejected",
        dimensions: { service: "stage-consumer", stage, cell: CELL },
        statistic: "Sum",
        threshold: 1,
        evaluation_periods: 1,
        alarm_actions: [critical()],
      });
    });

    it.each(STAGES)("warns when %s volume leaves its anomaly band (3 standard deviations), either way", (stage) => {
      const alarm = alarmOf(cell, `${stage}-volume-anomaly`);
      expect(queriesOf(alarm)).toEqual([
        {
          id: "volume",
          return_data: true,
          metric: {
            namespace: "AWS/Events",
            metric_name: "MatchedEvents",
            dimensions: { EventBusName: `${CELL}-invoices`, RuleName: `${CELL}-${stage}` },
            stat: "Sum",
            period: 300,
          },
        },
        { id: "band", expression: "ANOMALY_DETECTION_BAND(volume, 3)", label: `${stage}-volume-anomaly band`, return_data: true },
      ]);
      expect(alarm).toMatchObject({
        threshold_metric_id: "band",
        comparison_operator: "LessThanLowerOrGreaterThanUpperThreshold",
        alarm_actions: [warning()],
      });
      expect(alarm["threshold"]).toBeUndefined();
      expect(hasNamed(cell, "aws_cloudwatch_metric_alarm", `${CELL}-${stage}-volume-anomaly-escalated`, "alarm_name")).toBe(false);
    });

    it("warns on stuck invoices for every non-terminal stage only, over the detector's 15-minute schedule", () => {
      for (const stage of NON_TERMINAL) {
        expect(alarmOf(cell, `${stage}-stuck-invoices`)).toMatchObject({
          namespace: "cellfleet",
          metric_name: "StuckInvoices",
          dimensions: { service: "stuck-invoice-detector", cell: CELL, stage },
          statistic: "Maximum",
          period: 900,
          threshold: 1,
          alarm_actions: [warning()],
        });
      }
      expect(hasNamed(cell, "aws_cloudwatch_metric_alarm", `${CELL}-posting-stuck-invoices`, "alarm_name")).toBe(false);
    });

    it("pages when the canary fails 2 of 3 runs, and counts a missing result as a failure", () => {
      expect(alarmOf(cell, "canary-failures")).toMatchObject({
        namespace: "cellfleet",
        metric_name: "CanaryFailures",
        dimensions: { service: "pipeline-canary", cell: CELL },
        period: 300,
        threshold: 1,
        evaluation_periods: 3,
        datapoints_to_alarm: 2,
        treat_missing_data: "breaching",
        alarm_actions: [critical()],
      });
    });
  });

  describe("escalation of lasting warnings", () => {
    const periodOf = (spec: AlarmSpec) => Math.max(...Object.values(spec.metrics).map((m) => m.period));

    it("escalates every warning that may last, and nothing else", () => {
      const twins = entriesOf(cell, "aws_cloudwatch_metric_alarm")
        .map(([, a]) => a["alarm_name"] as string)
        .filter((name) => name.endsWith("-escalated"));
      expect(twins.sort()).toEqual(ESCALATING.map((s) => names.alarm(`${s.what}-escalated`)).sort());
      expect(ESCALATING.map((s) => s.what)).not.toContain("api-4xx-rate");
      expect(SPECS.filter((s) => s.severity === "critical").every((s) => !twins.includes(names.alarm(`${s.what}-escalated`)))).toBe(true);
    });

    it.each(ESCALATING.map((spec) => [spec.what, spec] as const))(
      "%s-escalated: the same metrics over 60 minutes, every datapoint breaching, paging as critical",
      (_what, spec) => {
        const twin = alarmOf(cell, `${spec.what}-escalated`);
        const original = alarmOf(cell, spec.what);
        const periods = Math.ceil((60 * 60) / periodOf(spec));
        const critical = topicArn(cell, "critical");
        expect(twin).toMatchObject({
          evaluation_periods: periods,
          datapoints_to_alarm: periods,
          alarm_actions: [critical],
          ok_actions: [critical],
          comparison_operator: original["comparison_operator"],
          treat_missing_data: original["treat_missing_data"],
        });
        expect(twin["threshold"]).toBe(original["threshold"]);
        expectMetricsOf(twin, spec);
        expect(twin["alarm_description"]).toMatch(/^\[critical\] Escalated: in ALARM for 60 minutes\. /);
      },
    );

    it("takes 60 of 60 one-minute datapoints to escalate a queue-age warning", () => {
      expect(alarmOf(cell, "ingestion-queue-age-escalated")).toMatchObject({ period: 60, evaluation_periods: 60, datapoints_to_alarm: 60 });
    });

    it("takes 4 of 4 fifteen-minute datapoints to escalate stuck invoices", () => {
      expect(alarmOf(cell, "ingestion-stuck-invoices-escalated")).toMatchObject({ period: 900, evaluation_periods: 4, datapoints_to_alarm: 4 });
    });

    it("escalates later than the warning itself even when the warning's own window is as long", () => {
      // stuck-invoice-detector-failures: 2 of 2 fifteen-minute runs; 30 minutes would be the same window.
      expect(alarmOf(variant, "stuck-invoice-detector-failures")).toMatchObject({ evaluation_periods: 2 });
      expect(alarmOf(variant, "stuck-invoice-detector-failures-escalated")).toMatchObject({ evaluation_periods: 3, datapoints_to_alarm: 3 });
    });

    it("follows operations.escalateAfterMinutes: 30 minutes are 30 one-minute datapoints", () => {
      expect(alarmOf(variant, "ingestion-queue-age-escalated")).toMatchObject({ evaluation_periods: 30, datapoints_to_alarm: 30 });
      expect(alarmOf(variant, "ingestion-queue-age-escalated")["alarm_description"]).toMatch(/^\[critical\] Escalated: in ALARM for 30 minutes\. /);
      const variantEscalating = specsFor(variantConfig).filter((s) => s.severity === "warning" && s.escalates !== false);
      for (const spec of variantEscalating) {
        // Never sooner than one period after the warning itself.
        const periods = Math.max(spec.evaluationPeriods + 1, Math.ceil((30 * 60) / periodOf(spec)));
        expect(alarmOf(variant, `${spec.what}-escalated`), spec.what).toMatchObject({ evaluation_periods: periods, datapoints_to_alarm: periods });
      }
    });
  });

  describe("the stuck-invoice detector", () => {
    const detector = () => functionOf(cell, `${CELL}-stuck-invoices`);
    const tableArn = () => arnOf("aws_timestreamwrite_table", Object.keys(resourcesOf(cell, "aws_timestreamwrite_table"))[0]!);

    it("is configured with the cell, the store, the terminal stage, every other stage's SLA and the warning topic", () => {
      const [databaseId] = Object.keys(resourcesOf(cell, "aws_timestreamwrite_database"));
      const [tableId] = Object.keys(resourcesOf(cell, "aws_timestreamwrite_table"));
      expect(envOf(detector().block)).toEqual({
        POWERTOOLS_SERVICE_NAME: "stuck-invoice-detector",
        POWERTOOLS_METRICS_NAMESPACE: "cellfleet",
        CELL_ID: CELL,
        TIMESTREAM_DATABASE: ref("aws_timestreamwrite_database", databaseId!, "database_name"),
        TIMESTREAM_TABLE: ref("aws_timestreamwrite_table", tableId!, "table_name"),
        TIMESTREAM_REGION: REGION,
        TERMINAL_STAGE: "posting",
        STAGE_SLAS_MINUTES: expect.any(String),
        MAX_LISTED: "50",
        LOOKBACK_DAYS: "14",
        ALERT_TOPIC_ARN: topicArn(cell, "warning"),
      });
      expect(JSON.parse(envOf(detector().block)["STAGE_SLAS_MINUTES"]!)).toEqual({ ingestion: 60, reconciliation: 240, authorization: 1440 });
    });

    it("may query the table, discover endpoints and publish to the warning topic, and nothing beyond its logs and traces", () => {
      const { statements } = rolePolicy(cell, `${CELL}-stuck-invoices`);
      const logGroup = byName(cell, "aws_cloudwatch_log_group", `/aws/lambda/${CELL}-stuck-invoices`);
      expect(distinctGrants(statements)).toEqual(
        grantsOf([
          { actions: ["logs:CreateLogStream", "logs:PutLogEvents"], resources: [`${arnOf("aws_cloudwatch_log_group", logGroup.id)}:*`] },
          { actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources: ["*"] },
          { actions: ["timestream:Select"], resources: [tableArn()] },
          { actions: ["timestream:DescribeEndpoints"], resources: ["*"] },
          { actions: ["sns:Publish"], resources: [topicArn(cell, "warning")] },
          { actions: ["kms:GenerateDataKey", "kms:Decrypt"], resources: [keyArn] },
          // A failed asynchronous invocation goes to the cell's async DLQ.
          { actions: ["sqs:SendMessage", "sqs:GetQueueAttributes"], resources: [queueArn(cell, `${CELL}-async-dlq`)] },
        ]),
      );
    });

    it("runs every 15 minutes through the scheduler role, with retries and <cell>-async-dlq", () => {
      const schedule = byName(cell, "aws_scheduler_schedule", `${CELL}-stuck-invoices`).block;
      expect(schedule).toMatchObject({
        schedule_expression: "rate(15 minutes)",
        flexible_time_window: { mode: "OFF" },
        target: {
          arn: arnOf("aws_lambda_function", detector().id),
          role_arn: arnOf("aws_iam_role", byName(cell, "aws_iam_role", `${CELL}-schedules`).id),
          retry_policy: { maximum_retry_attempts: 2, maximum_event_age_in_seconds: 900 },
          dead_letter_config: { arn: queueArn(cell, `${CELL}-async-dlq`) },
        },
      });
    });
  });

  describe("the scheduler role", () => {
    it("is trusted by EventBridge Scheduler of this account only", () => {
      const { role } = rolePolicy(cell, `${CELL}-schedules`);
      expect(grantsOf(statementsOf(cell, role["assume_role_policy"]))).toEqual(
        grantsOf([
          {
            actions: ["sts:AssumeRole"],
            principals: [{ type: "Service", identifiers: ["scheduler.amazonaws.com"] }],
            condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [ACCOUNT] }],
          },
        ]),
      );
    });

    it("may invoke exactly the detector and the canary, decrypt the schedules, and send what it could not deliver to the async DLQ", () => {
      const { statements } = rolePolicy(cell, `${CELL}-schedules`);
      const invoked = statements.filter((s) => s.actions.includes("lambda:InvokeFunction")).flatMap((s) => s.resources ?? []);
      expect(invoked.sort()).toEqual(
        [arnOf("aws_lambda_function", functionOf(cell, `${CELL}-stuck-invoices`).id), arnOf("aws_lambda_function", functionOf(cell, `${CELL}-canary`).id)].sort(),
      );
      expect(distinctGrants(statements)).toEqual(
        grantsOf([
          { actions: ["lambda:InvokeFunction"], resources: [arnOf("aws_lambda_function", functionOf(cell, `${CELL}-stuck-invoices`).id)] },
          { actions: ["lambda:InvokeFunction"], resources: [arnOf("aws_lambda_function", functionOf(cell, `${CELL}-canary`).id)] },
          { actions: ["sqs:SendMessage", "sqs:GetQueueAttributes"], resources: [queueArn(cell, `${CELL}-async-dlq`)] },
          { actions: ["kms:GenerateDataKey", "kms:Decrypt"], resources: [keyArn] },
          { actions: ["kms:Decrypt"], resources: [keyArn] },
        ]),
      );
    });
  });

  describe("the pipeline canary", () => {
    const canary = () => functionOf(cell, `${CELL}-canary`);

    it("calls the stage's invoke URL at the first stage with the canary client's key secret, and waits the objective plus a minute", () => {
      const [[stageId]] = entriesOf(cell, "aws_api_gateway_stage");
      expect(envOf(canary().block)).toMatchObject({
        CELL_ID: CELL,
        INGEST_URL: ref("aws_api_gateway_stage", stageId!, "invoke_url"),
        FIRST_STAGE: "ingestion",
        API_KEY_SECRET_ID: "cellfleet/api-keys/canary",
        MAX_END_TO_END_SECONDS: "120",
        TIMESTREAM_REGION: REGION,
      });
      expect(canary().block["timeout"]).toBe(180);
    });

    it("may read the canary client's key secret (any version suffix) and no other secret", () => {
      const { statements } = rolePolicy(cell, `${CELL}-canary`);
      const secrets = statements.filter((s) => s.actions.some((a) => a.startsWith("secretsmanager:")));
      expect(grantsOf(secrets)).toEqual([
        grant(["secretsmanager:GetSecretValue"], [`arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:cellfleet/api-keys/canary-??????`]),
      ]);
    });

    it("runs every 5 minutes through the scheduler role into the same schedules DLQ", () => {
      expect(byName(cell, "aws_scheduler_schedule", `${CELL}-canary`).block).toMatchObject({
        schedule_expression: "rate(5 minutes)",
        target: {
          arn: arnOf("aws_lambda_function", canary().id),
          role_arn: arnOf("aws_iam_role", byName(cell, "aws_iam_role", `${CELL}-schedules`).id),
          dead_letter_config: { arn: queueArn(cell, `${CELL}-async-dlq`) },
        },
      });
    });

    it("is left out with its alarms, schedule and role when operations.canary.enabled is false", () => {
      expect(hasNamed(variant, "aws_lambda_function", `${CELL}-canary`, "function_name")).toBe(false);
      expect(hasNamed(variant, "aws_scheduler_schedule", `${CELL}-canary`)).toBe(false);
      expect(hasNamed(variant, "aws_iam_role", `${CELL}-canary`)).toBe(false);
      const alarmNames = entriesOf(variant, "aws_cloudwatch_metric_alarm").map(([, a]) => a["alarm_name"] as string);
      expect(alarmNames.filter((name) => name.includes("canary"))).toEqual([]);
      expect(alarmNames).toContain(`${CELL}-ingestion-stuck-invoices`);
    });

    it("leaves the scheduler role only the detector to invoke when the canary is off", () => {
      const { statements } = rolePolicy(variant, `${CELL}-schedules`);
      const invoked = statements.filter((s) => s.actions.includes("lambda:InvokeFunction")).flatMap((s) => s.resources ?? []);
      expect(invoked).toEqual([arnOf("aws_lambda_function", functionOf(variant, `${CELL}-stuck-invoices`).id)]);
    });
  });
});

describe("alert subscriptions per cell", () => {
  it("fills {region} and {cell} in an alert endpoint for each cell", () => {
    const input = defaultFleetInput();
    const config = fleet({
      operations: {
        ...input.operations!,
        alerting: { critical: [{ protocol: "sqs", endpoint: "arn:aws:sqs:{region}:111122223333:alerts-{cell}" }], warning: [], info: [] },
      },
    });
    const stack = synthStack(buildTestFleet(config).cells.get("use2-a")!).parsed;
    const endpoints = Object.values(resourcesOf(stack, "aws_sns_topic_subscription")).map((s) => s["endpoint"]);
    expect(endpoints).toContain("arn:aws:sqs:us-east-2:111122223333:alerts-use2-a");
  });
});
