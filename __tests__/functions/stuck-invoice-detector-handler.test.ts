import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { AuthorizationErrorException, PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import {
  QueryCommand,
  TimestreamQueryClient,
  ThrottlingException,
  ValidationException,
  type QueryCommandInput,
} from "@aws-sdk/client-timestream-query";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createHandler,
  formatAlert,
  type StuckInvoiceReport,
} from "../../functions/stuck-invoice-detector/detector";
import { captureOutput, type CapturedOutput } from "./stage-consumer.fixtures";
import {
  CELL,
  DATABASE,
  minutesAgo,
  NOW,
  SLAS,
  stuckPage,
  TABLE,
  TERMINAL,
  TOKEN,
  TOPIC_ARN,
  type StuckRow,
} from "./stuck-invoice-detector.fixtures";

const timestream = mockClient(TimestreamQueryClient);
const sns = mockClient(SNSClient);
let output: CapturedOutput;

beforeEach(() => {
  timestream.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: "1f2d5c2e-8a8b-5c1e-9d51-0b4f8c1d2e3f" });
  output = captureOutput();
});

afterEach(() => {
  output.restore();
});

function detector({ maxListed = 50 }: { maxListed?: number } = {}) {
  const credentials = { accessKeyId: "test", secretAccessKey: "test" };
  return createHandler({
    config: {
      cellId: CELL,
      timestream: { database: DATABASE, table: TABLE },
      terminalStage: TERMINAL,
      stageSlasMinutes: SLAS,
      maxListed,
      lookbackDays: 14,
      alertTopicArn: TOPIC_ARN,
    },
    // An explicit endpoint, as tests and emulators configure it: no endpoint discovery.
    timestream: new TimestreamQueryClient({ region: "us-east-1", endpoint: "http://127.0.0.1:8000", credentials }),
    sns: new SNSClient({ region: "us-east-1", credentials }),
    logger: new Logger({ serviceName: "stuck-invoice-detector", logLevel: "DEBUG" }),
    metrics: new Metrics({ namespace: "cellfleet", serviceName: "stuck-invoice-detector" }),
    now: () => NOW,
  });
}

/** Answers each QueryCommand by its NextToken, as Timestream does. */
function resolvePages(pages: Record<string, ReturnType<typeof stuckPage>>) {
  timestream.on(QueryCommand).callsFake((input: QueryCommandInput) => {
    const page = pages[input.NextToken ?? "first"];
    if (!page) throw new Error(`unexpected NextToken ${input.NextToken}`);
    return page;
  });
}

const queryInputs = () => timestream.commandCalls(QueryCommand).map((call) => call.args[0].input);
const publishInputs = () => sns.commandCalls(PublishCommand).map((call) => call.args[0].input);

type Emf = Record<string, unknown> & { _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] } };
const emfBlobs = () =>
  output
    .text()
    .split("\n")
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Emf);
/** StuckInvoices per stage dimension, as CloudWatch will aggregate them. */
const stuckByStage = () =>
  Object.fromEntries(
    emfBlobs()
      .filter((blob) => "StuckInvoices" in blob)
      .map((blob) => [blob.stage as string, blob.StuckInvoices as number]),
  );
const logEntry = (message: string) => output.logs().find((log) => log.message === message);

/** Five stuck invoices, oldest first, over three pages. */
const FIVE: StuckRow[] = [
  { invoiceId: "INV-0001", stage: "authorization", ageMinutes: 4000 },
  { invoiceId: "INV-0002", stage: "reconciliation", ageMinutes: 1500 },
  { invoiceId: "INV-0003", stage: "reconciliation", ageMinutes: 300 },
  { invoiceId: "INV-0004", stage: "ingestion", ageMinutes: 250 },
  { invoiceId: "INV-0005", stage: "reconciliation", ageMinutes: 241 },
];
const threePages = () =>
  resolvePages({
    first: stuckPage(FIVE.slice(0, 2), { nextToken: TOKEN.page2, page: 1 }),
    [TOKEN.page2]: stuckPage(FIVE.slice(2, 4), { nextToken: TOKEN.page3, page: 2 }),
    [TOKEN.page3]: stuckPage(FIVE.slice(4), { page: 3 }),
  });

describe("stuck-invoice detector", () => {
  it("pages through all three result pages with the same query, counts every invoice and lists the oldest", async () => {
    threePages();

    const report = await detector({ maxListed: 3 })({});

    const inputs = queryInputs();
    expect(inputs.map((input) => input.NextToken)).toEqual([undefined, TOKEN.page2, TOKEN.page3]);
    expect(new Set(inputs.map((input) => input.QueryString)).size).toBe(1);
    expect(report).toMatchObject({
      total: 5,
      pages: 3,
      byStage: { ingestion: 1, reconciliation: 3, authorization: 1 },
      alerted: true,
      checkedAt: "2024-06-03T12:00:00.000Z",
    });
    expect(report.listed).toEqual([
      { invoiceId: "INV-0001", stage: "authorization", ageMinutes: 4000, latestEventTime: new Date(minutesAgo(4000)).toISOString() },
      { invoiceId: "INV-0002", stage: "reconciliation", ageMinutes: 1500, latestEventTime: new Date(minutesAgo(1500)).toISOString() },
      { invoiceId: "INV-0003", stage: "reconciliation", ageMinutes: 300, latestEventTime: new Date(minutesAgo(300)).toISOString() },
    ]);
  });

  it("asks for the cell's stuck invoices as of the invocation's clock", async () => {
    resolvePages({ first: stuckPage([]) });

    await detector()({});

    const [input] = queryInputs();
    expect(input?.QueryString).toContain('FROM "use1-a-invoices"."invoice_events"');
    expect(input?.QueryString).toContain(`WHEN 'ingestion' THEN from_milliseconds(${minutesAgo(60)})`);
  });

  it("publishes StuckInvoices for every non-terminal stage, zeros included, and no failure", async () => {
    resolvePages({ first: stuckPage([]) });

    const report = await detector()({});

    expect(report).toMatchObject({ total: 0, alerted: false });
    expect(stuckByStage()).toEqual({ ingestion: 0, reconciliation: 0, authorization: 0 });
    expect(output.metrics()).toMatchObject({ StuckInvoiceDetectorFailures: 0 });
    expect(publishInputs()).toEqual([]);
  });

  it("dimensions StuckInvoices by cell and stage, and the failure count by cell, in the configured namespace", async () => {
    threePages();

    await detector()({});

    const blobs = emfBlobs();
    const stuck = blobs.filter((blob) => "StuckInvoices" in blob);
    expect(stuck.map((blob) => blob._aws.CloudWatchMetrics[0]?.Dimensions)).toEqual(
      Array(3).fill([["service", "cell", "stage"]]),
    );
    expect(stuck[0]).toMatchObject({ service: "stuck-invoice-detector", cell: CELL });
    expect(stuckByStage()).toEqual({ ingestion: 1, reconciliation: 3, authorization: 1 });
    const failures = blobs.find((blob) => "StuckInvoiceDetectorFailures" in blob);
    expect(failures?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([["service", "cell"]]);
    expect(blobs.every((blob) => (blob._aws.CloudWatchMetrics[0] as { Namespace?: string }).Namespace === "cellfleet")).toBe(true);
  });

  it("sends one alert naming the count, listing the oldest ids with stage and age, and the total per stage", async () => {
    threePages();

    await detector({ maxListed: 3 })({});

    const [publish, ...more] = publishInputs();
    expect(more).toEqual([]);
    expect(publish?.TopicArn).toBe(TOPIC_ARN);
    expect(publish?.Subject).toBe("cellfleet use1-a: 5 stuck invoices");
    const message = publish?.Message ?? "";
    expect(message).toMatch(/^  INV-0001\s+authorization\s+4000 min/m);
    expect(message).toMatch(/^  INV-0002\s+reconciliation\s+1500 min/m);
    expect(message).toMatch(/^  INV-0003\s+reconciliation\s+300 min/m);
    expect(message).not.toContain("INV-0004");
    expect(message).toContain("... and 2 more (at most 3 are listed)");
    expect(message).toMatch(/^  ingestion\s+1  \(SLA 60 min\)$/m);
    expect(message).toMatch(/^  reconciliation\s+3  \(SLA 240 min\)$/m);
    expect(message).toMatch(/^  authorization\s+1  \(SLA 1440 min\)$/m);
    expect(message).toContain("npm run trace -- --cell use1-a --invoice <invoiceId>");
    // Ids are listed oldest first.
    expect(message.indexOf("INV-0001")).toBeLessThan(message.indexOf("INV-0002"));
  });

  it("logs counts, never amounts or the listed ids", async () => {
    threePages();

    await detector()({});

    expect(logEntry("Stuck invoice check finished")).toMatchObject({
      level: "INFO",
      cell: CELL,
      total: 5,
      byStage: { ingestion: 1, reconciliation: 3, authorization: 1 },
      pages: 3,
      alerted: true,
      oldestAgeMinutes: 4000,
    });
    expect(JSON.stringify(output.logs())).not.toMatch(/INV-000|amount/i);
  });

  it("fails the invocation on a query error, counting one failure and naming the error in the log", async () => {
    timestream.on(QueryCommand).rejects(new ValidationException({ message: "line 3:5: Column 'stage' does not exist", $metadata: { requestId: "R-1" } }));

    await expect(detector()({})).rejects.toBeInstanceOf(ValidationException);

    expect(output.metrics()).toEqual({ StuckInvoiceDetectorFailures: 1 });
    expect(stuckByStage()).toEqual({});
    expect(publishInputs()).toEqual([]);
    expect(logEntry("Stuck invoice check failed")).toMatchObject({
      level: "ERROR",
      cell: CELL,
      step: "query",
      errorName: "ValidationException",
      requestId: "R-1",
    });
  });

  it("fails without publishing partial counts when a later page fails", async () => {
    timestream
      .on(QueryCommand)
      .resolvesOnce(stuckPage(FIVE.slice(0, 2), { nextToken: TOKEN.page2 }))
      .rejectsOnce(new ThrottlingException({ message: "Rate exceeded", $metadata: {} }));

    await expect(detector()({})).rejects.toThrow("Rate exceeded");

    expect(queryInputs()).toHaveLength(2);
    expect(output.metrics()).toEqual({ StuckInvoiceDetectorFailures: 1 });
    expect(publishInputs()).toEqual([]);
    expect(logEntry("Stuck invoice check failed")).toMatchObject({ errorName: "ThrottlingException" });
  });

  it("fails the invocation when the alert cannot be published, after publishing the counts", async () => {
    threePages();
    sns.on(PublishCommand).rejects(new AuthorizationErrorException({ message: "not authorized", $metadata: {} }));

    await expect(detector()({})).rejects.toBeInstanceOf(AuthorizationErrorException);

    expect(stuckByStage()).toEqual({ ingestion: 1, reconciliation: 3, authorization: 1 });
    expect(output.metrics()).toMatchObject({ StuckInvoiceDetectorFailures: 1 });
    expect(logEntry("Stuck invoice check failed")).toMatchObject({ step: "alert", errorName: "AuthorizationErrorException" });
  });

  it("starts every run from zero (nothing carried over between invocations)", async () => {
    threePages();
    const handler = detector();
    await handler({});
    timestream.reset();
    resolvePages({ first: stuckPage([]) });

    const second = await handler({});

    expect(second).toMatchObject({ total: 0, listed: [], byStage: { ingestion: 0, reconciliation: 0, authorization: 0 } });
  });
});

describe("the alert", () => {
  const report = (overrides: Partial<StuckInvoiceReport> = {}): StuckInvoiceReport => ({
    cellId: CELL,
    checkedAt: "2024-06-03T12:00:00.000Z",
    lookbackDays: 14,
    total: 1,
    byStage: { ingestion: 1, reconciliation: 0, authorization: 0 },
    listed: [{ invoiceId: "INV-1", stage: "ingestion", ageMinutes: 61, latestEventTime: "2024-06-03T10:59:00.000Z" }],
    pages: 1,
    alerted: false,
    ...overrides,
  });

  it("speaks of one invoice in the singular and lists everything when nothing is left out", () => {
    const { subject, message } = formatAlert(report(), { stageSlasMinutes: SLAS, maxListed: 50 });

    expect(subject).toBe("cellfleet use1-a: 1 stuck invoice");
    expect(message).toContain("1 invoice in cell use1-a has stayed");
    expect(message).toContain("Oldest first (1 of 1 listed");
    expect(message).toContain("INV-1");
    expect(message).toContain("(latest event 2024-06-03T10:59:00.000Z)");
    expect(message).not.toContain("more (at most");
  });

  it("keeps the subject within SNS's 100 characters", () => {
    const { subject } = formatAlert(report({ cellId: "c".repeat(120), total: 123_456 }), { stageSlasMinutes: SLAS, maxListed: 50 });

    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^cellfleet c+\.\.\.$/);
  });

  it("stays a single line-free subject of printable ASCII", () => {
    const { subject } = formatAlert(report(), { stageSlasMinutes: SLAS, maxListed: 50 });

    expect(subject).toMatch(/^[\x20-\x7e]+$/);
  });
});
