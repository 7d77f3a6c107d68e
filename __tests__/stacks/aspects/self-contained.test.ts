import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { App, Aspects, TerraformStack } from "cdktf";
import { describe, expect, it } from "vitest";
import { SelfContainedAspect } from "../../../stacks/aspects";
import { aspectErrors, aspectStack, expectErrors, STACK_ID } from "./aspect-stack";

describe("SelfContainedAspect", () => {
  it("passes references to the stack's own resources and data sources, and text that only looks like one", () => {
    const { stack } = aspectStack([new SelfContainedAspect()]);
    const queue = new SqsQueue(stack, "orders", { name: "orders" });
    new SsmParameter(stack, "own", { name: "/own", type: "String", value: queue.arn });
    // Prose with dots, Terraform's own namespaces and an escaped literal are not block references.
    new SsmParameter(stack, "prose", {
      name: "/prose",
      type: "String",
      value: "see docs.example.com and ${var.region.name} and $${aws_sqs_queue.elsewhere.arn} and ${each.value.id}",
    });
    expect(aspectErrors(stack)).toEqual([]);
  });

  it("fails a resource that refers to a resource of another stack, naming both and the fix", () => {
    const app = new App({ outdir: "unused" });
    const other = new TerraformStack(app, "cell-other-a");
    new AwsProvider(other, "aws", { region: "us-east-1" });
    const foreignQueue = new SqsQueue(other, "orders", { name: "orders" });
    const stack = new TerraformStack(app, STACK_ID);
    new AwsProvider(stack, "aws", { region: "us-east-1" });
    Aspects.of(stack).add(new SelfContainedAspect());
    new SsmParameter(stack, "borrowed", { name: "/borrowed", type: "String", value: `arn is ${foreignQueue.arn}` });

    expectErrors(stack, [
      [`${STACK_ID}/borrowed`, /refers to aws_sqs_queue\.orders, which is not a block of stack cell-test-a: the fleet's stacks do not reference one another .*cells\/naming\.ts/],
    ]);
  });
});
