import { TerraformDataSource, TerraformProvider, TerraformResource, type TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";

/** A block's attributes as they will be synthesized: snake_case keys, tokens rendered as `${...}`. */
export type Config = Readonly<Record<string, unknown>>;

/** One resource or data source block of a stack's Terraform JSON and the construct that writes it. */
export interface Block {
  /** Terraform address: `aws_sqs_queue.<id>`, or `data.aws_iam_policy_document.<id>` for a data source. */
  readonly address: string;
  readonly type: string;
  readonly config: Config;
  readonly construct: IConstruct;
}

/** One provider block (`provider.aws[n]`) and the construct that writes it. */
export interface ProviderBlock {
  readonly type: string;
  /** Undefined for the default provider of its type. */
  readonly alias?: string;
  readonly config: Config;
  readonly construct: IConstruct;
}

/** Something in a value that refers to a block of the stack: `${aws_sqs_queue.q.arn}` -> (queue, "arn"). */
export interface Reference {
  readonly block: Block;
  readonly attribute: string;
}

// `aws_sqs_queue.<id>.arn` or `data.aws_iam_policy_document.<id>.json`, inside `${...}` or an expression.
const REFERENCE = /(?<![\w.-])((?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)\.([a-z0-9_]+)/g;
const EXACT_REFERENCE = /^\$\{((?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z0-9_-]+)\.([a-z0-9_]+)\}$/;

/**
 * The Terraform JSON the last snapshot of a stack rendered, kept for the synth that follows the
 * aspects (see `FleetStack.toTerraform`): aspects only annotate, so rendering it again would give
 * the same JSON at a sixth of the synth's cost. Taken once.
 */
const renderedBySnapshot = new WeakMap<TerraformStack, unknown>();

/** The JSON a snapshot rendered for `stack`, once; undefined when there is none to reuse. */
export function takeRenderedTerraform(stack: TerraformStack): unknown {
  const rendered = renderedBySnapshot.get(stack);
  renderedBySnapshot.delete(stack);
  return rendered;
}

/**
 * A stack's Terraform JSON as synth will write it (escape-hatch overrides included), indexed by
 * address and tied back to the constructs, so policy checks read what Terraform will get rather
 * than constructor inputs.
 */
export class StackSnapshot {
  readonly resources: readonly Block[];
  readonly dataSources: readonly Block[];
  readonly providers: readonly ProviderBlock[];
  private readonly byAddress = new Map<string, Block>();

  constructor(readonly stack: TerraformStack) {
    const rendered = stack.toTerraform();
    renderedBySnapshot.set(stack, rendered);
    const tf = rendered as {
      resource?: Record<string, Record<string, Config>>;
      data?: Record<string, Record<string, Config>>;
      provider?: Record<string, Config[]>;
    };
    const resources: Block[] = [];
    const dataSources: Block[] = [];
    const providers: ProviderBlock[] = [];
    for (const construct of stack.node.findAll()) {
      if (TerraformResource.isTerraformResource(construct)) {
        const config = tf.resource?.[construct.terraformResourceType]?.[construct.friendlyUniqueId];
        if (config) resources.push(this.index(`${construct.terraformResourceType}.${construct.friendlyUniqueId}`, construct.terraformResourceType, config, construct));
      } else if (construct instanceof TerraformDataSource) {
        const config = tf.data?.[construct.terraformResourceType]?.[construct.friendlyUniqueId];
        if (config) dataSources.push(this.index(`data.${construct.terraformResourceType}.${construct.friendlyUniqueId}`, construct.terraformResourceType, config, construct));
      } else if (construct instanceof TerraformProvider) {
        const config = tf.provider?.[construct.terraformResourceType]?.find((candidate) => candidate["alias"] === construct.alias);
        if (config) providers.push({ type: construct.terraformResourceType, alias: construct.alias, config, construct });
      }
    }
    this.resources = resources;
    this.dataSources = dataSources;
    this.providers = providers;
  }

  /** Every resource block of a Terraform type (`aws_sqs_queue`). */
  resourcesOf(type: string): Block[] {
    return this.resources.filter((block) => block.type === type);
  }

  /** Every data source block of a Terraform type (`aws_iam_policy_document`). */
  dataSourcesOf(type: string): Block[] {
    return this.dataSources.filter((block) => block.type === type);
  }

  /** The block a value is exactly a reference to (`${aws_kms_key.k.arn}`), if it is one of this stack. */
  referenced(value: unknown): Reference | undefined {
    if (typeof value !== "string") return undefined;
    const match = EXACT_REFERENCE.exec(value);
    const block = match && this.byAddress.get(match[1]!);
    return block ? { block, attribute: match[2]! } : undefined;
  }

  /** Whether the stack has the block at a Terraform address (`aws_sqs_queue.q`, `data.aws_iam_policy_document.d`). */
  has(address: string): boolean {
    return this.byAddress.has(address);
  }

  /** Every reference to a block of this stack anywhere in a value (strings, lists, objects). */
  referencesIn(value: unknown): Reference[] {
    const found: Reference[] = [];
    for (const text of strings(value)) {
      for (const match of text.matchAll(REFERENCE)) {
        const block = this.byAddress.get(match[1]!);
        if (block) found.push({ block, attribute: match[2]! });
      }
    }
    return found;
  }

  private index(address: string, type: string, config: Config, construct: IConstruct): Block {
    const { ["//"]: _metadata, ...attributes } = config;
    const block: Block = { address, type, config: attributes, construct };
    this.byAddress.set(address, block);
    return block;
  }
}

/** Every string inside a value, however deeply nested. */
export function strings(value: unknown, into: string[] = []): string[] {
  if (typeof value === "string") into.push(value);
  else if (Array.isArray(value)) for (const item of value) strings(item, into);
  else if (value !== null && typeof value === "object") for (const item of Object.values(value)) strings(item, into);
  return into;
}

/** A nested block as synthesized: cdktf writes single blocks as objects, Terraform JSON also allows a one-element list. */
export function nested(value: unknown): Config | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first !== null && typeof first === "object" ? (first as Config) : undefined;
}

/** A list attribute as synthesized (a lone value counts as a list of one). */
export function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
