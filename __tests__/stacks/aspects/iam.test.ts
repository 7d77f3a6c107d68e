import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { describe, expect, it } from "vitest";
import { EncryptedQueue } from "../../../stacks/encrypted-queue";
import { ServiceRole } from "../../../stacks/service-role";
import { IamAspect, STAR_RESOURCE_ACTIONS } from "../../../stacks/aspects";
import { aspectErrors, aspectStack, cellFunction, expectErrors, STACK_ID, type AspectStack } from "./aspect-stack";

function role(cell: AspectStack, id = "worker"): ServiceRole {
  return new ServiceRole(cell.stack, id, { roleName: id, service: "lambda.amazonaws.com", description: "test" });
}

/** Where a ServiceRole's inline statements are rendered. */
const PERMISSIONS = `${STACK_ID}/worker/permissions/document`;

describe("IamAspect", () => {
  it("passes a CellFunction's role, the cell key's policy (kms:* on * for the account) and queue policies' TLS Deny of sqs:*", () => {
    const cell = aspectStack([new IamAspect()]);
    const fn = cellFunction(cell, "consumer");
    const queue = new EncryptedQueue(cell.stack, "orders", { queueName: "orders", key: cell.key });
    queue.grantConsumeMessages(fn.role);
    expect(aspectErrors(cell.stack)).toEqual([]);
  });

  it("allows resource * for exactly the allow-listed actions, each with its reason", () => {
    expect(Object.keys(STAR_RESOURCE_ACTIONS).sort()).toEqual(["timestream:DescribeEndpoints", "xray:PutTelemetryRecords", "xray:PutTraceSegments"]);
    for (const reason of Object.values(STAR_RESOURCE_ACTIONS)) expect(reason).toMatch(/resource-level permission/);
    const cell = aspectStack([new IamAspect()]);
    role(cell).addToPolicy({ actions: Object.keys(STAR_RESOURCE_ACTIONS), resources: ["*"] });
    expect(aspectErrors(cell.stack)).toEqual([]);
  });

  it('fails a role statement with action "*", naming the policy document', () => {
    const cell = aspectStack([new IamAspect()]);
    role(cell).addToPolicy({ sid: "Everything", actions: ["*"], resources: [cell.key.arn] });
    expectErrors(cell.stack, [[PERMISSIONS, /statement "Everything" allows "\*", every action of a service \(grant the exact actions/]]);
  });

  it('fails a role statement with action "s3:*"', () => {
    const cell = aspectStack([new IamAspect()]);
    role(cell).addToPolicy({ actions: ["s3:*"], resources: ["arn:aws:s3:::bucket/*"] });
    expectErrors(cell.stack, [[PERMISSIONS, /statement #1 allows "s3:\*", every action of a service/]]);
  });

  it('fails a statement allowing s3:GetObject on resource "*"', () => {
    const cell = aspectStack([new IamAspect()]);
    role(cell).addToPolicy({ actions: ["xray:PutTraceSegments", "s3:GetObject"], resources: ["*"] });
    expectErrors(cell.stack, [[PERMISSIONS, /statement #1 allows "s3:GetObject" on resource "\*" \(name the resources; .*STAR_RESOURCE_ACTIONS/]]);
  });

  it("fails an Allow with NotAction", () => {
    const cell = aspectStack([new IamAspect()]);
    new IamRolePolicy(cell.stack, "not-action", {
      role: role(cell).name,
      policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", NotAction: "iam:*", Resource: "arn:aws:s3:::bucket" }] }),
    });
    expectErrors(cell.stack, [[`${STACK_ID}/not-action`, /statement #1 allows every action but NotAction "iam:\*"/]]);
  });

  it("checks inline policy JSON too, reporting at the resource that carries it", () => {
    const cell = aspectStack([new IamAspect()]);
    new IamRolePolicy(cell.stack, "admin", {
      role: role(cell).name,
      policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "Admin", Effect: "Allow", Action: "*", Resource: "*" }] }),
    });
    // "*" on "*": the wildcard action is the finding; the resource check reports the named actions only.
    expectErrors(cell.stack, [[`${STACK_ID}/admin`, /statement "Admin" allows "\*", every action of a service/]]);
  });

  it("exempts Deny statements: a Deny of s3:* on * is a guard, not a grant", () => {
    const cell = aspectStack([new IamAspect()]);
    role(cell).addToPolicy({ effect: "Deny", actions: ["s3:*"], resources: ["*"] });
    expect(aspectErrors(cell.stack)).toEqual([]);
  });

  it("fails an attached AWS managed policy that is not allow-listed, and accepts the one that is", () => {
    const cell = aspectStack([new IamAspect()]);
    const worker = role(cell);
    new IamRolePolicyAttachment(cell.stack, "admin", { role: worker.name, policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" });
    new IamRolePolicyAttachment(cell.stack, "push-logs", {
      role: worker.name,
      policyArn: "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
    });
    expectErrors(cell.stack, [[`${STACK_ID}/admin`, /attaches AWS managed policy "AdministratorAccess", which is not in ALLOWED_MANAGED_POLICIES/]]);
  });

  it("fails an identity policy it cannot read", () => {
    const cell = aspectStack([new IamAspect()]);
    new IamRolePolicy(cell.stack, "opaque", { role: role(cell).name, policy: cell.key.key.policy });
    expectErrors(cell.stack, [[`${STACK_ID}/opaque`, /policy is neither an aws_iam_policy_document of this stack nor policy JSON/]]);
  });
});
