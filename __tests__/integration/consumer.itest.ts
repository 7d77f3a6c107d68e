/**
 * Stage queue -> (pipe) -> consumer -> Timestream, on the synthesized queues, redrive policies,
 * pipe target parameters, consumer environment and Timestream tables recreated in moto. The
 * consumer is the real handler (`createHandler` + `TimestreamSink`) run in-process; the pipe
 * (which moto does not run) is emulated by the harness with the synthesized parameters; rule ->
 * SNS is relayed by the harness (moto answers 500 for an SNS target).
 */
import { describe, expect, it } from "vitest";
import { StageConsumerRunner } from "./harness/consumer";
import type { StagePipelineView } from "./harness/fleet";
import { carryToConsumerQueue, publishEvents, relayRuleToTopic, runPipe, runPipeUntilIdle } from "./harness/hops";
import { ingestedDetail, invoiceBody, putDetail, putIngested } from "./harness/invoice-events";
import { deleteMessages, depth, drain, drainJson, receiveOnce } from "./harness/queues";
import { useFleet } from "./harness/suite";
import { currentRecords, dimensions, measures, writtenRecords } from "./harness/timestream";
import { STANDARD_STAGE } from "./setup/test-fleet";

const fleet = useFleet();
const CELL = "use1-a";
const FIFO_STAGE = "ingestion";

const recordsOf = async (cellId: string, invoiceId: string) =>
  (await writtenRecords(fleet().emulator, fleet().cell(cellId).store)).filter((record) => dimensions(record).invoiceId === invoiceId);

/** Runs the consumer until its queue stops delivering (what moves to a DLQ moves on a receive). */
const consumeAll = (pipeline: StagePipelineView) => new StageConsumerRunner(fleet().emulator, pipeline.consumer).pollUntilIdle();

describe(`a fifo stage (${FIFO_STAGE}; pipe emulated by the harness)`, () => {
  it("puts each event in its invoice's message group, deduplicated by event id, the original event as the body", async () => {
    const { emulator } = fleet();
    const cell = fleet().cell(CELL);
    const pipeline = cell.stage(FIFO_STAGE);
    expect(pipeline.deliveryMode).toBe("fifo");
    const first = invoiceBody();
    const a0 = await putIngested(emulator, cell, FIFO_STAGE, first);
    const a1 = await putIngested(emulator, cell, FIFO_STAGE, { ...first, sequence: 1, eventTime: "2025-02-01T08:00:00Z" });
    const b0 = await putIngested(emulator, cell, FIFO_STAGE, invoiceBody());
    const published = await relayRuleToTopic(emulator, pipeline.rule);

    expect(await runPipeUntilIdle(emulator, pipeline.pipe!)).toEqual({ forwarded: 3, failed: [] });
    const messages = await receiveOnce(emulator, pipeline.consumerQueue);
    await deleteMessages(emulator, pipeline.consumerQueue, messages);
    expect(
      messages.map((message) => ({
        group: message.attributes.MessageGroupId,
        dedup: message.attributes.MessageDeduplicationId,
        body: JSON.parse(message.body) as unknown,
      })),
    ).toEqual(
      [a0, a1, b0].map((put, i) => ({ group: put.detail.invoiceId, dedup: put.eventId, body: published[i] })),
    );
    expect(await depth(emulator, pipeline.stageQueue)).toBe(0);
  });

  it("writes one Timestream record per event to the cell's table (the synthesized database, table and region)", async () => {
    const { emulator } = fleet();
    const cell = fleet().cell(CELL);
    const pipeline = cell.stage(FIFO_STAGE);
    const body = invoiceBody({ invoiceAmount: 4200.75, ppv: -3.5, currency: "EUR", status: "received", sequence: 2 });
    const { detail } = await putIngested(emulator, cell, FIFO_STAGE, body);
    await carryToConsumerQueue(emulator, pipeline);

    const invocations = await consumeAll(pipeline);
    expect(invocations).toHaveLength(1);
    expect(invocations[0]).toMatchObject({ received: 1, failed: [], metrics: { RecordsWritten: 1, InvalidInvoiceEvents: 0 } });
    const [record, ...others] = await recordsOf(CELL, body.invoiceId);
    expect(others).toEqual([]);
    expect(dimensions(record!)).toEqual({
      invoiceId: body.invoiceId,
      stage: FIFO_STAGE,
      cell: CELL,
      region: cell.region,
      payeeCode: body.payeeCode,
      legalEntityId: body.legalEntityId,
    });
    expect(record).toMatchObject({
      MeasureName: "invoice_event",
      MeasureValueType: "MULTI",
      Time: String(Date.parse(body.eventTime)),
      TimeUnit: "MILLISECONDS",
      Version: body.sequence + 1,
    });
    expect(measures(record!)).toMatchObject({
      invoiceAmount: { value: "4200.75", type: "DOUBLE" },
      ppv: { value: "-3.5", type: "DOUBLE" },
      currency: { value: "EUR", type: "VARCHAR" },
      status: { value: "received", type: "VARCHAR" },
      requestId: { value: detail.meta.requestId, type: "VARCHAR" },
      sequence: { value: "2", type: "BIGINT" },
    });
    expect(await depth(emulator, pipeline.consumerQueue)).toBe(0);
  });

  it("writes to the store region when the cell's region has no Timestream (usw1-a in us-west-1 -> us-west-2)", async () => {
    const { emulator } = fleet();
    const cell = fleet().cell("usw1-a");
    expect(cell.store.region).not.toBe(cell.region);
    const pipeline = cell.stage(FIFO_STAGE);
    const body = invoiceBody();
    await putIngested(emulator, cell, FIFO_STAGE, body);
    await carryToConsumerQueue(emulator, pipeline);
    await consumeAll(pipeline);

    const records = await recordsOf("usw1-a", body.invoiceId);
    expect(records.map(dimensions)).toEqual([expect.objectContaining({ cell: "usw1-a", region: cell.region })]);
  });

  it("lets a redelivered copy of the same event (same event id) through to the consumer once", async () => {
    const { emulator } = fleet();
    const cell = fleet().cell(CELL);
    const pipeline = cell.stage(FIFO_STAGE);
    const body = invoiceBody();
    await putIngested(emulator, cell, FIFO_STAGE, body);
    const published = await relayRuleToTopic(emulator, pipeline.rule);
    // SNS and SQS deliver at least once: the same event twice in the stage queue.
    await publishEvents(emulator, pipeline.topic, published);
    expect(await depth(emulator, pipeline.stageQueue)).toBe(2);

    expect((await runPipeUntilIdle(emulator, pipeline.pipe!)).forwarded).toBe(2);
    expect(await depth(emulator, pipeline.consumerQueue)).toBe(1);
    await consumeAll(pipeline);
    expect(await recordsOf(CELL, body.invoiceId)).toHaveLength(1);
  });

  it("stores a message redelivered after its write (the invocation timed out before the delete) as an idempotent upsert", async () => {
    const { emulator } = fleet();
    const cell = fleet().cell(CELL);
    const pipeline = cell.stage(FIFO_STAGE);
    const body = invoiceBody();
    await putIngested(emulator, cell, FIFO_STAGE, body);
    await carryToConsumerQueue(emulator, pipeline);
    const consumer = new StageConsumerRunner(emulator, pipeline.consumer);

    expect(await consumer.poll({ timesOutAfterHandling: true })).toMatchObject({ metrics: { RecordsWritten: 1 } });
    expect(await consumer.poll()).toMatchObject({ received: 1, failed: [], metrics: { RecordsWritten: 1 } });
    expect(await consumer.poll()).toBeUndefined();

    const written = await recordsOf(CELL, body.invoiceId);
    expect(written).toHaveLength(2);
    expect(written[1]).toEqual(written[0]);
    const { records, conflicts } = currentRecords(written);
    expect(records).toHaveLength(1);
    expect(conflicts).toEqual([]);
  });

  it(
    "sends a poison message to the FIFO DLQ after maxReceiveCount receives, its invoice's later event with it " +
      "(skipGroupOnError), and stores the other invoices",
    async () => {
      const { emulator } = fleet();
      const cell = fleet().cell(CELL);
      const pipeline = cell.stage(FIFO_STAGE);
      const redrive = pipeline.consumerQueue.redrive!;
      expect(redrive.deadLetterQueue.fifo).toBe(true);

      const poisoned = invoiceBody();
      const poison = await putDetail(emulator, cell, FIFO_STAGE, {
        ...ingestedDetail(cell.id, FIFO_STAGE, poisoned),
        invoiceAmount: "a lot",
      });
      const later = await putIngested(emulator, cell, FIFO_STAGE, { ...poisoned, sequence: 1, eventTime: "2025-02-02T00:00:00Z" });
      const healthy = await putIngested(emulator, cell, FIFO_STAGE, invoiceBody());
      await carryToConsumerQueue(emulator, pipeline);

      const invocations = await consumeAll(pipeline);
      expect(invocations).toHaveLength(redrive.maxReceiveCount);
      expect(invocations[0]).toMatchObject({ received: 3, metrics: { RecordsWritten: 1, InvalidInvoiceEvents: 1 } });
      expect(invocations.slice(1).every((invocation) => invocation.received === 2 && invocation.failed.length === 2)).toBe(true);

      const deadLettered = await drain(emulator, redrive.deadLetterQueue);
      expect(deadLettered.map((message) => (JSON.parse(message.body) as { id: string }).id)).toEqual([poison, later.eventId]);
      expect(deadLettered.map((message) => Number(message.attributes.ApproximateReceiveCount))).toEqual([
        redrive.maxReceiveCount + 1,
        redrive.maxReceiveCount + 1,
      ]);
      expect(await depth(emulator, pipeline.consumerQueue)).toBe(0);
      expect(await recordsOf(CELL, poisoned.invoiceId)).toEqual([]);
      expect(await recordsOf(CELL, healthy.detail.invoiceId)).toHaveLength(1);
    },
  );

  it("sends a message the pipe cannot deliver (no invoiceId for the message group) to the stage queue's DLQ after maxReceiveCount polls", async () => {
    const { emulator } = fleet();
    const cell = fleet().cell(CELL);
    const pipeline = cell.stage(FIFO_STAGE);
    const redrive = pipeline.stageQueue.redrive!;
    const { invoiceId: _dropped, ...withoutInvoiceId } = ingestedDetail(cell.id, FIFO_STAGE, invoiceBody());
    const eventId = await putDetail(emulator, cell, FIFO_STAGE, withoutInvoiceId);
    await relayRuleToTopic(emulator, pipeline.rule);

    for (let poll = 0; poll < redrive.maxReceiveCount; poll += 1) {
      expect((await runPipe(emulator, pipeline.pipe!)).failed).toEqual([
        { messageId: expect.any(String), reason: "$.body.detail.invoiceId does not resolve" },
      ]);
    }
    expect(await runPipe(emulator, pipeline.pipe!)).toEqual({ forwarded: 0, failed: [] });
    expect((await drainJson<{ id: string }>(emulator, redrive.deadLetterQueue)).map((event) => event.id)).toEqual([eventId]);
    expect(await depth(emulator, pipeline.consumerQueue)).toBe(0);
  });
});

describe(`a standard stage (${STANDARD_STAGE}: the stage queue feeds the consumer)`, () => {
  it("writes the batch's records, read straight from the stage queue", async () => {
    const { emulator } = fleet();
    const cell = fleet().cell(CELL);
    const pipeline = cell.stage(STANDARD_STAGE);
    expect(pipeline.deliveryMode).toBe("standard");
    expect(pipeline.consumerQueue).toBe(pipeline.stageQueue);
    const bodies = [invoiceBody(), invoiceBody(), invoiceBody()];
    for (const body of bodies) await putIngested(emulator, cell, STANDARD_STAGE, body);
    await carryToConsumerQueue(emulator, pipeline);

    const invocations = await consumeAll(pipeline);
    expect(invocations).toHaveLength(1);
    expect(invocations[0]).toMatchObject({ received: 3, failed: [], metrics: { RecordsWritten: 3 } });
    for (const body of bodies) {
      expect((await recordsOf(CELL, body.invoiceId)).map(dimensions)).toEqual([expect.objectContaining({ stage: STANDARD_STAGE })]);
    }
  });

  it("sends a poison message to the stage DLQ after maxReceiveCount receives and stores the rest of its batch", async () => {
    const { emulator } = fleet();
    const cell = fleet().cell(CELL);
    const pipeline = cell.stage(STANDARD_STAGE);
    const redrive = pipeline.stageQueue.redrive!;
    expect(redrive.deadLetterQueue.fifo).toBe(false);
    const poison = await putDetail(emulator, cell, STANDARD_STAGE, { ...ingestedDetail(cell.id, STANDARD_STAGE, invoiceBody()), sequence: -1 });
    const healthy = await putIngested(emulator, cell, STANDARD_STAGE, invoiceBody());
    await carryToConsumerQueue(emulator, pipeline);

    const invocations = await consumeAll(pipeline);
    expect(invocations).toHaveLength(redrive.maxReceiveCount);
    expect(invocations[0]).toMatchObject({ received: 2, metrics: { RecordsWritten: 1, InvalidInvoiceEvents: 1 } });
    // Alone in its batch, the poison message fails the whole batch (Powertools' FullBatchFailureError).
    expect(invocations.slice(1).every((invocation) => invocation.error instanceof Error)).toBe(true);
    expect((await drainJson<{ id: string }>(emulator, redrive.deadLetterQueue)).map((event) => event.id)).toEqual([poison]);
    expect(await recordsOf(CELL, healthy.detail.invoiceId)).toHaveLength(1);
  });
});
