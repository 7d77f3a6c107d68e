import { readFileSync } from "node:fs";
import type { z } from "zod";
import { FleetSchema, type FleetConfig, type StageConfig } from "./fleet-schema";

/** A fleet file that cannot be used, with every problem found (one line each). */
export class FleetConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file} is not a valid fleet:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "FleetConfigError";
  }
}

/** Reads, parses and validates a fleet file. Throws FleetConfigError listing every problem. */
export function loadFleet(file: string): FleetConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new FleetConfigError(file, [`cannot read the file: ${(error as NodeJS.ErrnoException).code ?? error}`]);
  }
  return parseFleet(text, file);
}

/** Parses and validates fleet JSON text (`file` only names it in messages). */
export function parseFleet(text: string, file = "fleet.json"): FleetConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FleetConfigError(file, [`malformed JSON: ${describeJsonError(text, error as SyntaxError)}`]);
  }
  const result = FleetSchema.safeParse(json);
  if (!result.success) {
    throw new FleetConfigError(file, result.error.issues.flatMap((issue) => formatIssue(issue, json)));
  }
  return resolveStages(result.data);
}

function resolveStages(parsed: z.output<typeof FleetSchema>): FleetConfig {
  const { stages, stageSettings, stageDefaults, $schema: _schema, ...rest } = parsed;
  const resolved: StageConfig[] = stages.map((name, i) => {
    const override = stageSettings[name] ?? {};
    const delivery = override.delivery ?? stageDefaults.delivery;
    const consumer = { ...stageDefaults.consumer, ...override.consumer };
    return {
      name,
      slaMinutes: override.slaMinutes ?? stageDefaults.slaMinutes,
      delivery,
      consumer: { ...consumer, batchSize: consumer.batchSize ?? (delivery === "fifo" ? 10 : 100) },
      terminal: i === stages.length - 1,
    };
  });
  return { ...rest, stages: resolved };
}

/** `cells[2].region`, `stageSettings.postng`, or `(top level)`. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(top level)";
  return path
    .map((key, i) => {
      if (typeof key === "number") return `[${key}]`;
      const name = String(key);
      const plain = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name);
      if (!plain) return `[${JSON.stringify(name)}]`;
      return i === 0 ? name : `.${name}`;
    })
    .join("");
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (node, key) => (node !== null && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[key] : undefined),
    root,
  );
}

function formatIssue(issue: z.core.$ZodIssue, root: unknown): string | string[] {
  const where = formatPath(issue.path);
  const value = valueAt(root, issue.path);
  switch (issue.code) {
    case "unrecognized_keys": {
      const allowed = allowedKeys(issue.path);
      return issue.keys.map(
        (key) => `${formatPath([...issue.path, key])}: unknown key${allowed ? ` (expected one of ${allowed})` : ""}`,
      );
    }
    case "invalid_type":
      if (value === undefined) return `${where}: required (expected ${issue.expected})`;
      return `${where}: expected ${issue.expected}, got ${JSON.stringify(value)}`;
    case "invalid_value":
      if (!issue.message.startsWith("Invalid")) return `${where}: ${issue.message}`;
      return `${where}: ${JSON.stringify(value)} is not allowed (expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")})`;
    case "invalid_union":
      return `${where}: ${JSON.stringify(value)} is not allowed (${issue.message})`;
    case "invalid_format":
      return `${where}: ${JSON.stringify(value)} is not ${issue.message.replace(/^Invalid string: /, "")}`;
    case "too_small":
    case "too_big":
      return `${where}: ${describeBound(issue, value)}`;
    default:
      return `${where}: ${issue.message}`;
  }
}

function describeBound(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, value: unknown): string {
  const small = issue.code === "too_small";
  const limit = small ? issue.minimum : issue.maximum;
  const inclusive = issue.inclusive !== false;
  if (issue.origin === "array") {
    if (small && limit === 1 && issue.message && !issue.message.startsWith("Too small")) return issue.message;
    return `has ${(value as unknown[]).length} entries; expected ${small ? "at least" : "at most"} ${limit}`;
  }
  if (issue.origin === "string") {
    return `${JSON.stringify(value)} is ${(value as string).length} characters; expected ${small ? "at least" : "at most"} ${limit}`;
  }
  const bound = small ? (inclusive ? ">=" : ">") : inclusive ? "<=" : "<";
  return `${JSON.stringify(value)} is out of range (expected ${bound} ${limit})`;
}

/** The keys an object at `path` accepts, for "unknown key" messages. */
function allowedKeys(path: readonly PropertyKey[]): string | undefined {
  let schema: z.ZodType | undefined = FleetSchema as unknown as z.ZodType;
  for (const key of path) {
    schema = unwrap(schema);
    if (!schema) return undefined;
    const def = (schema as unknown as { def: Record<string, unknown> }).def;
    if (def.type === "array" && typeof key === "number") schema = def.element as z.ZodType;
    else if (def.type === "object") schema = (def.shape as Record<string, z.ZodType>)[String(key)];
    else if (def.type === "record") schema = def.valueType as z.ZodType;
    else return undefined;
  }
  schema = unwrap(schema);
  const def = (schema as unknown as { def?: Record<string, unknown> } | undefined)?.def;
  return def?.type === "object" ? Object.keys(def.shape as object).join(", ") : undefined;
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  for (;;) {
    const def = (current as unknown as { def?: Record<string, unknown> } | undefined)?.def;
    if (!def) return current;
    if (def.type === "default" || def.type === "optional" || def.type === "nullable" || def.type === "prefault") {
      current = def.innerType as z.ZodType;
    } else if (def.type === "pipe") {
      current = def.in as z.ZodType;
    } else {
      return current;
    }
  }
}

function describeJsonError(text: string, error: SyntaxError): string {
  const position = /position (\d+)/.exec(error.message);
  const reason = error.message.replace(/ in JSON at position \d+.*$/, "").replace(/^JSON\.parse: /, "");
  if (!position) return reason;
  const offset = Number(position[1]);
  const before = text.slice(0, offset).split("\n");
  return `${reason} at line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
}
