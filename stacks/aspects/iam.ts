import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamPolicy } from "@cdktf/provider-aws/lib/iam-policy";
import type { IConstruct } from "constructs";
import { documentStatements, isWildcardAction, readPolicy, statementLabel, type Statement } from "./policy-statements";
import { reportViolation, StackAspect } from "./stack-aspect";
import { list, nested, type Block, type StackSnapshot } from "./stack-snapshot";

/**
 * The only actions an Allow statement may grant on resource `"*"`, each with the reason AWS
 * leaves no choice. Add one only with its reason.
 */
export const STAR_RESOURCE_ACTIONS: Readonly<Record<string, string>> = {
  "timestream:DescribeEndpoints":
    "Endpoint discovery (required by the JS SDK v3 Timestream clients) has no resource-level permission: AWS accepts only resource \"*\".",
  "xray:PutTraceSegments": "X-Ray has no resource-level permissions: AWS accepts only resource \"*\".",
  "xray:PutTelemetryRecords": "X-Ray has no resource-level permissions: AWS accepts only resource \"*\".",
};

/**
 * AWS managed policies a role may have attached (their statements cannot be read at synth),
 * keyed by path and name after `arn:<partition>:iam::aws:policy/`, each with the reason.
 */
export const ALLOWED_MANAGED_POLICIES: Readonly<Record<string, string>> = {
  "service-role/AmazonAPIGatewayPushToCloudWatchLogs":
    "API Gateway's account-wide logging role: API Gateway creates the execution log groups of every API and stage itself, and AWS documents this policy for the role.",
  "service-role/AWS_ConfigRole":
    "AWS Config's recorder role (optional compliance module): read access to every resource type Config records, which AWS maintains as it adds types; AWS documents this policy for the role.",
};

/** How a policy is used, which decides what it may contain. */
type PolicyUse =
  /** Attached to a principal (role, user, group): every rule applies. */
  | "identity"
  /** On a resource (queue, topic, bucket ...): every rule applies. */
  | "resource"
  /** A role's trust policy: no wildcard action; it names no resources. */
  | "trust"
  /** A KMS key policy: exempt, resource `"*"` there means the key itself, and the account's `kms:*` is AWS's default statement. */
  | "key";

// Terraform types whose `policy` is a key policy, and those whose `policy` is an identity policy.
const KEY_POLICY_TYPES = new Set(["aws_kms_key", "aws_kms_key_policy", "aws_kms_replica_key", "aws_kms_external_key"]);
const IDENTITY_POLICY_TYPES = new Set(["aws_iam_role_policy", "aws_iam_policy", "aws_iam_user_policy", "aws_iam_group_policy"]);
/** Attributes that attach policies by ARN (`aws_iam_*_policy_attachment`, `aws_iam_role.managed_policy_arns` ...). */
const POLICY_ARN_ATTRIBUTES = ["policy_arn", "policy_arns", "managed_policy_arns"];
const MANAGED_POLICY_ARN = /^arn:[^:]+:iam::aws:policy\/(.+)$/;
/** Strictest first. */
const STRICTNESS: readonly PolicyUse[] = ["identity", "resource", "trust", "key"];

/**
 * Least privilege in every IAM policy of the stack: no Allow of `*` or `service:*` (or
 * `NotAction`); no Allow on resource `"*"` unless every action is in {@link STAR_RESOURCE_ACTIONS};
 * identity policies readable at synth; attached AWS managed policies only from
 * {@link ALLOWED_MANAGED_POLICIES}. Deny statements and key policies are exempt.
 */
export class IamAspect extends StackAspect {
  protected check(snapshot: StackSnapshot): void {
    // A document is checked once, as its strictest use asks; one nothing uses is checked in full.
    const documentUses = new Map<Block, PolicyUse[]>(snapshot.dataSourcesOf(DataAwsIamPolicyDocument.tfResourceType).map((doc) => [doc, []]));
    for (const block of snapshot.resources) {
      for (const { use, value } of policiesOf(block)) {
        const policy = readPolicy(snapshot, value);
        if (policy?.document) {
          documentUses.get(policy.document)?.push(use);
        } else if (policy) {
          checkStatements(block.construct, policy.statements, use);
        } else if (use === "identity") {
          reportViolation(block.construct, "policy is neither an aws_iam_policy_document of this stack nor policy JSON, so it cannot be checked (render it with PolicyDocument)");
        }
      }
      checkAttachedPolicies(snapshot, block);
    }
    for (const [document, uses] of documentUses) {
      const strictest = uses.length === 0 ? "identity" : STRICTNESS.find((use) => uses.includes(use))!;
      checkStatements(document.construct, documentStatements(snapshot, document), strictest);
    }
  }
}

/** The policies a resource carries and how each is used. */
function policiesOf(block: Block): { use: PolicyUse; value: unknown }[] {
  const policies: { use: PolicyUse; value: unknown }[] = [];
  if (block.config["assume_role_policy"] !== undefined) policies.push({ use: "trust", value: block.config["assume_role_policy"] });
  for (const inline of list(block.config["inline_policy"])) {
    const policy = nested(inline)?.["policy"];
    if (policy !== undefined) policies.push({ use: "identity", value: policy });
  }
  for (const attribute of ["policy", "policy_document"]) {
    const value = block.config[attribute];
    if (typeof value !== "string") continue;
    const use: PolicyUse = KEY_POLICY_TYPES.has(block.type) ? "key" : IDENTITY_POLICY_TYPES.has(block.type) ? "identity" : "resource";
    policies.push({ use, value });
  }
  return policies;
}

function checkStatements(construct: IConstruct, statements: readonly Statement[], use: PolicyUse): void {
  if (use === "key") return;
  statements.forEach((statement, index) => {
    if (statement.effect !== "Allow") return;
    const label = statementLabel(statement, index);
    const wildcards = statement.actions.filter(isWildcardAction);
    if (wildcards.length > 0) {
      reportViolation(construct, `statement ${label} allows ${quoted(wildcards)}, every action of a service (grant the exact actions it needs; the constructs' grant* methods do)`);
    }
    if (statement.notActions.length > 0) {
      reportViolation(construct, `statement ${label} allows every action but NotAction ${quoted(statement.notActions)} (list the actions it needs instead)`);
    }
    if (use === "trust") return;
    const everywhere = (statement.resources ?? []).includes("*") || statement.notResources.length > 0;
    const unlisted = statement.actions.filter((action) => !isWildcardAction(action) && !Object.hasOwn(STAR_RESOURCE_ACTIONS, action));
    if (everywhere && unlisted.length > 0) {
      reportViolation(
        construct,
        `statement ${label} allows ${quoted(unlisted)} on resource "*" (name the resources; "*" is only for actions without resource-level permissions, listed with their reason in STAR_RESOURCE_ACTIONS of stacks/aspects/iam.ts)`,
      );
    }
  });
}

/** Policies attached by ARN: one of the stack's own (checked as documents), or an allowed AWS managed one. */
function checkAttachedPolicies(snapshot: StackSnapshot, block: Block): void {
  if (!block.type.startsWith("aws_iam_")) return;
  for (const attribute of POLICY_ARN_ATTRIBUTES) {
    for (const arn of list(block.config[attribute])) {
      if (snapshot.referenced(arn)?.block.type === IamPolicy.tfResourceType) continue;
      const managed = typeof arn === "string" ? MANAGED_POLICY_ARN.exec(arn)?.[1] : undefined;
      if (managed !== undefined && Object.hasOwn(ALLOWED_MANAGED_POLICIES, managed)) continue;
      reportViolation(
        block.construct,
        managed !== undefined
          ? `attaches AWS managed policy "${managed}", which is not in ALLOWED_MANAGED_POLICIES of stacks/aspects/iam.ts (grant exact actions in an inline policy, or add it there with the reason)`
          : `attaches policy ${String(arn)}, which is not a policy of this stack, so it cannot be checked (grant exact actions in the role's inline policy)`,
      );
    }
  }
}

function quoted(values: readonly string[]): string {
  return values.map((value) => `"${value}"`).join(", ");
}
