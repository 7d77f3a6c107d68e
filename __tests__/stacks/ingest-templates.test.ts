import { describe, expect, it } from "vitest";
import { cellNames } from "../../cells/naming";
import { INGEST_EVENT_SOURCE, type IngestMeta } from "../../functions/shared/invoice-event";
import { healthResponseTemplate, putEventsErrorTemplate, putEventsRequestTemplate, putEventsResponseTemplate } from "../../stacks/ingest-templates";
import { escapeJavaScript, JavaException, renderMappingTemplate, type MappingRequest } from "../support/api-gateway-vtl";
import { CLIENT_INVOICE } from "../support/invoice-records";

// The ingest API's Velocity templates, rendered by a real Velocity engine (velocityjs) in an
// environment that behaves like API Gateway's (Java strings, Commons Lang escaping, Velocity 1.7
// literals and references): see ../support/api-gateway-vtl.ts for what is and is not modelled.
//
// Only JSON objects reach the request template: the method's request model (draft-04, generated
// from the zod schema, see request-model.test.ts) rejects arrays, strings, numbers and null with
// a 400 at the edge. The bodies below are objects but deliberately not all valid invoice events:
// the template must carry any object it is given, byte for byte, whatever the model allows.

const CELL = "use1-a";
const REGION = "us-east-1";
const STAGE = "reconciliation";
const BUS = cellNames(CELL).bus;
const REQUEST_ID = "8b7c2f0e-1d2a-4c3b-9e8f-0a1b2c3d4e5f";
const RECEIVED_AT = 1_767_312_000_456; // epoch milliseconds, as $context.requestTimeEpoch

interface PutEventsRequest {
  Entries: { Source: string; DetailType: string; EventBusName: string; Detail: string }[];
}

const stamp: IngestMeta = { cell: CELL, stage: STAGE, receivedAt: RECEIVED_AT, requestId: REQUEST_ID };
const requestTemplate = putEventsRequestTemplate({ cell: CELL, stage: STAGE, busName: BUS });

/** What PutEvents receives when a client POSTs `body` to /invoices/<stage>. */
function putEventsFor(body: string): PutEventsRequest {
  const { output } = renderMappingTemplate(requestTemplate, { body, requestId: REQUEST_ID, requestTimeEpoch: RECEIVED_AT });
  return JSON.parse(output) as PutEventsRequest;
}

const invoice = CLIENT_INVOICE;

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: "bottom \"}\" \\" };
  for (let level = depth; level > 0; level--) value = { level, [`k${level}`]: "}", child: value };
  return value;
}

const allControlChars = String.fromCharCode(...Array.from({ length: 0x20 }, (_, i) => i), 0x7f, 0x80, 0x9f, 0x2028, 0x2029);
const hostileString = `"'\\ \\' \\\\' </script> é 中文 😀 \n\t\r ${"${x}"} $context.requestId #set($x = 1)`;
const ENTRY_LIMIT = 256 * 1024;

/** Bodies as clients send them: raw JSON text (whitespace, escapes and all). */
const bodies: [name: string, body: string][] = [
  ["an ordinary invoice event", JSON.stringify(invoice)],
  ["an invoice event pretty-printed with newlines and tabs", JSON.stringify(invoice, null, "\t")],
  ["double quotes", JSON.stringify({ note: 'he said "stop" and "go"', '"quoted key"': '""' })],
  ["backslashes, \\' and \\\\' sequences, and a trailing backslash", JSON.stringify({ path: "C:\\temp\\new", a: "\\'", b: "\\\\'", c: "\\\\\\'", trailing: "ends with \\" })],
  ["single quotes", JSON.stringify({ name: "O'Brien", empty: "''", mixed: `'"'"'` })],
  ["newlines, tabs and carriage returns", JSON.stringify({ text: "line 1\nline 2\r\nline\t3\r" })],
  ["every control character, DEL, C1 controls and the JS line separators", JSON.stringify({ controls: allControlChars })],
  ["unicode", JSON.stringify({ name: "Société Générale", city: "北京市", combining: "e\u0301" })],
  ["emoji (surrogate pairs), in values and keys", JSON.stringify({ mood: "😀👍🏽🇺🇳", "🔑": "🧾" })],
  ["</script> and other markup", JSON.stringify({ html: "</script><script>alert(1)</script><!-- -->", slash: "a/b//c" })],
  [
    "Velocity syntax inside strings (never evaluated)",
    JSON.stringify({
      a: "${context.requestId}",
      b: "$context.requestId",
      c: "#set($x = 1)$x",
      d: "$util.escapeJavaScript('x')",
      e: "#if(true)yes#else no#end",
      f: "\\$input.body ## comment #* block *#",
      g: "$!{input.body}",
      "$context": "#set",
    }),
  ],
  ["numbers as strings", JSON.stringify({ ...invoice, invoiceAmount: "1250.75", sequence: "3", big: "1e400" })],
  ["numbers written as the client wrote them", '{"invoiceAmount":1250.50,"sequence":9007199254740991,"tiny":1e-7,"negative":-0.0}'],
  ["JSON escapes in the raw text", String.raw`{"\u0041":"\u00e9\/\b\f\n\r\t\\\"\u2028\ud83d\ude00","x\/y":"\u0000"}`],
  ["keys and values full of braces", JSON.stringify({ "}": "{", "{": "}}}", "a}": { "}": ["}", "{"] } })],
  ["a string ending in a closing brace", JSON.stringify({ a: "}" })],
  ["deeply nested objects (200 levels)", JSON.stringify(nested(200))],
  ["an empty object", "{}"],
  ["an empty object with whitespace inside", "{ \n\t }"],
  ["leading and trailing whitespace around the JSON", `\r\n\t  ${JSON.stringify(invoice)}  \n\n\t`],
  ["arrays, booleans and null", JSON.stringify({ list: [1, "two", null, true, false, { x: [] }], none: null })],
  ["a client-sent meta (the stamp overrides it)", JSON.stringify({ ...invoice, meta: { cell: "usw2-a", stage: "posting", receivedAt: 0, requestId: "forged" } })],
  ["every hostile string at once", JSON.stringify({ [hostileString]: hostileString, list: [hostileString] })],
];

/** A body whose PutEvents entry (Detail plus Source and DetailType) is just under EventBridge's 256 KB limit. */
function nearLimitBody(): string {
  const filler = `${hostileString} ${allControlChars} `;
  const stampBytes = Buffer.byteLength(`,"meta":${JSON.stringify(stamp)}`) + Buffer.byteLength(INGEST_EVENT_SOURCE + STAGE);
  const emptyBytes = Buffer.byteLength(JSON.stringify({ ...invoice, notes: [] }));
  const perFiller = Buffer.byteLength(JSON.stringify(filler)) + 1;
  const count = Math.floor((ENTRY_LIMIT - 64 - stampBytes - emptyBytes + 1) / perFiller);
  return JSON.stringify({ ...invoice, notes: Array.from({ length: count }, () => filler) });
}

describe("PutEvents request template", () => {
  describe.each([...bodies, ["a body near EventBridge's 256 KB entry limit", nearLimitBody()] as [string, string]])("for %s", (_name, body) => {
    it("renders one PutEvents entry for the cell's bus, source and stage", () => {
      const putEvents = putEventsFor(body);
      expect(Object.keys(putEvents)).toEqual(["Entries"]);
      expect(putEvents.Entries).toHaveLength(1);
      const [entry] = putEvents.Entries;
      expect(entry).toEqual({ Source: INGEST_EVENT_SOURCE, DetailType: STAGE, EventBusName: BUS, Detail: expect.any(String) });
    });

    it("carries the client's body as Detail, with meta stamped last", () => {
      const { Detail } = putEventsFor(body).Entries[0]!;
      expect(JSON.parse(Detail)).toEqual({ ...(JSON.parse(body) as object), meta: stamp });
      // Last, so that it wins over a client's own `meta` key (JSON.parse keeps the last duplicate).
      expect(Detail.endsWith(`"meta":${JSON.stringify(stamp)}}`)).toBe(true);
    });
  });

  it("stamps meta.receivedAt as a number of epoch milliseconds, and the request id", () => {
    const detail = JSON.parse(putEventsFor(JSON.stringify(invoice)).Entries[0]!.Detail) as { meta: IngestMeta };
    expect(detail.meta.receivedAt).toBe(RECEIVED_AT);
    expect(detail.meta.requestId).toBe(REQUEST_ID);
  });

  it("leaves Velocity syntax in client data as text", () => {
    const putEvents = putEventsFor(JSON.stringify({ a: "$context.requestId", b: "#set($context.responseOverride.status = 200)" }));
    const detail = JSON.parse(putEvents.Entries[0]!.Detail) as { a: string; b: string };
    expect(detail.a).toBe("$context.requestId");
    expect(detail.b).toBe("#set($context.responseOverride.status = 200)");
  });

  it("keeps the near-limit body within EventBridge's entry limit: the stamp adds a bounded few bytes", () => {
    const body = nearLimitBody();
    const { Detail } = putEventsFor(body).Entries[0]!;
    expect(Buffer.byteLength(body)).toBeGreaterThan(ENTRY_LIMIT - 1024);
    expect(Buffer.byteLength(Detail) + Buffer.byteLength(INGEST_EVENT_SOURCE + STAGE)).toBeLessThanOrEqual(ENTRY_LIMIT);
    expect(Buffer.byteLength(Detail) - Buffer.byteLength(body)).toBe(Buffer.byteLength(`,"meta":${JSON.stringify(stamp)}`));
  });

  it("fails rather than forwards a body that is not a JSON object (the request model already refuses those)", () => {
    expect(() => putEventsFor('"just a string"')).toThrow(JavaException);
  });
});

/** PutEvents' HTTP 200 answer, as the integration response template sees it. */
const putEventsAnswer = (entry: Record<string, string>, failed = "ErrorCode" in entry ? 1 : 0): MappingRequest => ({
  body: JSON.stringify({ FailedEntryCount: failed, Entries: [entry] }),
  requestId: REQUEST_ID,
});

const RETRYABLE_AFTER = /^[1-9]\d*$/; // Retry-After in delta-seconds

describe("PutEvents response template (HTTP 200 from EventBridge)", () => {
  const template = putEventsResponseTemplate();

  it("answers with the integration response's 202 and the event id when the entry was accepted", () => {
    const result = renderMappingTemplate(template, putEventsAnswer({ EventId: "11710aed-b79e-4468-a20b-bb3c0c3b4860" }));
    expect(result.statusOverride).toBeUndefined();
    expect(result.headerOverrides).toEqual({});
    expect(JSON.parse(result.output)).toEqual({ eventId: "11710aed-b79e-4468-a20b-bb3c0c3b4860", requestId: REQUEST_ID });
  });

  it("answers 429 with Retry-After when EventBridge throttled the entry", () => {
    const result = renderMappingTemplate(template, putEventsAnswer({ ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" }));
    expect(result.statusOverride).toBe(429);
    expect(result.headerOverrides["Retry-After"]).toMatch(RETRYABLE_AFTER);
    expect(JSON.parse(result.output)).toMatchObject({ reason: "ThrottlingException", requestId: REQUEST_ID });
  });

  it.each(["InternalFailure", "MalformedDetail", "InvalidArgument", "AccessDeniedException", "NotAuthorizedForSourceException", "RedactionFailureException"])(
    "answers 503 naming the reason when EventBridge refused the entry with %s",
    (errorCode) => {
      const result = renderMappingTemplate(template, putEventsAnswer({ ErrorCode: errorCode, ErrorMessage: "refused" }));
      expect(result.statusOverride).toBe(503);
      expect(JSON.parse(result.output)).toEqual({ message: "event not accepted", reason: errorCode, requestId: REQUEST_ID });
    },
  );

  it.each([
    ["quotes, backslashes and a newline", 'Bad"Code\\\n'],
    ["a single quote", "It's-Broken"],
    ["unicode and markup", "Échec</script>😀"],
  ])("answers valid JSON whatever the error code contains: %s", (_name, errorCode) => {
    const result = renderMappingTemplate(template, putEventsAnswer({ ErrorCode: errorCode }));
    expect(result.statusOverride).toBe(503);
    expect((JSON.parse(result.output) as { reason: string }).reason).toBe(errorCode);
  });

  it("answers 503 with valid JSON for a failed entry that names no error code", () => {
    const result = renderMappingTemplate(template, putEventsAnswer({ ErrorMessage: "?" }, 1));
    expect(result.statusOverride).toBe(503);
    expect(JSON.parse(result.output)).toMatchObject({ message: "event not accepted", requestId: REQUEST_ID });
  });

  it("never lets a refused entry through as a 2xx", () => {
    for (const errorCode of ["ThrottlingException", "InternalFailure", "MalformedDetail", ""]) {
      const { statusOverride } = renderMappingTemplate(template, putEventsAnswer({ ErrorCode: errorCode }, 1));
      expect(statusOverride).toBeGreaterThanOrEqual(429);
    }
  });
});

describe("PutEvents error template (EventBridge 4xx/5xx)", () => {
  const template = putEventsErrorTemplate();
  const eventBridgeError = (body: string): MappingRequest => ({ body, requestId: REQUEST_ID });

  it.each([
    ["ThrottlingException", '{"__type":"ThrottlingException","message":"Rate exceeded"}'],
    ["a namespaced ThrottlingException", '{"__type":"com.amazonaws.eventbridge#ThrottlingException","message":"Rate exceeded"}'],
  ])("answers 429 with Retry-After for %s (EventBridge sends it as HTTP 400)", (_name, body) => {
    const result = renderMappingTemplate(template, eventBridgeError(body));
    expect(result.statusOverride).toBe(429);
    expect(result.headerOverrides["Retry-After"]).toMatch(RETRYABLE_AFTER);
    expect(JSON.parse(result.output)).toEqual({ message: "event not accepted", requestId: REQUEST_ID });
  });

  it.each([
    ["InternalException", '{"__type":"InternalException","message":"boom"}'],
    ["AccessDeniedException", '{"__type":"AccessDeniedException","Message":"not authorized"}'],
    ["ValidationException", '{"__type":"ValidationException","message":"Total size of the entries in the request is over the limit."}'],
    ["ResourceNotFoundException", '{"__type":"ResourceNotFoundException","message":"Event bus use1-a-invoices does not exist."}'],
    ["an error without __type", '{"message":"Service Unavailable"}'],
    ["an empty body", ""],
  ])("keeps the integration response's 5xx for %s, with a JSON body naming the request", (_name, body) => {
    const result = renderMappingTemplate(template, eventBridgeError(body));
    expect(result.statusOverride).toBeUndefined();
    expect(result.headerOverrides).toEqual({});
    expect(JSON.parse(result.output)).toEqual({ message: "event not accepted", requestId: REQUEST_ID });
  });
});

describe("health response template", () => {
  it("answers JSON naming the cell and region that served it", () => {
    const { output } = renderMappingTemplate(healthResponseTemplate(CELL, REGION));
    expect(JSON.parse(output)).toEqual({ status: "ok", cell: CELL, region: REGION });
  });
});

// The harness's own promises, checked against Java and Velocity behaviour the templates rely on.
describe("API Gateway harness", () => {
  it("escapes like Commons Lang 2.6 StringEscapeUtils.escapeJavaScript", () => {
    const cases: [string, string][] = [
      [`He didn't say, "Stop!"`, `He didn\\'t say, \\"Stop!\\"`],
      ["a\\b/c", "a\\\\b\\/c"],
      ["\b\f\n\r\t", "\\b\\f\\n\\r\\t"],
      ["\u0000\u0001\u000f\u0010\u001f", "\\u0000\\u0001\\u000F\\u0010\\u001F"],
      ["\u007f", "\u007f"],
      ["\u0080é\u00ff", "\\u0080\\u00E9\\u00FF"],
      ["\u0100中\u0fff\u1000", "\\u0100\\u4E2D\\u0FFF\\u1000"],
      ["😀", "\\uD83D\\uDE00"],
    ];
    for (const [input, escaped] of cases) expect(escapeJavaScript(input)).toBe(escaped);
  });

  it("keeps backslashes in Velocity string literals, so \"\\\\'\" is the Java regex for \\'", () => {
    const { output } = renderMappingTemplate(`#set($s = "it\\'s \\\\ ok")$s|$s.replaceAll("\\\\'", "'")`);
    expect(output).toBe("it\\'s \\\\ ok|it's \\\\ ok");
  });

  it("runs String.replaceAll as a Java regex with Java replacement syntax", () => {
    const { output } = renderMappingTemplate(`#set($s = "a.b.c")$s.replaceAll(".", "x") $s.replaceAll("\\.", "/") $s.replaceAll("(\\w)", '<$1\\$>')`);
    expect(output).toBe("xxxxx a/b/c <a$>.<b$>.<c$>");
  });

  it("trims like String.trim: chars up to U+0020, nothing else", () => {
    const { output } = renderMappingTemplate("[$input.body.trim()]", { body: "\u0001\u00a0 x \u00a0\u001f\n" });
    expect(output).toBe("[\u00a0 x \u00a0]");
  });

  it("throws Java's StringIndexOutOfBoundsException instead of swapping substring bounds", () => {
    expect(() => renderMappingTemplate(`#set($s = "abc")$s.substring(2, 1)`)).toThrow(/StringIndexOutOfBounds/);
  });

  it("treats an empty string as true and leaves a variable unchanged when #set gets null, as Velocity 1.7 does", () => {
    const { output } = renderMappingTemplate(`#set($x = "kept")#set($x = $input.path('$.missing'))#if('')$x#end`, { body: "{}" });
    expect(output).toBe("kept");
  });

  it("reports response overrides set with #set", () => {
    const result = renderMappingTemplate(`#set($context.responseOverride.status = 418)#set($context.responseOverride.header.X-Why = 'tea')`);
    expect(result).toMatchObject({ statusOverride: 418, headerOverrides: { "X-Why": "tea" } });
  });
});
