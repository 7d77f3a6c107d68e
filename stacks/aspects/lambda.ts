import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { reportViolation, StackAspect } from "./stack-aspect";
import { nested, type Block, type StackSnapshot } from "./stack-snapshot";

/**
 * Every Lambda function is observable and checkable: X-Ray tracing Active, a log group of its
 * own in the stack with a retention (the one `logging_config.log_group` names, else
 * `/aws/lambda/<name>`), and a role of the stack, whose policies the IAM aspect reads (no `*`
 * action there).
 */
export class LambdaAspect extends StackAspect {
  protected check(snapshot: StackSnapshot): void {
    const logGroups = snapshot.resourcesOf(CloudwatchLogGroup.tfResourceType);
    for (const fn of snapshot.resourcesOf(LambdaFunction.tfResourceType)) {
      if (nested(fn.config["tracing_config"])?.["mode"] !== "Active") {
        reportViolation(fn.construct, 'Lambda function is not traced with X-Ray (set tracingConfig { mode: "Active" }; CellFunction does)');
      }

      const logGroup = functionLogGroup(snapshot, fn, logGroups);
      if (!logGroup) {
        reportViolation(
          fn.construct,
          "Lambda function has no log group of its own in this stack (create a CloudwatchLogGroup with retentionInDays and name it in loggingConfig.logGroup; CellFunction does)",
        );
      } else {
        const retention = logGroup.config["retention_in_days"];
        if (retention === undefined || retention === null || retention === 0) {
          reportViolation(logGroup.construct, `log group of Lambda function ${fn.construct.node.path} keeps logs forever (set retentionInDays)`);
        }
      }

      const role = snapshot.referenced(fn.config["role"]);
      if (role?.block.type !== IamRole.tfResourceType) {
        reportViolation(fn.construct, "Lambda function's role is not a role of this stack, so its permissions cannot be checked (give it a ServiceRole; CellFunction does)");
      }
    }
  }
}

/** The log group a function writes to, if the stack has it. */
function functionLogGroup(snapshot: StackSnapshot, fn: Block, logGroups: readonly Block[]): Block | undefined {
  const configured = nested(fn.config["logging_config"])?.["log_group"];
  const functionName = fn.config["function_name"];
  const name = configured ?? (typeof functionName === "string" ? `/aws/lambda/${functionName}` : undefined);
  const reference = snapshot.referenced(name);
  if (reference) return reference.block.type === CloudwatchLogGroup.tfResourceType ? reference.block : undefined;
  // The default group may also be named after the function's attribute.
  const names: unknown[] = [name, `/aws/lambda/\${${fn.address}.function_name}`];
  return logGroups.find((group) => names.includes(group.config["name"]));
}
