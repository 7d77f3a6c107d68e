import { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus";
import { Aspects, Testing, TerraformStack } from "cdktf";
import { describe, expect, it } from "vitest";
import { EncryptedQueue } from "../../../stacks/encrypted-queue";
import { CELL_REQUIRED_TAGS, GLOBAL_REQUIRED_TAGS, RequiredTagsAspect } from "../../../stacks/aspects";
import { aspectErrors, aspectStack, CELL_TAGS, expectErrors, STACK_ID } from "./aspect-stack";

const cellTags = () => new RequiredTagsAspect(CELL_REQUIRED_TAGS);

describe("RequiredTagsAspect", () => {
  it("passes a cell whose provider sets project, cell and region as default tags, and resources that add their own", () => {
    const cell = aspectStack([cellTags()]);
    new EncryptedQueue(cell.stack, "orders", { queueName: "orders", key: cell.key });
    new CloudwatchEventBus(cell.stack, "bus", { name: "bus", tags: { owner: "payments", cell: CELL_TAGS.cell } });
    expect(aspectErrors(cell.stack)).toEqual([]);
  });

  it("fails a stack whose provider has no default tags, naming the provider", () => {
    const cell = aspectStack([cellTags()], null);
    expectErrors(cell.stack, [[`${STACK_ID}/aws`, /AWS provider's default_tags lack required tags "project", "cell", "region" \(set them in AwsProvider defaultTags/]]);
  });

  it("fails a provider lacking one required tag, or leaving it blank", () => {
    const cell = aspectStack([cellTags()], { project: "cellfleet", cell: " ", region: "us-east-1" });
    expectErrors(cell.stack, [[`${STACK_ID}/aws`, /AWS provider's default_tags lack required tags "cell" /]]);
  });

  it("checks the global stack for its own set (stack instead of cell)", () => {
    const cell = aspectStack([new RequiredTagsAspect(GLOBAL_REQUIRED_TAGS)]);
    expectErrors(cell.stack, [[`${STACK_ID}/aws`, /AWS provider's default_tags lack required tags "stack" /]]);
  });

  it("fails a resource whose tags blank a required tag, naming its path", () => {
    const cell = aspectStack([cellTags()]);
    new CloudwatchEventBus(cell.stack, "bus", { name: "bus", tags: { owner: "payments", cell: "" } });
    expectErrors(cell.stack, [[`${STACK_ID}/bus`, /tags blank the required tag "cell" \(leave required tags to the provider's default_tags\)/]]);
  });

  it("fails a resource whose tags override a required tag with another value", () => {
    const cell = aspectStack([cellTags()]);
    const queue = new EncryptedQueue(cell.stack, "orders", { queueName: "orders", key: cell.key });
    queue.queue.addOverride("tags", { cell: "use1-b" });
    expectErrors(cell.stack, [[`${STACK_ID}/orders/queue`, /tags override the required tag "cell" with "use1-b" instead of the provider's "test-a"/]]);
  });

  it("fails a stack without an AWS provider, naming the stack", () => {
    const stack = new TerraformStack(Testing.app(), "no-provider");
    Aspects.of(stack).add(cellTags());
    expectErrors(stack, [["no-provider", /stack has no AWS provider to give its resources the required tags project, cell, region/]]);
  });
});
