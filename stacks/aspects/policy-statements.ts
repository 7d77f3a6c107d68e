import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { list, type Block, type Config, type StackSnapshot } from "./stack-snapshot";

/** One IAM statement, whether written by `aws_iam_policy_document` or as policy JSON. */
export interface Statement {
  readonly sid?: string;
  readonly effect: "Allow" | "Deny";
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  /** Undefined when the statement names no resource (a resource policy's own resource). */
  readonly resources?: readonly string[];
  readonly notResources: readonly string[];
  readonly principals: readonly { readonly type: string; readonly identifiers: readonly string[] }[];
  readonly conditions: readonly { readonly test: string; readonly variable: string; readonly values: readonly string[] }[];
}

/** A policy's statements and, when it is one, the `aws_iam_policy_document` that renders it. */
export interface ReadPolicy {
  readonly statements: readonly Statement[];
  readonly document?: Block;
}

/**
 * The statements of a policy attribute's synthesized value: a reference to an
 * `aws_iam_policy_document` of the stack (its `json`), or literal policy JSON. Undefined when
 * the value is neither (a variable, another resource's attribute): nothing can be said about it.
 */
export function readPolicy(snapshot: StackSnapshot, value: unknown): ReadPolicy | undefined {
  const reference = snapshot.referenced(value);
  if (reference) {
    if (reference.block.type !== DataAwsIamPolicyDocument.tfResourceType || !["json", "minified_json"].includes(reference.attribute)) return undefined;
    return { statements: documentStatements(snapshot, reference.block), document: reference.block };
  }
  const statements = typeof value === "string" ? jsonStatements(value) : undefined;
  return statements && { statements };
}

/** A statement's name in messages: its sid, or its position. */
export function statementLabel(statement: Statement, index: number): string {
  return statement.sid ? `"${statement.sid}"` : `#${index + 1}`;
}

/** `*` or `service:*`. */
export function isWildcardAction(action: string): boolean {
  return action === "*" || /^[^:]+:\*$/.test(action);
}

/** Whether an IAM action pattern (`sqs:*`, `sqs:Send*`, `*`) matches an action (IAM matches case-insensitively). */
export function actionMatches(pattern: string, action: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${regex}$`, "i").test(action);
}

/** The statements of an `aws_iam_policy_document`, with those of its source and override documents. */
export function documentStatements(snapshot: StackSnapshot, document: Block, seen = new Set<string>()): Statement[] {
  if (seen.has(document.address)) return [];
  seen.add(document.address);
  const own = list(document.config["statement"]).map((raw) => fromDocument(raw as Config));
  const included = [...list(document.config["source_policy_documents"]), ...list(document.config["override_policy_documents"])].flatMap((value) => {
    const reference = snapshot.referenced(value);
    if (reference?.block.type === DataAwsIamPolicyDocument.tfResourceType) return documentStatements(snapshot, reference.block, seen);
    return typeof value === "string" ? (jsonStatements(value) ?? []) : [];
  });
  return [...own, ...included];
}

function fromDocument(raw: Config): Statement {
  return {
    sid: typeof raw["sid"] === "string" && raw["sid"] !== "" ? raw["sid"] : undefined,
    effect: raw["effect"] === "Deny" ? "Deny" : "Allow",
    actions: list(raw["actions"]).map(String),
    notActions: list(raw["not_actions"]).map(String),
    resources: raw["resources"] === undefined || raw["resources"] === null ? undefined : list(raw["resources"]).map(String),
    notResources: list(raw["not_resources"]).map(String),
    principals: list(raw["principals"]).map((principal) => {
      const p = principal as Config;
      return { type: String(p["type"]), identifiers: list(p["identifiers"]).map(String) };
    }),
    conditions: list(raw["condition"]).map((condition) => {
      const c = condition as Config;
      return { test: String(c["test"]), variable: String(c["variable"]), values: list(c["values"]).map(String) };
    }),
  };
}

function jsonStatements(text: string): Statement[] | undefined {
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (policy === null || typeof policy !== "object" || !("Statement" in policy)) return undefined;
  return list((policy as Config)["Statement"]).map((raw) => fromJson(raw as Config));
}

function fromJson(raw: Config): Statement {
  const principal = raw["Principal"];
  return {
    sid: typeof raw["Sid"] === "string" && raw["Sid"] !== "" ? raw["Sid"] : undefined,
    effect: raw["Effect"] === "Deny" ? "Deny" : "Allow",
    actions: list(raw["Action"]).map(String),
    notActions: list(raw["NotAction"]).map(String),
    resources: raw["Resource"] === undefined ? undefined : list(raw["Resource"]).map(String),
    notResources: list(raw["NotResource"]).map(String),
    principals:
      principal === "*"
        ? [{ type: "*", identifiers: ["*"] }]
        : Object.entries((principal ?? {}) as Config).map(([type, identifiers]) => ({ type, identifiers: list(identifiers).map(String) })),
    conditions: Object.entries((raw["Condition"] ?? {}) as Record<string, Config>).flatMap(([test, byVariable]) =>
      Object.entries(byVariable).map(([variable, values]) => ({ test, variable, values: list(values).map(String) })),
    ),
  };
}
