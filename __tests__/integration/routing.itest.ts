/**
 * Routing in a cell, on the synthesized rules, topics and subscriptions recreated in moto:
 * bus -> stage rule -> stage topic -> stage queue and downstream subscribers, plus the
 * forwarding rule to the hub. moto cannot deliver a rule to an SNS topic, so each stage rule's
 * SQS probe stands in for its topic and the harness publishes what arrived there to the topic.
 */
import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { describe, expect, it } from "vitest";
import { INGEST_EVENT_SOURCE } from "../../functions/shared/invoice-event";
import { InvoiceEventBridgeEventSchema } from "../../functions/stage-consumer/event";
import { relayRuleToTopic } from "./harness/hops";
import { ingestedDetail, invoiceBody, putDetail, putIngested } from "./harness/invoice-events";
import { depth, drainJson } from "./harness/queues";
import { useFleet } from "./harness/suite";
import {
  FILTERED_STAGE,
  integrationFleet,
  LARGE_INVOICE_AMOUNT,
  Subscribers,
  subscriberQueueName,
} from "./setup/test-fleet";

const fleet = useFleet();
const STAGES = integrationFleet().stages as string[];
/** In us-east-2: forwarding to the hub (us-east-1) crosses regions. */
const CELL = "use2-a";

type EventJson = Record<string, unknown> & { id: string; detail: Record<string, unknown> };

describe(`a cell's bus (${CELL})`, () => {
  it.each(STAGES)(
    "routes an event of stage %s to that stage's rule and the hub forwarding rule only (rule -> SNS stood in for by an SQS probe)",
    async (stage) => {
      const { emulator, hub } = fleet();
      const cell = fleet().cell(CELL);
      const { eventId, detail } = await putIngested(emulator, cell, stage, invoiceBody());

      const matched: Record<string, EventJson[]> = {};
      for (const view of cell.stages.values()) matched[view.rule.name] = await drainJson<EventJson>(emulator, view.rule.probe);
      matched[cell.forwardRule.name] = await drainJson<EventJson>(emulator, cell.forwardRule.probe);
      expect(Object.entries(matched).filter(([, events]) => events.length > 0).map(([rule]) => rule).sort()).toEqual(
        [cell.stage(stage).rule.name, cell.forwardRule.name].sort(),
      );
      const [routed] = matched[cell.stage(stage).rule.name] ?? [];
      expect(routed).toMatchObject({ id: eventId, source: INGEST_EVENT_SOURCE, "detail-type": stage, detail });
      expect(matched[cell.stage(stage).rule.name]).toHaveLength(1);

      // Forwarded across regions: the hub bus saw it, no replay rule fired on it.
      const atHub = await drainJson<EventJson>(emulator, hub.bus.observer);
      expect(atHub.map((event) => event.detail)).toEqual([detail]);
      for (const rule of hub.replayRules.values()) expect(await depth(emulator, rule.probe)).toBe(0);
    },
  );

  it.each(STAGES)(
    "delivers an event of stage %s through the stage topic to that stage queue only, as the EventBridge event the consumer parses",
    async (stage) => {
      const { emulator } = fleet();
      const cell = fleet().cell(CELL);
      const pipeline = cell.stage(stage);
      await putIngested(emulator, cell, stage, invoiceBody());
      const [published] = await relayRuleToTopic(emulator, pipeline.rule);

      const delivered = await drainJson(emulator, pipeline.stageQueue);
      expect(delivered).toEqual([published]);
      expect(InvoiceEventBridgeEventSchema.safeParse(delivered[0]).success).toBe(true);
      for (const other of cell.stages.values()) {
        if (other.stage !== stage) expect(await depth(emulator, other.stageQueue)).toBe(0);
      }
    },
  );

  it("neither routes nor forwards an event from another source", async () => {
    const { emulator } = fleet();
    const cell = fleet().cell(CELL);
    const detail = ingestedDetail(cell.id, "ingestion", invoiceBody());
    await emulator.events(cell.region).send(
      new PutEventsCommand({
        Entries: [{ Source: "someone.else", DetailType: "ingestion", EventBusName: cell.bus.name, Detail: JSON.stringify(detail) }],
      }),
    );
    for (const view of cell.stages.values()) expect(await depth(emulator, view.rule.probe)).toBe(0);
    expect(await depth(emulator, cell.forwardRule.probe)).toBe(0);

    // The same detail from the ingest API is routed and forwarded.
    await putDetail(emulator, cell, "ingestion", detail);
    expect(await depth(emulator, cell.stage("ingestion").rule.probe)).toBe(1);
    expect(await depth(emulator, cell.forwardRule.probe)).toBe(1);
  });

  it("routes an event whose detail-type is no stage to no stage rule", async () => {
    const { emulator } = fleet();
    const cell = fleet().cell(CELL);
    await putDetail(emulator, cell, "archiving", { invoiceId: "INV-NOT-A-STAGE" });
    for (const view of cell.stages.values()) expect(await depth(emulator, view.rule.probe)).toBe(0);
  });
});

describe(`the ${FILTERED_STAGE} topic's subscribers (filter policies on the message body)`, () => {
  it("receive an event only where their filter policy matches, as the raw EventBridge event", async () => {
    const { emulator } = fleet();
    const cell = fleet().cell(CELL);
    const pipeline = cell.stage(FILTERED_STAGE);
    const subscriber = (name: string) => {
      const found = pipeline.subscribers.find((candidate) => candidate.queue.name === subscriberQueueName(name, CELL));
      if (!found) throw new Error(`no subscriber ${name} on ${pipeline.topic.name}`);
      return found;
    };
    const smallEuro = await putIngested(emulator, cell, FILTERED_STAGE, invoiceBody({ currency: "EUR", invoiceAmount: 120 }));
    const largeDollar = await putIngested(
      emulator,
      cell,
      FILTERED_STAGE,
      invoiceBody({ currency: "USD", invoiceAmount: LARGE_INVOICE_AMOUNT + 0.01 }),
    );
    const smallDollar = await putIngested(emulator, cell, FILTERED_STAGE, invoiceBody({ currency: "USD", invoiceAmount: 99 }));
    const published = await relayRuleToTopic(emulator, pipeline.rule);
    expect(published).toHaveLength(3);

    const ids = (events: EventJson[]) => events.map((event) => event.id).sort();
    const eurLedger = await drainJson<EventJson>(emulator, subscriber(Subscribers.eurLedger).queue);
    const largeInvoices = await drainJson<EventJson>(emulator, subscriber(Subscribers.largeInvoices).queue);
    const stageQueue = await drainJson<EventJson>(emulator, pipeline.stageQueue);
    expect(ids(eurLedger)).toEqual([smallEuro.eventId]);
    expect(ids(largeInvoices)).toEqual([largeDollar.eventId]);
    expect(ids(stageQueue)).toEqual([smallEuro.eventId, largeDollar.eventId, smallDollar.eventId].sort());
    // Raw delivery: the body is the event the rule delivered, byte for byte.
    expect(eurLedger).toEqual(published.filter((event) => event.id === smallEuro.eventId));
  });

  it("deliver the SNS envelope to a subscriber without raw delivery (authorization audit), the event as its Message", async () => {
    const { emulator } = fleet();
    const cell = fleet().cell(CELL);
    const pipeline = cell.stage("authorization");
    const audit = pipeline.subscribers.find((candidate) => candidate.queue.name === subscriberQueueName(Subscribers.audit, CELL));
    expect(audit?.rawMessageDelivery).toBe(false);
    await putIngested(emulator, cell, "authorization", invoiceBody());
    const [published] = await relayRuleToTopic(emulator, pipeline.rule);

    const envelopes = await drainJson<{ Type: string; TopicArn: string; Message: string }>(emulator, audit!.queue);
    expect(envelopes).toHaveLength(1);
    expect(envelopes[0]).toMatchObject({ Type: "Notification", TopicArn: pipeline.topic.arn });
    expect(JSON.parse(envelopes[0]!.Message)).toEqual(published);
  });
});
