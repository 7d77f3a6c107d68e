import { Annotations, AnnotationMetadataEntryType, TerraformStack, type IAspect } from "cdktf";
import type { IConstruct } from "constructs";
import { StackSnapshot } from "./stack-snapshot";

/**
 * Hands the aspects of one synth the same snapshot of a stack: taking it costs a `toTerraform()`
 * of the whole stack. A snapshot is reused until an aspect that already had it asks again, which
 * only happens in the next synth, so checks never read a stale stack.
 */
export class SnapshotSource {
  private current?: StackSnapshot;
  private readonly takenBy = new Set<IAspect>();

  take(stack: TerraformStack, aspect: IAspect): StackSnapshot {
    if (!this.current || this.current.stack !== stack || this.takenBy.has(aspect)) {
      this.current = new StackSnapshot(stack);
      this.takenBy.clear();
    }
    this.takenBy.add(aspect);
    return this.current;
  }
}

/**
 * A policy check over a whole stack. Aspects visit top-down, so the stack node comes first and
 * every construct already exists: the check reads the stack's synthesized blocks once and can
 * relate them (a queue to its policy, its alarm, the resources that dead-letter into it).
 * Violations are error annotations on the construct at fault, which fail a real synth.
 */
export abstract class StackAspect implements IAspect {
  constructor(private readonly snapshots: SnapshotSource = new SnapshotSource()) {}

  visit(node: IConstruct): void {
    if (TerraformStack.isStack(node)) this.check(this.snapshots.take(node, this));
  }

  protected abstract check(snapshot: StackSnapshot): void;
}

/**
 * Fails the synth at `construct` with a message that starts with its path. The same error is
 * not added twice when a stack is synthesized more than once.
 */
export function reportViolation(construct: IConstruct, message: string): void {
  const text = `${construct.node.path}: ${message}`;
  const already = construct.node.metadata.some((entry) => entry.type === AnnotationMetadataEntryType.ERROR && entry.data === text);
  if (!already) Annotations.of(construct).addError(text);
}
