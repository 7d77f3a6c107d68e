/**
 * The provisioned fleet seen as the design describes it: per cell its bus, forwarding rule and
 * stage pipelines; the hub with its archive and replay rules. Every link is found through the
 * synthesized references (rule -> topic -> subscription -> stage queue -> pipe -> consumer
 * queue -> event source mapping), never through construct ids or names.
 */
import type { Emulator } from "./emulator";
import {
  provisionStacks,
  type ConsumerDefinition,
  type EmulatedArchive,
  type EmulatedBus,
  type EmulatedQueue,
  type EmulatedRule,
  type EmulatedStack,
  type EmulatedStore,
  type EmulatedSubscription,
  type EmulatedTopic,
  type PipeDefinition,
} from "./provision";
import { loadStacks } from "./terraform";

export interface StagePipelineView {
  readonly stage: string;
  readonly deliveryMode: "fifo" | "standard";
  /** The cell bus's rule for the stage (its SNS target is stood in for by `rule.probe`). */
  readonly rule: EmulatedRule;
  readonly topic: EmulatedTopic;
  /** The standard queue subscribed to the topic. */
  readonly stageQueue: EmulatedQueue;
  /** Every other subscription of the topic (downstream subscribers). */
  readonly subscribers: readonly EmulatedSubscription[];
  /** The pipe from the stage queue to the FIFO queue (`fifo` only). */
  readonly pipe: PipeDefinition | undefined;
  /** What the consumer reads: the FIFO queue, or the stage queue in `standard` mode. */
  readonly consumerQueue: EmulatedQueue;
  readonly consumer: ConsumerDefinition;
}

export interface CellView {
  readonly id: string;
  readonly region: string;
  readonly bus: EmulatedBus;
  /** The rule forwarding this cell's live events to the hub (cross-region bus target). */
  readonly forwardRule: EmulatedRule;
  readonly stages: ReadonlyMap<string, StagePipelineView>;
  readonly store: EmulatedStore;
  stage(name: string): StagePipelineView;
}

export interface HubView {
  readonly region: string;
  readonly bus: EmulatedBus;
  readonly archive: EmulatedArchive;
  /** Replay rule per target cell id. */
  readonly replayRules: ReadonlyMap<string, EmulatedRule>;
}

export interface FleetView {
  readonly emulator: Emulator;
  readonly stacks: ReadonlyMap<string, EmulatedStack>;
  readonly cells: ReadonlyMap<string, CellView>;
  readonly hub: HubView;
  cell(id: string): CellView;
  /** Every queue the harness knows (stack queues, probes, observers, subscriber queues). */
  allQueues(): EmulatedQueue[];
}

const CELL_STACK = /^cell-(.+)$/;

/** Resets the emulator, provisions every synthesized stack and maps the result. */
export async function provisionFleet(emulator: Emulator, synthDir: string): Promise<FleetView> {
  const stacks = await provisionStacks(emulator, loadStacks(synthDir).values());
  const cells = new Map<string, CellView>();
  for (const stack of stacks.values()) {
    const id = CELL_STACK.exec(stack.name)?.[1];
    if (id !== undefined) cells.set(id, cellView(id, stack));
  }
  const global = stacks.get("global");
  if (!global) throw new Error("no global stack in the synth output");
  const hub = hubView(global, cells);
  return {
    emulator,
    stacks,
    cells,
    hub,
    cell: (id) => {
      const cell = cells.get(id);
      if (!cell) throw new Error(`no cell ${id}; cells: ${[...cells.keys()].join(", ")}`);
      return cell;
    },
    allQueues: () => {
      const queues = new Map<string, EmulatedQueue>();
      for (const stack of stacks.values()) {
        for (const queue of stack.queues) queues.set(queue.arn, queue);
        for (const rule of stack.rules) queues.set(rule.probe.arn, rule.probe);
        for (const bus of stack.buses) queues.set(bus.observer.arn, bus.observer);
        for (const subscription of stack.subscriptions) queues.set(subscription.queue.arn, subscription.queue);
      }
      return [...queues.values()];
    },
  };
}

function cellView(id: string, stack: EmulatedStack): CellView {
  const bus = single(stack.buses, `${stack.name}: buses`);
  const busRules = stack.rules.filter((rule) => rule.busName === bus.name);
  const forwardRule = single(
    busRules.filter((rule) => rule.targets.some((target) => target.kind === "event-bus")),
    `${stack.name}: rules with an event-bus target`,
  );
  const stages = new Map<string, StagePipelineView>();
  for (const consumer of stack.consumers) {
    const stage = consumer.environment.STAGE;
    if (!stage) continue;
    const pipe = stack.pipes.find((candidate) => candidate.target.arn === consumer.queue.arn);
    const stageQueue = pipe ? pipe.source : consumer.queue;
    const stageSubscription = single(
      stack.subscriptions.filter((subscription) => subscription.queue.arn === stageQueue.arn),
      `${stack.name}: subscriptions of stage queue ${stageQueue.name}`,
    );
    const topic = stageSubscription.topic;
    const rule = single(
      busRules.filter((candidate) => candidate.targets.some((target) => target.kind === "topic-via-probe" && target.topic.arn === topic.arn)),
      `${stack.name}: rules targeting topic ${topic.name}`,
    );
    stages.set(stage, {
      stage,
      deliveryMode: pipe ? "fifo" : "standard",
      rule,
      topic,
      stageQueue,
      subscribers: stack.subscriptions.filter((subscription) => subscription.topic.arn === topic.arn && subscription !== stageSubscription),
      pipe,
      consumerQueue: consumer.queue,
      consumer,
    });
  }
  return {
    id,
    region: stack.region,
    bus,
    forwardRule,
    stages,
    store: single(stack.stores, `${stack.name}: Timestream tables`),
    stage: (name) => {
      const view = stages.get(name);
      if (!view) throw new Error(`cell ${id} has no stage ${name}; stages: ${[...stages.keys()].join(", ")}`);
      return view;
    },
  };
}

function hubView(global: EmulatedStack, cells: ReadonlyMap<string, CellView>): HubView {
  const archive = single(global.archives, "global: archives");
  const bus = single(
    global.buses.filter((candidate) => candidate.arn === archive.sourceBusArn),
    "global: the archive's bus",
  );
  const replayRules = new Map<string, EmulatedRule>();
  for (const rule of global.rules.filter((candidate) => candidate.busName === bus.name)) {
    for (const target of rule.targets) {
      if (target.kind !== "event-bus") continue;
      const cell = [...cells.values()].find((candidate) => candidate.bus.arn === target.arn);
      if (!cell) throw new Error(`hub rule ${rule.name} targets ${target.arn}, which is no cell's bus`);
      replayRules.set(cell.id, rule);
    }
  }
  return { region: global.region, bus, archive, replayRules };
}

function single<T>(items: readonly T[], what: string): T {
  if (items.length !== 1) throw new Error(`${what}: expected exactly one, found ${items.length}`);
  return items[0] as T;
}
