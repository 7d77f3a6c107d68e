import { beforeAll, describe, expect, it } from "vitest";
import { replayName } from "../../cells/naming";
import { ARCHIVE_PATTERN } from "../../stacks/archive-hub";
import { buildTestFleet, fleet, synthStack, type SynthesizedStack } from "../support/fleet";
import { ACCOUNT, PARTITION, byName, patternMatches, ref, resourcesOf, statementsOf } from "./terraform-json";

const config = fleet();
const CELLS = config.cells.map((cell) => cell.id);

/** An event as the ingest API of `cell` puts it on its bus (optionally replayed). */
function invoiceEvent(cell: string, stage = "ingestion", replay?: string): Record<string, unknown> {
  return {
    version: "0",
    id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": stage,
    source: "cellfleet.ingest",
    account: "123456789012",
    time: "2026-11-25T08:00:00Z",
    region: "us-east-1",
    resources: [],
    detail: { invoiceId: "INV-1", meta: { cell, stage, receivedAt: 1, requestId: "r" } },
    ...(replay ? { "replay-name": replay } : {}),
  };
}

describe("disaster recovery: forwarding, archive hub and replay rules", () => {
  let global: SynthesizedStack;
  const cells = new Map<string, SynthesizedStack>();

  beforeAll(() => {
    const stacks = buildTestFleet(config);
    global = synthStack(stacks.global).parsed;
    for (const [id, stack] of stacks.cells) cells.set(id, synthStack(stack).parsed);
  });

  const patternOf = (stack: SynthesizedStack, ruleName: string) =>
    JSON.parse(byName(stack, "aws_cloudwatch_event_rule", ruleName).block["event_pattern"] as string) as Record<string, unknown>;

  describe("each cell forwards its own live events to the hub", () => {
    it.each(CELLS)("%s forwards live events it ingested, of every stage", (cell) => {
      const pattern = patternOf(cells.get(cell)!, `${cell}-forward-to-hub`);
      for (const stage of config.stages) expect(patternMatches(pattern, invoiceEvent(cell, stage.name))).toBe(true);
    });

    it.each(CELLS)("%s does not forward a replayed event, nor one another cell ingested (loop guard)", (cell) => {
      const pattern = patternOf(cells.get(cell)!, `${cell}-forward-to-hub`);
      expect(patternMatches(pattern, invoiceEvent(cell, "ingestion", replayName(cell, new Date())))).toBe(false);
      const other = CELLS.find((candidate) => candidate !== cell)!;
      expect(patternMatches(pattern, invoiceEvent(other))).toBe(false);
      expect(patternMatches(pattern, invoiceEvent(other, "ingestion", replayName(cell, new Date())))).toBe(false);
    });

    it("processes replayed events in the stage rules: only the forwarding rule excludes them", () => {
      const stack = cells.get("use2-a")!;
      for (const stage of config.stages) {
        const pattern = patternOf(stack, `use2-a-${stage.name}`);
        expect(patternMatches(pattern, invoiceEvent("use1-a", stage.name, replayName("use2-a", new Date())))).toBe(true);
      }
    });

    it("targets the hub bus in the control region with a role that may put events there and nowhere else", () => {
      const stack = cells.get("usw2-a")!;
      const rule = byName(stack, "aws_cloudwatch_event_rule", "usw2-a-forward-to-hub");
      const target = Object.values(resourcesOf(stack, "aws_cloudwatch_event_target")).find(
        (t) => t["rule"] === ref("aws_cloudwatch_event_rule", rule.id, "name"),
      )!;
      const hubArn = `arn:${PARTITION}:events:us-east-1:${ACCOUNT}:event-bus/cellfleet-archive-hub`;
      expect(target["arn"]).toBe(hubArn);
      expect(target["dead_letter_config"]).toBeDefined();
      expect(target["retry_policy"]).toBeDefined();
      const role = byName(stack, "aws_iam_role", "usw2-a-forward-to-hub");
      const policy = Object.values(resourcesOf(stack, "aws_iam_role_policy")).find((p) => p["role"] === ref("aws_iam_role", role.id, "id"))!;
      expect(statementsOf(stack, policy["policy"])).toEqual([{ effect: "Allow", actions: ["events:PutEvents"], resources: [hubArn] }]);
      const [trust] = statementsOf(stack, role.block["assume_role_policy"]);
      expect(trust!.principals).toEqual([{ type: "Service", identifiers: ["events.amazonaws.com"] }]);
      expect(trust!.condition?.map((c) => c.variable).sort()).toEqual(["aws:SourceAccount", "aws:SourceArn"]);
    });
  });

  describe("the hub", () => {
    it("archives the hub's live events for the configured retention, never a replay passing through", () => {
      const archive = byName(global, "aws_cloudwatch_event_archive", "cellfleet-archive").block;
      expect(archive["retention_days"]).toBe(config.global.archiveRetentionDays);
      const bus = byName(global, "aws_cloudwatch_event_bus", "cellfleet-archive-hub");
      expect(archive["event_source_arn"]).toBe(ref("aws_cloudwatch_event_bus", bus.id, "arn"));
      const pattern = JSON.parse(archive["event_pattern"] as string) as Record<string, unknown>;
      expect(pattern).toEqual(ARCHIVE_PATTERN);
      expect(patternMatches(pattern, invoiceEvent("use1-a"))).toBe(true);
      expect(patternMatches(pattern, invoiceEvent("use1-a", "ingestion", replayName("use2-a", new Date())))).toBe(false);
    });

    it.each(CELLS)("sends replays named dr-%s-... to that cell's bus and to no other", (cell) => {
      const replay = replayName(cell, new Date("2026-11-25T08:00:00Z"));
      for (const candidate of CELLS) {
        const pattern = patternOf(global, `cellfleet-replay-${candidate}`);
        expect(patternMatches(pattern, invoiceEvent("use1-a", "ingestion", replay)), `${candidate} rule`).toBe(candidate === cell);
        // A live event on the hub is archived, never replayed to a cell.
        expect(patternMatches(pattern, invoiceEvent(candidate))).toBe(false);
      }
    });

    it("does not mistake a cell whose id merely shares a beginning for it (dr-use1-a- vs dr-use1-ab-)", () => {
      const pattern = { "replay-name": [{ prefix: "dr-use1-a-" }] };
      expect(patternMatches(pattern, { "replay-name": "dr-use1-ab-20261125T080000Z" })).toBe(false);
    });

    it("targets each cell's bus with a role limited to the cells' buses, retries and a DLQ", () => {
      const role = byName(global, "aws_iam_role", "cellfleet-replay-to-cells");
      const policy = Object.values(resourcesOf(global, "aws_iam_role_policy")).find((p) => p["role"] === ref("aws_iam_role", role.id, "id"))!;
      const busArns = config.cells.map((cell) => `arn:${PARTITION}:events:${cell.region}:${ACCOUNT}:event-bus/${cell.id}-invoices`);
      expect(statementsOf(global, policy["policy"])).toEqual([{ effect: "Allow", actions: ["events:PutEvents"], resources: busArns }]);
      for (const cell of config.cells) {
        const rule = byName(global, "aws_cloudwatch_event_rule", `cellfleet-replay-${cell.id}`);
        const target = Object.values(resourcesOf(global, "aws_cloudwatch_event_target")).find(
          (t) => t["rule"] === ref("aws_cloudwatch_event_rule", rule.id, "name"),
        )!;
        expect(target).toMatchObject({
          arn: `arn:${PARTITION}:events:${cell.region}:${ACCOUNT}:event-bus/${cell.id}-invoices`,
          role_arn: ref("aws_iam_role", role.id, "arn"),
          dead_letter_config: { arn: expect.stringContaining("aws_sqs_queue.") },
          retry_policy: expect.any(Object),
        });
      }
    });
  });
});
