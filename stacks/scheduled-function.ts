import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule";
import { Construct } from "constructs";
import { CellFunction, type CellFunctionProps } from "./cell-function";
import type { EncryptedQueue } from "./encrypted-queue";
import type { ServiceRole } from "./service-role";

export interface ScheduledFunctionProps extends CellFunctionProps {
  readonly scheduleName: string;
  /** How often it runs (1 .. 1440 minutes). */
  readonly everyMinutes: number;
  /** The cell's scheduler role (trusted by EventBridge Scheduler), granted invoke here. */
  readonly schedulerRole: ServiceRole;
  /** Where an invocation the scheduler could not make ends up. */
  readonly deadLetterQueue: EncryptedQueue;
}

/**
 * A cell function run on a schedule by EventBridge Scheduler, with retries and a dead-letter
 * queue for invocations that never happened (so a broken schedule is visible, not silent).
 */
export class ScheduledFunction extends Construct {
  readonly lambda: CellFunction;
  readonly schedule: SchedulerSchedule;

  constructor(scope: Construct, id: string, props: ScheduledFunctionProps) {
    super(scope, id);
    if (!Number.isInteger(props.everyMinutes) || props.everyMinutes < 1 || props.everyMinutes > 1440) {
      throw new Error(`ScheduledFunction ${this.node.path}: everyMinutes must be an integer 1 .. 1440, got ${props.everyMinutes}`);
    }
    this.lambda = new CellFunction(this, "lambda", props);
    props.schedulerRole.addToPolicy({ actions: ["lambda:InvokeFunction"], resources: [this.lambda.arn] });
    props.deadLetterQueue.grantSendMessages(props.schedulerRole);
    props.key.grantDecrypt(props.schedulerRole);
    this.schedule = new SchedulerSchedule(this, "schedule", {
      name: props.scheduleName,
      description: props.description,
      scheduleExpression: props.everyMinutes === 1 ? "rate(1 minute)" : `rate(${props.everyMinutes} minutes)`,
      flexibleTimeWindow: { mode: "OFF" },
      // Scheduler decrypts the schedule (target input) with its execution role.
      kmsKeyArn: props.key.arn,
      target: {
        arn: this.lambda.arn,
        roleArn: props.schedulerRole.arn,
        retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: Math.min(86_400, props.everyMinutes * 60) },
        deadLetterConfig: { arn: props.deadLetterQueue.arn },
      },
      dependsOn: [props.schedulerRole.grants],
    });
  }
}
