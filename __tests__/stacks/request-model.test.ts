import Ajv, { type ErrorObject } from "ajv-draft-04";
import { describe, expect, it } from "vitest";
import { InvoiceEventSchema } from "../../functions/shared/invoice-event";
import { invoiceRequestModelSchema } from "../../stacks/request-model";
import { CLIENT_INVOICE } from "../support/invoice-records";

// The ingest API's request model is what API Gateway validates bodies against (JSON Schema
// draft 4): a body it rejects gets a 400 at the edge and never reaches EventBridge. ajv-draft-04
// stands in for API Gateway's draft-04 validator here; `format` keywords are not enforced (the
// generated schema carries patterns for dates, which are).

const model = invoiceRequestModelSchema();
const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(model);

/** The validator's errors for `body`, or [] when the model accepts it. */
function errorsFor(body: unknown): ErrorObject[] {
  return validate(body) ? [] : [...(validate.errors ?? [])];
}

const validEvent = CLIENT_INVOICE;

const withAllOptionalFields = {
  ...validEvent,
  ppv: -12.5,
  pqv: 0,
  matchedAmount: 1238.25,
  authorizedAmount: 1238.25,
  status: "matched",
};

const { invoiceId: _omitted, ...withoutInvoiceId } = validEvent;

describe("invoice request model", () => {
  it("is a JSON Schema draft 4 document, as API Gateway requires", () => {
    expect(model.$schema).toBe("http://json-schema.org/draft-04/schema#");
    expect(ajv.validateSchema(model)).toBe(true);
  });

  it("accepts a valid invoice event", () => {
    expect(errorsFor(validEvent)).toEqual([]);
  });

  it("accepts an event with every optional field", () => {
    expect(errorsFor(withAllOptionalFields)).toEqual([]);
  });

  it.each<[string, unknown, Partial<ErrorObject>]>([
    ["a missing invoiceId", withoutInvoiceId, { keyword: "required", params: { missingProperty: "invoiceId" } }],
    ["invoiceAmount as a string (numbers as strings)", { ...validEvent, invoiceAmount: "1250.75" }, { keyword: "type", instancePath: "/invoiceAmount" }],
    ["sequence as a string", { ...validEvent, sequence: "3" }, { keyword: "type", instancePath: "/sequence" }],
    ["an unknown field", { ...validEvent, discount: 5 }, { keyword: "additionalProperties", params: { additionalProperty: "discount" } }],
    ["a client-sent meta (only the API stamps it)", { ...validEvent, meta: { cell: "use1-a" } }, { keyword: "additionalProperties", params: { additionalProperty: "meta" } }],
    ["a lower-case currency", { ...validEvent, currency: "eur" }, { keyword: "pattern", instancePath: "/currency" }],
    ["a four-letter currency", { ...validEvent, currency: "EURO" }, { keyword: "pattern", instancePath: "/currency" }],
    ["an impossible date", { ...validEvent, invoiceDate: "2026-02-30" }, { keyword: "pattern", instancePath: "/invoiceDate" }],
    ["a date with a time", { ...validEvent, invoiceDueDate: "2026-02-01T00:00:00Z" }, { keyword: "pattern", instancePath: "/invoiceDueDate" }],
    ["an eventTime without an offset", { ...validEvent, eventTime: "2026-01-02T10:15:30" }, { keyword: "pattern", instancePath: "/eventTime" }],
    ["an invoiceId longer than 128 characters", { ...validEvent, invoiceId: "I".repeat(129) }, { keyword: "pattern", instancePath: "/invoiceId" }],
    ["an invoiceId with a space", { ...validEvent, invoiceId: "INV 1" }, { keyword: "pattern", instancePath: "/invoiceId" }],
    ["a negative sequence", { ...validEvent, sequence: -1 }, { keyword: "minimum", instancePath: "/sequence" }],
    ["a fractional sequence", { ...validEvent, sequence: 1.5 }, { keyword: "type", instancePath: "/sequence" }],
    ["an empty payeeCode", { ...validEvent, payeeCode: "" }, { keyword: "minLength", instancePath: "/payeeCode" }],
    ["a null optional amount", { ...withAllOptionalFields, ppv: null }, { keyword: "type", instancePath: "/ppv" }],
  ])("rejects %s, naming the field", (_name, body, expected) => {
    expect(errorsFor(body)).toContainEqual(expect.objectContaining(expected));
  });

  it.each<[string, unknown]>([
    ["an array", [validEvent]],
    ["a string", JSON.stringify(validEvent)],
    ["a number", 42],
    ["null", null],
    ["a boolean", true],
  ])("rejects %s as the body: only JSON objects reach the mapping template", (_name, body) => {
    expect(errorsFor(body)).toContainEqual(expect.objectContaining({ keyword: "type", instancePath: "", params: { type: "object" } }));
  });

  // The edge and the consumers must agree: a body the API accepts is one the consumers parse.
  it.each<[string, unknown, "accepted" | "rejected"]>([
    ["a valid event", validEvent, "accepted"],
    ["every optional field", withAllOptionalFields, "accepted"],
    ["an offset eventTime", { ...validEvent, eventTime: "2026-01-02T12:15:30+02:00" }, "accepted"],
    ["a whole-second eventTime", { ...validEvent, eventTime: "2026-01-02T10:15:30Z" }, "accepted"],
    ["a leap day", { ...validEvent, invoiceDate: "2024-02-29" }, "accepted"],
    ["a 128-character invoiceId of punctuation", { ...validEvent, invoiceId: "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".repeat(4) }, "accepted"],
    ["the largest safe sequence", { ...validEvent, sequence: Number.MAX_SAFE_INTEGER }, "accepted"],
    ["sequence 0 and a zero amount", { ...validEvent, sequence: 0, invoiceAmount: 0 }, "accepted"],
    ["no leap day in 2023", { ...validEvent, invoiceDate: "2023-02-29" }, "rejected"],
    ["a sequence beyond the safe integers", { ...validEvent, sequence: Number.MAX_SAFE_INTEGER + 1 }, "rejected"],
    ["a non-ASCII invoiceId", { ...validEvent, invoiceId: "INV-é" }, "rejected"],
    ["a 65-character status", { ...validEvent, status: "s".repeat(65) }, "rejected"],
    ["a missing eventTime", { ...validEvent, eventTime: undefined }, "rejected"],
    ["an amount as a string", { ...validEvent, matchedAmount: "10" }, "rejected"],
    ["an unknown field", { ...validEvent, extra: true }, "rejected"],
    ["an eventTime with a space for T", { ...validEvent, eventTime: "2026-01-02 10:15:30Z" }, "rejected"],
    ["an empty object", {}, "rejected"],
  ])("agrees with the zod schema on %s (%s)", (_name, value, outcome) => {
    const body = JSON.parse(JSON.stringify(value)) as unknown; // what travels over the wire
    expect({ model: errorsFor(body).length === 0, zod: InvoiceEventSchema.safeParse(body).success }).toEqual({
      model: outcome === "accepted",
      zod: outcome === "accepted",
    });
  });
});
