/**
 * DR drill: replay archived events into a surviving cell. Every cell's live events are archived on
 * the hub bus in the global region; EventBridge replays an archive only back to its own bus, so the
 * replay is named `dr-<cell>-<timestamp>` and filtered to the hub's replay rule for that cell
 * (`<project>-replay-<cell>`, which matches that `replay-name` prefix and targets the cell's bus).
 *
 *   npm run replay -- --target-cell <id> --from <iso> --to <iso> [--force] [--dry-run] [--json] [--yes] [--account <id>]
 *   npm run replay -- --list [--json]
 *
 *   --from, --to  the window of event times, ISO-8601 with a timezone (2024-06-01T00:00:00Z,
 *                 2024-06-01T02:00+02:00). --to must be at least 10 minutes ago: the archive
 *                 receives events minutes late, so a more recent window would silently miss some.
 *                 --from must be inside the archive's retention.
 *   --force       replay into a drained cell (active: false), which is normally not a target.
 *   --dry-run     run every check, print the exact StartReplay request as JSON, start nothing.
 *   --yes         skip the confirmation; required when stdin is not a terminal (CI, scripts).
 *   --json        one JSON line per event (plan, progress, result) instead of text; with --list,
 *                 a JSON array.
 *   --account     the AWS account id (else AWS_ACCOUNT_ID). The account is read from the
 *                 archive's ARN; when given, a different account is refused (wrong credentials).
 *   --list        the DR replays in the global region (names starting `dr-`), newest first.
 *
 * Exit codes:
 *   0  completed, a dry run, or --list
 *   1  the replay failed (its StateReason is printed), or AWS refused a call (e.g. no archive)
 *   2  invalid usage or refused: a bad or missing flag, a window that is not replayable, an
 *      unknown cell, a drained cell without --force, an archive that is not ENABLED or not on the
 *      hub bus, an account mismatch, no terminal and no --yes
 *   4  no capacity: 10 replays already running or starting in the region (EventBridge's limit),
 *      or a replay into the same cell is already in flight
 *   5  cancelled: declined at the prompt, Ctrl-C (the replay is cancelled and awaited), or the
 *      replay was cancelled by someone else
 *   130  a second Ctrl-C while waiting for the cancellation (the replay may still be cancelling)
 *
 * One audit line (JSON, stderr) per run.
 */
import { parseArgs } from "node:util";
import {
  CancelReplayCommand,
  DescribeArchiveCommand,
  type DescribeArchiveResponse,
  DescribeReplayCommand,
  type DescribeReplayResponse,
  EventBridgeClient,
  ListReplaysCommand,
  type ListReplaysRequest,
  type Replay,
  type ReplayState,
  StartReplayCommand,
  type StartReplayRequest,
} from "@aws-sdk/client-eventbridge";
import type { CellConfig, FleetConfig } from "../cells/fleet-schema";
import { type AccountRef, cellNames, fleetNames, replayName } from "../cells/naming";
import { CliError, askOnTerminal, auditLine, findCell, followUntilFinal, formatAge, loadCliFleet, runCli, sleep, withInterruptCancel } from "./cli";

export const EXIT = { done: 0, failed: 1, refused: 2, noCapacity: 4, cancelled: 5 } as const;

/** EventBridge: at most this many replays run at once in a region. */
export const MAX_CONCURRENT_REPLAYS = 10;
/** How far behind the archive may be: a window must end at least this long ago. */
export const ARCHIVE_LAG_MS = 10 * 60 * 1000;
/** EventBridge's limit on a replay name. */
export const MAX_REPLAY_NAME_LENGTH = 64;
/** Every DR replay's name starts with this (`dr-<cell>-`). */
export const DR_REPLAY_PREFIX = "dr-";
const DEFAULT_POLL_INTERVAL_MS = 10_000;
const DAY_MS = 24 * 60 * 60 * 1000;
const PROGRESS_BAR_WIDTH = 24;

/** Replays in these states hold one of the region's concurrent-replay slots. */
const SLOT_STATES: readonly ReplayState[] = ["STARTING", "RUNNING"];
/** Replays in these states may still deliver events into their cell. */
const IN_FLIGHT_STATES: readonly ReplayState[] = [...SLOT_STATES, "CANCELLING"];
const FINAL_STATES: ReadonlySet<ReplayState | undefined> = new Set<ReplayState | undefined>(["COMPLETED", "FAILED", "CANCELLED"]);

export interface ReplayOptions {
  /** The surviving cell the events go to. */
  targetCell?: string;
  /** Start of the window of event times (ISO-8601 with a timezone). */
  from?: string;
  /** End of the window (ISO-8601 with a timezone), at least 10 minutes ago. */
  to?: string;
  /** Replay into a drained cell (active: false). */
  force?: boolean;
  dryRun?: boolean;
  json?: boolean;
  yes?: boolean;
  /** List the DR replays instead of starting one. */
  list?: boolean;
  /** The expected AWS account id; default env AWS_ACCOUNT_ID. */
  account?: string;
}

export interface ReplayDeps {
  /** An EventBridge client for a region (the global region's: archive and hub live there). */
  eventbridge: (region: string) => EventBridgeClient;
  /** Writes one line of output (stdout). */
  out: (line: string) => void;
  /** Asks the operator; undefined when stdin is not a terminal (then only --yes proceeds). */
  confirm: ((question: string) => Promise<boolean>) | undefined;
  sleep: (ms: number) => Promise<void>;
  /** Epoch milliseconds: windows are checked, and the replay named, against this clock. */
  now: () => number;
  /** Aborted on Ctrl-C: the running replay is cancelled and awaited. */
  signal?: AbortSignal;
  /** The fleet; default `loadCliFleet()`. */
  fleet?: FleetConfig;
  /** Between two DescribeReplay calls; default 10 s. */
  pollIntervalMs?: number;
  /** Where the audit line goes; default stderr. */
  audit?: (line: string) => void;
  /** Read for AWS_ACCOUNT_ID; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export interface ReplayWindow {
  from: Date;
  to: Date;
}

/** One DR replay as `--list` shows it. */
export interface ReplayRow {
  name: string;
  /** The cell the replay went to, read from its name; null when the name is not `dr-<cell>-<timestamp>`. */
  targetCell: string | null;
  state: string | null;
  stateReason: string | null;
  from: string | null;
  to: string | null;
  startedAt: string | null;
  endedAt: string | null;
  lastReplayedAt: string | null;
}

interface Plan {
  targetCell: string;
  cellRegion: string;
  cellActive: boolean;
  cellBus: string;
  region: string;
  archive: { name: string; arn: string; state: string; retentionDays: number | null; createdAt: string | null };
  hubBus: string;
  replayRule: string;
  replayName: string;
  window: { from: string; to: string };
  /** Replays holding a slot in the region (STARTING or RUNNING), any name. */
  regionReplays: string[];
  request: StartReplayRequest;
}

interface Outcome {
  code: number;
  result: string;
  message: string;
  replayName?: string;
  replayArn?: string;
  stateReason?: string;
  percent?: number;
}

/** Parses `process.argv.slice(2)`; unknown options are usage errors (exit 2). */
export function parseReplayArgs(argv: readonly string[]): ReplayOptions & { help?: boolean } {
  try {
    const { values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        "target-cell": { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        force: { type: "boolean" },
        "dry-run": { type: "boolean" },
        json: { type: "boolean" },
        yes: { type: "boolean", short: "y" },
        list: { type: "boolean" },
        account: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
    const options = {
      targetCell: values["target-cell"],
      from: values.from,
      to: values.to,
      force: values.force,
      dryRun: values["dry-run"],
      json: values.json,
      yes: values.yes,
      list: values.list,
      account: values.account,
      help: values.help,
    };
    if (options.list) {
      const mixed = (["target-cell", "from", "to", "force", "dry-run", "yes"] as const).filter((flag) => values[flag] !== undefined);
      if (mixed.length > 0) throw new Error(`--list takes only --json and --account, not ${mixed.map((flag) => `--${flag}`).join(", ")}`);
    }
    return options;
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n${USAGE}`);
  }
}

export const USAGE = [
  "usage: npm run replay -- --target-cell <id> --from <iso> --to <iso> [--force] [--dry-run] [--json] [--yes] [--account <id>]",
  "       npm run replay -- --list [--json]",
].join("\n");

/**
 * An instant from ISO-8601 with a timezone (`Z`, `+hh:mm`); a date without a time, a time
 * without a zone (it would be read in the machine's zone) and impossible dates are refused.
 */
export function parseInstant(flag: string, value: string | undefined): Date {
  const example = "e.g. 2024-06-01T00:00:00Z";
  if (value === undefined || value.trim() === "") throw new CliError(`${flag} is required: an ISO-8601 time with a timezone, ${example}`);
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))$/i.exec(value.trim());
  const invalid = () => new CliError(`${flag} must be an ISO-8601 time with a timezone (Z or ±hh:mm), ${example}; got "${value}"`);
  if (!match) throw invalid();
  const [, year, month, day, hour, minute, second = "0", fraction = "", zulu, sign, offsetHours = "0", offsetMinutes = "0"] = match;
  const fields = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  const local = new Date(Date.UTC(fields[0], fields[1] - 1, fields[2], fields[3], fields[4], fields[5]));
  const calendarOk =
    local.getUTCFullYear() === fields[0] &&
    local.getUTCMonth() === fields[1] - 1 &&
    local.getUTCDate() === fields[2] &&
    local.getUTCHours() === fields[3] &&
    local.getUTCMinutes() === fields[4] &&
    local.getUTCSeconds() === fields[5];
  if (!calendarOk || Number(offsetHours) > 23 || Number(offsetMinutes) > 59) throw invalid();
  const offsetMs = zulu ? 0 : (sign === "-" ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
  const millis = fraction ? Math.floor(Number(`0.${fraction}`) * 1000) : 0;
  return new Date(local.getTime() + millis - offsetMs);
}

/** `--from` and `--to`: both valid, in order, and ending early enough for the archive to have caught up. */
export function parseWindow(from: string | undefined, to: string | undefined, now: number): ReplayWindow {
  const window = { from: parseInstant("--from", from), to: parseInstant("--to", to) };
  if (window.from.getTime() >= window.to.getTime()) {
    throw new CliError(`--from (${iso(window.from)}) must be before --to (${iso(window.to)}): the window is empty`);
  }
  const latestEnd = now - ARCHIVE_LAG_MS;
  if (window.to.getTime() > latestEnd) {
    const ago = now - window.to.getTime();
    const when = ago >= 0 ? `only ${formatAge(ago / 1000)} ago` : "in the future";
    throw new CliError(
      `--to (${iso(window.to)}) is ${when}: it must be at least 10 minutes in the past, because the archive receives ` +
        `events up to ~10 minutes late and a replay of a more recent window would silently miss some. ` +
        `Use --to ${iso(new Date(Math.floor(latestEnd / 1000) * 1000))} or earlier.`,
    );
  }
  return window;
}

/** The cell a replay name targets and when it was named, or undefined for other names. */
export function parseReplayName(name: string): { cell: string; at: Date } | undefined {
  const match = /^dr-(.+)-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(name);
  if (!match) return undefined;
  const [, cell, ...parts] = match;
  const [y, mo, d, h, mi, s] = parts.map(Number) as [number, number, number, number, number, number];
  return { cell: cell!, at: new Date(Date.UTC(y, mo - 1, d, h, mi, s)) };
}

/** The share of the window replayed so far, 0..1: how far the last replayed event time is into it. */
export function replayedShare(window: ReplayWindow, lastReplayed: Date | undefined): number {
  if (!lastReplayed) return 0;
  const share = (lastReplayed.getTime() - window.from.getTime()) / (window.to.getTime() - window.from.getTime());
  return Math.min(1, Math.max(0, share));
}

/** `[######------]  50%`. */
export function progressBar(share: number, width = PROGRESS_BAR_WIDTH): string {
  const filled = Math.round(share * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%`;
}

/** Runs one replay or the listing; returns the exit code. Usage errors throw CliError (exit 2). */
export async function replay(options: ReplayOptions, deps: ReplayDeps): Promise<number> {
  const startedAt = deps.now();
  const audit: Record<string, unknown> = options.list
    ? { action: "list" }
    : {
        action: "replay",
        targetCell: options.targetCell,
        from: options.from,
        to: options.to,
        forced: Boolean(options.force),
        dryRun: Boolean(options.dryRun),
      };
  let outcome: Outcome | undefined;
  try {
    outcome = options.list ? await list(options, deps, audit) : await run(options, deps, audit);
    return outcome.code;
  } catch (error) {
    const exitCode = error instanceof CliError ? error.exitCode : EXIT.failed;
    audit.result = exitCode === EXIT.refused ? "refused" : "error";
    audit.error = error instanceof Error ? error.message : String(error);
    throw error;
  } finally {
    if (outcome) {
      audit.result = outcome.result;
      if (outcome.replayName) audit.replayName = outcome.replayName;
      if (outcome.replayArn) audit.replayArn = outcome.replayArn;
      if (outcome.stateReason) audit.stateReason = outcome.stateReason;
      if (outcome.percent !== undefined) audit.percent = outcome.percent;
    }
    audit.durationMs = deps.now() - startedAt;
    auditLine("replay", audit, deps.audit);
  }
}

async function run(options: ReplayOptions, deps: ReplayDeps, audit: Record<string, unknown>): Promise<Outcome> {
  const fleet = deps.fleet ?? loadCliFleet();
  const cell = targetCell(fleet, options.targetCell);
  audit.targetCell = cell.id;
  audit.cellActive = cell.active;
  if (!cell.active && !options.force) {
    throw new CliError(
      `--target-cell ${cell.id} is drained (active: false in the fleet config): a drained cell is normally not the ` +
        `target of a replay; replay into an active cell, or pass --force to replay into ${cell.id} anyway`,
    );
  }
  const now = deps.now();
  const window = parseWindow(options.from, options.to, now);
  Object.assign(audit, { from: iso(window.from), to: iso(window.to) });
  const expectedAccount = accountFlag(options.account, (deps.env ?? process.env).AWS_ACCOUNT_ID);

  const region = fleet.global.region;
  const names = fleetNames(fleet.project);
  const eventbridge = deps.eventbridge(region);
  const archive = await describeArchive(eventbridge, names.archive, region);
  if (archive.State !== "ENABLED") {
    throw new CliError(
      `archive ${names.archive} in ${region} is ${archive.State ?? "in an unknown state"}` +
        `${archive.StateReason ? ` (${archive.StateReason})` : ""}, not ENABLED: it cannot be replayed now`,
    );
  }
  const ref = accountRef(archive, expectedAccount, region);
  const archiveArn = archive.ArchiveArn ?? names.archiveArn(region, ref);
  const hubBusArn = names.hubBusArn(region, ref);
  const sourceBusArn = archive.EventSourceArn ?? hubBusArn;
  if (sourceBusArn !== hubBusArn) {
    throw new CliError(
      `archive ${names.archive} archives ${sourceBusArn}, not the hub bus ${hubBusArn}: a replay goes back only to the ` +
        `archive's own bus, and the replay rules are on the hub. Is the global stack deployed from this fleet config?`,
    );
  }
  const retentionDays = archive.RetentionDays ?? fleet.global.archiveRetentionDays;
  // RetentionDays 0: the archive keeps events indefinitely.
  if (retentionDays > 0 && window.from.getTime() < now - retentionDays * DAY_MS) {
    throw new CliError(
      `--from (${iso(window.from)}) is outside the archive's retention: ${names.archive} keeps events ${retentionDays} days, ` +
        `so the earliest replayable time is ${iso(new Date(now - retentionDays * DAY_MS))}`,
    );
  }

  const name = replayName(cell.id, new Date(now));
  if (name.length > MAX_REPLAY_NAME_LENGTH) {
    throw new CliError(`--target-cell ${cell.id} makes replay name "${name}" ${name.length} characters long; EventBridge allows ${MAX_REPLAY_NAME_LENGTH}`);
  }
  audit.replayName = name;
  const request: StartReplayRequest = {
    ReplayName: name,
    EventSourceArn: archiveArn,
    EventStartTime: window.from,
    EventEndTime: window.to,
    Destination: { Arn: sourceBusArn, FilterArns: [names.replayRuleArn(region, ref, cell.id)] },
    Description: `DR replay of ${iso(window.from)} to ${iso(window.to)} into cell ${cell.id} (${cell.region}) via rule ${names.replayRule(cell.id)}`,
  };

  const inFlight = await inFlightReplays(eventbridge);
  const holdingSlots = inFlight.filter((entry) => SLOT_STATES.includes(entry.State!));
  const plan: Plan = {
    targetCell: cell.id,
    cellRegion: cell.region,
    cellActive: cell.active,
    cellBus: cellNames(cell.id).bus,
    region,
    archive: {
      name: names.archive,
      arn: archiveArn,
      state: archive.State,
      retentionDays: archive.RetentionDays ?? null,
      createdAt: archive.CreationTime ? iso(archive.CreationTime) : null,
    },
    hubBus: names.hubBus,
    replayRule: names.replayRule(cell.id),
    replayName: name,
    window: { from: iso(window.from), to: iso(window.to) },
    regionReplays: holdingSlots.map((entry) => entry.ReplayName ?? "(unnamed)"),
    request,
  };
  const report = reporter(options.json ?? false, deps.out);
  report.plan(plan, window);
  if (archive.CreationTime && window.from.getTime() < archive.CreationTime.getTime()) {
    report.note(`note: the archive was created at ${iso(archive.CreationTime)}; no events before that were archived`);
  }
  if (!cell.active) report.note(`note: cell ${cell.id} is drained (active: false); replaying into it because of --force`);

  const finish = (outcome: Outcome): Outcome => {
    report.result(outcome);
    return outcome;
  };

  // By the parsed name, not the prefix: `dr-use1-` is also the start of cell use1-a's replays.
  const sameCell = inFlight.filter((entry) => parseReplayName(entry.ReplayName ?? "")?.cell === cell.id);
  if (sameCell.length > 0) {
    return finish({
      code: EXIT.noCapacity,
      result: "already-running",
      replayName: name,
      message:
        `refusing: a replay into cell ${cell.id} is already in flight: ${sameCell.map(describeInFlight).join(", ")}. ` +
        `Wait for it to end, or cancel it (aws events cancel-replay --replay-name <name> --region ${region}).`,
    });
  }
  if (holdingSlots.length >= MAX_CONCURRENT_REPLAYS) {
    return finish({
      code: EXIT.noCapacity,
      result: "no-capacity",
      replayName: name,
      message:
        `refusing: ${holdingSlots.length} replays are already running or starting in ${region}, and EventBridge runs at most ` +
        `${MAX_CONCURRENT_REPLAYS} at once per region: ${holdingSlots.map(describeInFlight).join(", ")}. Retry when one has ended.`,
    });
  }
  if (options.dryRun) {
    report.request(request);
    return finish({ code: EXIT.done, result: "dry-run", replayName: name, message: "dry run: no replay started." });
  }
  if (!options.yes) {
    if (!deps.confirm) {
      return finish({
        code: EXIT.refused,
        result: "refused",
        replayName: name,
        message: "refusing: stdin is not a terminal, so nobody can confirm; pass --yes to replay from CI or a script.",
      });
    }
    const confirmed = await deps.confirm(
      `Replay ${iso(window.from)} .. ${iso(window.to)} from ${names.archive} into cell ${cell.id} (${cell.region}) as ${name}? [y/N] `,
    );
    if (!confirmed) return finish({ code: EXIT.cancelled, result: "declined", replayName: name, message: "not confirmed: no replay started." });
  }
  if (deps.signal?.aborted) {
    return finish({ code: EXIT.cancelled, result: "cancelled", replayName: name, message: "cancelled before starting: no replay started." });
  }

  const started = await eventbridge.send(new StartReplayCommand(request));
  const replayArn = started.ReplayArn;
  report.started(name, replayArn);
  const final = await follow(eventbridge, deps, { name, window, report });
  const share = final.State === "COMPLETED" ? 1 : replayedShare(window, final.EventLastReplayedTime);
  const percent = Math.floor(share * 100);
  const base = { replayName: name, percent, ...(replayArn ? { replayArn } : {}) };
  switch (final.State) {
    case "COMPLETED":
      return finish({
        ...base,
        code: EXIT.done,
        result: "completed",
        message:
          `done: replayed ${iso(window.from)} .. ${iso(window.to)} into cell ${cell.id} (bus ${plan.cellBus} in ${cell.region}); ` +
          `the replayed events carry replay-name ${name}.`,
      });
    case "FAILED":
      return finish({
        ...base,
        code: EXIT.failed,
        result: "failed",
        stateReason: final.StateReason ?? "unknown",
        message: `the replay failed at ${percent}% of the window: ${final.StateReason ?? "no reason given"}.`,
      });
    default:
      return finish({
        ...base,
        code: EXIT.cancelled,
        result: "cancelled",
        ...(final.StateReason ? { stateReason: final.StateReason } : {}),
        message:
          `cancelled at ${percent}% of the window` +
          (final.EventLastReplayedTime ? `: events up to ${iso(final.EventLastReplayedTime)} were replayed into cell ${cell.id}.` : "."),
      });
  }
}

/** `--list`: every DR replay in the global region, newest first. */
async function list(options: ReplayOptions, deps: ReplayDeps, audit: Record<string, unknown>): Promise<Outcome> {
  const fleet = deps.fleet ?? loadCliFleet();
  const region = fleet.global.region;
  const replays = await listReplays(deps.eventbridge(region), { NamePrefix: DR_REPLAY_PREFIX });
  const rows = replays
    .map((entry) => ({ entry, row: toRow(entry) }))
    .sort((a, b) => sortKey(b.entry) - sortKey(a.entry))
    .map(({ row }) => row);
  audit.count = rows.length;
  if (options.json) {
    deps.out(JSON.stringify(rows, null, 2));
  } else if (rows.length === 0) {
    deps.out(`no DR replays in ${region} (names starting "${DR_REPLAY_PREFIX}")`);
  } else {
    const table = [
      ["NAME", "CELL", "STATE", "WINDOW", "STARTED", "ENDED"],
      ...rows.map((row) => [
        row.name,
        row.targetCell ?? "?",
        row.state ?? "?",
        `${row.from ?? "?"} .. ${row.to ?? "?"}`,
        row.startedAt ?? "-",
        row.endedAt ?? "-",
      ]),
    ];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((line) => line[i]!.length)));
    for (const line of table) deps.out(line.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd());
  }
  return { code: EXIT.done, result: "listed", message: `${rows.length} replay(s)` };
}

function toRow(entry: Replay): ReplayRow {
  const date = (value: Date | undefined) => (value ? iso(value) : null);
  return {
    name: entry.ReplayName ?? "",
    targetCell: parseReplayName(entry.ReplayName ?? "")?.cell ?? null,
    state: entry.State ?? null,
    stateReason: entry.StateReason ?? null,
    from: date(entry.EventStartTime),
    to: date(entry.EventEndTime),
    startedAt: date(entry.ReplayStartTime),
    endedAt: date(entry.ReplayEndTime),
    lastReplayedAt: date(entry.EventLastReplayedTime),
  };
}

/** When a replay started; one still starting has no start time yet, so its name's timestamp stands in. */
function sortKey(entry: Replay): number {
  return entry.ReplayStartTime?.getTime() ?? parseReplayName(entry.ReplayName ?? "")?.at.getTime() ?? 0;
}

function targetCell(fleet: FleetConfig, id: string | undefined): CellConfig {
  if (!id) throw new CliError(`--target-cell is required (one of ${fleet.cells.map((c) => c.id).join(", ")})`);
  try {
    return findCell(fleet, id);
  } catch (error) {
    throw new CliError(`--target-cell: ${(error as Error).message}`);
  }
}

/** `--account`, else AWS_ACCOUNT_ID: undefined, or a 12-digit account id. */
function accountFlag(flag: string | undefined, env: string | undefined): { account: string; source: string } | undefined {
  const [value, source] = flag !== undefined ? [flag, "--account"] : env ? [env, "AWS_ACCOUNT_ID"] : [undefined, ""];
  if (value === undefined) return undefined;
  if (!/^\d{12}$/.test(value.trim())) throw new CliError(`${source} must be a 12-digit AWS account id, got "${value}"`);
  return { account: value.trim(), source };
}

/**
 * Partition and account from the archive's ARN (the credentials' own account); an explicit
 * account must agree with it, and stands in when EventBridge returned no ARN.
 */
function accountRef(archive: DescribeArchiveResponse, expected: { account: string; source: string } | undefined, region: string): AccountRef {
  const parsed = archive.ArchiveArn ? /^arn:([^:]+):events:[^:]*:(\d{12}):/.exec(archive.ArchiveArn) : null;
  if (parsed) {
    const [, partition, account] = parsed as unknown as [string, string, string];
    if (expected && expected.account !== account) {
      throw new CliError(
        `${expected.source} says account ${expected.account}, but these AWS credentials reach account ${account} ` +
          `(archive ${archive.ArchiveArn}): use the credentials of account ${expected.account}, or fix ${expected.source}`,
      );
    }
    return { partition, account };
  }
  if (!expected) {
    throw new CliError(
      `EventBridge described the archive without its ARN, so the account is unknown: pass --account <id> or set AWS_ACCOUNT_ID`,
      EXIT.failed,
    );
  }
  return { partition: partitionOf(region), account: expected.account };
}

function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

async function describeArchive(eventbridge: EventBridgeClient, name: string, region: string): Promise<DescribeArchiveResponse> {
  try {
    return await eventbridge.send(new DescribeArchiveCommand({ ArchiveName: name }));
  } catch (error) {
    if ((error as { name?: string }).name === "ResourceNotFoundException") {
      throw new CliError(`archive ${name} does not exist in ${region}: is the global stack deployed (cdktf deploy global)?`, EXIT.failed);
    }
    throw error;
  }
}

/** Every page of ListReplays. */
async function listReplays(eventbridge: EventBridgeClient, input: Omit<ListReplaysRequest, "NextToken" | "Limit">): Promise<Replay[]> {
  const replays: Replay[] = [];
  let token: string | undefined;
  do {
    const page = await eventbridge.send(new ListReplaysCommand({ ...input, Limit: 100, ...(token ? { NextToken: token } : {}) }));
    replays.push(...(page.Replays ?? []));
    token = page.NextToken;
  } while (token);
  return replays;
}

/** The region's replays that are starting, running or cancelling (any name: all share the region's limit). */
async function inFlightReplays(eventbridge: EventBridgeClient): Promise<Replay[]> {
  const byState = await Promise.all(
    IN_FLIGHT_STATES.map(async (State) => (await listReplays(eventbridge, { State })).map((entry) => ({ ...entry, State: entry.State ?? State }))),
  );
  return byState.flat();
}

function describeInFlight(entry: Replay): string {
  return `${entry.ReplayName ?? "(unnamed)"} (${entry.State}${entry.ReplayStartTime ? `, started ${iso(entry.ReplayStartTime)}` : ""})`;
}

/** Polls the replay until it ends; on abort, cancels it and waits for CANCELLED. */
function follow(
  eventbridge: EventBridgeClient,
  deps: ReplayDeps,
  replay: { name: string; window: ReplayWindow; report: Reporter },
): Promise<DescribeReplayResponse> {
  const share = (current: DescribeReplayResponse) => replayedShare(replay.window, current.EventLastReplayedTime);
  return followUntilFinal({
    poll: () => eventbridge.send(new DescribeReplayCommand({ ReplayName: replay.name })),
    isFinal: (current) => FINAL_STATES.has(current.State),
    progressKey: (current) => `${current.State}:${Math.floor(share(current) * 100)}`,
    onProgress: (current) => replay.report.progress(current, share(current)),
    cancel: () => eventbridge.send(new CancelReplayCommand({ ReplayName: replay.name })),
    onCancelling: () => replay.report.cancelling(replay.name),
    onCancelRefused: (error) => replay.report.note(`cancel request not accepted (${error.message}); waiting for the replay's final state`),
    sleep: deps.sleep,
    intervalMs: deps.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    signal: deps.signal,
  });
}

interface Reporter {
  plan(plan: Plan, window: ReplayWindow): void;
  request(request: StartReplayRequest): void;
  started(name: string, arn: string | undefined): void;
  progress(replay: DescribeReplayResponse, share: number): void;
  cancelling(name: string): void;
  note(message: string): void;
  result(outcome: Outcome): void;
}

function reporter(json: boolean, out: (line: string) => void): Reporter {
  if (json) {
    const emit = (event: string, fields: Record<string, unknown>) => out(JSON.stringify({ event, ...fields }));
    return {
      plan: (plan) => emit("plan", { ...plan }),
      // The plan already carries the request.
      request: () => {},
      started: (replayName, replayArn) => emit("started", { replayName, replayArn: replayArn ?? null }),
      progress: (replay, share) =>
        emit("progress", {
          state: replay.State ?? null,
          share,
          percent: Math.floor(share * 100),
          lastReplayedAt: replay.EventLastReplayedTime ? iso(replay.EventLastReplayedTime) : null,
        }),
      cancelling: (replayName) => emit("cancelling", { replayName }),
      note: (message) => emit("note", { message }),
      result: ({ code, result, message, replayName, replayArn, stateReason, percent }) =>
        emit("result", {
          result,
          exitCode: code,
          replayName: replayName ?? null,
          replayArn: replayArn ?? null,
          stateReason: stateReason ?? null,
          percent: percent ?? null,
          message,
        }),
    };
  }
  return {
    plan: (plan, window) => {
      out(`Replay plan: archive ${plan.archive.name} (${plan.region}) into cell ${plan.targetCell} (${plan.cellRegion})`);
      out(`  window:       ${plan.window.from} .. ${plan.window.to} (${formatAge((window.to.getTime() - window.from.getTime()) / 1000)})`);
      out(`  replay name:  ${plan.replayName}`);
      out(
        `  archive:      ${plan.archive.arn} (${plan.archive.state}, ` +
          `${plan.archive.retentionDays === null ? "retention unknown" : plan.archive.retentionDays === 0 ? "kept indefinitely" : `keeps ${plan.archive.retentionDays} days`})`,
      );
      out(`  route:        hub bus ${plan.hubBus} -> rule ${plan.replayRule} -> bus ${plan.cellBus} (${plan.cellRegion})`);
      out(`  in region:    ${plan.regionReplays.length} of ${MAX_CONCURRENT_REPLAYS} replay slots in use`);
    },
    request: (request) => {
      out("StartReplay request (dry run: not sent):");
      out(JSON.stringify(request, null, 2));
    },
    started: (replayName) => out(`started replay ${replayName}`),
    progress: (replay, share) =>
      out(
        `  ${progressBar(share)}  ${replay.State ?? "?"}` +
          (replay.EventLastReplayedTime ? `  events up to ${iso(replay.EventLastReplayedTime)}` : ""),
      ),
    cancelling: (replayName) => out(`cancelling replay ${replayName} and waiting for EventBridge to confirm...`),
    note: (message) => out(message),
    result: ({ message }) => out(message),
  };
}

/** ISO-8601 in UTC, without milliseconds when they are zero. */
function iso(date: Date): string {
  return date.toISOString().replace(/\.000Z$/, "Z");
}

if (require.main === module) {
  runCli(async () => {
    const options = parseReplayArgs(process.argv.slice(2));
    if (options.help) {
      process.stdout.write(`${USAGE}\n`);
      return EXIT.done;
    }
    return withInterruptCancel("replay", (signal) =>
      replay(options, {
        eventbridge: (region) => new EventBridgeClient({ region }),
        out: (line) => process.stdout.write(`${line}\n`),
        confirm: process.stdin.isTTY ? askOnTerminal : undefined,
        sleep,
        now: Date.now,
        signal,
      }),
    );
  });
}
