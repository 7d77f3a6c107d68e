/**
 * API Gateway's mapping-template runtime, for tests: renders a template with a real Velocity
 * engine from npm (velocityjs) in an environment that behaves like API Gateway's.
 *
 * API Gateway runs Apache Velocity 1.7 on Java; velocityjs is a JavaScript VTL engine. Where
 * the two differ in a way a template can observe, this module makes velocityjs behave like
 * Velocity 1.7 on Java, and where it cannot, it throws `NotModelledError` rather than quietly
 * answering with JavaScript semantics. A template that passes here but relies on a difference
 * not listed below is a bug in this file.
 *
 * Modelled (Velocity 1.7 on Java, as API Gateway runs it):
 * - Strings are java.lang.String. Every method call on a string (the body, `$util` results,
 *   `$context` values, JSON values, literals, results of other string methods) is dispatched
 *   to a Java implementation: length, isEmpty, charAt, substring (throws
 *   StringIndexOutOfBoundsException like Java instead of swapping arguments), indexOf,
 *   lastIndexOf (negative fromIndex -> -1), contains, startsWith, endsWith, equals,
 *   equalsIgnoreCase, compareTo, concat, trim (strips chars <= U+0020, and only those),
 *   toLowerCase, toUpperCase, replace (literal, all occurrences), replaceAll / replaceFirst /
 *   matches / split (Java regex, translated to a JS RegExp with the `u` flag; Java replacement
 *   syntax `$n`, `${name}`, `\x`, and Java's exceptions for bad group references), toString,
 *   hashCode. Any other method throws NotModelledError. Properties follow bean rules: only
 *   `$s.empty` resolves (isEmpty); `$s.length` is null as in Java, not JS's length.
 * - String literals: Velocity 1.7 does not process backslash escapes in "..." or '...' (a
 *   `"\\'"` literal is the three characters \\' and, as a Java regex, matches \'); it only turns
 *   \uXXXX into the character inside "...". velocityjs drops the backslash of \" in "..." and
 *   of \' in '...'; the AST is corrected for "..." and '...' literals containing \' are refused
 *   (Velocity 1.7 ends the literal at that quote, velocityjs does not: they tokenize differently).
 *   "..." is interpolated, '...' is not. Velocity 1.7's doubled quotes ("" inside "...") are not
 *   supported by velocityjs's parser: such a template fails to parse here.
 * - References: a null value renders as the reference's own text (`$foo`), `$!foo` as "";
 *   `#set` with a null right-hand side leaves the variable unchanged
 *   (directive.set.null.allowed=false); `#if` is false only for null and false (an empty
 *   string and 0 are true); `==` compares numbers numerically, same-typed values with
 *   equals() and anything else by toString(); `<`, `>`, `<=`, `>=` on anything but two numbers
 *   are false; integer `/` and `%` truncate and divide-by-zero gives null. Arithmetic on
 *   non-numbers throws NotModelledError.
 * - Lists and maps (JSON arrays and objects): `$list[i]` (negative from the end, out of range
 *   throws), `$map.key`, `$map['key']`, size, isEmpty, get, contains, containsKey, keySet,
 *   values; rendering as Java's `[a, b]` / `{k=v}`.
 * - `$input.body` (raw payload), `$input.path(p)` (parsed value), `$input.json(p)` (JSON text),
 *   `$input.params()` / `$input.params(name)` (path, then querystring, then header; "" when
 *   absent). JSONPath subset: `$`, `.name`, `['name']`, `[n]`; anything else throws.
 * - `$util.escapeJavaScript` exactly as Apache Commons Lang 2.6
 *   `StringEscapeUtils.escapeJavaScript` (" ' \ / escaped, \b \f \n \r \t, other chars < 32 and
 *   every UTF-16 code unit > 0x7f as \uXXXX with uppercase hex; 0x7f passes through),
 *   `$util.parseJson`, `$util.urlEncode` / `urlDecode` (java.net.URLEncoder/URLDecoder, UTF-8),
 *   `$util.base64Encode` / `base64Decode` (UTF-8). A non-string argument finds no method, as
 *   in Velocity: the reference renders as its own text.
 * - `$context`: requestId, extendedRequestId, requestTimeEpoch (milliseconds, a number),
 *   requestTime, stage, httpMethod, resourcePath, path, apiId, accountId, domainName,
 *   identity.sourceIp, identity.userAgent; `$context.responseOverride.status` and
 *   `.header.<Name>` (returned as `statusOverride` / `headerOverrides`) and
 *   `$context.requestOverride.{header,querystring,path}.<name>` (returned as `requestOverrides`)
 *   settable with `#set`. `$stageVariables`.
 *
 * Not modelled (differences that remain):
 * - Whitespace: which newlines after directives Velocity 1.7 swallows differs in detail;
 *   compare parsed JSON, never raw whitespace.
 * - Number types: JavaScript has one number type; Java distinguishes Integer, Long and Double
 *   (`1.0` renders as "1.0" in Java, "1" here; `1e21` as "1.0E21" there).
 * - JSON parsing and serialization: `$input.path` / `parseJson` use JSON.parse (strict);
 *   API Gateway's parser may be more lenient. `$input.json` uses JSON.stringify; API Gateway's
 *   serializer may escape differently. A missing JSONPath gives null to `$input.path`;
 *   `$input.json` of a missing path throws here. An empty payload gives null for every path.
 * - What API Gateway does when a template throws (a 500 for response templates, a 400 or 500
 *   for request templates): here render() throws the Java exception.
 * - Payload limits (10 MB), content-type template selection, passthrough behaviour, and that
 *   API Gateway honours responseOverride only in integration response templates.
 * - Locale-sensitive case mapping, and Java regex features outside the translated subset
 *   (throws NotModelledError naming them).
 */
import { Compile, Helper, parse } from "velocityjs";

// ---------------------------------------------------------------------------------------------
// Public API

export interface MappingRequest {
  /** The payload `$input` sees: the client's body, or the integration's response body. */
  readonly body?: string;
  readonly requestId?: string;
  /** `$context.requestTimeEpoch`, in milliseconds. */
  readonly requestTimeEpoch?: number;
  readonly stage?: string;
  readonly httpMethod?: string;
  readonly resourcePath?: string;
  readonly path?: Readonly<Record<string, string>>;
  readonly querystring?: Readonly<Record<string, string>>;
  readonly header?: Readonly<Record<string, string>>;
  readonly stageVariables?: Readonly<Record<string, string>>;
}

export interface MappingResult {
  /** The rendered template. */
  readonly output: string;
  /** `$context.responseOverride.status`, when the template set it. */
  readonly statusOverride: number | undefined;
  /** `$context.responseOverride.header.<Name>` values the template set. */
  readonly headerOverrides: Readonly<Record<string, string>>;
  /** `$context.requestOverride.*` values the template set. */
  readonly requestOverrides: {
    readonly header: Readonly<Record<string, string>>;
    readonly querystring: Readonly<Record<string, string>>;
    readonly path: Readonly<Record<string, string>>;
  };
}

export const DEFAULT_REQUEST_ID = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef";
export const DEFAULT_REQUEST_TIME_EPOCH = 1_767_225_600_123;

/** The template needs a Java or API Gateway feature this harness does not model. */
export class NotModelledError extends Error {
  override name = "NotModelledError";
}

/** An exception Java (or Velocity) would throw while rendering; API Gateway then fails the call. */
export class JavaException extends Error {
  override name = "JavaException";
  constructor(
    readonly javaClass: string,
    message: string,
  ) {
    super(`${javaClass}: ${message}`);
  }
}

/** Renders `template` as API Gateway would for `request`. */
export function renderMappingTemplate(template: string, request: MappingRequest = {}): MappingResult {
  const responseOverride: Record<string, unknown> = { header: {} };
  const requestOverride = { header: {}, querystring: {}, path: {} };
  const requestTimeEpoch = request.requestTimeEpoch ?? DEFAULT_REQUEST_TIME_EPOCH;
  const requestId = request.requestId ?? DEFAULT_REQUEST_ID;
  const context = {
    requestId,
    extendedRequestId: `${requestId.slice(0, 8)}=`,
    requestTimeEpoch,
    requestTime: commonLogFormat(requestTimeEpoch),
    stage: request.stage ?? "v1",
    httpMethod: request.httpMethod ?? "POST",
    resourcePath: request.resourcePath ?? "/",
    path: `/${request.stage ?? "v1"}${request.resourcePath ?? "/"}`,
    apiId: "a1b2c3d4e5",
    accountId: "123456789012",
    domainName: "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
    identity: { sourceIp: "198.51.100.7", userAgent: "vitest" },
    responseOverride,
    requestOverride,
  };
  // A null-prototype root, so `$toString` and friends are undefined references as in Velocity.
  const renderContext = Object.assign(Object.create(null) as Record<string, unknown>, {
    input: new ApiGatewayInput(request.body ?? "", {
      path: { ...request.path },
      querystring: { ...request.querystring },
      header: { ...request.header },
    }),
    util: new ApiGatewayUtil(),
    context,
    stageVariables: { ...request.stageVariables },
  });
  const engine = new ApiGatewayVelocity(parseVelocity17(template), {
    customMethodHandlers: [{ uid: "java-methods", match: () => true, resolve: ({ context: target, property, params }) => invokeJava(target, property, params) }],
  });
  const output = engine.render(renderContext);
  return {
    output,
    statusOverride: statusOf(responseOverride.status),
    headerOverrides: stringValues(responseOverride.header),
    requestOverrides: {
      header: stringValues(requestOverride.header),
      querystring: stringValues(requestOverride.querystring),
      path: stringValues(requestOverride.path),
    },
  };
}

function statusOf(status: unknown): number | undefined {
  if (status === undefined || status === null) return undefined;
  const value = typeof status === "string" ? Number(status) : status;
  if (typeof value !== "number" || !Number.isInteger(value)) throw new NotModelledError(`responseOverride.status ${String(status)} is not an integer`);
  return value;
}

function stringValues(map: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (!isPlainObject(map)) return result;
  for (const [key, value] of Object.entries(map)) if (value !== undefined && value !== null) result[key] = javaToString(value);
  return result;
}

function commonLogFormat(epochMillis: number): string {
  const d = new Date(epochMillis);
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

// ---------------------------------------------------------------------------------------------
// Velocity 1.7 semantics on top of velocityjs

type Ast = ReturnType<typeof parse>[number];
interface NodeLike {
  type?: string;
  [key: string]: unknown;
}
interface ReferenceNode {
  type: "references";
  id: string;
  leader: string;
  args?: unknown;
}
type Attribute = { type: "property"; id: string } | { type: "index"; id: Ast } | { type: "method"; id: string; args?: unknown };
interface MathNode {
  type: "math";
  operator: string;
  expression: Ast[];
}
interface SetNode {
  type: "set";
  equal: [Ast, Ast];
}

/** The velocityjs internals this module overrides or calls (they are mixed into Compile at runtime). */
interface VelocityInternals {
  getReferences(ast: ReferenceNode, isVal?: boolean): unknown;
  getAttributes(property: Attribute, baseRef: unknown, ast: ReferenceNode): unknown;
  getExpression(ast: Ast): unknown;
  getLiteral(ast: Ast): unknown;
  getBlockIf(block: Ast[]): string;
  setValue(ast: SetNode): void;
  evalStr(str: string): string;
  renderAstList(asts?: Ast[], contextId?: string): string;
  config: { valueMapper?: (value: unknown) => unknown };
  contextId: string;
  silence: boolean;
}

const velocityjs = Compile.prototype as unknown as VelocityInternals;

class ApiGatewayVelocity extends Compile {}

const velocity17: ThisType<VelocityInternals> & Partial<VelocityInternals> = {
  getReferences(ast, isVal) {
    if (ast.args !== undefined) throw new NotModelledError(`top-level method call ${Helper.getRefText(ast as never)}`);
    const value = javaNull(velocityjs.getReferences.call(this, ast, false));
    if (value === undefined && isVal) return this.silence || ast.leader === "$!" ? "" : Helper.getRefText(ast as never);
    return value;
  },

  getAttributes(property, baseRef, ast) {
    if (baseRef === undefined || baseRef === null) return undefined;
    switch (property.type) {
      case "method":
        return javaNull(velocityjs.getAttributes.call(this, property, baseRef, ast));
      case "property":
        return javaNull(javaProperty(baseRef, property.id));
      case "index":
        return javaNull(javaIndex(baseRef, this.getLiteral(property.id)));
    }
  },

  getExpression(ast) {
    if ((ast as NodeLike).type !== "math") return javaNull(velocityjs.getExpression.call(this, ast));
    const { operator, expression } = ast as unknown as MathNode;
    const operand = (i: number) => javaNull(this.getExpression(expression[i]!));
    switch (operator) {
      case "parenthesis":
        return operand(0);
      case "not":
        return !velocityTruth(operand(0));
      case "&&":
        return velocityTruth(operand(0)) && velocityTruth(operand(1));
      case "||":
        return velocityTruth(operand(0)) || velocityTruth(operand(1));
      case "==":
        return javaEquals(operand(0), operand(1));
      case "!=":
        return !javaEquals(operand(0), operand(1));
      case "<":
      case ">":
      case "<=":
      case ">=":
        return compareNumbers(operator, operand(0), operand(1));
      case "minus": {
        const value = operand(0);
        if (typeof value !== "number") throw new NotModelledError(`unary minus on ${typeof value}`);
        return -value;
      }
      default:
        return arithmetic(operator, operand(0), operand(1));
    }
  },

  getBlockIf(block) {
    let chosen = false;
    const body: Ast[] = [];
    for (const ast of block) {
      const type = typeof ast === "object" && ast !== null && !Array.isArray(ast) ? (ast as NodeLike).type : undefined;
      const isBranch = type === "if" || type === "elseif" || type === "else";
      if (!isBranch) {
        if (chosen) body.push(ast);
        continue;
      }
      if (chosen) break;
      chosen = type === "else" ? true : velocityTruth(javaNull(this.getExpression((ast as unknown as { condition: Ast }).condition)));
    }
    return this.renderAstList(body, this.contextId);
  },

  setValue(ast) {
    const right = ast.equal[1];
    const value = javaNull((right as NodeLike).type === "math" ? this.getExpression(right) : this.getLiteral(right));
    // Velocity 1.7 (directive.set.null.allowed = false): a null right-hand side assigns nothing.
    if (value === undefined) return;
    // Let velocityjs do the assignment (scopes, nested paths) with the value computed once.
    const mapper = this.config.valueMapper;
    this.config.valueMapper = () => value;
    try {
      velocityjs.setValue.call(this, { ...ast, equal: [ast.equal[0], { type: "string", value: "" } as unknown as Ast] });
    } finally {
      this.config.valueMapper = mapper;
    }
  },

  evalStr(str) {
    return this.renderAstList(parseVelocity17(str), this.contextId);
  },
};
Object.assign(ApiGatewayVelocity.prototype, velocity17);

/** velocityjs's parser, with string literals corrected to Velocity 1.7's values. */
function parseVelocity17(template: string): Ast[] {
  const asts = parse(template);
  const seen = new WeakSet<object>();
  const visit = (node: unknown): void => {
    if (typeof node !== "object" || node === null || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) return node.forEach(visit);
    const n = node as NodeLike;
    if (n.type === "string" && typeof n.value === "string") {
      if (n.isEval) {
        // velocityjs turned \" into "; Velocity keeps the backslash and decodes only \uXXXX.
        n.value = unescapeUnicode(n.value.replace(/"/g, '\\"'));
      } else if (n.value.includes("'")) {
        throw new NotModelledError(`single-quoted literal with \\' ('${n.value}'): Velocity 1.7 ends the literal at that quote, velocityjs does not`);
      }
      return;
    }
    for (const [key, value] of Object.entries(n)) if (key !== "pos") visit(value);
  };
  visit(asts);
  return asts;
}

/** ASTStringLiteral.unescape in Velocity 1.7: every \uXXXX becomes that char; nothing else. */
function unescapeUnicode(value: string): string {
  return value.replace(/\\u(.{0,4})/g, (_, hex: string) => {
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JavaException("org.apache.velocity.runtime.parser.ParseException", `bad \\u escape in a string literal`);
    return String.fromCharCode(parseInt(hex, 16));
  });
}

// ---------------------------------------------------------------------------------------------
// Java values

const javaNull = (value: unknown): unknown => (value === null ? undefined : value);
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) && [Object.prototype, null].includes(Object.getPrototypeOf(value));
const hasOwn = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);

function velocityTruth(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === "boolean") return value;
  return true;
}

function javaEquals(left: unknown, right: unknown): boolean {
  if (typeof left === "number" && typeof right === "number") return left === right;
  if (left === undefined || right === undefined) return left === right;
  if (typeof left === typeof right && Array.isArray(left) === Array.isArray(right)) return deepEquals(left, right);
  return javaToString(left) === javaToString(right);
}

function deepEquals(left: unknown, right: unknown): boolean {
  if (Array.isArray(left) && Array.isArray(right)) return left.length === right.length && left.every((v, i) => deepEquals(v, right[i]));
  if (isPlainObject(left) && isPlainObject(right)) {
    const keys = Object.keys(left);
    return keys.length === Object.keys(right).length && keys.every((k) => hasOwn(right, k) && deepEquals(left[k], right[k]));
  }
  return left === right;
}

/** Object.toString() as Java would print these values (List/Map in AbstractCollection style). */
function javaToString(value: unknown): string {
  if (value === undefined || value === null) return "null";
  if (Array.isArray(value)) return `[${value.map(javaToString).join(", ")}]`;
  if (isPlainObject(value)) return `{${Object.entries(value).map(([k, v]) => `${k}=${javaToString(v)}`).join(", ")}}`;
  return String(value);
}

function compareNumbers(operator: string, left: unknown, right: unknown): boolean {
  // Velocity 1.7 logs an error and evaluates to false unless both sides are numbers.
  if (typeof left !== "number" || typeof right !== "number") return false;
  switch (operator) {
    case "<":
      return left < right;
    case ">":
      return left > right;
    case "<=":
      return left <= right;
    default:
      return left >= right;
  }
}

function arithmetic(operator: string, left: unknown, right: unknown): unknown {
  if (typeof left !== "number" || typeof right !== "number") throw new NotModelledError(`'${operator}' on ${typeof left} and ${typeof right}`);
  const integers = Number.isInteger(left) && Number.isInteger(right);
  switch (operator) {
    case "+":
      return left + right;
    case "-":
      return left - right;
    case "*":
      return left * right;
    case "/":
      if (right === 0) return undefined;
      return integers ? Math.trunc(left / right) : left / right;
    case "%":
      if (right === 0) return undefined;
      return left % right;
    default:
      throw new NotModelledError(`operator ${operator}`);
  }
}

/** `$x.name`: a bean property (getName/isName) or, on a Map, get("name"). */
function javaProperty(target: unknown, name: string): unknown {
  if (typeof target === "string") {
    if (name === "empty") return target.length === 0;
    if (name === "class" || name === "bytes") throw new NotModelledError(`java.lang.String property ${name}`);
    return undefined;
  }
  if (Array.isArray(target)) {
    if (name === "empty") return target.length === 0;
    return undefined;
  }
  if (target instanceof ApiGatewayInput) return name === "body" ? target.body : undefined;
  if (target instanceof ApiGatewayUtil) return undefined;
  if (isPlainObject(target)) return hasOwn(target, name) ? target[name] : undefined;
  return undefined;
}

/** `$x[key]` (Velocity 1.7 ASTIndex): lists by int (negative counts from the end), maps by key. */
function javaIndex(target: unknown, key: unknown): unknown {
  if (Array.isArray(target)) {
    if (typeof key !== "number" || !Number.isInteger(key)) throw new JavaException("org.apache.velocity.exception.VelocityException", `list index ${String(key)} is not an integer`);
    const index = key < 0 ? target.length + key : key;
    if (index < 0 || index >= target.length) throw new JavaException("org.apache.velocity.exception.VelocityException", `index ${key} out of bounds for a list of ${target.length}`);
    return target[index];
  }
  if (isPlainObject(target)) return typeof key === "string" && hasOwn(target, key) ? target[key] : undefined;
  throw new JavaException("org.apache.velocity.exception.VelocityException", `cannot index a ${typeof target} with [${String(key)}]`);
}

// ---------------------------------------------------------------------------------------------
// Method dispatch (Velocity's introspection: pick the overload whose parameter types fit)

type ParamKind = "int" | "String" | "Object";
interface Overload {
  readonly params: readonly ParamKind[];
  readonly call: (...args: never[]) => unknown;
}
const overload = <A extends unknown[]>(params: ParamKind[], call: (...args: A) => unknown): Overload => ({ params, call: call as Overload["call"] });

const fits = (kind: ParamKind, value: unknown) =>
  kind === "Object" || (kind === "String" ? typeof value === "string" || value === undefined || value === null : Number.isInteger(value) && Math.abs(value as number) <= 2 ** 31);

/** Calls `name(args)` on `target` with Java semantics; undefined when no overload fits (Velocity renders the reference literally). */
function invokeJava(target: unknown, name: string, rawArgs: unknown[]): unknown {
  const args = rawArgs.map(javaNull);
  const [typeName, methods] = methodTableOf(target);
  if (!hasOwn(methods, name)) throw new NotModelledError(`${typeName}.${name}() is not modelled by the API Gateway harness`);
  const candidate = methods[name]!.find((o) => o.params.length === args.length && o.params.every((kind, i) => fits(kind, args[i])));
  if (!candidate) return undefined;
  return javaNull((candidate.call as (...a: unknown[]) => unknown)(target, ...args));
}

function methodTableOf(target: unknown): [string, Record<string, readonly Overload[]>] {
  if (typeof target === "string") return ["java.lang.String", STRING_METHODS];
  if (target instanceof ApiGatewayInput) return ["$input", INPUT_METHODS];
  if (target instanceof ApiGatewayUtil) return ["$util", UTIL_METHODS];
  if (Array.isArray(target)) return ["java.util.List", LIST_METHODS];
  if (isPlainObject(target)) return ["java.util.Map", MAP_METHODS];
  if (typeof target === "number") return ["java.lang.Number", SCALAR_METHODS];
  if (typeof target === "boolean") return ["java.lang.Boolean", SCALAR_METHODS];
  throw new NotModelledError(`method call on ${typeof target}`);
}

function requireNonNull<T>(value: T | undefined): T {
  if (value === undefined || value === null) throw new JavaException("java.lang.NullPointerException", "null argument");
  return value;
}

function outOfRange(message: string): never {
  throw new JavaException("java.lang.StringIndexOutOfBoundsException", message);
}

/** Character.toUpperCase / toLowerCase on one UTF-16 unit (no expansion such as ß -> SS). */
const upper = (c: string) => (c.toUpperCase().length === 1 ? c.toUpperCase() : c);
const lower = (c: string) => (c.toLowerCase().length === 1 ? c.toLowerCase() : c);

const STRING_METHODS: Record<string, readonly Overload[]> = {
  length: [overload([], (s: string) => s.length)],
  isEmpty: [overload([], (s: string) => s.length === 0)],
  charAt: [
    overload(["int"], (s: string, i: number) => {
      if (i < 0 || i >= s.length) outOfRange(`String index out of range: ${i}`);
      return s[i];
    }),
  ],
  substring: [
    overload(["int"], (s: string, begin: number) => {
      if (begin < 0 || begin > s.length) outOfRange(`String index out of range: ${s.length - begin}`);
      return s.slice(begin);
    }),
    overload(["int", "int"], (s: string, begin: number, end: number) => {
      if (begin < 0) outOfRange(`String index out of range: ${begin}`);
      if (end > s.length) outOfRange(`String index out of range: ${end}`);
      if (begin > end) outOfRange(`String index out of range: ${end - begin}`);
      return s.slice(begin, end);
    }),
  ],
  indexOf: [
    overload(["String"], (s: string, t?: string) => s.indexOf(requireNonNull(t))),
    overload(["String", "int"], (s: string, t: string | undefined, from: number) => s.indexOf(requireNonNull(t), Math.max(from, 0))),
    overload(["int"], (s: string, ch: number) => s.indexOf(String.fromCodePoint(ch))),
    overload(["int", "int"], (s: string, ch: number, from: number) => s.indexOf(String.fromCodePoint(ch), Math.max(from, 0))),
  ],
  lastIndexOf: [
    overload(["String"], (s: string, t?: string) => s.lastIndexOf(requireNonNull(t))),
    overload(["String", "int"], (s: string, t: string | undefined, from: number) => (from < 0 ? -1 : s.lastIndexOf(requireNonNull(t), from))),
    overload(["int"], (s: string, ch: number) => s.lastIndexOf(String.fromCodePoint(ch))),
    overload(["int", "int"], (s: string, ch: number, from: number) => (from < 0 ? -1 : s.lastIndexOf(String.fromCodePoint(ch), from))),
  ],
  contains: [overload(["String"], (s: string, t?: string) => s.includes(requireNonNull(t)))],
  startsWith: [
    overload(["String"], (s: string, p?: string) => s.startsWith(requireNonNull(p))),
    overload(["String", "int"], (s: string, p: string | undefined, offset: number) =>
      offset < 0 || offset > s.length - requireNonNull(p).length ? false : s.startsWith(requireNonNull(p), offset),
    ),
  ],
  endsWith: [overload(["String"], (s: string, p?: string) => s.endsWith(requireNonNull(p)))],
  equals: [overload(["Object"], (s: string, other: unknown) => typeof other === "string" && other === s)],
  equalsIgnoreCase: [
    overload(["String"], (s: string, other?: string) => {
      if (other === undefined || other.length !== s.length) return false;
      return [...Array(s.length).keys()].every((i) => {
        const a = s[i]!;
        const b = other[i]!;
        return a === b || upper(a) === upper(b) || lower(upper(a)) === lower(upper(b));
      });
    }),
  ],
  compareTo: [
    overload(["String"], (s: string, other?: string) => {
      const o = requireNonNull(other);
      for (let i = 0; i < Math.min(s.length, o.length); i++) if (s[i] !== o[i]) return s.charCodeAt(i) - o.charCodeAt(i);
      return s.length - o.length;
    }),
  ],
  concat: [overload(["String"], (s: string, t?: string) => s + requireNonNull(t))],
  trim: [overload([], (s: string) => javaTrim(s))],
  toLowerCase: [overload([], (s: string) => s.toLowerCase())],
  toUpperCase: [overload([], (s: string) => s.toUpperCase())],
  toString: [overload([], (s: string) => s)],
  hashCode: [overload([], (s: string) => [...Array(s.length).keys()].reduce((h, i) => (Math.imul(h, 31) + s.charCodeAt(i)) | 0, 0))],
  replace: [overload(["String", "String"], (s: string, target?: string, replacement?: string) => replaceLiteral(s, requireNonNull(target), requireNonNull(replacement)))],
  replaceAll: [overload(["String", "String"], (s: string, regex?: string, replacement?: string) => javaReplace(s, requireNonNull(regex), requireNonNull(replacement), true))],
  replaceFirst: [overload(["String", "String"], (s: string, regex?: string, replacement?: string) => javaReplace(s, requireNonNull(regex), requireNonNull(replacement), false))],
  matches: [overload(["String"], (s: string, regex?: string) => new RegExp(`^(?:${javaRegex(requireNonNull(regex)).source})(?![\\s\\S])`, "u").test(s))],
  split: [
    overload(["String"], (s: string, regex?: string) => javaSplit(s, requireNonNull(regex), 0)),
    overload(["String", "int"], (s: string, regex: string | undefined, limit: number) => javaSplit(s, requireNonNull(regex), limit)),
  ],
};

/** String.trim(): removes every leading and trailing char <= U+0020 (and nothing else). */
function javaTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= 0x20) start++;
  while (end > start && s.charCodeAt(end - 1) <= 0x20) end--;
  return s.slice(start, end);
}

function replaceLiteral(s: string, target: string, replacement: string): string {
  if (target !== "") return s.split(target).join(replacement);
  let out = replacement;
  for (const unit of s.split("")) out += unit + replacement;
  return out;
}

const LIST_METHODS: Record<string, readonly Overload[]> = {
  size: [overload([], (l: unknown[]) => l.length)],
  isEmpty: [overload([], (l: unknown[]) => l.length === 0)],
  get: [
    overload(["int"], (l: unknown[], i: number) => {
      if (i < 0 || i >= l.length) throw new JavaException("java.lang.IndexOutOfBoundsException", `Index: ${i}, Size: ${l.length}`);
      return l[i];
    }),
  ],
  contains: [overload(["Object"], (l: unknown[], v: unknown) => l.some((item) => javaEquals(javaNull(item), v)))],
  indexOf: [overload(["Object"], (l: unknown[], v: unknown) => l.findIndex((item) => javaEquals(javaNull(item), v)))],
  toString: [overload([], (l: unknown[]) => javaToString(l))],
};

const MAP_METHODS: Record<string, readonly Overload[]> = {
  size: [overload([], (m: Record<string, unknown>) => Object.keys(m).length)],
  isEmpty: [overload([], (m: Record<string, unknown>) => Object.keys(m).length === 0)],
  get: [overload(["Object"], (m: Record<string, unknown>, k: unknown) => (typeof k === "string" && hasOwn(m, k) ? m[k] : undefined))],
  containsKey: [overload(["Object"], (m: Record<string, unknown>, k: unknown) => typeof k === "string" && hasOwn(m, k))],
  keySet: [overload([], (m: Record<string, unknown>) => Object.keys(m))],
  values: [overload([], (m: Record<string, unknown>) => Object.values(m))],
  toString: [overload([], (m: Record<string, unknown>) => javaToString(m))],
};

const SCALAR_METHODS: Record<string, readonly Overload[]> = {
  toString: [overload([], (v: unknown) => javaToString(v))],
  equals: [overload(["Object"], (v: unknown, other: unknown) => typeof other === typeof v && other === v)],
};

// ---------------------------------------------------------------------------------------------
// Java regular expressions (java.util.regex.Pattern) translated to JavaScript

const JS_SYNTAX = new Set([..."^$\\.*+?()[]{}|/"]);
const LINE_TERMINATOR = "\\n\\r\\u0085\\u2028\\u2029";
/** Java's `$` and `\Z` without MULTILINE: end of input, or before a final line terminator. */
const JAVA_END = `(?=(?:\\r\\n|[${LINE_TERMINATOR}])?(?![\\s\\S]))`;
const JAVA_SPACE = "\\t\\n\\x0B\\f\\r ";

const syntaxError = (pattern: string, why: string): never => {
  throw new JavaException("java.util.regex.PatternSyntaxException", `${why} near ${JSON.stringify(pattern)}`);
};
const notModelled = (pattern: string, feature: string): never => {
  throw new NotModelledError(`Java regex feature ${feature} in ${JSON.stringify(pattern)}`);
};
const literal = (ch: string) => (JS_SYNTAX.has(ch) ? `\\${ch}` : ch);
const codePoint = (cp: number) => `\\u{${cp.toString(16)}}`;

/** Capturing groups in a Java pattern, numbered as Java numbers them, with their names. */
function scanGroups(pattern: string): { count: number; names: Record<string, number> } {
  const names: Record<string, number> = {};
  let count = 0;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "\\") {
      if (pattern[i + 1] === "Q") {
        const end = pattern.indexOf("\\E", i + 2);
        i = end < 0 ? pattern.length : end + 1;
      } else i++;
    } else if (inClass) inClass = ch !== "]";
    else if (ch === "[") inClass = true;
    else if (ch === "(") {
      const named = /^\(\?<([a-zA-Z][a-zA-Z0-9]*)>/.exec(pattern.slice(i));
      if (pattern[i + 1] !== "?" || named) count++;
      if (named) names[named[1]!] = count;
    }
  }
  return { count, names };
}

const regexCache = new Map<string, RegExp>();

/** A JavaScript RegExp (flags `gu`) matching what java.util.regex.Pattern.compile(pattern) matches. */
function javaRegex(pattern: string): RegExp {
  const cached = regexCache.get(pattern);
  if (cached) return cached;
  const groups = scanGroups(pattern).count;
  let js = "";
  let i = 0;
  const next = () => pattern[i++];

  /** An escape after `\`; `inClass` restricts it to what may appear in [...]. */
  const escape = (inClass: boolean): string => {
    const ch = next();
    if (ch === undefined) return syntaxError(pattern, "Unexpected internal error (trailing backslash)");
    if (/[1-9]/.test(ch) && !inClass) {
      let ref = Number(ch);
      while (i < pattern.length && /[0-9]/.test(pattern[i]!) && ref * 10 + Number(pattern[i]) <= groups) ref = ref * 10 + Number(next());
      return ref > groups ? "(?!)" : `\\${ref}(?:)`;
    }
    switch (ch) {
      case "t":
      case "n":
      case "r":
      case "f":
      case "d":
      case "D":
      case "w":
      case "W":
        return `\\${ch}`;
      case "a":
        return "\\x07";
      case "e":
        return "\\x1B";
      case "s":
        return inClass ? JAVA_SPACE : `[${JAVA_SPACE}]`;
      case "S":
        return inClass ? notModelled(pattern, "\\S inside a character class") : `[^${JAVA_SPACE}]`;
      case "0": {
        const digits = /^[0-3][0-7]{2}|^[0-7]{1,2}/.exec(pattern.slice(i));
        if (!digits) return syntaxError(pattern, "Illegal octal escape sequence");
        i += digits[0].length;
        return codePoint(parseInt(digits[0], 8));
      }
      case "x": {
        const braced = /^\{([0-9a-fA-F]+)\}/.exec(pattern.slice(i));
        const plain = /^[0-9a-fA-F]{2}/.exec(pattern.slice(i));
        const match = braced ?? plain;
        if (!match) return syntaxError(pattern, "Illegal hexadecimal escape sequence");
        i += match[0].length;
        return codePoint(parseInt(braced ? braced[1]! : match[0], 16));
      }
      case "u": {
        const hex = /^[0-9a-fA-F]{4}/.exec(pattern.slice(i));
        if (!hex) return syntaxError(pattern, "Illegal Unicode escape sequence");
        i += 4;
        return `\\u${hex[0]}`;
      }
      case "c": {
        const control = next();
        if (control === undefined) return syntaxError(pattern, "Illegal control escape sequence");
        return codePoint(control.charCodeAt(0) ^ 64);
      }
      case "Q": {
        const end = pattern.indexOf("\\E", i);
        const quoted = pattern.slice(i, end < 0 ? pattern.length : end);
        i = end < 0 ? pattern.length : end + 2;
        return [...quoted].map((c) => (inClass ? classLiteral(c) : literal(c))).join("");
      }
      case "A":
        return inClass ? notModelled(pattern, "\\A inside a class") : "^";
      case "z":
        return inClass ? notModelled(pattern, "\\z inside a class") : "(?![\\s\\S])";
      case "Z":
        return inClass ? notModelled(pattern, "\\Z inside a class") : JAVA_END;
      case "k": {
        const name = /^<([a-zA-Z][a-zA-Z0-9]*)>/.exec(pattern.slice(i));
        if (!name || inClass) return syntaxError(pattern, "\\k is not followed by <name>");
        i += name[0].length;
        return `\\k<${name[1]}>`;
      }
      case "b":
      case "B":
      case "G":
      case "p":
      case "P":
      case "h":
      case "H":
      case "v":
      case "V":
      case "R":
      case "X":
      case "E":
        return notModelled(pattern, `\\${ch}`);
      default:
        if (/[a-zA-Z]/.test(ch)) return syntaxError(pattern, `Illegal/unsupported escape sequence \\${ch}`);
        return inClass ? classLiteral(ch) : literal(ch);
    }
  };

  const classLiteral = (ch: string) => (["\\", "]", "[", "^", "-"].includes(ch) ? `\\${ch}` : ch);

  const characterClass = (): string => {
    let out = "[";
    if (pattern[i] === "^") {
      out += "^";
      i++;
    }
    if (pattern[i] === "]") {
      out += "\\]";
      i++;
    }
    for (;;) {
      const ch = next();
      if (ch === undefined) return syntaxError(pattern, "Unclosed character class");
      if (ch === "]") return `${out}]`;
      if (ch === "[") return notModelled(pattern, "nested character class (union)");
      if (ch === "&" && pattern[i] === "&") return notModelled(pattern, "character class intersection &&");
      if (ch === "\\") out += escape(true);
      else if (ch === "-") out += "-";
      else out += classLiteral(ch);
    }
  };

  const quantifierSuffix = () => {
    if (pattern[i] === "+") notModelled(pattern, "possessive quantifier");
    if (pattern[i] === "?") js += next();
  };

  while (i < pattern.length) {
    const ch = next()!;
    switch (ch) {
      case "\\":
        js += escape(false);
        break;
      case "[":
        js += characterClass();
        break;
      case ".":
        js += `[^${LINE_TERMINATOR}]`;
        break;
      case "$":
        js += JAVA_END;
        break;
      case "^":
      case "|":
      case ")":
        js += ch;
        break;
      case "(": {
        if (pattern[i] !== "?") {
          js += "(";
          break;
        }
        const head = /^\?(?::|=|!|<=|<!|<[a-zA-Z][a-zA-Z0-9]*>)/.exec(pattern.slice(i));
        if (!head) notModelled(pattern, `group construct (${pattern.slice(i, i + 3)}`);
        js += `(${head![0]}`;
        i += head![0].length;
        break;
      }
      case "*":
      case "+":
      case "?":
        js += ch;
        quantifierSuffix();
        break;
      case "{": {
        const bounds = /^\d+(?:,\d*)?\}/.exec(pattern.slice(i));
        if (!bounds) syntaxError(pattern, "Illegal repetition");
        js += `{${bounds![0]}`;
        i += bounds![0].length;
        quantifierSuffix();
        break;
      }
      default:
        js += literal(ch);
    }
  }
  let regex: RegExp;
  try {
    regex = new RegExp(js, "gu");
  } catch (error) {
    throw new NotModelledError(`Java regex ${JSON.stringify(pattern)} translated to /${js}/, which JavaScript rejects: ${(error as Error).message}`);
  }
  regexCache.set(pattern, regex);
  return regex;
}

type ReplacementPart = string | number;

/** Matcher.appendReplacement's parsing of a replacement string: `\x` is x, `$n` / `${name}` a group. */
function javaReplacementParts(replacement: string, groupCount: number, names: Record<string, number>): ReplacementPart[] {
  const illegal = (message: string): never => {
    throw new JavaException("java.lang.IllegalArgumentException", message);
  };
  const parts: ReplacementPart[] = [];
  let text = "";
  let cursor = 0;
  while (cursor < replacement.length) {
    const ch = replacement[cursor++]!;
    if (ch === "\\") {
      if (cursor === replacement.length) illegal("character to be escaped is missing");
      text += replacement[cursor++];
    } else if (ch === "$") {
      if (cursor === replacement.length) illegal("Illegal group reference: group index is missing");
      let group: number;
      if (replacement[cursor] === "{") {
        const name = /^\{([a-zA-Z0-9]*)/.exec(replacement.slice(cursor))![1]!;
        cursor += 1 + name.length;
        if (name === "") illegal("named capturing group has 0 length name");
        if (replacement[cursor] !== "}") illegal("named capturing group is missing trailing '}'");
        if (/^[0-9]/.test(name)) illegal(`capturing group name {${name}} starts with digit character`);
        if (!hasOwn(names, name)) illegal(`No group with name {${name}}`);
        group = names[name]!;
        cursor++;
      } else {
        const first = replacement[cursor]!;
        if (!/[0-9]/.test(first)) illegal("Illegal group reference");
        group = Number(first);
        cursor++;
        while (cursor < replacement.length && /[0-9]/.test(replacement[cursor]!) && group * 10 + Number(replacement[cursor]) <= groupCount) {
          group = group * 10 + Number(replacement[cursor++]);
        }
      }
      if (group > groupCount) throw new JavaException("java.lang.IndexOutOfBoundsException", `No group ${group}`);
      if (text) parts.push(text);
      text = "";
      parts.push(group);
    } else text += ch;
  }
  if (text) parts.push(text);
  return parts;
}

/** String.replaceAll / replaceFirst: Java regex, Java replacement syntax. */
function javaReplace(s: string, regex: string, replacement: string, all: boolean): string {
  const pattern = javaRegex(regex);
  const { count: groupCount, names } = scanGroups(regex);
  let parts: ReplacementPart[] | undefined;
  let replaced = false;
  return s.replace(new RegExp(pattern.source, all ? "gu" : "u"), (...args: unknown[]) => {
    if (!all && replaced) return args[0] as string;
    replaced = true;
    // Java parses the replacement on the first match (no match, no error).
    parts ??= javaReplacementParts(replacement, groupCount, names);
    const groups = args.slice(0, groupCount + 1) as (string | undefined)[];
    return parts.map((part) => (typeof part === "string" ? part : (groups[part] ?? ""))).join("");
  });
}

/** String.split(regex, limit): no leading empty string for a zero-width match at 0 (Java 8+); limit 0 drops trailing empties. */
function javaSplit(s: string, regex: string, limit: number): string[] {
  const result: string[] = [];
  let last = 0;
  for (const match of s.matchAll(javaRegex(regex))) {
    if (limit > 0 && result.length === limit - 1) break;
    if (match.index === 0 && match[0] === "") continue;
    result.push(s.slice(last, match.index));
    last = match.index + match[0].length;
  }
  if (result.length === 0 && last === 0) return [s];
  result.push(s.slice(last));
  if (limit === 0) while (result.length > 0 && result[result.length - 1] === "") result.pop();
  return result;
}

// ---------------------------------------------------------------------------------------------
// $input and $util

interface Params {
  readonly path: Record<string, string>;
  readonly querystring: Record<string, string>;
  readonly header: Record<string, string>;
}

class ApiGatewayInput {
  private parsed: { value: unknown } | undefined;
  constructor(
    readonly body: string,
    private readonly params: Params,
  ) {}

  root(): unknown {
    if (this.parsed) return this.parsed.value;
    if (javaTrim(this.body) === "") return undefined;
    try {
      this.parsed = { value: JSON.parse(this.body) as unknown };
    } catch (error) {
      throw new JavaException("java.lang.RuntimeException", `payload is not JSON (API Gateway's parser and message are not modelled): ${(error as Error).message}`);
    }
    return this.parsed.value;
  }

  parameter(name: string): string {
    for (const source of [this.params.path, this.params.querystring, this.params.header]) if (hasOwn(source, name)) return source[name]!;
    return "";
  }

  allParameters(): Params {
    return this.params;
  }
}

const INPUT_METHODS: Record<string, readonly Overload[]> = {
  path: [overload(["String"], (input: ApiGatewayInput, path?: string) => evaluateJsonPath(input.root(), requireNonNull(path)))],
  json: [
    overload(["String"], (input: ApiGatewayInput, path?: string) => {
      const value = evaluateJsonPath(input.root(), requireNonNull(path));
      if (value === undefined) throw new NotModelledError(`$input.json('${path}') of a missing path`);
      return JSON.stringify(value);
    }),
  ],
  params: [overload([], (input: ApiGatewayInput) => input.allParameters()), overload(["String"], (input: ApiGatewayInput, name?: string) => input.parameter(requireNonNull(name)))],
};

/** The JSONPath subset `$`, `.name`, `['name']`, `["name"]`, `[n]`; undefined when absent. */
function evaluateJsonPath(root: unknown, path: string): unknown {
  if (!path.startsWith("$")) throw new NotModelledError(`JSONPath ${path} (must start with $)`);
  let value = root;
  let rest = path.slice(1);
  while (rest !== "") {
    const step = /^\.([^.[\]*]+)|^\[(?:'([^']*)'|"([^"]*)"|(\d+))\]/.exec(rest);
    if (!step) throw new NotModelledError(`JSONPath ${path} (only $, .name, ['name'] and [n] are modelled)`);
    rest = rest.slice(step[0].length);
    const key = step[1] ?? step[2] ?? step[3];
    if (key !== undefined) value = isPlainObject(value) && hasOwn(value, key) ? value[key] : undefined;
    else value = Array.isArray(value) ? value[Number(step[4])] : undefined;
    if (value === undefined) return undefined;
  }
  return value;
}

class ApiGatewayUtil {}

const HEX = (code: number) => code.toString(16).toUpperCase();

/** Apache Commons Lang 2.6 StringEscapeUtils.escapeJavaScript (escapeJavaStyleString(str, true, true)). */
export function escapeJavaScript(str: string): string {
  let out = "";
  for (let i = 0; i < str.length; i++) {
    const code = str.charCodeAt(i);
    const ch = str[i]!;
    if (code > 0xfff) out += `\\u${HEX(code)}`;
    else if (code > 0xff) out += `\\u0${HEX(code)}`;
    else if (code > 0x7f) out += `\\u00${HEX(code)}`;
    else if (code < 32) {
      const named: Record<number, string> = { 8: "\\b", 10: "\\n", 9: "\\t", 12: "\\f", 13: "\\r" };
      out += named[code] ?? (code > 0xf ? `\\u00${HEX(code)}` : `\\u000${HEX(code)}`);
    } else if (ch === "'" || ch === '"' || ch === "\\" || ch === "/") out += `\\${ch}`;
    else out += ch;
  }
  return out;
}

/** java.net.URLEncoder.encode(s, "UTF-8"). */
function urlEncode(s: string): string {
  let out = "";
  for (const ch of s) {
    if (/[a-zA-Z0-9.\-*_]/.test(ch)) out += ch;
    else if (ch === " ") out += "+";
    else for (const byte of new TextEncoder().encode(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** java.net.URLDecoder.decode(s, "UTF-8"). */
function urlDecode(s: string): string {
  const bytes: number[] = [];
  let out = "";
  const flush = () => {
    out += new TextDecoder().decode(new Uint8Array(bytes));
    bytes.length = 0;
  };
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === "%") {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new JavaException("java.lang.IllegalArgumentException", "URLDecoder: Illegal hex characters in escape (%) pattern");
      bytes.push(parseInt(hex, 16));
      i += 2;
      continue;
    }
    flush();
    out += ch === "+" ? " " : ch;
  }
  flush();
  return out;
}

const UTIL_METHODS: Record<string, readonly Overload[]> = {
  escapeJavaScript: [overload(["String"], (_: ApiGatewayUtil, s?: string) => (s === undefined ? undefined : escapeJavaScript(s)))],
  parseJson: [
    overload(["String"], (_: ApiGatewayUtil, s?: string) => {
      try {
        return JSON.parse(requireNonNull(s)) as unknown;
      } catch (error) {
        throw new JavaException("java.lang.RuntimeException", `not JSON (API Gateway's parser and message are not modelled): ${(error as Error).message}`);
      }
    }),
  ],
  urlEncode: [overload(["String"], (_: ApiGatewayUtil, s?: string) => urlEncode(requireNonNull(s)))],
  urlDecode: [overload(["String"], (_: ApiGatewayUtil, s?: string) => urlDecode(requireNonNull(s)))],
  base64Encode: [overload(["String"], (_: ApiGatewayUtil, s?: string) => Buffer.from(requireNonNull(s), "utf8").toString("base64"))],
  base64Decode: [overload(["String"], (_: ApiGatewayUtil, s?: string) => Buffer.from(requireNonNull(s), "base64").toString("utf8"))],
};
