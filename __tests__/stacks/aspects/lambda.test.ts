import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { describe, expect, it } from "vitest";
import { ServiceRole } from "../../../stacks/service-role";
import { LambdaAspect } from "../../../stacks/aspects";
import { aspectErrors, aspectStack, cellFunction, expectErrors, RAW_FUNCTION, STACK_ID, type AspectStack } from "./aspect-stack";

function role(cell: AspectStack, id: string): ServiceRole {
  return new ServiceRole(cell.stack, `${id}-role`, { roleName: id, service: "lambda.amazonaws.com", description: "test" });
}

describe("LambdaAspect", () => {
  it("passes a CellFunction: X-Ray Active, its own log group with retention, a role of the stack", () => {
    const cell = aspectStack([new LambdaAspect()]);
    cellFunction(cell, "worker");
    expect(aspectErrors(cell.stack)).toEqual([]);
  });

  it("fails a function without X-Ray tracing, naming its path", () => {
    const cell = aspectStack([new LambdaAspect()]);
    const fn = cellFunction(cell, "worker");
    fn.function.putTracingConfig({ mode: "PassThrough" });
    expectErrors(cell.stack, [[`${STACK_ID}/worker/function`, /Lambda function is not traced with X-Ray \(set tracingConfig \{ mode: "Active" \}/]]);
  });

  it("fails the log group of a function when it keeps logs forever, naming the group and the function", () => {
    const cell = aspectStack([new LambdaAspect()]);
    const fn = cellFunction(cell, "worker");
    fn.logGroup.resetRetentionInDays();
    expectErrors(cell.stack, [[`${STACK_ID}/worker/logs`, new RegExp(`log group of Lambda function ${STACK_ID}/worker/function keeps logs forever \\(set retentionInDays\\)`)]]);
  });

  it("fails a function with no log group of its own, naming its path", () => {
    const cell = aspectStack([new LambdaAspect()]);
    new LambdaFunction(cell.stack, "bare", { ...RAW_FUNCTION, functionName: "bare", role: role(cell, "bare").arn, tracingConfig: { mode: "Active" } });
    expectErrors(cell.stack, [[`${STACK_ID}/bare`, /Lambda function has no log group of its own in this stack/]]);
  });

  it("finds the default /aws/lambda/<name> group when the function names none", () => {
    const cell = aspectStack([new LambdaAspect()]);
    const fn = new LambdaFunction(cell.stack, "bare", { ...RAW_FUNCTION, functionName: "bare", role: role(cell, "bare").arn, tracingConfig: { mode: "Active" } });
    new CloudwatchLogGroup(cell.stack, "bare-logs", { name: `/aws/lambda/${fn.functionName}`, retentionInDays: 30 });
    expect(aspectErrors(cell.stack)).toEqual([]);
  });

  it("fails a function whose role is not in the stack: its permissions cannot be checked", () => {
    const cell = aspectStack([new LambdaAspect()]);
    new CloudwatchLogGroup(cell.stack, "outsider-logs", { name: "/aws/lambda/outsider", retentionInDays: 30 });
    new LambdaFunction(cell.stack, "outsider", {
      ...RAW_FUNCTION,
      functionName: "outsider",
      role: "arn:aws:iam::123456789012:role/admin",
      tracingConfig: { mode: "Active" },
    });
    expectErrors(cell.stack, [[`${STACK_ID}/outsider`, /Lambda function's role is not a role of this stack/]]);
  });
});
