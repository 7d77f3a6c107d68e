import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { Lazy } from "cdktf";
import { Construct } from "constructs";

/** One IAM policy statement. Conditions use IAM's operators (`ArnEquals`, `Bool` ...). */
export interface PolicyStatement {
  /** Statement id, unique in its document. */
  readonly sid?: string;
  /** @default "Allow" */
  readonly effect?: "Allow" | "Deny";
  readonly actions: readonly string[];
  /** Omitted in resource policies' own-resource statements only where AWS allows it. */
  readonly resources?: readonly string[];
  /** Resource and key policies only: who the statement is about. */
  readonly principals?: readonly { readonly type: "AWS" | "Service" | "*"; readonly identifiers: readonly string[] }[];
  readonly conditions?: readonly { readonly test: string; readonly variable: string; readonly values: readonly string[] }[];
}

/**
 * An IAM policy document that other constructs add statements to until synth, rendered by
 * `aws_iam_policy_document` so policy scanners see real statements, not an opaque string.
 */
export class PolicyDocument extends Construct {
  private readonly statements: PolicyStatement[] = [];
  private readonly sourcesBySid = new Map<string, string[]>();
  private readonly document: DataAwsIamPolicyDocument;

  constructor(scope: Construct, id: string, statements: readonly PolicyStatement[] = []) {
    super(scope, id);
    this.addStatements(...statements);
    this.document = new DataAwsIamPolicyDocument(this, "document", {
      statement: Lazy.anyValue({ produce: () => this.statements.map(renderStatement) }),
    });
  }

  /** Adds statements; one identical to a statement already present is not added twice. */
  addStatements(...statements: PolicyStatement[]): void {
    for (const statement of statements) {
      const key = JSON.stringify(statement);
      if (!this.statements.some((existing) => JSON.stringify(existing) === key)) this.statements.push(statement);
    }
  }

  /**
   * Lets an AWS service principal act on behalf of the given source ARNs only (the confused
   * deputy guard). Calls for the same service and verb widen one statement's source list.
   */
  allowServiceFromSources(options: {
    readonly service: string;
    readonly verb: string;
    readonly actions: readonly string[];
    readonly resources: readonly string[];
    readonly sourceArns: readonly string[];
    /** `ArnLike` where a source is a pattern (e.g. every alarm of a cell). @default "ArnEquals" */
    readonly match?: "ArnEquals" | "ArnLike";
  }): void {
    const sid = serviceSid(options.service, options.verb);
    const existing = this.sourcesBySid.get(sid);
    if (existing) {
      existing.push(...options.sourceArns.filter((arn) => !existing.includes(arn)));
      return;
    }
    // The array keeps growing until synth renders the document.
    const sources = [...options.sourceArns];
    this.sourcesBySid.set(sid, sources);
    this.addStatements({
      sid,
      actions: options.actions,
      resources: options.resources,
      principals: [{ type: "Service", identifiers: [options.service] }],
      conditions: [{ test: options.match ?? "ArnEquals", variable: "aws:SourceArn", values: sources }],
    });
  }

  /** The rendered JSON policy (a Terraform reference). */
  get json(): string {
    return this.document.json;
  }
}

function renderStatement(statement: PolicyStatement) {
  return {
    sid: statement.sid,
    effect: statement.effect ?? "Allow",
    actions: [...statement.actions],
    resources: statement.resources && [...statement.resources],
    principals: statement.principals?.map((p) => ({ type: p.type, identifiers: [...p.identifiers] })),
    condition: statement.conditions?.map((c) => ({ test: c.test, variable: c.variable, values: [...c.values] })),
  };
}

/** Deny any request not made over TLS: the first statement of every queue and topic policy. */
export function denyInsecureTransport(actions: readonly string[], resources: readonly string[]): PolicyStatement {
  return {
    sid: "DenyInsecureTransport",
    effect: "Deny",
    actions,
    resources,
    principals: [{ type: "*", identifiers: ["*"] }],
    conditions: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
  };
}

/** Something that can be granted permissions (a role). */
export interface Grantee {
  addToPolicy(statement: PolicyStatement): void;
}

/** A statement id naming a service principal and what it may do: `AllowEventsPublish`. */
export function serviceSid(service: string, verb: string): string {
  const name = service.split(".")[0]!;
  return `Allow${name.charAt(0).toUpperCase()}${name.slice(1)}${verb}`;
}

/** A policy in IAM's own JSON (for resources whose policy scanners read as JSON, such as keys). */
export function iamPolicyJson(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: statements.map((statement) => ({
      ...(statement.sid ? { Sid: statement.sid } : {}),
      Effect: statement.effect ?? "Allow",
      ...(statement.principals
        ? {
            Principal: Object.fromEntries(
              statement.principals.map((p) => [p.type === "*" ? "AWS" : p.type, p.identifiers.length === 1 ? p.identifiers[0] : [...p.identifiers]]),
            ),
          }
        : {}),
      Action: statement.actions.length === 1 ? statement.actions[0] : [...statement.actions],
      Resource: statement.resources && (statement.resources.length === 1 ? statement.resources[0] : [...statement.resources]),
      ...(statement.conditions
        ? {
            Condition: statement.conditions.reduce<Record<string, Record<string, string[]>>>((all, c) => {
              all[c.test] = { ...all[c.test], [c.variable]: [...c.values] };
              return all;
            }, {}),
          }
        : {}),
    })),
  });
}
