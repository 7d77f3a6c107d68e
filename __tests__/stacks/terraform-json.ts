/**
 * Reading a synthesized stack's Terraform JSON in specs: resources by physical name, Terraform
 * references, and the IAM statements behind a `${data.aws_iam_policy_document.<id>.json}`.
 */
import type { SynthesizedStack } from "../support/fleet";

export type TfBlock = Record<string, unknown>;

/** One statement of an `aws_iam_policy_document`, as synthesized (snake_case). */
export interface Statement {
  sid?: string;
  effect?: "Allow" | "Deny";
  actions: string[];
  resources?: string[];
  principals?: { type: string; identifiers: string[] }[];
  condition?: { test: string; variable: string; values: string[] }[];
}

/** `${<type>.<id>.<attribute>}`: how one resource refers to another in the JSON. */
export const ref = (type: string, id: string, attribute: string) => `\${${type}.${id}.${attribute}}`;

/** The account and partition every ARN a cell builds itself is made of. */
export const ACCOUNT = "${data.aws_caller_identity.account.account_id}";
export const PARTITION = "${data.aws_partition.partition.partition}";

/** Every resource of one type, by construct id (empty when there is none). */
export function resourcesOf(stack: SynthesizedStack, type: string): Record<string, TfBlock> {
  return (stack.resource[type] ?? {}) as Record<string, TfBlock>;
}

/** Every resource of one type as [id, block] pairs. */
export function entriesOf(stack: SynthesizedStack, type: string): [string, TfBlock][] {
  return Object.entries(resourcesOf(stack, type));
}

/** The one resource of `type` whose `attribute` (default `name`) is `value`, with its id. */
export function byName(stack: SynthesizedStack, type: string, value: string, attribute = "name"): { id: string; block: TfBlock } {
  const found = entriesOf(stack, type).filter(([, block]) => block[attribute] === value);
  if (found.length !== 1) {
    throw new Error(`expected exactly one ${type} with ${attribute} = ${JSON.stringify(value)}, found ${found.length}`);
  }
  const [id, block] = found[0]!;
  return { id, block };
}

/** Whether a resource of `type` with `attribute` = `value` exists. */
export function hasNamed(stack: SynthesizedStack, type: string, value: string, attribute = "name"): boolean {
  return entriesOf(stack, type).some(([, block]) => block[attribute] === value);
}

/** The id of the resource a `${type.id.attr}` reference points at (throws on anything else). */
export function referencedId(reference: unknown, type: string): string {
  const match = typeof reference === "string" ? /^\$\{([^.]+)\.([^.]+)\.[^}]+\}$/.exec(reference) : null;
  if (!match || match[1] !== type) throw new Error(`expected a reference to a ${type}, got ${JSON.stringify(reference)}`);
  return match[2]!;
}

/** All `aws_iam_policy_document` data sources of the stack, by id. */
export function policyDocuments(stack: SynthesizedStack): Record<string, { statement: Statement[] }> {
  return (stack.data["aws_iam_policy_document"] ?? {}) as Record<string, { statement: Statement[] }>;
}

/** The statements behind `${data.aws_iam_policy_document.<id>.json}` (a resource's policy attribute). */
export function statementsOf(stack: SynthesizedStack, policyReference: unknown): Statement[] {
  if (typeof policyReference === "string" && policyReference.trimStart().startsWith("{")) return fromIamJson(policyReference);
  const match = typeof policyReference === "string" ? /^\$\{data\.aws_iam_policy_document\.([^.]+)\.json\}$/.exec(policyReference) : null;
  if (!match) throw new Error(`expected a reference to an aws_iam_policy_document, got ${JSON.stringify(policyReference)}`);
  const document = policyDocuments(stack)[match[1]!];
  if (!document) throw new Error(`no aws_iam_policy_document ${match[1]} in the stack`);
  return document.statement;
}

/** The Allow statements of a policy (what it permits, without the TLS guard). */
export const allows = (statements: Statement[]) => statements.filter((s) => (s.effect ?? "Allow") === "Allow");

/**
 * A statement reduced to what it grants, with order-insensitive lists, for `toEqual` against
 * an expected statement set. The sid is dropped: it names, it does not grant.
 */
export function grantOf(statement: Statement) {
  const sorted = (values: readonly string[] | undefined) => (values ? [...values].sort() : undefined);
  return {
    effect: statement.effect ?? "Allow",
    actions: sorted(statement.actions),
    resources: sorted(statement.resources),
    principals: statement.principals?.map((p) => ({ type: p.type, identifiers: sorted(p.identifiers) })),
    condition: statement.condition
      ?.map((c) => ({ test: c.test, variable: c.variable, values: sorted(c.values) }))
      .sort((a, b) => a.variable.localeCompare(b.variable)),
  };
}

/** A statement set in comparable form (sorted, so the order statements were granted in is free). */
export const grantsOf = (statements: Statement[]) =>
  statements.map(grantOf).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/** Shorthand for an expected identity-policy grant (no principals, no conditions). */
export const grant = (actions: string[], resources: string[]) => grantOf({ effect: "Allow", actions, resources });

/**
 * Does an EventBridge pattern made of exact-value lists (the only kind the cell uses) match the
 * event? Nested objects match nested fields; every other operator makes the spec fail loudly.
 */
export function patternMatches(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([field, expected]) => {
    const actual = event[field];
    if (Array.isArray(expected)) {
      // EventBridge: the field matches if it matches any entry of the list.
      return expected.some((entry) => matchesEntry(field, entry, actual));
    }
    if (expected !== null && typeof expected === "object") {
      return actual !== null && typeof actual === "object" && patternMatches(expected as Record<string, unknown>, actual as Record<string, unknown>);
    }
    throw new Error(`unexpected pattern value for ${field}: ${JSON.stringify(expected)}`);
  });
}

/** One entry of a pattern list: a literal, or the `prefix` / `exists` operators. */
function matchesEntry(field: string, entry: unknown, actual: unknown): boolean {
  if (typeof entry === "string" || typeof entry === "number") return entry === actual;
  if (entry !== null && typeof entry === "object") {
    const operator = entry as Record<string, unknown>;
    if ("prefix" in operator) return typeof actual === "string" && actual.startsWith(String(operator["prefix"]));
    if ("exists" in operator) return (actual !== undefined) === operator["exists"];
  }
  throw new Error(`pattern field ${field} uses an operator this helper does not evaluate: ${JSON.stringify(entry)}`);
}

/** Statements of a policy written in IAM's own JSON (key policies), in the document's shape. */
function fromIamJson(json: string): Statement[] {
  const list = <T>(value: T | T[] | undefined): T[] | undefined => (value === undefined ? undefined : Array.isArray(value) ? value : [value]);
  const policy = JSON.parse(json) as { Statement: Record<string, unknown>[] };
  return policy.Statement.map((statement) => {
    const principal = statement["Principal"] as Record<string, string | string[]> | undefined;
    const condition = statement["Condition"] as Record<string, Record<string, string[]>> | undefined;
    return {
      ...(statement["Sid"] ? { sid: statement["Sid"] as string } : {}),
      effect: statement["Effect"] as "Allow" | "Deny",
      actions: list(statement["Action"] as string | string[])!,
      ...(statement["Resource"] ? { resources: list(statement["Resource"] as string | string[]) } : {}),
      ...(principal ? { principals: Object.entries(principal).map(([type, ids]) => ({ type, identifiers: list(ids)! })) } : {}),
      ...(condition
        ? { condition: Object.entries(condition).flatMap(([test, vars]) => Object.entries(vars).map(([variable, values]) => ({ test, variable, values }))) }
        : {}),
    };
  });
}
