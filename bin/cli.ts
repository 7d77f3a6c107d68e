import { userInfo } from "node:os";
import { createInterface } from "node:readline";
import path from "node:path";
import type { CellConfig, FleetConfig, StageConfig } from "../cells/fleet-schema";
import { loadFleet } from "../cells/load-fleet";

/** A failure the operator can act on: printed as one line, never with a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    /** Process exit code (documented per CLI). */
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** The fleet the CLIs work on: `CELLFLEET_CONFIG`, else `cells/fleet.json`. */
export function loadCliFleet(env: NodeJS.ProcessEnv = process.env): FleetConfig {
  return loadFleet(env.CELLFLEET_CONFIG ?? path.join(__dirname, "..", "cells", "fleet.json"));
}

export function findCell(fleet: FleetConfig, id: string | undefined): CellConfig {
  if (!id) throw new CliError(`--cell is required (one of ${fleet.cells.map((c) => c.id).join(", ")})`);
  const cell = fleet.cells.find((candidate) => candidate.id === id);
  if (!cell) throw new CliError(`unknown cell "${id}" (one of ${fleet.cells.map((c) => c.id).join(", ")})`);
  return cell;
}

export function findStage(fleet: FleetConfig, name: string | undefined): StageConfig {
  if (!name) throw new CliError(`--stage is required (one of ${fleet.stages.map((s) => s.name).join(", ")})`);
  const stage = fleet.stages.find((candidate) => candidate.name === name);
  if (!stage) throw new CliError(`unknown stage "${name}" (one of ${fleet.stages.map((s) => s.name).join(", ")})`);
  return stage;
}

/** One JSON line on stderr per operator action, for the audit trail (who, what, result). */
export function auditLine(tool: string, fields: Record<string, unknown>, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): void {
  let who: string;
  try {
    who = process.env.CELLFLEET_OPERATOR ?? userInfo().username;
  } catch {
    who = "unknown";
  }
  write(JSON.stringify({ audit: tool, at: new Date().toISOString(), who, ...fields }));
}

/**
 * Runs a CLI's main function: its exit code on success, one line and a non-zero code on
 * failure (config errors included). `CELLFLEET_DEBUG=1` adds the stack.
 */
export function runCli(main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(`${message}\n`);
      if (process.env.CELLFLEET_DEBUG) console.error(error);
      process.exitCode = error instanceof CliError ? error.exitCode : 1;
    },
  );
}

/** `45s`, `12m 5s`, `3h 4m`, `2d 3h`. */
export function formatAge(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** Asks on the terminal; Ctrl-C at the prompt answers no. */
export function askOnTerminal(question: string): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    rl.on("SIGINT", () => {
      rl.close();
      resolve(false);
    });
    rl.question(question, (answer) => {
      rl.close();
      resolve(/^y(es)?$/i.test(answer.trim()));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` with a signal that the first Ctrl-C aborts (the tool then cancels what it started
 * and waits); a second Ctrl-C exits at once with 130.
 */
export async function withInterruptCancel<T>(what: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onInterrupt = () => {
    if (!controller.signal.aborted) {
      process.stderr.write(`interrupted: cancelling the ${what} (Ctrl-C again to stop waiting; the ${what} may still be cancelling)\n`);
      controller.abort();
    } else {
      process.exit(130);
    }
  };
  process.on("SIGINT", onInterrupt);
  try {
    return await work(controller.signal);
  } finally {
    process.off("SIGINT", onInterrupt);
  }
}

/** Sleeps, waking early when the signal aborts (once aborted, sleeps normally while cancelling). */
export async function pauseUnlessAborted(sleepFor: (ms: number) => Promise<void>, ms: number, signal?: AbortSignal): Promise<void> {
  if (!signal || signal.aborted) return sleepFor(ms);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve;
    signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await Promise.race([sleepFor(ms), aborted]);
  } finally {
    signal.removeEventListener("abort", onAbort!);
  }
}

/**
 * Polls a long-running AWS task (a move task, a replay) until it reaches a final state,
 * reporting progress when it changes; when the signal aborts, asks once to cancel it and keeps
 * polling until its final state says how it ended.
 */
export async function followUntilFinal<T>(options: {
  readonly poll: () => Promise<T | undefined>;
  readonly isFinal: (status: T) => boolean;
  /** Progress is reported when this changes. */
  readonly progressKey: (status: T) => string;
  readonly onProgress: (status: T) => void;
  readonly cancel: () => Promise<unknown>;
  readonly onCancelling: () => void;
  readonly onCancelRefused: (error: Error) => void;
  readonly sleep: (ms: number) => Promise<void>;
  readonly intervalMs: number;
  readonly signal?: AbortSignal;
}): Promise<T> {
  let cancelRequested = false;
  let lastKey = "";
  for (;;) {
    if (options.signal?.aborted && !cancelRequested) {
      cancelRequested = true;
      options.onCancelling();
      try {
        await options.cancel();
      } catch (error) {
        // It may have ended meanwhile (then it cannot be cancelled); its final state tells.
        options.onCancelRefused(error as Error);
      }
    }
    const current = await options.poll();
    if (current !== undefined) {
      if (options.isFinal(current)) return current;
      const key = options.progressKey(current);
      if (key !== lastKey) options.onProgress(current);
      lastKey = key;
    }
    await pauseUnlessAborted(options.sleep, options.intervalMs, options.signal);
  }
}
