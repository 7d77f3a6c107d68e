import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { Construct } from "constructs";
import type { AlertTopics } from "./alert-topics";
import type { AlarmSpec } from "./cell-alarm-specs";

/** CloudWatch evaluates at most one day of periods. */
const MAX_EVALUATION_SECONDS = 86_400;

export interface CellAlarmsProps {
  readonly specs: readonly AlarmSpec[];
  /** Physical alarm name for a spec's `what`. */
  readonly alarmName: (what: string) => string;
  readonly topics: AlertTopics;
  /** A warning in ALARM this long escalates to critical. */
  readonly escalateAfterMinutes: number;
}

/**
 * The cell's alarms, each sending ALARM and OK to its severity's topic. A warning that stays in
 * ALARM for `escalateAfterMinutes` also trips its escalation twin: the same metric over that
 * whole window, all datapoints breaching, paging as critical. (A composite alarm cannot express
 * "for how long"; a longer-window twin says exactly that and clears by itself.)
 */
export class CellAlarms extends Construct {
  readonly alarms = new Map<string, CloudwatchMetricAlarm>();

  constructor(scope: Construct, id: string, private readonly props: CellAlarmsProps) {
    super(scope, id);
    const seen = new Set<string>();
    for (const spec of props.specs) {
      if (seen.has(spec.what)) throw new Error(`CellAlarms ${this.node.path}: two alarms named "${spec.what}"`);
      seen.add(spec.what);
      const period = Math.max(...Object.values(spec.metrics).map((m) => m.period));
      if (spec.evaluationPeriods * period > MAX_EVALUATION_SECONDS) {
        throw new Error(`CellAlarms ${this.node.path}: "${spec.what}" spans ${spec.evaluationPeriods} periods of ${period} s, more than the one day CloudWatch evaluates`);
      }
      this.add(spec.what, spec, spec.severity, spec.evaluationPeriods, spec.datapointsToAlarm);
      if (spec.severity === "warning" && spec.escalates !== false) {
        // Always at least one period longer than the warning itself, so it never pages at once.
        const periods = Math.max(spec.evaluationPeriods + 1, Math.ceil((props.escalateAfterMinutes * 60) / period));
        if (periods * period > MAX_EVALUATION_SECONDS) {
          throw new Error(`CellAlarms ${this.node.path}: escalateAfterMinutes is longer than CloudWatch can evaluate for "${spec.what}"`);
        }
        this.add(`${spec.what}-escalated`, { ...spec, description: `Escalated: in ALARM for ${props.escalateAfterMinutes} minutes. ${spec.description}` }, "critical", periods, periods);
      }
    }
  }

  private add(what: string, spec: AlarmSpec, severity: AlarmSpec["severity"], evaluationPeriods: number, datapointsToAlarm: number): void {
    const topic = this.props.topics.arn(severity);
    const ids = Object.keys(spec.metrics);
    const direct = ids.length === 1 && spec.expression === undefined && spec.anomalyBandWidth === undefined;
    const [onlyMetric] = Object.values(spec.metrics);
    const percentile = onlyMetric && /^p\d+(\.\d+)?$/.test(onlyMetric.stat);
    const alarm = new CloudwatchMetricAlarm(this, what, {
      alarmName: this.props.alarmName(what),
      alarmDescription: `[${severity}] ${spec.description}`.slice(0, 1024),
      comparisonOperator: spec.comparison,
      evaluationPeriods,
      datapointsToAlarm,
      threshold: spec.anomalyBandWidth === undefined ? spec.threshold : undefined,
      thresholdMetricId: spec.anomalyBandWidth === undefined ? undefined : "band",
      treatMissingData: spec.treatMissingData,
      alarmActions: [topic],
      okActions: [topic],
      ...(direct
        ? {
            namespace: onlyMetric!.namespace,
            metricName: onlyMetric!.metricName,
            dimensions: { ...onlyMetric!.dimensions },
            period: onlyMetric!.period,
            statistic: percentile ? undefined : onlyMetric!.stat,
            extendedStatistic: percentile ? onlyMetric!.stat : undefined,
          }
        : {
            metricQuery: [
              ...Object.entries(spec.metrics).map(([id, m]) => ({
                id,
                returnData: spec.expression === undefined && spec.anomalyBandWidth !== undefined ? true : false,
                metric: { namespace: m.namespace, metricName: m.metricName, dimensions: { ...m.dimensions }, period: m.period, stat: m.stat },
              })),
              ...(spec.expression === undefined ? [] : [{ id: "result", expression: spec.expression, label: what, returnData: true }]),
              ...(spec.anomalyBandWidth === undefined
                ? []
                : [{ id: "band", expression: `ANOMALY_DETECTION_BAND(${ids[0]}, ${spec.anomalyBandWidth})`, label: `${what} band`, returnData: true }]),
            ],
          }),
    });
    this.alarms.set(what, alarm);
  }
}
