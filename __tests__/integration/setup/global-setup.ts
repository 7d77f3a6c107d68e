/**
 * vitest global setup of the integration tests (runs once, in the main process):
 *
 * 1. `.ci/python-tools` makes sure `<repo>/.venv` holds the pinned `moto[server]` (idempotent).
 * 2. The app is synthesized into a fresh temporary directory with the integration fleet
 *    (`test-fleet.ts`), so the tests never read a stale `cdktf.out`.
 * 3. `moto_server` starts on a free loopback port; the tests get its endpoint and the synth
 *    directory through `inject("motoEndpoint")` / `inject("synthDir")`.
 *
 * The returned teardown stops the server and removes the temporary directory
 * (CELLFLEET_KEEP_ITEST_DIR=1 keeps it, and says where).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { integrationFleet } from "./test-fleet";

declare module "vitest" {
  export interface ProvidedContext {
    /** `http://127.0.0.1:<port>` of the moto server. */
    motoEndpoint: string;
    /** The synth output (`manifest.json`, `stacks/<stack>/cdk.tf.json`) of the integration fleet. */
    synthDir: string;
  }
}

const ROOT = path.resolve(__dirname, "..", "..", "..");
const MOTO_START_TIMEOUT_MS = 30_000;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  ensurePythonTools();
  const workDir = mkdtempSync(path.join(tmpdir(), "cellfleet-itest-"));
  let moto: ChildProcess | undefined;
  const teardown = async () => {
    if (moto) await stop(moto);
    if (process.env.CELLFLEET_KEEP_ITEST_DIR) console.log(`integration: kept ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  };
  try {
    const synthDir = synthesize(workDir);
    const started = await startMoto();
    moto = started.process;
    project.provide("motoEndpoint", started.endpoint);
    project.provide("synthDir", synthDir);
    return teardown;
  } catch (error) {
    await teardown();
    throw error;
  }
}

function ensurePythonTools(): void {
  const result = spawnSync(path.join(ROOT, ".ci", "python-tools"), [], { cwd: ROOT, encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`.ci/python-tools failed (exit ${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`);
  }
}

function synthesize(workDir: string): string {
  const fleetFile = path.join(workDir, "fleet.json");
  const outDir = path.join(workDir, "cdktf.out");
  writeFileSync(fleetFile, JSON.stringify(integrationFleet(), null, 2));
  const result = spawnSync(path.join(ROOT, "node_modules", ".bin", "tsx"), ["main.ts"], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, CDKTF_OUTDIR: outDir, CELLFLEET_CONFIG: fleetFile, CHECKPOINT_DISABLE: "1" },
  });
  if (result.status !== 0) {
    throw new Error(`synth of the integration fleet failed (exit ${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`);
  }
  return outDir;
}

async function startMoto(): Promise<{ process: ChildProcess; endpoint: string }> {
  const port = await freeLoopbackPort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(path.join(ROOT, ".venv", "bin", "moto_server"), ["-H", "127.0.0.1", "-p", String(port)], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "pipe"],
  });
  // moto logs every request on stderr: keep the tail for a failure message, drop the rest.
  let tail = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    tail = (tail + chunk).slice(-4000);
  });
  let exited: string | undefined;
  child.on("exit", (code, signal) => {
    exited = `exited with ${code ?? signal}`;
  });
  // Should vitest end without running the teardown, the server does not outlive it.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  child.once("exit", () => process.off("exit", killOnExit));
  child.on("error", (error) => {
    exited = error.message;
  });

  const deadline = Date.now() + MOTO_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`moto_server ${exited}:\n${tail}`);
    try {
      await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(1000) });
      return { process: child, endpoint };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await stop(child);
  throw new Error(`moto_server did not answer on ${endpoint} within ${MOTO_START_TIMEOUT_MS / 1000} s:\n${tail}`);
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("no port assigned"));
      });
    });
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
  if (!killed) {
    child.kill("SIGKILL");
    await exited;
  }
}
