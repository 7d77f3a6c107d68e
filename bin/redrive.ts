/**
 * Redrive one stage's dead-letter queue back to the queue its messages came from, with SQS's own
 * message move task (StartMessageMoveTask): messages are moved, never deleted by this tool.
 *
 *   npm run redrive -- --cell <id> --stage <stage> [--dlq fifo|queue] [--dry-run] [--rate N] [--json] [--yes]
 *
 *   --dlq      fifo: the FIFO DLQ `<cell>-<stage>-dlq.fifo`, back to `<cell>-<stage>.fifo`
 *                    (the default for fifo-delivery stages);
 *              queue: the stage queue's DLQ `<cell>-<stage>-dlq`, back to `<cell>-<stage>`
 *                    (the default for standard-delivery stages; in fifo mode it holds what the
 *                    pipe could not deliver).
 *              The fan-out DLQ (SNS) and the router DLQ (EventBridge) are refused: their messages
 *              never came from a queue, so a move task cannot return them.
 *   --rate     messages per second, 1..500; default: SQS chooses.
 *   --dry-run  print the plan and stop.
 *   --yes      skip the confirmation; required when stdin is not a terminal (CI, scripts).
 *   --json     one JSON line per event (plan, progress, result) instead of text.
 *
 * Exit codes:
 *   0  done: every message moved, nothing to move (empty DLQ), or a dry run
 *   1  the move task failed (its FailureReason is printed), or AWS refused a call
 *   2  invalid usage or refused: unknown cell/stage/option, bad --rate, --dlq fanout|router,
 *      no terminal and no --yes
 *   4  a move task is already running (or being cancelled) on that DLQ
 *   5  cancelled: declined at the prompt, Ctrl-C (the task is cancelled and awaited), or the
 *      task was cancelled by someone else
 *
 * One audit line (JSON, stderr) per run.
 */
import { parseArgs } from "node:util";
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  CancelMessageMoveTaskCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import type { CellConfig, FleetConfig, StageConfig } from "../cells/fleet-schema";
import { cellNames } from "../cells/naming";
import { CliError, askOnTerminal, auditLine, findCell, findStage, followUntilFinal, formatAge, loadCliFleet, runCli, sleep, withInterruptCancel } from "./cli";

/** SQS's ceiling for MaxNumberOfMessagesPerSecond. */
export const MAX_RATE = 500;
const DEFAULT_POLL_INTERVAL_MS = 5_000;
const AGE_WINDOW_MS = 15 * 60 * 1000;

export const EXIT = { done: 0, failed: 1, refused: 2, alreadyRunning: 4, cancelled: 5 } as const;

export type DlqKind = "fifo" | "queue";

export interface RedriveOptions {
  cell?: string;
  stage?: string;
  /** fifo | queue; default by the stage's delivery mode. */
  dlq?: string;
  /** Messages per second (1..500); default: SQS chooses. */
  rate?: string | number;
  dryRun?: boolean;
  json?: boolean;
  yes?: boolean;
}

export interface RedriveDeps {
  /** An SQS client for a region (the cell's). */
  sqs: (region: string) => SQSClient;
  /** A CloudWatch client for a region (the cell's). */
  cloudwatch: (region: string) => CloudWatchClient;
  /** Writes one line of output (stdout). */
  out: (line: string) => void;
  /** Asks the operator; undefined when stdin is not a terminal (then only --yes proceeds). */
  confirm: ((question: string) => Promise<boolean>) | undefined;
  sleep: (ms: number) => Promise<void>;
  /** Aborted on Ctrl-C: the running task is cancelled and awaited. */
  signal?: AbortSignal;
  /** Between two ListMessageMoveTasks calls; default 5 s. */
  pollIntervalMs?: number;
  /** The fleet; default `loadCliFleet()`. */
  fleet?: FleetConfig;
  /** Where the audit line goes; default stderr. */
  audit?: (line: string) => void;
  now?: () => number;
}

/** A queue as this tool sees it. */
interface QueueRef {
  name: string;
  url: string;
  arn: string;
}

interface Plan {
  cell: string;
  region: string;
  stage: string;
  dlq: DlqKind;
  source: QueueRef;
  destination: QueueRef;
  /** Visible messages: what the move task will pick up. */
  messages: number;
  /** Received by someone right now; they move once their visibility timeout ends. */
  inFlight: number;
  oldestMessageAgeSeconds: number | undefined;
  rate: number | undefined;
}

interface Outcome {
  code: number;
  result: string;
  moved?: number;
  message: string;
  taskHandle?: string;
  failureReason?: string;
}

/** Parses `process.argv.slice(2)`; unknown options are usage errors (exit 2). */
export function parseRedriveArgs(argv: readonly string[]): RedriveOptions & { help?: boolean } {
  try {
    const { values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        cell: { type: "string" },
        stage: { type: "string" },
        dlq: { type: "string" },
        rate: { type: "string" },
        "dry-run": { type: "boolean" },
        json: { type: "boolean" },
        yes: { type: "boolean", short: "y" },
        help: { type: "boolean", short: "h" },
      },
    });
    return {
      cell: values.cell,
      stage: values.stage,
      dlq: values.dlq,
      rate: values.rate,
      dryRun: values["dry-run"],
      json: values.json,
      yes: values.yes,
      help: values.help,
    };
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n${USAGE}`);
  }
}

export const USAGE =
  "usage: npm run redrive -- --cell <id> --stage <stage> [--dlq fifo|queue] [--dry-run] [--rate 1..500] [--json] [--yes]";

/** `--rate`: an integer from 1 to 500, or undefined to let SQS choose. */
export function parseRate(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  const rate = Number(text);
  if (!/^\d+$/.test(text) || rate < 1 || rate > MAX_RATE) {
    throw new CliError(`--rate must be a whole number of messages per second from 1 to ${MAX_RATE}, got "${value}"`);
  }
  return rate;
}

/** Which DLQ to redrive and where its messages go back to, by the stage's delivery mode. */
export function selectQueues(cell: CellConfig, stage: StageConfig, requested: string | undefined): { dlq: DlqKind; source: string; destination: string } {
  const names = cellNames(cell.id).stage(stage.name);
  const kind = requested ?? (stage.delivery === "fifo" ? "fifo" : "queue");
  switch (kind) {
    case "fifo":
      if (stage.delivery !== "fifo") {
        throw new CliError(
          `stage "${stage.name}" uses standard delivery: it has no FIFO queue. Its dead letters are in ${names.queueDlq} (--dlq queue)`,
        );
      }
      return { dlq: "fifo", source: names.fifoDlq, destination: names.fifoQueue };
    case "queue":
      return { dlq: "queue", source: names.queueDlq, destination: names.queue };
    case "fanout":
      throw new CliError(
        `refusing to redrive ${names.fanoutDlq}: it holds SNS deliveries that failed, not messages from a queue, so a ` +
          `message move task cannot return them to their source. Inspect them (aws sqs receive-message), fix the cause, ` +
          `and re-ingest each invoice event through the API (POST /invoices/${stage.name}); then purge what was re-ingested.`,
      );
    case "router":
      throw new CliError(
        `refusing to redrive ${cellNames(cell.id).routerDlq}: it holds EventBridge rule deliveries that failed, not ` +
          `messages from a queue, so a message move task cannot return them to their source. Inspect them (aws sqs ` +
          `receive-message), fix the cause, and re-ingest each invoice event through the API (POST /invoices/<stage>); ` +
          `then purge what was re-ingested.`,
      );
    default:
      throw new CliError(`--dlq must be "fifo" or "queue" (fanout and router DLQs cannot be redriven), got "${kind}"`);
  }
}

/** Runs one redrive; returns the exit code. Usage errors throw CliError (exit 2). */
export async function redrive(options: RedriveOptions, deps: RedriveDeps): Promise<number> {
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const audit: Record<string, unknown> = { cell: options.cell, stage: options.stage, dlq: options.dlq, dryRun: Boolean(options.dryRun) };
  let outcome: Outcome | undefined;
  try {
    outcome = await run(options, deps, audit);
    return outcome.code;
  } catch (error) {
    const exitCode = error instanceof CliError ? error.exitCode : 1;
    audit.result = exitCode === EXIT.refused ? "refused" : "error";
    audit.error = error instanceof Error ? error.message : String(error);
    throw error;
  } finally {
    if (outcome) {
      audit.result = outcome.result;
      audit.moved = outcome.moved ?? 0;
      if (outcome.taskHandle) audit.taskHandle = outcome.taskHandle;
      if (outcome.failureReason) audit.failureReason = outcome.failureReason;
    }
    audit.durationMs = now() - startedAt;
    auditLine("redrive", audit, deps.audit);
  }
}

async function run(options: RedriveOptions, deps: RedriveDeps, audit: Record<string, unknown>): Promise<Outcome> {
  const fleet = deps.fleet ?? loadCliFleet();
  const cell = findCell(fleet, options.cell);
  const stage = findStage(fleet, options.stage);
  const queues = selectQueues(cell, stage, options.dlq);
  const rate = parseRate(options.rate);
  Object.assign(audit, { dlq: queues.dlq, sourceQueue: queues.source, destinationQueue: queues.destination, rate: rate ?? null });

  const sqs = deps.sqs(cell.region);
  const source = await resolveQueue(sqs, queues.source, cell);
  const destination = await resolveQueue(sqs, queues.destination, cell);
  const oldestMessageAgeSeconds = await oldestMessageAge(deps.cloudwatch(cell.region), source.name, deps.now ?? Date.now);
  const { Results: earlierTasks = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: source.arn, MaxResults: 10 }));

  const plan: Plan = {
    cell: cell.id,
    region: cell.region,
    stage: stage.name,
    dlq: queues.dlq,
    source: { name: source.name, url: source.url, arn: source.arn },
    destination: { name: destination.name, url: destination.url, arn: destination.arn },
    messages: source.visible,
    inFlight: source.inFlight,
    oldestMessageAgeSeconds,
    rate,
  };
  audit.planCount = plan.messages;
  const report = reporter(options.json ?? false, deps.out);
  report.plan(plan);

  const finish = (outcome: Outcome): Outcome => {
    report.result(outcome);
    return outcome;
  };

  const active = earlierTasks.find((task) => task.Status === "RUNNING" || task.Status === "CANCELLING");
  if (active) {
    const what = active.Status === "RUNNING" ? `already running (task ${active.TaskHandle})` : "being cancelled";
    return finish({
      code: EXIT.alreadyRunning,
      result: "already-running",
      taskHandle: active.TaskHandle,
      moved: 0,
      message:
        `refusing: a move task is ${what} on ${source.name}, started ${formatTimestamp(active.StartedTimestamp)}: ` +
        `${progressText(active, plan.messages)}. SQS allows one task per queue; wait for it to finish` +
        (active.Status === "RUNNING" ? " or cancel it (aws sqs cancel-message-move-task --task-handle <handle>)." : "."),
    });
  }
  if (plan.messages === 0) {
    const inFlight = plan.inFlight > 0 ? ` (${plan.inFlight} in flight: someone is receiving them; retry after their visibility timeout)` : "";
    return finish({ code: EXIT.done, result: "empty", moved: 0, message: `${source.name} is empty: nothing to move${inFlight}.` });
  }
  if (options.dryRun) {
    return finish({ code: EXIT.done, result: "dry-run", moved: 0, message: "dry run: no move task started." });
  }
  if (!options.yes) {
    if (!deps.confirm) {
      return finish({
        code: EXIT.refused,
        result: "refused",
        moved: 0,
        message: "refusing: stdin is not a terminal, so nobody can confirm; pass --yes to redrive from CI or a script.",
      });
    }
    const confirmed = await deps.confirm(`Move ${plan.messages} message(s) from ${source.name} to ${destination.name}? [y/N] `);
    if (!confirmed) {
      return finish({ code: EXIT.cancelled, result: "declined", moved: 0, message: "not confirmed: no move task started." });
    }
  }
  if (deps.signal?.aborted) {
    return finish({ code: EXIT.cancelled, result: "cancelled", moved: 0, message: "cancelled before starting: no move task started." });
  }

  const { TaskHandle: taskHandle } = await sqs.send(
    new StartMessageMoveTaskCommand({
      SourceArn: source.arn,
      DestinationArn: destination.arn,
      ...(rate === undefined ? {} : { MaxNumberOfMessagesPerSecond: rate }),
    }),
  );
  if (!taskHandle) throw new CliError(`SQS started no move task on ${source.name} (no task handle returned)`, EXIT.failed);
  report.started(taskHandle, plan);
  const final = await follow(sqs, deps, { taskHandle, sourceArn: source.arn, earlierTasks, plan, report });
  const moved = final.ApproximateNumberOfMessagesMoved ?? 0;
  switch (final.Status) {
    case "COMPLETED":
      return finish({
        code: EXIT.done,
        result: "completed",
        moved,
        taskHandle,
        message: `done: moved ${moved} message(s) from ${source.name} back to ${destination.name}.`,
      });
    case "FAILED":
      return finish({
        code: EXIT.failed,
        result: "failed",
        moved,
        taskHandle,
        failureReason: final.FailureReason ?? "unknown",
        message: `the move task failed after moving ${moved} message(s): ${final.FailureReason ?? "no reason given"}. The rest are still in ${source.name}.`,
      });
    default:
      return finish({
        code: EXIT.cancelled,
        result: "cancelled",
        moved,
        taskHandle,
        message: `cancelled after moving ${moved} message(s); the rest are still in ${source.name}.`,
      });
  }
}

/** Polls the task until it ends; on abort, cancels it and waits for CANCELLED. */
function follow(
  sqs: SQSClient,
  deps: RedriveDeps,
  task: { taskHandle: string; sourceArn: string; earlierTasks: ListMessageMoveTasksResultEntry[]; plan: Plan; report: Reporter },
): Promise<ListMessageMoveTasksResultEntry> {
  return followUntilFinal({
    poll: async () => {
      const { Results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: task.sourceArn, MaxResults: 10 }));
      return ourTask(Results, task.taskHandle, task.earlierTasks);
    },
    isFinal: (current) => current.Status === "COMPLETED" || current.Status === "FAILED" || current.Status === "CANCELLED",
    progressKey: (current) => `${current.Status}: ${progressText(current, task.plan.messages)}`,
    onProgress: (current) => task.report.progress(current, task.plan.messages),
    cancel: () => sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: task.taskHandle })),
    onCancelling: () => task.report.cancelling(task.taskHandle),
    onCancelRefused: (error) => task.report.note(`cancel request not accepted (${error.message}); waiting for the task's final status`),
    sleep: deps.sleep,
    intervalMs: deps.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    signal: deps.signal,
  });
}

/**
 * Our task among the source's recent ones. ListMessageMoveTasks returns the handle only while a
 * task is RUNNING, so once it ends ours is the entry that was not there before we started.
 */
function ourTask(
  results: ListMessageMoveTasksResultEntry[],
  taskHandle: string,
  earlierTasks: ListMessageMoveTasksResultEntry[],
): ListMessageMoveTasksResultEntry | undefined {
  const byHandle = results.find((entry) => entry.TaskHandle === taskHandle);
  if (byHandle) return byHandle;
  const earlier = new Set(earlierTasks.map((entry) => entry.StartedTimestamp));
  return results
    .filter((entry) => !earlier.has(entry.StartedTimestamp) && (!entry.TaskHandle || entry.TaskHandle === taskHandle))
    .sort((a, b) => (b.StartedTimestamp ?? 0) - (a.StartedTimestamp ?? 0))[0];
}

async function resolveQueue(sqs: SQSClient, name: string, cell: CellConfig): Promise<QueueRef & { visible: number; inFlight: number }> {
  let url: string | undefined;
  try {
    ({ QueueUrl: url } = await sqs.send(new GetQueueUrlCommand({ QueueName: name })));
  } catch (error) {
    const code = (error as { name?: string }).name ?? "";
    if (code === "QueueDoesNotExist" || code.includes("NonExistentQueue")) {
      throw new CliError(`queue ${name} does not exist in ${cell.region}: is cell ${cell.id} deployed (cdktf deploy cell-${cell.id})?`, EXIT.failed);
    }
    throw error;
  }
  if (!url) throw new CliError(`SQS returned no URL for queue ${name} in ${cell.region}`, EXIT.failed);
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ["QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  if (!Attributes.QueueArn) throw new CliError(`SQS returned no ARN for queue ${name} in ${cell.region}`, EXIT.failed);
  return {
    name,
    url,
    arn: Attributes.QueueArn,
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

/** The DLQ's ApproximateAgeOfOldestMessage (latest datapoint, last 15 min), or undefined. */
async function oldestMessageAge(cloudwatch: CloudWatchClient, queueName: string, now: () => number): Promise<number | undefined> {
  const end = now();
  const { MetricDataResults = [] } = await cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(end - AGE_WINDOW_MS),
      EndTime: new Date(end),
      ScanBy: "TimestampDescending",
      MetricDataQueries: [
        {
          Id: "oldest",
          MetricStat: {
            Metric: { Namespace: "AWS/SQS", MetricName: "ApproximateAgeOfOldestMessage", Dimensions: [{ Name: "QueueName", Value: queueName }] },
            Period: 60,
            Stat: "Maximum",
          },
        },
      ],
    }),
  );
  const values = MetricDataResults.find((result) => result.Id === "oldest")?.Values ?? [];
  return values.length > 0 ? values[0] : undefined;
}

interface Reporter {
  plan(plan: Plan): void;
  started(taskHandle: string, plan: Plan): void;
  progress(task: ListMessageMoveTasksResultEntry, planned: number): void;
  cancelling(taskHandle: string): void;
  note(message: string): void;
  result(outcome: Outcome): void;
}

function reporter(json: boolean, out: (line: string) => void): Reporter {
  if (json) {
    const emit = (event: string, fields: Record<string, unknown>) => out(JSON.stringify({ event, ...fields }));
    return {
      plan: (plan) =>
        emit("plan", {
          ...plan,
          oldestMessageAgeSeconds: plan.oldestMessageAgeSeconds ?? null,
          rate: plan.rate ?? null,
        }),
      started: (taskHandle) => emit("started", { taskHandle }),
      progress: (task, planned) =>
        emit("progress", {
          status: task.Status,
          moved: task.ApproximateNumberOfMessagesMoved ?? 0,
          toMove: task.ApproximateNumberOfMessagesToMove ?? planned,
          percent: percent(task, planned),
        }),
      cancelling: (taskHandle) => emit("cancelling", { taskHandle }),
      note: (message) => emit("note", { message }),
      result: ({ code, result, moved, message, taskHandle, failureReason }) =>
        emit("result", { result, exitCode: code, moved: moved ?? 0, taskHandle: taskHandle ?? null, failureReason: failureReason ?? null, message }),
    };
  }
  return {
    plan: (plan) => {
      out(`Redrive plan for cell ${plan.cell} (${plan.region}), stage ${plan.stage}`);
      out(`  source DLQ:   ${plan.source.name}`);
      out(`  destination:  ${plan.destination.name} (the queue these messages dead-lettered from)`);
      out(`  messages:     ${plan.messages}${plan.inFlight > 0 ? ` (+${plan.inFlight} in flight)` : ""}`);
      out(`  oldest:       ${plan.oldestMessageAgeSeconds === undefined ? "unknown" : formatAge(plan.oldestMessageAgeSeconds)}`);
      out(`  rate:         ${plan.rate === undefined ? `chosen by SQS (at most ${MAX_RATE} msg/s)` : `${plan.rate} msg/s`}`);
    },
    started: (taskHandle) => out(`started move task ${taskHandle}`),
    progress: (task, planned) => out(`  ${progressText(task, planned)}`),
    cancelling: (taskHandle) => out(`cancelling move task ${taskHandle} and waiting for SQS to confirm...`),
    note: (message) => out(message),
    result: ({ message }) => out(message),
  };
}

function percent(task: ListMessageMoveTasksResultEntry, planned: number): number {
  const moved = task.ApproximateNumberOfMessagesMoved ?? 0;
  const toMove = task.ApproximateNumberOfMessagesToMove ?? planned;
  if (toMove <= 0) return 100;
  return Math.min(100, Math.floor((moved / toMove) * 100));
}

function progressText(task: ListMessageMoveTasksResultEntry, planned: number): string {
  const moved = task.ApproximateNumberOfMessagesMoved ?? 0;
  const toMove = task.ApproximateNumberOfMessagesToMove ?? planned;
  return `moved ${moved} / ${toMove} (${percent(task, planned)}%)`;
}


function formatTimestamp(epochMs: number | undefined): string {
  return epochMs === undefined ? "at an unknown time" : new Date(epochMs).toISOString();
}

if (require.main === module) {
  runCli(async () => {
    const options = parseRedriveArgs(process.argv.slice(2));
    if (options.help) {
      process.stdout.write(`${USAGE}\n`);
      return EXIT.done;
    }
    return withInterruptCancel("move task", (signal) =>
      redrive(options, {
        sqs: (region) => new SQSClient({ region }),
        cloudwatch: (region) => new CloudWatchClient({ region }),
        out: (line) => process.stdout.write(`${line}\n`),
        confirm: process.stdin.isTTY ? askOnTerminal : undefined,
        sleep,
        signal,
      }),
    );
  });
}
