/**
 * Reads the synthesized Terraform JSON (`<synthDir>/manifest.json` -> `stacks/<stack>/cdk.tf.json`)
 * and resolves Terraform references (`${aws_sqs_queue.x.arn}`, `${data.aws_partition.p.partition}`)
 * against what the harness created in the emulator.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

export type Attributes = Record<string, unknown>;

/** One resource block of a synthesized stack. */
export interface TerraformResource {
  readonly stack: string;
  readonly type: string;
  readonly name: string;
  /** `type.name`, the address references use. */
  readonly address: string;
  /** The resource's own `region` argument (AWS provider 6), else its stack's provider region. */
  readonly region: string;
  readonly attributes: Attributes;
}

export interface TerraformStack {
  readonly name: string;
  readonly region: string;
  readonly resources: readonly TerraformResource[];
  /** The resources of one type, in synth order. */
  ofType(type: string): TerraformResource[];
  /** The resource at `type.name`; throws when there is none. */
  at(address: string): TerraformResource;
}

interface StackJson {
  provider?: { aws?: { region?: string; alias?: string }[] };
  resource?: Record<string, Record<string, Attributes>>;
}

/** Every stack of a synth output, by stack name. */
export function loadStacks(synthDir: string): Map<string, TerraformStack> {
  const manifest = JSON.parse(readFileSync(path.join(synthDir, "manifest.json"), "utf8")) as {
    stacks: Record<string, { synthesizedStackPath: string }>;
  };
  const stacks = new Map<string, TerraformStack>();
  for (const [name, entry] of Object.entries(manifest.stacks)) {
    const json = JSON.parse(readFileSync(path.join(synthDir, entry.synthesizedStackPath), "utf8")) as StackJson;
    stacks.set(name, toStack(name, json));
  }
  return stacks;
}

function toStack(name: string, json: StackJson): TerraformStack {
  const providers = (json.provider?.aws ?? []).filter((provider) => provider.alias === undefined);
  const region = providers[0]?.region;
  if (providers.length !== 1 || region === undefined) {
    throw new Error(`stack ${name}: expected one default aws provider with a region, found ${providers.length}`);
  }
  const resources: TerraformResource[] = [];
  for (const [type, blocks] of Object.entries(json.resource ?? {})) {
    for (const [resourceName, attributes] of Object.entries(blocks)) {
      if ("provider" in attributes) {
        throw new Error(`stack ${name}: ${type}.${resourceName} uses another provider; the harness knows the default one only`);
      }
      const ownRegion = attributes.region;
      resources.push({
        stack: name,
        type,
        name: resourceName,
        address: `${type}.${resourceName}`,
        region: typeof ownRegion === "string" ? ownRegion : region,
        attributes,
      });
    }
  }
  const byAddress = new Map(resources.map((resource) => [resource.address, resource]));
  return {
    name,
    region,
    resources,
    ofType: (type) => resources.filter((resource) => resource.type === type),
    at: (address) => {
      const resource = byAddress.get(address);
      if (!resource) throw new Error(`stack ${name}: no resource ${address}`);
      return resource;
    },
  };
}

/** Answers one reference expression such as `aws_sqs_queue.x.arn`, or throws naming it. */
export type ReferenceLookup = (expression: string) => string;

const REFERENCE = /\$\{([^}]+)\}/g;

/**
 * Replaces every `${...}` in a string (also inside JSON-encoded strings such as a redrive
 * policy) with what `lookup` answers; objects and arrays are resolved member by member.
 */
export function resolveReferences<T>(value: T, lookup: ReferenceLookup): T {
  if (typeof value === "string") return value.replace(REFERENCE, (_, expression: string) => lookup(expression.trim())) as T;
  if (Array.isArray(value)) return value.map((item) => resolveReferences(item, lookup)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, member]) => [key, resolveReferences(member, lookup)]),
    ) as T;
  }
  return value;
}

/** The one attribute as a string (after resolution), or undefined when absent. */
export function stringAttribute(attributes: Attributes, name: string): string | undefined {
  const value = attributes[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") {
    throw new Error(`attribute ${name} is not a scalar: ${JSON.stringify(value)}`);
  }
  return String(value);
}
