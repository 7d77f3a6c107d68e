/**
 * The names the operator CLIs derive from fleet.json (cells/naming.ts) are the names of what
 * the synthesized stacks create: checked against the resources provisioned in moto from the
 * synthesized JSON, so a construct that renamed something would fail here.
 */
import { DescribeArchiveCommand, DescribeEventBusCommand, DescribeRuleCommand } from "@aws-sdk/client-eventbridge";
import { GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import { DescribeTableCommand } from "@aws-sdk/client-timestream-write";
import { describe, expect, it } from "vitest";
import { cellNames, fleetNames } from "../../cells/naming";
import { parseFleet } from "../../cells/load-fleet";
import { useFleet } from "./harness/suite";
import { integrationFleet } from "./setup/test-fleet";

const fleet = useFleet();
const config = parseFleet(JSON.stringify(integrationFleet()));
const hubRegion = config.global.region;

describe("names the CLIs resolve from fleet.json exist in the emulator", () => {
  it.each(config.cells.map((cell) => [cell.id, cell] as const))("cell %s: bus, every queue redrive and trace use, the store", async (_id, cell) => {
    const { emulator } = fleet();
    const names = cellNames(cell.id);
    await expect(emulator.events(cell.region).send(new DescribeEventBusCommand({ Name: names.bus }))).resolves.toBeDefined();
    for (const stage of config.stages) {
      const s = names.stage(stage.name);
      // redrive: the stage queue and its DLQ, and in fifo mode the FIFO queue and its DLQ.
      const queues = stage.delivery === "fifo" ? [s.queue, s.queueDlq, s.fifoQueue, s.fifoDlq] : [s.queue, s.queueDlq];
      for (const queue of queues) {
        await expect(emulator.sqs(cell.region).send(new GetQueueUrlCommand({ QueueName: queue })), queue).resolves.toMatchObject({
          QueueUrl: expect.stringContaining(queue),
        });
      }
    }
    // trace: the cell's table in its store region.
    await expect(
      emulator
        .timestreamWrite(cell.storeRegion ?? cell.region)
        .send(new DescribeTableCommand({ DatabaseName: names.timestreamDatabase, TableName: names.timestreamTable })),
    ).resolves.toMatchObject({ Table: { TableName: names.timestreamTable } });
  });

  it("replay: the hub bus, its archive and every cell's replay rule", async () => {
    const { emulator } = fleet();
    const hub = fleetNames(config.project);
    const events = emulator.events(hubRegion);
    await expect(events.send(new DescribeEventBusCommand({ Name: hub.hubBus }))).resolves.toBeDefined();
    await expect(events.send(new DescribeArchiveCommand({ ArchiveName: hub.archive }))).resolves.toMatchObject({ ArchiveName: hub.archive });
    for (const cell of config.cells) {
      await expect(events.send(new DescribeRuleCommand({ Name: hub.replayRule(cell.id), EventBusName: hub.hubBus }))).resolves.toMatchObject({
        Name: hub.replayRule(cell.id),
      });
    }
  });
});
