import { CloudwatchEventArchive } from "@cdktf/provider-aws/lib/cloudwatch-event-archive";
import { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { Construct } from "constructs";
import type { CellKey } from "./cell-key";
import { EncryptedQueue } from "./encrypted-queue";
import { ServiceRole } from "./service-role";

export interface ArchiveHubProps {
  readonly busName: string;
  readonly archiveName: string;
  readonly retentionDays: number;
  readonly deadLetterQueueName: string;
  readonly replayRoleName: string;
  readonly key: CellKey;
  readonly dlqRetentionDays: number;
  readonly account: { readonly account: string };
  /** The cells a DR replay can go to. */
  readonly cells: readonly {
    readonly id: string;
    /** `dr-<cell>-`: replays named with it go to this cell. */
    readonly replayNamePrefix: string;
    readonly ruleName: string;
    /** The cell's bus, derived from config (no reference into the cell's stack). */
    readonly busArn: string;
  }[];
  readonly retryAttempts: number;
  readonly maxEventAgeSeconds: number;
}

/** A replay rule matches only events of a replay named for its cell. */
export const replayRulePattern = (replayNamePrefix: string) => ({ "replay-name": [{ prefix: replayNamePrefix }] });

/** The archive keeps live events only: a replay passing through the hub is not archived again. */
export const ARCHIVE_PATTERN = { "replay-name": [{ exists: false }] };

/**
 * The DR hub in the control region: a bus every cell forwards its live events to, an archive of
 * them, and one replay rule per cell. A replay can only go back to the archive's own bus, so a
 * DR drill replays into the hub under a name `dr-<cell>-...` and that cell's rule carries the
 * events to the surviving cell's bus.
 */
export class ArchiveHub extends Construct {
  readonly bus: CloudwatchEventBus;
  readonly archive: CloudwatchEventArchive;
  readonly replayRules = new Map<string, CloudwatchEventRule>();

  constructor(scope: Construct, id: string, props: ArchiveHubProps) {
    super(scope, id);
    this.bus = new CloudwatchEventBus(this, "bus", { name: props.busName });
    this.archive = new CloudwatchEventArchive(this, "archive", {
      name: props.archiveName,
      description: "Every cell's live invoice events, for DR replays",
      eventSourceArn: this.bus.arn,
      retentionDays: props.retentionDays,
      eventPattern: JSON.stringify(ARCHIVE_PATTERN),
    });
    const dlq = new EncryptedQueue(this, "dlq", {
      queueName: props.deadLetterQueueName,
      key: props.key,
      retentionDays: props.dlqRetentionDays,
    });
    const role = new ServiceRole(this, "replay-role", {
      roleName: props.replayRoleName,
      service: "events.amazonaws.com",
      description: "The hub's replay rules put replayed events on the target cell's bus",
      trustConditions: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [props.account.account] }],
    });
    if (props.cells.length > 0) {
      role.addToPolicy({ actions: ["events:PutEvents"], resources: props.cells.map((cell) => cell.busArn) });
    }
    for (const cell of props.cells) {
      const rule = new CloudwatchEventRule(this, `replay-${cell.id}`, {
        name: cell.ruleName,
        eventBusName: this.bus.name,
        description: `DR replays named ${cell.replayNamePrefix}* go to cell ${cell.id}`,
        eventPattern: JSON.stringify(replayRulePattern(cell.replayNamePrefix)),
      });
      new CloudwatchEventTarget(this, `replay-${cell.id}-target`, {
        rule: rule.name,
        eventBusName: this.bus.name,
        arn: cell.busArn,
        roleArn: role.arn,
        retryPolicy: { maximumRetryAttempts: props.retryAttempts, maximumEventAgeInSeconds: props.maxEventAgeSeconds },
        deadLetterConfig: { arn: dlq.arn },
      });
      dlq.allowSendFrom("events.amazonaws.com", [rule.arn]);
      this.replayRules.set(cell.id, rule);
    }
  }
}
