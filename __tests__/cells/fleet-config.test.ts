import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { TIMESTREAM_REGIONS } from "../../cells/aws-regions";
import { FleetSchema, type FleetConfig } from "../../cells/fleet-schema";
import { FleetConfigError, formatPath, loadFleet, parseFleet } from "../../cells/load-fleet";
import { DEFAULT_FLEET_FILE, defaultFleetInput, fleet } from "../support/fleet";

/** The shipped fleet as loose JSON, for edits a typed FleetInput would not allow (wrong types, unknown keys). */
type FleetDraft = Record<string, any>;

/** The default fleet's JSON text after `edit`. */
function variant(edit: (draft: FleetDraft) => void): string {
  const draft = defaultFleetInput() as FleetDraft;
  edit(draft);
  return JSON.stringify(draft, null, 2);
}

/** The problems `parseFleet` reports for `text`; fails unless it throws a FleetConfigError. */
function problemsOf(text: string): readonly string[] {
  expect(() => parseFleet(text, "fleet.json")).toThrow(FleetConfigError);
  try {
    parseFleet(text, "fleet.json");
  } catch (error) {
    return (error as FleetConfigError).problems;
  }
  throw new Error("unreachable: parseFleet threw above");
}

const STACK_FRAME = /\n\s+at /;
const TIMESTREAM_LIST = TIMESTREAM_REGIONS.join(", ");
const DEFAULT_STAGES = "ingestion, reconciliation, authorization, posting";
const LOG_RETENTIONS = "1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653";
const auditSubscriber = (stage: string) => ({
  name: "audit",
  stage,
  protocol: "sqs",
  endpoint: "arn:aws:sqs:{region}:111122223333:audit-{cell}",
});

const stage = (config: FleetConfig, name: string) => {
  const found = config.stages.find((s) => s.name === name);
  if (!found) throw new Error(`no stage ${name}`);
  return found;
};

describe("the default fleet (cells/fleet.json)", () => {
  const config = loadFleet(DEFAULT_FLEET_FILE);

  it("has four cells, one per US region, the us-west-1 cell keeping its store in us-west-2", () => {
    expect(config.cells.map(({ id, region, storeRegion }) => ({ id, region, storeRegion }))).toEqual([
      { id: "use1-a", region: "us-east-1", storeRegion: undefined },
      { id: "use2-a", region: "us-east-2", storeRegion: undefined },
      { id: "usw1-a", region: "us-west-1", storeRegion: "us-west-2" },
      { id: "usw2-a", region: "us-west-2", storeRegion: undefined },
    ]);
  });

  it("runs the global stack in us-east-1", () => {
    expect(config.global.region).toBe("us-east-1");
  });

  it("keeps every stack's state in one S3 bucket under the project's key prefix", () => {
    expect(config.stateBackend).toEqual({ bucket: "cellfleet-terraform-state", region: "us-east-1", keyPrefix: "cellfleet" });
  });

  it("walks the invoice journey ingestion -> reconciliation -> authorization -> posting, posting being terminal", () => {
    expect(config.stages.map((s) => s.name)).toEqual(["ingestion", "reconciliation", "authorization", "posting"]);
    expect(config.stages.filter((s) => s.terminal).map((s) => s.name)).toEqual(["posting"]);
  });

  it("delivers every stage in per-invoice FIFO order, in batches of 10", () => {
    for (const s of config.stages) {
      expect(s.delivery, s.name).toBe("fifo");
      expect(s.consumer.batchSize, s.name).toBe(10);
    }
  });

  it("fills in every default the file does not state", () => {
    expect(config.project).toBe("cellfleet");
    expect(config.queues).toEqual({ maxReceiveCount: 5, retentionDays: 4, dlqRetentionDays: 14 });
    expect(config.router).toEqual({ retryAttempts: 185, maxEventAgeSeconds: 86_400 });
    expect(config.store).toEqual({ memoryRetentionHours: 24, magneticRetentionDays: 365 });
    expect(config.logRetentionDays).toBe(365);
    expect(config.subscribers).toEqual([]);
    expect(stage(config, "ingestion").consumer).toEqual({
      memoryMb: 512,
      timeoutSeconds: 30,
      batchSize: 10,
      maxBatchingWindowSeconds: 2,
      maxConcurrency: 50,
    });
    for (const cell of config.cells) {
      expect({ active: cell.active, weight: cell.weight }, cell.id).toEqual({ active: true, weight: 1 });
    }
  });

  it("hands downstream code resolved stages only, not the raw settings or the editor's $schema pointer", () => {
    expect(Object.keys(config)).not.toContain("$schema");
    expect(Object.keys(config)).not.toContain("stageSettings");
    expect(Object.keys(config)).not.toContain("stageDefaults");
  });

  it("parses the same from its text as from its file", () => {
    expect(parseFleet(readFileSync(DEFAULT_FLEET_FILE, "utf8"))).toEqual(config);
  });
});

describe("stage settings", () => {
  it("a per-stage override changes only the fields it names", () => {
    const config = fleet({
      stageDefaults: { consumer: { memoryMb: 1024 } },
      stageSettings: { posting: { delivery: "standard", consumer: { batchSize: 50 } } },
    });

    expect(stage(config, "posting")).toEqual({
      name: "posting",
      delivery: "standard",
      consumer: { memoryMb: 1024, timeoutSeconds: 30, batchSize: 50, maxBatchingWindowSeconds: 2, maxConcurrency: 50 },
      slaMinutes: 240,
      terminal: true,
    });
    for (const name of ["ingestion", "reconciliation", "authorization"]) {
      expect(stage(config, name), name).toMatchObject({ delivery: "fifo", consumer: { memoryMb: 1024, batchSize: 10 } });
    }
  });

  it("defaults the batch size to 10 on a FIFO stage and 100 on a standard stage", () => {
    const config = fleet({ stageSettings: { reconciliation: { delivery: "standard" } } });

    expect(config.stages.map((s) => [s.name, s.delivery, s.consumer.batchSize])).toEqual([
      ["ingestion", "fifo", 10],
      ["reconciliation", "standard", 100],
      ["authorization", "fifo", 10],
      ["posting", "fifo", 10],
    ]);
  });

  it("a standard-delivery default applies to every stage that does not override it", () => {
    const config = fleet({ stageDefaults: { delivery: "standard" }, stageSettings: { posting: { delivery: "fifo" } } });

    expect(config.stages.map((s) => s.delivery)).toEqual(["standard", "standard", "standard", "fifo"]);
  });

  it("lets several cells share a region", () => {
    const config = fleet({
      cells: [
        { id: "use1-a", region: "us-east-1" },
        { id: "use1-b", region: "us-east-1" },
      ],
    });

    expect(config.cells.map((c) => [c.id, c.region])).toEqual([
      ["use1-a", "us-east-1"],
      ["use1-b", "us-east-1"],
    ]);
  });
});

describe("an invalid fleet is refused with one line per problem, naming where and what was expected", () => {
  describe("not a JSON object", () => {
    it("malformed JSON: names the line and column", () => {
      expect(problemsOf('{\n  "project": "cellfleet"\n  "cells": []\n}')).toEqual([
        "malformed JSON: Expected ',' or '}' after property value at line 3, column 3",
      ]);
    });

    it("an empty file", () => {
      expect(problemsOf("")).toEqual(["malformed JSON: Unexpected end of JSON input"]);
    });

    it.each([
      ["[]", "(top level): expected object, got []"],
      ["null", "(top level): expected object, got null"],
      ["42", "(top level): expected object, got 42"],
    ])("a top level of %s", (text, problem) => {
      expect(problemsOf(text)).toEqual([problem]);
    });
  });

  describe("unknown keys (typos would otherwise be silently ignored)", () => {
    it("at the top level, listing the keys a fleet accepts", () => {
      const allowed = Object.keys(FleetSchema.shape).join(", ");
      expect(allowed).toContain("stateBackend");

      expect(problemsOf(variant((f) => (f.colour = "blue")))).toEqual([`colour: unknown key (expected one of ${allowed})`]);
    });

    it("in a cell", () => {
      expect(problemsOf(variant((f) => (f.cells[1].zone = "a")))).toEqual([
        "cells[1].zone: unknown key (expected one of id, region, storeRegion, active, weight, peakEventsPerSecond)",
      ]);
    });

    it("in a stage's consumer overrides", () => {
      expect(problemsOf(variant((f) => (f.stageSettings = { posting: { consumer: { memory: 1024 } } })))).toEqual([
        "stageSettings.posting.consumer.memory: unknown key (expected one of memoryMb, timeoutSeconds, batchSize, maxBatchingWindowSeconds, maxConcurrency)",
      ]);
    });

    it("in a stage's overrides", () => {
      expect(problemsOf(variant((f) => (f.stageSettings = { posting: { colour: 1 } })))).toEqual([
        "stageSettings.posting.colour: unknown key (expected one of delivery, consumer, slaMinutes)",
      ]);
    });

    it("in a subscriber", () => {
      expect(problemsOf(variant((f) => (f.subscribers = [{ ...auditSubscriber("posting"), colour: 1 }])))).toEqual([
        "subscribers[0].colour: unknown key (expected one of name, stage, protocol, endpoint, filterPolicy, rawMessageDelivery)",
      ]);
    });
  });

  describe("missing required fields", () => {
    it.each([
      ["stateBackend", "stateBackend: required (expected object)"],
      ["global", "global: required (expected object)"],
      ["stages", "stages: required (expected array)"],
      ["cells", "cells: required (expected array)"],
    ])("%s", (field, problem) => {
      expect(problemsOf(variant((f) => delete f[field]))).toEqual([problem]);
    });

    it("a cell's id", () => {
      expect(problemsOf(variant((f) => delete f.cells[0].id))).toEqual(["cells[0].id: required (expected string)"]);
    });
  });

  describe("cells", () => {
    it("no cells at all", () => {
      expect(problemsOf(variant((f) => (f.cells = [])))).toEqual(["cells: a fleet needs at least one cell"]);
    });

    it("a duplicate id, naming both entries", () => {
      expect(problemsOf(variant((f) => (f.cells[3].id = "use1-a")))).toEqual([
        'cells[3].id: duplicate cell id "use1-a" (also cells[0])',
      ]);
    });

    it.each(["X_1", "-a", "a--b", "a-", "1a"])("an id outside the AWS name charset: %j", (id) => {
      expect(problemsOf(variant((f) => (f.cells[0].id = id)))).toEqual([
        `cells[0].id: ${JSON.stringify(id)} is not a valid cell id (lowercase letters, digits and single hyphens, starting with a letter)`,
      ]);
    });

    it("an id too long for an AWS name, naming the resource, its length and the limit", () => {
      const id = "a".repeat(45);
      expect(problemsOf(variant((f) => (f.cells[0].id = id)))).toEqual([
        `cells[0].id: too long: it makes S3 bucket name "${id}-123456789012-ts-rejects" 69 characters; the limit is 63`,
      ]);
    });

    it("a misspelt region, suggesting the nearest one", () => {
      expect(problemsOf(variant((f) => (f.cells[2].region = "us-est-1")))).toEqual([
        'cells[2].region: "us-est-1" is not an AWS region (did you mean "us-east-1"?)',
      ]);
    });

    it("a region nothing resembles, without a suggestion", () => {
      expect(problemsOf(variant((f) => (f.cells[2].region = "mars-north-1")))).toEqual([
        'cells[2].region: "mars-north-1" is not an AWS region',
      ]);
    });

    it("a region without Timestream and no storeRegion (us-west-1)", () => {
      expect(problemsOf(variant((f) => delete f.cells[2].storeRegion))).toEqual([
        `cells[2].region: Timestream for LiveAnalytics is not offered in us-west-1; set cells[2].storeRegion to one of ${TIMESTREAM_LIST}`,
      ]);
    });

    it("a storeRegion without Timestream (eu-west-2)", () => {
      expect(problemsOf(variant((f) => (f.cells[2].storeRegion = "eu-west-2")))).toEqual([
        `cells[2].storeRegion: Timestream for LiveAnalytics is not offered in eu-west-2; set cells[2].storeRegion to one of ${TIMESTREAM_LIST}`,
      ]);
    });

    it("a region without EventBridge Pipes (ap-southeast-5)", () => {
      expect(problemsOf(variant((f) => (f.cells[0] = { id: "apse5-a", region: "ap-southeast-5", storeRegion: "ap-southeast-2" })))).toEqual([
        "cells[0].region: EventBridge Pipes is not offered in ap-southeast-5; a cell needs it",
      ]);
    });

    it("a wrong type (active: \"yes\")", () => {
      expect(problemsOf(variant((f) => (f.cells[0].active = "yes")))).toEqual(['cells[0].active: expected boolean, got "yes"']);
    });

    it("a non-positive weight", () => {
      expect(problemsOf(variant((f) => (f.cells[0].weight = 0)))).toEqual(["cells[0].weight: 0 is out of range (expected > 0)"]);
    });
  });

  describe("stages", () => {
    it("stageSettings for a stage the fleet does not have", () => {
      expect(problemsOf(variant((f) => (f.stageSettings = { postng: { delivery: "standard" } })))).toEqual([
        `stageSettings.postng: unknown stage "postng", expected one of ${DEFAULT_STAGES}`,
      ]);
    });

    it("a subscriber of a stage the fleet does not have", () => {
      expect(problemsOf(variant((f) => (f.subscribers = [auditSubscriber("postng")])))).toEqual([
        `subscribers[0].stage: unknown stage "postng", expected one of ${DEFAULT_STAGES}`,
      ]);
    });

    it("a stage listed twice", () => {
      expect(problemsOf(variant((f) => ((f.stages = ["ingestion", "posting", "ingestion"]), (f.stageSettings = {}))))).toEqual([
        'stages[2]: duplicate stage "ingestion"',
      ]);
    });

    it("a batch of 50 on a FIFO stage (SQS FIFO delivers at most 10)", () => {
      expect(problemsOf(variant((f) => (f.stageSettings = { posting: { consumer: { batchSize: 50 } } })))).toEqual([
        'stageSettings.posting.consumer.batchSize: 50 is too large for stage "posting": SQS FIFO delivers at most 10 messages per batch',
      ]);
    });

    it("a default batch of 50 while stages stay FIFO, once per stage", () => {
      expect(problemsOf(variant((f) => (f.stageDefaults = { consumer: { batchSize: 50 } })))).toEqual(
        ["ingestion", "reconciliation", "authorization", "posting"].map(
          (name) => `stageDefaults.consumer.batchSize: 50 is too large for stage "${name}": SQS FIFO delivers at most 10 messages per batch`,
        ),
      );
    });

    it("a standard batch above 10 without a batching window", () => {
      const text = variant(
        (f) => (f.stageSettings = { posting: { delivery: "standard", consumer: { batchSize: 50, maxBatchingWindowSeconds: 0 } } }),
      );
      expect(problemsOf(text)).toEqual([
        'stageSettings.posting.consumer.batchSize: stage "posting": a batch above 10 needs maxBatchingWindowSeconds >= 1',
      ]);
    });

    it("an unknown delivery mode", () => {
      expect(problemsOf(variant((f) => (f.stageDefaults.delivery = "fifoo")))).toEqual([
        'stageDefaults.delivery: "fifoo" is not allowed (expected one of "fifo", "standard")',
      ]);
    });
  });

  describe("other settings", () => {
    it("a log retention CloudWatch does not accept (2 days)", () => {
      expect(problemsOf(variant((f) => (f.logRetentionDays = 2)))).toEqual([
        `logRetentionDays: 2 is not a retention CloudWatch Logs accepts (one of ${LOG_RETENTIONS})`,
      ]);
    });

    it("a maxReceiveCount below 5", () => {
      expect(problemsOf(variant((f) => (f.queues = { maxReceiveCount: 3 })))).toEqual([
        "queues.maxReceiveCount: 3 is out of range (expected >= 5)",
      ]);
    });

    it("a project name too long for a tag and key prefix", () => {
      const project = "p".repeat(25);
      expect(problemsOf(variant((f) => (f.project = project)))).toEqual([
        `project: "${project}" is 25 characters; expected at most 24`,
      ]);
    });

    it("a misspelt global region", () => {
      expect(problemsOf(variant((f) => (f.global.region = "us-east-9")))).toEqual([
        'global.region: "us-east-9" is not an AWS region (did you mean "us-east-1"?)',
      ]);
    });
  });
});

describe("reporting", () => {
  it("reports every field problem at once", () => {
    const problems = problemsOf(
      variant((f) => {
        f.colour = "blue";
        f.cells[0].active = "yes";
        f.cells[1].region = "us-est-1";
        f.logRetentionDays = 2;
      }),
    );

    expect(problems).toHaveLength(4);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^colour: unknown key/),
        'cells[0].active: expected boolean, got "yes"',
        'cells[1].region: "us-est-1" is not an AWS region (did you mean "us-east-1"?)',
        expect.stringMatching(/^logRetentionDays: 2 is not a retention/),
      ]),
    );
  });

  // Fleet-wide checks (FleetSchema's superRefine) run even when a field failed.
  it("reports fleet-wide problems (duplicate ids) alongside field problems", () => {
    const problems = problemsOf(
      variant((f) => {
        f.cells[0].active = "yes";
        f.cells[3].id = "use1-a";
      }),
    );

    expect(problems).toEqual(['cells[0].active: expected boolean, got "yes"', 'cells[3].id: duplicate cell id "use1-a" (also cells[0])']);
  });

  it("reports each unknown key as its own single-line problem", () => {
    const problems = problemsOf(
      variant((f) => {
        f.colour = "blue";
        f.size = 2;
      }),
    );

    expect(problems).toEqual([expect.stringMatching(/^colour: unknown key/), expect.stringMatching(/^size: unknown key/)]);
    for (const problem of problems) expect(problem).not.toContain("\n");
  });

  it("names the file and lists each problem on its own line in the error message, without a stack", () => {
    let error: unknown;
    try {
      parseFleet(
        variant((f) => {
          f.logRetentionDays = 2;
          f.cells[0].active = "yes";
        }),
        "staging-fleet.json",
      );
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(FleetConfigError);
    const { file, problems, message } = error as FleetConfigError;
    expect(file).toBe("staging-fleet.json");
    expect(message).toBe(`staging-fleet.json is not a valid fleet:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    expect(problems).toHaveLength(2);
    expect(message).not.toMatch(STACK_FRAME);
  });

  it.each([
    ["malformed JSON", "{,}"],
    ["a non-object", "[]"],
    ["a type error", variant((f) => (f.cells[0].active = "yes"))],
    ["a fleet-wide error", variant((f) => (f.cells[3].id = "use1-a"))],
    ["a bad region", variant((f) => (f.cells[2].region = "us-est-1"))],
  ])("never puts a JS stack frame in a problem (%s)", (_, text) => {
    for (const problem of problemsOf(text)) expect(problem).not.toMatch(STACK_FRAME);
  });

  it("a file that cannot be read is a FleetConfigError naming the file and the reason", () => {
    const missing = path.join(os.tmpdir(), "cellfleet-no-such-dir", "fleet.json");

    expect(() => loadFleet(missing)).toThrow(FleetConfigError);
    expect(() => loadFleet(missing)).toThrow(`${missing} is not a valid fleet:\n  - cannot read the file: ENOENT`);
  });
});

describe("formatPath", () => {
  it("writes paths the way a user would in JavaScript", () => {
    expect(formatPath([])).toBe("(top level)");
    expect(formatPath(["cells", 2, "region"])).toBe("cells[2].region");
    expect(formatPath(["stageSettings", "postng"])).toBe("stageSettings.postng");
    expect(formatPath(["stageSettings", "post-ing", "delivery"])).toBe('stageSettings["post-ing"].delivery');
  });
});

describe("tenant pins", () => {
  const withCells = (tenants: Record<string, string>, drain?: string) =>
    JSON.stringify({
      ...defaultFleetInput(),
      tenants,
      cells: defaultFleetInput().cells!.map((cell) => (cell.id === drain ? { ...cell, active: false } : cell)),
    });

  it("accepts a tenant pinned to an active cell", () => {
    expect(parseFleet(withCells({ "acme-emea": "use1-a" })).tenants).toEqual({ "acme-emea": "use1-a" });
  });

  it("refuses a tenant pinned to an unknown cell", () => {
    expect(() => parseFleet(withCells({ "acme-emea": "use9-z" }))).toThrow(
      /tenants\["acme-emea"\]: tenant "acme-emea" is pinned to unknown cell "use9-z"/,
    );
  });

  it("refuses a tenant pinned to a drained cell", () => {
    expect(() => parseFleet(withCells({ globex: "use2-a" }, "use2-a"))).toThrow(
      /tenants\.globex: tenant "globex" is pinned to drained cell "use2-a" \(active: false\)/,
    );
  });
});

describe("cell ids that would blur DR replays and alarm patterns", () => {
  it("refuses a cell id that is another's followed by a hyphen", () => {
    const input = defaultFleetInput();
    input.cells = [...input.cells!, { id: "use1-a-b", region: "us-east-1" }];
    expect(() => parseFleet(JSON.stringify(input))).toThrow(/cells\[4\]\.id: "use1-a-b" and "use1-a": one cell id may not be another's followed by "-"/);
  });

  it("accepts ids that merely share a beginning", () => {
    const input = defaultFleetInput();
    input.cells = [...input.cells!, { id: "use1-ab", region: "us-east-1" }];
    expect(parseFleet(JSON.stringify(input)).cells).toHaveLength(5);
  });
});
