import { readFileSync } from "node:fs";
import path from "node:path";
import {
  CancelReplayCommand,
  DescribeArchiveCommand,
  type DescribeArchiveCommandOutput,
  DescribeReplayCommand,
  type DescribeReplayCommandOutput,
  EventBridgeClient,
  ListReplaysCommand,
  type Replay,
  StartReplayCommand,
} from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CliError } from "../../bin/cli";
import {
  parseInstant,
  parseReplayArgs,
  parseReplayName,
  progressBar,
  replay,
  replayedShare,
  type ReplayDeps,
  type ReplayOptions,
} from "../../bin/replay";
import type { FleetConfig } from "../../cells/fleet-schema";
import { parseFleet } from "../../cells/load-fleet";
import {
  ACCOUNT,
  ARCHIVE_ARN,
  HUB_BUS_ARN,
  NOW,
  describedArchive,
  describedReplay,
  replayArn,
  replayEntry,
  replayRuleArn,
} from "./replay.fixtures";

const eventbridge = mockClient(EventBridgeClient);

const SHIPPED = JSON.parse(readFileSync(path.join(__dirname, "..", "..", "cells", "fleet.json"), "utf8")) as { cells: Record<string, unknown>[] };
/** The shipped fleet with usw1-a drained. */
const FLEET = parseFleet(JSON.stringify({ ...SHIPPED, cells: SHIPPED.cells.map((cell) => (cell.id === "usw1-a" ? { ...cell, active: false } : cell)) }));

const WINDOW = { from: "2024-06-09T00:00:00Z", to: "2024-06-09T06:00:00Z" };
const NAME = "dr-use2-a-20240610T120000Z";
const base: ReplayOptions = { targetCell: "use2-a", ...WINDOW };
const at = (iso: string) => new Date(iso);
/** The event time `share` of the way into WINDOW. */
const into = (share: number) => new Date(Date.parse(WINDOW.from) + share * (Date.parse(WINDOW.to) - Date.parse(WINDOW.from)));

interface World {
  archive?: DescribeArchiveCommandOutput | Error;
  /** Replays in the region by state (what ListReplays answers for a State filter). */
  starting?: Replay[];
  running?: Replay[];
  cancelling?: Replay[];
  /** DescribeReplay answers in order; the last one repeats. */
  progress?: Partial<DescribeReplayCommandOutput>[];
}

function world({ archive = describedArchive(), starting = [], running = [], cancelling = [], progress = [{ State: "COMPLETED" }] }: World = {}) {
  if (archive instanceof Error) eventbridge.on(DescribeArchiveCommand).rejects(archive);
  else eventbridge.on(DescribeArchiveCommand, { ArchiveName: "cellfleet-archive" }).resolves(archive);
  eventbridge.on(ListReplaysCommand).resolves({ Replays: [] });
  eventbridge.on(ListReplaysCommand, { State: "STARTING" }).resolves({ Replays: starting });
  eventbridge.on(ListReplaysCommand, { State: "RUNNING" }).resolves({ Replays: running });
  eventbridge.on(ListReplaysCommand, { State: "CANCELLING" }).resolves({ Replays: cancelling });
  eventbridge.on(StartReplayCommand).resolves({ ReplayArn: replayArn(NAME), State: "STARTING", ReplayStartTime: new Date(NOW) });
  eventbridge.on(CancelReplayCommand).resolves({ ReplayArn: replayArn(NAME), State: "CANCELLING" });
  let describe = eventbridge.on(DescribeReplayCommand);
  for (const answer of progress.slice(0, -1)) describe = describe.resolvesOnce(describedReplay(NAME, WINDOW, answer));
  describe.resolves(describedReplay(NAME, WINDOW, progress[progress.length - 1]));
}

function harness(overrides: Partial<ReplayDeps> = {}) {
  const lines: string[] = [];
  const audits: Record<string, unknown>[] = [];
  const regions: string[] = [];
  const deps: ReplayDeps = {
    fleet: FLEET,
    eventbridge: (region) => {
      regions.push(region);
      return new EventBridgeClient({ region });
    },
    out: (line) => lines.push(line),
    confirm: undefined,
    sleep: vi.fn(async () => {}),
    now: () => NOW,
    pollIntervalMs: 4321,
    audit: (line) => audits.push(JSON.parse(line) as Record<string, unknown>),
    env: {},
    ...overrides,
  };
  return { deps, lines, audits, regions, text: () => lines.join("\n") };
}

const started = () => eventbridge.commandCalls(StartReplayCommand);
/** Every call but the read-only ones a refused run may make before refusing. */
const awsCalls = () => eventbridge.calls();

/** Expects a CliError with this exit code whose message matches. */
async function expectRefusal(run: Promise<number>, exitCode: number, message: RegExp | string) {
  const error = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  expect((error as CliError).exitCode).toBe(exitCode);
  if (typeof message === "string") expect((error as CliError).message).toContain(message);
  else expect((error as CliError).message).toMatch(message);
}

beforeEach(() => {
  eventbridge.reset();
  vi.stubEnv("CELLFLEET_OPERATOR", "alice");
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe("replay: the window", () => {
  it.each([
    ["--from", { from: "2024-06-09" }, /--from must be an ISO-8601 time with a timezone .* got "2024-06-09"/],
    ["--from", { from: "2024-06-09T00:00:00" }, /--from must be an ISO-8601 time with a timezone \(Z or ±hh:mm\)/],
    ["--to", { to: "2024-02-30T00:00:00Z" }, /--to must be an ISO-8601 time .* got "2024-02-30T00:00:00Z"/],
    ["--to", { to: "yesterday" }, /--to must be an ISO-8601 time/],
    ["--from", { from: undefined }, /--from is required: an ISO-8601 time with a timezone/],
    ["--to", { to: "" }, /--to is required/],
  ])("refuses a bad %s before calling AWS (%j)", async (_flag, window, message) => {
    const { deps, audits } = harness();
    await expectRefusal(replay({ ...base, ...window }, deps), 2, message);
    expect(awsCalls()).toHaveLength(0);
    expect(audits[0]).toMatchObject({ audit: "replay", result: "refused" });
  });

  it("refuses --from at or after --to: the window is empty", async () => {
    const { deps } = harness();
    await expectRefusal(replay({ ...base, from: WINDOW.to, to: WINDOW.to }, deps), 2, "--from (2024-06-09T06:00:00Z) must be before --to (2024-06-09T06:00:00Z)");
    await expectRefusal(replay({ ...base, from: "2024-06-09T07:00:00Z" }, deps), 2, /must be before --to/);
    expect(awsCalls()).toHaveLength(0);
  });

  it("refuses a window that ends less than 10 minutes ago, explaining the archive's lag and the latest allowed end", async () => {
    const { deps } = harness();
    const run = replay({ ...base, to: "2024-06-10T11:55:00Z" }, deps);
    await expectRefusal(run, 2, /--to \(2024-06-10T11:55:00Z\) is only 5m 0s ago: it must be at least 10 minutes in the past/);
    await expectRefusal(run, 2, /archive receives events up to ~10 minutes late .* silently miss some\. Use --to 2024-06-10T11:50:00Z or earlier/);
    await expectRefusal(replay({ ...base, to: "2024-06-11T00:00:00Z" }, deps), 2, "--to (2024-06-11T00:00:00Z) is in the future");
    expect(awsCalls()).toHaveLength(0);
  });

  it("accepts a window ending exactly 10 minutes ago, and offsets other than Z", async () => {
    world();
    const { deps } = harness();
    expect(await replay({ ...base, from: "2024-06-10T13:00+02:00", to: "2024-06-10T11:50:00Z", dryRun: true }, deps)).toBe(0);
  });

  it("refuses --from outside the archive's retention (RetentionDays from DescribeArchive), naming the earliest time", async () => {
    world({ archive: describedArchive({ RetentionDays: 7 }) });
    const { deps } = harness();
    await expectRefusal(
      replay({ ...base, from: "2024-06-03T11:59:59Z" }, deps),
      2,
      "--from (2024-06-03T11:59:59Z) is outside the archive's retention: cellfleet-archive keeps events 7 days, so the earliest replayable time is 2024-06-03T12:00:00Z",
    );
    expect(started()).toHaveLength(0);
  });

  it("falls back to global.archiveRetentionDays when DescribeArchive reports no retention", async () => {
    world({ archive: describedArchive({ RetentionDays: undefined }) });
    const fleet: FleetConfig = { ...FLEET, global: { ...FLEET.global, archiveRetentionDays: 3 } };
    const { deps } = harness({ fleet });
    await expectRefusal(replay({ ...base, from: "2024-06-07T00:00:00Z", dryRun: true }, deps), 2, /keeps events 3 days/);
    expect(await replay({ ...base, from: "2024-06-07T12:00:00Z", dryRun: true }, deps)).toBe(0);
  });

  it("treats RetentionDays 0 as indefinite retention", async () => {
    world({ archive: describedArchive({ RetentionDays: 0 }) });
    const { deps, text } = harness();
    expect(await replay({ ...base, from: "2023-01-01T00:00:00Z", dryRun: true }, deps)).toBe(0);
    expect(text()).toContain("kept indefinitely");
    expect(text()).toContain("note: the archive was created at 2024-01-15T09:30:00Z; no events before that were archived");
  });
});

describe("replay: the target cell and the archive", () => {
  it("names the flag and the known cells for an unknown or missing cell", async () => {
    const { deps, audits } = harness();
    await expectRefusal(replay({ ...base, targetCell: "nope" }, deps), 2, '--target-cell: unknown cell "nope" (one of use1-a, use2-a, usw1-a, usw2-a)');
    await expectRefusal(replay({ ...WINDOW }, deps), 2, "--target-cell is required (one of use1-a, use2-a, usw1-a, usw2-a)");
    expect(awsCalls()).toHaveLength(0);
    expect(audits.map((a) => a.result)).toEqual(["refused", "refused"]);
  });

  it("refuses a drained cell without --force", async () => {
    const { deps, audits } = harness();
    await expectRefusal(replay({ ...base, targetCell: "usw1-a" }, deps), 2, /--target-cell usw1-a is drained \(active: false.*normally not the target of a replay.*pass --force/);
    expect(awsCalls()).toHaveLength(0);
    expect(audits[0]).toMatchObject({ targetCell: "usw1-a", cellActive: false, forced: false, result: "refused" });
  });

  it("replays into a drained cell with --force, saying so", async () => {
    world();
    const { deps, text, audits } = harness();
    expect(await replay({ ...base, targetCell: "usw1-a", force: true, yes: true }, deps)).toBe(0);
    expect(started()[0]!.args[0].input.Destination!.FilterArns).toEqual([replayRuleArn("usw1-a")]);
    expect(text()).toContain("note: cell usw1-a is drained (active: false); replaying into it because of --force");
    expect(audits[0]).toMatchObject({ targetCell: "usw1-a", cellActive: false, forced: true, result: "completed" });
  });

  it("refuses an archive that is not ENABLED", async () => {
    world({ archive: describedArchive({ State: "UPDATING", StateReason: "retention change in progress" }) });
    const { deps } = harness();
    await expectRefusal(replay({ ...base, yes: true }, deps), 2, "archive cellfleet-archive in us-east-1 is UPDATING (retention change in progress), not ENABLED");
    expect(started()).toHaveLength(0);
  });

  it("says the global stack is missing when the archive does not exist (exit 1)", async () => {
    world({ archive: Object.assign(new Error("Archive cellfleet-archive does not exist."), { name: "ResourceNotFoundException" }) });
    const { deps, audits } = harness();
    await expectRefusal(replay({ ...base, yes: true }, deps), 1, "archive cellfleet-archive does not exist in us-east-1: is the global stack deployed (cdktf deploy global)?");
    expect(audits[0]).toMatchObject({ result: "error" });
  });

  it("refuses an archive that is not on the hub bus: the replay rules would not see its events", async () => {
    world({ archive: describedArchive({ EventSourceArn: `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/default` }) });
    const { deps } = harness();
    await expectRefusal(replay({ ...base, yes: true }, deps), 2, /archives arn:aws:events:us-east-1:123456789012:event-bus\/default, not the hub bus .*cellfleet-archive-hub/);
  });

  it("asks DescribeArchive in the global region for the project's archive", async () => {
    world();
    const { deps, regions } = harness();
    await replay({ ...base, dryRun: true }, deps);
    expect(eventbridge.commandCalls(DescribeArchiveCommand)[0]!.args[0].input).toEqual({ ArchiveName: "cellfleet-archive" });
    expect(new Set(regions)).toEqual(new Set(["us-east-1"]));
  });
});

describe("replay: the account", () => {
  it("takes partition and account from the archive's ARN", async () => {
    world({ archive: describedArchive({ ArchiveArn: ARCHIVE_ARN.replace(":aws:", ":aws-us-gov:"), EventSourceArn: HUB_BUS_ARN.replace(":aws:", ":aws-us-gov:") }) });
    const { deps } = harness();
    await replay({ ...base, yes: true }, deps);
    expect(started()[0]!.args[0].input.Destination!.FilterArns).toEqual([replayRuleArn("use2-a").replace(":aws:", ":aws-us-gov:")]);
  });

  it("refuses when --account or AWS_ACCOUNT_ID names another account than the credentials reach", async () => {
    world();
    const { deps } = harness();
    await expectRefusal(replay({ ...base, account: "210987654321", yes: true }, deps), 2, /--account says account 210987654321, but these AWS credentials reach account 123456789012/);
    const fromEnv = harness({ env: { AWS_ACCOUNT_ID: "210987654321" } });
    await expectRefusal(replay({ ...base, yes: true }, fromEnv.deps), 2, /AWS_ACCOUNT_ID says account 210987654321/);
    expect(started()).toHaveLength(0);
  });

  it("accepts a matching --account and rejects one that is not 12 digits", async () => {
    world();
    const { deps } = harness();
    expect(await replay({ ...base, account: ACCOUNT, dryRun: true }, deps)).toBe(0);
    await expectRefusal(replay({ ...base, account: "12345" }, deps), 2, '--account must be a 12-digit AWS account id, got "12345"');
  });

  it("uses --account when EventBridge describes the archive without its ARN", async () => {
    world({ archive: describedArchive({ ArchiveArn: undefined, EventSourceArn: undefined }) });
    const { deps } = harness();
    await expectRefusal(replay({ ...base, dryRun: true }, deps), 1, /pass --account <id> or set AWS_ACCOUNT_ID/);
    expect(await replay({ ...base, account: ACCOUNT, yes: true }, deps)).toBe(0);
    expect(started()[0]!.args[0].input).toMatchObject({ EventSourceArn: ARCHIVE_ARN, Destination: { Arn: HUB_BUS_ARN } });
  });
});

describe("replay: the request", () => {
  const request = {
    ReplayName: NAME,
    EventSourceArn: ARCHIVE_ARN,
    EventStartTime: "2024-06-09T00:00:00.000Z",
    EventEndTime: "2024-06-09T06:00:00.000Z",
    Destination: { Arn: HUB_BUS_ARN, FilterArns: [replayRuleArn("use2-a")] },
    Description: "DR replay of 2024-06-09T00:00:00Z to 2024-06-09T06:00:00Z into cell use2-a (us-east-2) via rule cellfleet-replay-use2-a",
  };

  it("a dry run prints the exact StartReplay request (back to the hub bus, filtered to the cell's replay rule) and starts nothing", async () => {
    world();
    const { deps, lines, text, audits } = harness();

    expect(await replay({ ...base, dryRun: true }, deps)).toBe(0);

    const json = lines.find((line) => line.startsWith("{"))!;
    expect(JSON.parse(json)).toEqual(request);
    expect(text()).toContain("StartReplay request (dry run: not sent):");
    expect(text()).toContain("route:        hub bus cellfleet-archive-hub -> rule cellfleet-replay-use2-a -> bus use2-a-invoices (us-east-2)");
    expect(text()).toContain("dry run: no replay started.");
    expect(started()).toHaveLength(0);
    expect(audits[0]).toMatchObject({ result: "dry-run", dryRun: true, replayName: NAME });
  });

  it("a dry run with --json carries the same request in the plan event", async () => {
    world();
    const { deps, lines } = harness();
    await replay({ ...base, dryRun: true, json: true }, deps);
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.map((e) => e.event)).toEqual(["plan", "result"]);
    expect(events[0]).toMatchObject({ targetCell: "use2-a", region: "us-east-1", replayName: NAME, request });
    expect(events[1]).toMatchObject({ result: "dry-run", exitCode: 0 });
  });

  it("starts the replay with that request, the times as Dates", async () => {
    world();
    const { deps } = harness();
    await replay({ ...base, yes: true }, deps);
    expect(started()[0]!.args[0].input).toEqual({ ...request, EventStartTime: at(WINDOW.from), EventEndTime: at(WINDOW.to) });
  });

  it("names the replay dr-<cell>-<UTC yyyymmddThhmmssZ>, within EventBridge's 64 characters", async () => {
    world();
    const { deps } = harness({ now: () => Date.parse("2024-06-10T12:34:56.789Z") });
    await replay({ ...base, yes: true }, deps);
    const name = started()[0]!.args[0].input.ReplayName!;
    expect(name).toBe("dr-use2-a-20240610T123456Z");
    expect(name.length).toBeLessThanOrEqual(64);
    expect(parseReplayName(name)).toEqual({ cell: "use2-a", at: at("2024-06-10T12:34:56Z") });
  });

  it("refuses a cell id whose replay name would pass 64 characters", async () => {
    world();
    const long = "c".repeat(45);
    const fleet: FleetConfig = { ...FLEET, cells: [...FLEET.cells, { ...FLEET.cells[1]!, id: long }] };
    const { deps } = harness({ fleet });
    await expectRefusal(replay({ ...base, targetCell: long, yes: true }, deps), 2, /makes replay name "dr-c{45}-20240610T120000Z" 65 characters long; EventBridge allows 64/);
    expect(started()).toHaveLength(0);
  });
});

describe("replay: capacity", () => {
  const others = (n: number, state = "RUNNING") => Array.from({ length: n }, (_, i) => replayEntry(`other-${state.toLowerCase()}-${i}`, { State: state as Replay["State"] }));

  it("refuses with exit 4 when 10 replays are running or starting in the region, naming them", async () => {
    world({ running: others(8), starting: others(2, "STARTING") });
    const { deps, text, audits } = harness();

    expect(await replay({ ...base, yes: true }, deps)).toBe(4);

    expect(text()).toMatch(/refusing: 10 replays are already running or starting in us-east-1, and EventBridge runs at most 10 at once per region/);
    expect(text()).toContain("other-running-0 (RUNNING, started 2024-06-10T11:00:00Z)");
    expect(text()).toContain("other-starting-1 (STARTING");
    expect(started()).toHaveLength(0);
    expect(audits[0]).toMatchObject({ result: "no-capacity" });
  });

  it("counts every replay in the region, whatever its name, and starts when a slot is free", async () => {
    world({ running: others(9), cancelling: others(3, "CANCELLING") });
    const { deps, text } = harness();
    expect(await replay({ ...base, yes: true }, deps)).toBe(0);
    expect(text()).toContain("in region:    9 of 10 replay slots in use");
    const states = eventbridge.commandCalls(ListReplaysCommand).map((call) => call.args[0].input);
    expect(states).toEqual(expect.arrayContaining([expect.objectContaining({ State: "RUNNING" }), expect.objectContaining({ State: "STARTING" })]));
    expect(states.every((input) => input.NamePrefix === undefined)).toBe(true);
  });

  it("refuses with exit 4 when a replay into the same cell is already running, even with a slot free", async () => {
    world({ running: [replayEntry("dr-use2-a-20240610T110000Z")] });
    const { deps, text, audits } = harness();
    expect(await replay({ ...base, yes: true }, deps)).toBe(4);
    expect(text()).toMatch(/refusing: a replay into cell use2-a is already in flight: dr-use2-a-20240610T110000Z \(RUNNING/);
    expect(text()).toContain("aws events cancel-replay --replay-name <name> --region us-east-1");
    expect(started()).toHaveLength(0);
    expect(audits[0]).toMatchObject({ result: "already-running" });
  });

  it("also waits for a replay into the same cell that is still cancelling", async () => {
    world({ cancelling: [replayEntry("dr-use2-a-20240610T110000Z", { State: "CANCELLING" })] });
    const { deps } = harness();
    expect(await replay({ ...base, yes: true }, deps)).toBe(4);
  });

  it("does not mistake another cell whose id starts the same for the target", async () => {
    world({ running: [replayEntry("dr-use2-a-b-20240610T110000Z")] });
    const { deps } = harness();
    expect(await replay({ ...base, yes: true }, deps)).toBe(0);
  });
});

describe("replay: confirmation", () => {
  it("refuses without a terminal and without --yes: scripts must pass --yes", async () => {
    world();
    const { deps, text, audits } = harness({ confirm: undefined });
    expect(await replay(base, deps)).toBe(2);
    expect(text()).toMatch(/stdin is not a terminal.*pass --yes/);
    expect(started()).toHaveLength(0);
    expect(audits[0]).toMatchObject({ result: "refused" });
  });

  it("asks on a terminal, and a no starts nothing (exit 5)", async () => {
    world();
    const confirm = vi.fn(async () => false);
    const { deps, audits } = harness({ confirm });
    expect(await replay(base, deps)).toBe(5);
    expect(confirm).toHaveBeenCalledWith(
      `Replay 2024-06-09T00:00:00Z .. 2024-06-09T06:00:00Z from cellfleet-archive into cell use2-a (us-east-2) as ${NAME}? [y/N] `,
    );
    expect(started()).toHaveLength(0);
    expect(audits[0]).toMatchObject({ result: "declined" });
  });

  it("starts after a yes at the prompt", async () => {
    world();
    const { deps } = harness({ confirm: async () => true });
    expect(await replay(base, deps)).toBe(0);
    expect(started()).toHaveLength(1);
  });

  it("starts nothing when Ctrl-C came before the replay started", async () => {
    world();
    const controller = new AbortController();
    controller.abort();
    const { deps } = harness({ signal: controller.signal });
    expect(await replay({ ...base, yes: true }, deps)).toBe(5);
    expect(started()).toHaveLength(0);
  });
});

describe("replay: following the replay", () => {
  it("polls DescribeReplay until COMPLETED, with a progress bar of the window's share replayed", async () => {
    world({
      progress: [
        { State: "STARTING" },
        { State: "RUNNING", EventLastReplayedTime: into(0.25) },
        { State: "RUNNING", EventLastReplayedTime: into(0.25) },
        { State: "RUNNING", EventLastReplayedTime: into(0.5) },
        { State: "COMPLETED", EventLastReplayedTime: into(1), ReplayEndTime: new Date(NOW + 600_000) },
      ],
    });
    const { deps, lines, text, audits } = harness();

    expect(await replay({ ...base, yes: true }, deps)).toBe(0);

    expect(eventbridge.commandCalls(DescribeReplayCommand)).toHaveLength(5);
    expect(eventbridge.commandCalls(DescribeReplayCommand)[0]!.args[0].input).toEqual({ ReplayName: NAME });
    expect(deps.sleep).toHaveBeenCalledWith(4321);
    expect(lines).toContain(`started replay ${NAME}`);
    const bars = lines.filter((line) => line.startsWith("  ["));
    // One line per change: the repeated 25% is not printed twice.
    expect(bars).toEqual([
      "  [------------------------]   0%  STARTING",
      "  [######------------------]  25%  RUNNING  events up to 2024-06-09T01:30:00Z",
      "  [############------------]  50%  RUNNING  events up to 2024-06-09T03:00:00Z",
    ]);
    expect(text()).toContain(`done: replayed 2024-06-09T00:00:00Z .. 2024-06-09T06:00:00Z into cell use2-a (bus use2-a-invoices in us-east-2); the replayed events carry replay-name ${NAME}.`);
    expect(eventbridge.commandCalls(CancelReplayCommand)).toHaveLength(0);
    expect(audits[0]).toMatchObject({ result: "completed", percent: 100, replayArn: replayArn(NAME) });
  });

  it("reports progress and the result as JSON lines with --json", async () => {
    world({ progress: [{ State: "RUNNING", EventLastReplayedTime: into(0.1) }, { State: "RUNNING", EventLastReplayedTime: into(0.75) }, { State: "COMPLETED" }] });
    const { deps, lines } = harness();

    await replay({ ...base, yes: true, json: true }, deps);

    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.map((e) => e.event)).toEqual(["plan", "started", "progress", "progress", "result"]);
    expect(events[1]).toEqual({ event: "started", replayName: NAME, replayArn: replayArn(NAME) });
    expect(events.filter((e) => e.event === "progress").map((e) => [e.share, e.percent])).toEqual([
      [expect.closeTo(0.1, 9), 10],
      [0.75, 75],
    ]);
    expect(events[4]).toMatchObject({ result: "completed", exitCode: 0, replayName: NAME, percent: 100 });
  });

  it("reports a failed replay with its StateReason (exit 1)", async () => {
    world({
      progress: [
        { State: "RUNNING", EventLastReplayedTime: into(0.3) },
        { State: "FAILED", EventLastReplayedTime: into(0.4), StateReason: "Destination rule cellfleet-replay-use2-a does not exist" },
      ],
    });
    const { deps, text, audits } = harness();

    expect(await replay({ ...base, yes: true }, deps)).toBe(1);
    expect(text()).toContain("the replay failed at 40% of the window: Destination rule cellfleet-replay-use2-a does not exist.");
    expect(audits[0]).toMatchObject({ result: "failed", stateReason: "Destination rule cellfleet-replay-use2-a does not exist", percent: 40 });
  });

  it("treats a replay cancelled by someone else as cancelled (exit 5)", async () => {
    world({ progress: [{ State: "RUNNING", EventLastReplayedTime: into(0.2) }, { State: "CANCELLED", EventLastReplayedTime: into(0.2) }] });
    const { deps, text } = harness();
    expect(await replay({ ...base, yes: true }, deps)).toBe(5);
    expect(text()).toContain("cancelled at 20% of the window: events up to 2024-06-09T01:12:00Z were replayed into cell use2-a.");
    expect(eventbridge.commandCalls(CancelReplayCommand)).toHaveLength(0);
  });

  it("on Ctrl-C cancels the replay and waits for CANCELLED (exit 5)", async () => {
    world({
      progress: [
        { State: "RUNNING", EventLastReplayedTime: into(0.1) },
        { State: "CANCELLING", EventLastReplayedTime: into(0.15) },
        { State: "CANCELLED", EventLastReplayedTime: into(0.15) },
      ],
    });
    const controller = new AbortController();
    // The operator presses Ctrl-C during the first wait; the wait itself never ends on its own.
    const sleep = vi.fn((_ms: number) => {
      if (sleep.mock.calls.length === 1) {
        controller.abort();
        return new Promise<void>(() => {});
      }
      return Promise.resolve();
    });
    const { deps, text, audits } = harness({ signal: controller.signal, sleep });

    expect(await replay({ ...base, yes: true }, deps)).toBe(5);

    const cancels = eventbridge.commandCalls(CancelReplayCommand);
    expect(cancels).toHaveLength(1);
    expect(cancels[0]!.args[0].input).toEqual({ ReplayName: NAME });
    expect(eventbridge.commandCalls(DescribeReplayCommand)).toHaveLength(3);
    expect(text()).toContain(`cancelling replay ${NAME} and waiting for EventBridge to confirm...`);
    expect(text()).toContain("cancelled at 15% of the window");
    expect(audits[0]).toMatchObject({ result: "cancelled", replayName: NAME, percent: 15 });
  });

  it("keeps waiting for the final state when the cancel request is refused (the replay ended meanwhile)", async () => {
    world({ progress: [{ State: "RUNNING", EventLastReplayedTime: into(0.9) }, { State: "COMPLETED" }] });
    eventbridge.on(CancelReplayCommand).rejects(Object.assign(new Error("Replay is not in a cancellable state"), { name: "IllegalStatusException" }));
    const controller = new AbortController();
    const sleep = vi.fn(async () => {
      controller.abort();
    });
    const { deps, text } = harness({ signal: controller.signal, sleep });

    expect(await replay({ ...base, yes: true }, deps)).toBe(0);
    expect(text()).toContain("cancel request not accepted (Replay is not in a cancellable state); waiting for the replay's final state");
  });

  it("exits 1 with AWS's message when StartReplay is refused", async () => {
    world();
    eventbridge.on(StartReplayCommand).rejects(Object.assign(new Error("Parameter FilterArns is not valid."), { name: "ValidationException" }));
    const { deps, audits } = harness();
    await expect(replay({ ...base, yes: true }, deps)).rejects.toThrow("Parameter FilterArns is not valid.");
    expect(audits[0]).toMatchObject({ result: "error", error: "Parameter FilterArns is not valid." });
  });
});

describe("replay: progress arithmetic", () => {
  const window = { from: at(WINDOW.from), to: at(WINDOW.to) };
  it("is the share of the window up to the last replayed event, clamped to 0..1", () => {
    expect(replayedShare(window, undefined)).toBe(0);
    expect(replayedShare(window, into(0.5))).toBe(0.5);
    expect(replayedShare(window, at("2024-06-08T00:00:00Z"))).toBe(0);
    expect(replayedShare(window, at("2024-06-10T00:00:00Z"))).toBe(1);
  });

  it("draws a bar that fills with the share", () => {
    expect(progressBar(0, 10)).toBe("[----------]   0%");
    expect(progressBar(0.333, 10)).toBe("[###-------]  33%");
    expect(progressBar(1, 10)).toBe("[##########] 100%");
  });
});

describe("replay --list", () => {
  it("pages through ListReplays (prefix dr-) and prints newest first with the target cell from the name", async () => {
    eventbridge
      .on(ListReplaysCommand)
      .resolvesOnce({
        Replays: [
          replayEntry("dr-use1-a-20240601T080000Z", {
            State: "COMPLETED",
            ReplayStartTime: at("2024-06-01T08:00:01Z"),
            ReplayEndTime: at("2024-06-01T08:40:00Z"),
          }),
          replayEntry("dr-usw2-a-20240610T110000Z", { State: "RUNNING", ReplayStartTime: at("2024-06-10T11:00:02Z") }),
        ],
        NextToken: "page-2",
      })
      .resolvesOnce({
        Replays: [
          // Still starting: no start time yet, so its name's timestamp orders it.
          replayEntry("dr-use2-a-20240610T115900Z", { State: "STARTING", ReplayStartTime: undefined }),
          replayEntry("dr-handmade", { State: "FAILED", StateReason: "Archive is disabled", ReplayStartTime: at("2024-05-01T00:00:00Z") }),
        ],
      });
    const { deps, lines, audits } = harness();

    expect(await replay({ list: true }, deps)).toBe(0);

    const calls = eventbridge.commandCalls(ListReplaysCommand).map((call) => call.args[0].input);
    expect(calls).toEqual([
      { NamePrefix: "dr-", Limit: 100 },
      { NamePrefix: "dr-", Limit: 100, NextToken: "page-2" },
    ]);
    expect(lines[0]).toMatch(/^NAME\s+CELL\s+STATE\s+WINDOW\s+STARTED\s+ENDED$/);
    expect(lines.slice(1).map((line) => line.split(/\s{2,}/).slice(0, 3))).toEqual([
      ["dr-use2-a-20240610T115900Z", "use2-a", "STARTING"],
      ["dr-usw2-a-20240610T110000Z", "usw2-a", "RUNNING"],
      ["dr-use1-a-20240601T080000Z", "use1-a", "COMPLETED"],
      ["dr-handmade", "?", "FAILED"],
    ]);
    expect(lines[3]).toContain("2024-06-08T00:00:00Z .. 2024-06-08T06:00:00Z  2024-06-01T08:00:01Z  2024-06-01T08:40:00Z");
    expect(audits).toEqual([expect.objectContaining({ audit: "replay", action: "list", result: "listed", count: 4 })]);
  });

  it("prints a JSON array with --json", async () => {
    eventbridge.on(ListReplaysCommand).resolves({
      Replays: [replayEntry("dr-use2-a-20240610T110000Z", { State: "CANCELLED", ReplayEndTime: at("2024-06-10T11:20:00Z"), EventLastReplayedTime: at("2024-06-08T01:00:00Z") })],
    });
    const { deps, lines } = harness();

    await replay({ list: true, json: true }, deps);

    expect(JSON.parse(lines.join("\n"))).toEqual([
      {
        name: "dr-use2-a-20240610T110000Z",
        targetCell: "use2-a",
        state: "CANCELLED",
        stateReason: null,
        from: "2024-06-08T00:00:00Z",
        to: "2024-06-08T06:00:00Z",
        startedAt: "2024-06-10T11:00:00Z",
        endedAt: "2024-06-10T11:20:00Z",
        lastReplayedAt: "2024-06-08T01:00:00Z",
      },
    ]);
  });

  it("says so when there are none", async () => {
    eventbridge.on(ListReplaysCommand).resolves({ Replays: [] });
    const { deps, text } = harness();
    expect(await replay({ list: true }, deps)).toBe(0);
    expect(text()).toBe('no DR replays in us-east-1 (names starting "dr-")');
  });
});

describe("replay: the audit line", () => {
  it("writes exactly one line per run: who, target cell, window, replay name, result, duration, forced, dry run", async () => {
    world({ progress: [{ State: "RUNNING", EventLastReplayedTime: into(0.5) }, { State: "COMPLETED" }] });
    let clock = NOW;
    const { deps, audits } = harness({ now: () => (clock += 250) });

    await replay({ ...base, from: "2024-06-09T02:00:00+02:00", yes: true }, deps);

    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({
      audit: "replay",
      who: "alice",
      action: "replay",
      targetCell: "use2-a",
      cellActive: true,
      from: "2024-06-09T00:00:00Z",
      to: "2024-06-09T06:00:00Z",
      replayName: "dr-use2-a-20240610T120000Z",
      replayArn: replayArn("dr-use2-a-20240610T120000Z"),
      result: "completed",
      forced: false,
      dryRun: false,
    });
    expect(audits[0]!.durationMs).toBeGreaterThan(0);
  });

  it("records the flags as given when the run is refused early", async () => {
    const { deps, audits } = harness();
    await replay({ ...base, to: "soon", force: true, dryRun: true }, deps).catch(() => {});
    expect(audits).toEqual([
      expect.objectContaining({ targetCell: "use2-a", to: "soon", forced: true, dryRun: true, result: "refused", error: expect.stringContaining("--to must be") }),
    ]);
  });
});

describe("parseReplayArgs and parseInstant", () => {
  it("reads the documented options", () => {
    expect(
      parseReplayArgs(["--target-cell", "use2-a", "--from", WINDOW.from, "--to", WINDOW.to, "--force", "--dry-run", "--json", "--yes", "--account", ACCOUNT]),
    ).toMatchObject({ targetCell: "use2-a", ...WINDOW, force: true, dryRun: true, json: true, yes: true, account: ACCOUNT });
    expect(parseReplayArgs(["--list", "--json"])).toMatchObject({ list: true, json: true });
  });

  it("rejects an unknown option, and --list mixed with replay options, with the usage (exit 2)", () => {
    expect(() => parseReplayArgs(["--cell", "use2-a"])).toThrow(/--cell[\s\S]*usage: npm run replay/);
    expect(() => parseReplayArgs(["--list", "--target-cell", "use2-a", "--yes"])).toThrow(/--list takes only --json and --account, not --target-cell, --yes/);
  });

  it("reads Z, ±hh:mm and ±hhmm offsets and fractions", () => {
    expect(parseInstant("--from", "2024-06-09T02:00:00+02:00").toISOString()).toBe("2024-06-09T00:00:00.000Z");
    expect(parseInstant("--from", "2024-06-08T19:30-0430").toISOString()).toBe("2024-06-09T00:00:00.000Z");
    expect(parseInstant("--from", "2024-06-09T00:00:00.123456Z").toISOString()).toBe("2024-06-09T00:00:00.123Z");
    expect(parseInstant("--from", "2024-02-29T00:00:00z").toISOString()).toBe("2024-02-29T00:00:00.000Z");
    expect(() => parseInstant("--from", "2023-02-29T00:00:00Z")).toThrow(/--from must be an ISO-8601 time/);
    expect(() => parseInstant("--from", "2024-06-09T24:00:00Z")).toThrow(/--from must be an ISO-8601 time/);
  });
});
