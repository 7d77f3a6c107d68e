/**
 * The DR path on the synthesized global and cell stacks recreated in moto: each cell forwards
 * its live events to the hub bus (cross-region bus target), the hub archives them, and a DR
 * replay started by the replay CLI (`bin/replay.ts`, against moto) comes back through the
 * target cell's replay rule. Every test starts from a freshly provisioned emulator, because
 * the archive keeps what earlier tests put on the hub.
 *
 * What moto does differently, and how the tests deal with it:
 * - StartReplay: moto replays the whole archive at once, ignoring `FilterArns` and the time
 *   window, and adds `replay-name`; the replay rules' own patterns still decide where events go.
 * - A bus target (cell -> hub, hub -> cell): moto re-puts only source, detail-type and detail on
 *   the target bus, so the event there has a new id and time and no `replay-name`. Whether the
 *   target cell's consumer accepts a replay of another cell's event depends on `replay-name`,
 *   so that test feeds the target cell's topic with the events as the hub's replay rule matched
 *   them (with `replay-name`), and says so.
 * - Because of that, a hub replay holding the target cell's own events loops in moto: they
 *   reach the cell without `replay-name`, its forwarding rule sends them back to the hub as live
 *   events, the archive appends them while moto is still iterating over it, and the replay never
 *   ends. The hub replays here therefore hold other cells' events only; replay-name on the
 *   cell's own events (loop guard, idempotent rewrite) is exercised with a replay on the cell's
 *   own bus from an archive the harness adds there, where moto keeps replay-name.
 */
import { CreateArchiveCommand, DescribeArchiveCommand, StartReplayCommand } from "@aws-sdk/client-eventbridge";
import { describe, expect, it } from "vitest";
import { replay } from "../../bin/replay";
import { parseFleet } from "../../cells/load-fleet";
import { StageConsumerRunner } from "./harness/consumer";
import type { FleetView } from "./harness/fleet";
import { carryToConsumerQueue, publishEvents, runPipeUntilIdle } from "./harness/hops";
import { invoiceBody, putDetail, putIngested } from "./harness/invoice-events";
import { depth, drain, drainJson } from "./harness/queues";
import { useFleet } from "./harness/suite";
import { currentRecords, dimensions, writtenRecords } from "./harness/timestream";
import { ACCOUNT_ID, integrationFleet } from "./setup/test-fleet";

const fleet = useFleet({ fresh: true });
const CELLS = integrationFleet().cells.map((cell) => cell.id);
const LOST = "use1-a";
const SURVIVOR = "usw2-a";

type EventJson = Record<string, unknown> & { id: string; detail: { invoiceId: string; meta: { cell: string } } };

const archivedCount = async (view: FleetView) =>
  (await view.emulator.events(view.hub.region).send(new DescribeArchiveCommand({ ArchiveName: view.hub.archive.name }))).EventCount;

/** `npm run replay -- --target-cell <cell> --from <1 h ago> --to <15 min ago> --yes --json`, against moto. */
async function runReplayCli(view: FleetView, targetCell: string): Promise<{ code: number; replayName: string }> {
  const now = Date.now();
  const audit: string[] = [];
  const code = await replay(
    {
      targetCell,
      from: new Date(now - 60 * 60_000).toISOString(),
      to: new Date(now - 15 * 60_000).toISOString(),
      yes: true,
      json: true,
    },
    {
      eventbridge: (region) => view.emulator.events(region),
      out: () => undefined,
      confirm: undefined,
      sleep: async () => undefined,
      now: () => now,
      fleet: parseFleet(JSON.stringify(integrationFleet())),
      pollIntervalMs: 0,
      audit: (line) => audit.push(line),
      env: { AWS_ACCOUNT_ID: ACCOUNT_ID },
    },
  );
  const replayName = (JSON.parse(audit.at(-1) ?? "{}") as { replayName?: string }).replayName ?? "";
  return { code, replayName };
}

describe("forwarding to the archive hub", () => {
  it.each(CELLS)("forwards %s's live events to the hub bus in the control region, which archives them", async (cellId) => {
    const view = fleet();
    const cell = view.cell(cellId);
    const { detail } = await putIngested(view.emulator, cell, "ingestion", invoiceBody());

    expect((await drainJson<EventJson>(view.emulator, view.hub.bus.observer)).map((event) => event.detail)).toEqual([detail]);
    expect(await archivedCount(view)).toBe(1);
  });

  it("does not forward an event another cell ingested (detail.meta.cell), though the stage rule routes it", async () => {
    const view = fleet();
    const cell = view.cell("use2-a");
    const foreign = await putIngested(view.emulator, view.cell(LOST), "ingestion", invoiceBody());
    await drain(view.emulator, view.hub.bus.observer);
    const archivedBefore = await archivedCount(view);
    await drain(view.emulator, cell.stage("ingestion").rule.probe);

    // The same detail (meta.cell = use1-a) put on use2-a's bus.
    await putDetail(view.emulator, cell, "ingestion", foreign.detail);
    expect(await depth(view.emulator, cell.stage("ingestion").rule.probe)).toBe(1);
    expect(await depth(view.emulator, cell.forwardRule.probe)).toBe(0);
    expect(await depth(view.emulator, view.hub.bus.observer)).toBe(0);
    expect(await archivedCount(view)).toBe(archivedBefore);
  });
});

describe(`a DR replay into ${SURVIVOR} (replay CLI against moto; moto ignores FilterArns and the window)`, () => {
  it("reaches the target cell through its replay rule only, carrying replay-name, and nothing loops back to the hub", async () => {
    const view = fleet();
    const lostEvent = await putIngested(view.emulator, view.cell(LOST), "ingestion", invoiceBody());
    const otherEvent = await putIngested(view.emulator, view.cell("use2-a"), "authorization", invoiceBody());
    expect(await archivedCount(view)).toBe(2);
    await Promise.all(view.allQueues().map((queue) => drain(view.emulator, queue)));

    const { code, replayName } = await runReplayCli(view, SURVIVOR);
    expect(code).toBe(0);
    expect(replayName).toMatch(new RegExp(`^dr-${SURVIVOR}-`));

    // At the hub: only the survivor's replay rule matched, on events carrying the replay's name.
    const replayed = await drainJson<EventJson>(view.emulator, view.hub.replayRules.get(SURVIVOR)!.probe);
    expect(replayed.map((event) => [event.detail, event["replay-name"]])).toEqual([
      [lostEvent.detail, replayName],
      [otherEvent.detail, replayName],
    ]);
    for (const [cellId, rule] of view.hub.replayRules) {
      if (cellId !== SURVIVOR) expect(await depth(view.emulator, rule.probe)).toBe(0);
    }

    // In the survivor: its stage rules route the events (moto drops replay-name on the bus hop).
    const survivor = view.cell(SURVIVOR);
    expect((await drainJson<EventJson>(view.emulator, survivor.stage("ingestion").rule.probe)).map((event) => event.detail)).toEqual([
      lostEvent.detail,
    ]);
    expect(
      (await drainJson<EventJson>(view.emulator, survivor.stage("authorization").rule.probe)).map((event) => event.detail),
    ).toEqual([otherEvent.detail]);

    // No loop: nothing forwarded back, nothing archived again, no other cell reached.
    expect(await depth(view.emulator, survivor.forwardRule.probe)).toBe(0);
    const atHub = await drainJson<EventJson>(view.emulator, view.hub.bus.observer);
    expect(atHub.map((event) => event["replay-name"])).toEqual([replayName, replayName]);
    expect(await archivedCount(view)).toBe(2);
    for (const cellId of CELLS) {
      if (cellId !== SURVIVOR) expect(await depth(view.emulator, view.cell(cellId).bus.observer)).toBe(0);
    }
  });

  it("is stored by the target cell's consumer under the lost cell's dimension (events as the hub's replay rule matched them, replay-name kept by the harness)", async () => {
    const view = fleet();
    const survivor = view.cell(SURVIVOR);
    const pipeline = survivor.stage("ingestion");
    const lostEvent = await putIngested(view.emulator, view.cell(LOST), "ingestion", invoiceBody());
    await Promise.all(view.allQueues().map((queue) => drain(view.emulator, queue)));

    const { replayName } = await runReplayCli(view, SURVIVOR);
    const replayed = await drainJson<EventJson>(view.emulator, view.hub.replayRules.get(SURVIVOR)!.probe);
    expect(replayed.map((event) => event["replay-name"])).toEqual([replayName]);
    await drain(view.emulator, pipeline.rule.probe);
    await publishEvents(view.emulator, pipeline.topic, replayed);
    await runPipeUntilIdle(view.emulator, pipeline.pipe!);

    const invocations = await new StageConsumerRunner(view.emulator, pipeline.consumer).pollUntilIdle();
    expect(invocations).toEqual([
      expect.objectContaining({ received: 1, failed: [], metrics: expect.objectContaining({ RecordsWritten: 1, ReplayedEvents: 1 }) }),
    ]);
    const stored = (await writtenRecords(view.emulator, survivor.store)).filter(
      (record) => dimensions(record).invoiceId === lostEvent.detail.invoiceId,
    );
    expect(stored.map(dimensions)).toEqual([expect.objectContaining({ cell: LOST, region: survivor.region, stage: "ingestion" })]);
  });
});

describe(`a replay on ${SURVIVOR}'s own bus (from an archive the harness adds there; moto keeps replay-name)`, () => {
  /** Puts a live event on the cell's bus, lets `beforeReplay` run, then replays the cell archive. */
  async function replayOwnEvent(view: FleetView, beforeReplay: () => Promise<void>) {
    const cell = view.cell(SURVIVOR);
    const events = view.emulator.events(cell.region);
    const { ArchiveArn } = await events.send(new CreateArchiveCommand({ ArchiveName: "itest-cell-archive", EventSourceArn: cell.bus.arn }));
    const live = await putIngested(view.emulator, cell, "ingestion", invoiceBody());
    await beforeReplay();
    await Promise.all(view.allQueues().map((queue) => drain(view.emulator, queue)));
    const replayName = `dr-${cell.id}-own-bus`;
    await events.send(
      new StartReplayCommand({
        ReplayName: replayName,
        EventSourceArn: ArchiveArn,
        EventStartTime: new Date(Date.now() - 3_600_000),
        EventEndTime: new Date(),
        Destination: { Arn: cell.bus.arn },
      }),
    );
    return { cell, live, replayName };
  }

  it("is routed by the stage rule and not forwarded to the hub again (loop guard on replay-name)", async () => {
    const view = fleet();
    const { cell, live, replayName } = await replayOwnEvent(view, async () => {
      expect(await depth(view.emulator, view.cell(SURVIVOR).forwardRule.probe)).toBe(1);
    });
    const routed = await drainJson<EventJson>(view.emulator, cell.stage("ingestion").rule.probe);
    expect(routed).toEqual([expect.objectContaining({ detail: live.detail, "replay-name": replayName })]);
    expect(await depth(view.emulator, cell.forwardRule.probe)).toBe(0);
    expect(await depth(view.emulator, view.hub.bus.observer)).toBe(0);
  });

  it("rewrites the record the live event stored, identically: an idempotent upsert", async () => {
    const view = fleet();
    const pipeline = view.cell(SURVIVOR).stage("ingestion");
    const consumer = new StageConsumerRunner(view.emulator, pipeline.consumer);
    const { live } = await replayOwnEvent(view, async () => {
      await carryToConsumerQueue(view.emulator, pipeline);
      expect(await consumer.pollUntilIdle()).toEqual([expect.objectContaining({ received: 1, failed: [] })]);
    });
    await carryToConsumerQueue(view.emulator, pipeline);
    expect(await consumer.pollUntilIdle()).toEqual([
      expect.objectContaining({ received: 1, failed: [], metrics: expect.objectContaining({ RecordsWritten: 1, ReplayedEvents: 1 }) }),
    ]);

    const written = (await writtenRecords(view.emulator, view.cell(SURVIVOR).store)).filter(
      (record) => dimensions(record).invoiceId === live.detail.invoiceId,
    );
    expect(written).toHaveLength(2);
    expect(written[1]).toEqual(written[0]);
    expect(currentRecords(written)).toEqual({ records: [written[0]], conflicts: [] });
  });
});
