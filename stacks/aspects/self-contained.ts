import { reportViolation, StackAspect } from "./stack-aspect";
import { strings, type StackSnapshot } from "./stack-snapshot";

/** A Terraform interpolation `${...}` (not the escaped literal `$${...}`). */
const INTERPOLATION = /(?<!\$)\$\{([^{}]*)\}/g;
/** A block attribute inside an expression: `aws_sqs_queue.<id>.arn`, `data.aws_iam_policy_document.<id>.json`. */
const BLOCK_ATTRIBUTE = /(?<![\w.-])((?:data\.)?([a-z][a-z0-9_]*)\.[A-Za-z0-9_-]+)\.[a-z0-9_]+/g;
/** Terraform's own namespaces, which look like block references but are not blocks. */
const NOT_BLOCKS = new Set(["data", "var", "local", "each", "count", "path", "module", "terraform", "self"]);

/**
 * Every reference a stack's blocks make names a block of the same stack. The fleet's stacks never
 * reference one another, so each deploys alone (one cell at a time): what another stack needs is
 * derived from fleet.json by cells/naming.ts. That is also why FleetStack skips cdktf's
 * preparation pass, which only looks for cross-stack references: this check is what fails the
 * synth if one appears, where Terraform would otherwise meet an undeclared resource at plan time.
 */
export class SelfContainedAspect extends StackAspect {
  protected check(snapshot: StackSnapshot): void {
    for (const block of [...snapshot.resources, ...snapshot.dataSources]) {
      const foreign = new Set<string>();
      for (const text of strings(block.config)) {
        if (!text.includes("${")) continue;
        for (const [, expression] of text.matchAll(INTERPOLATION)) {
          for (const [, address, type] of expression!.matchAll(BLOCK_ATTRIBUTE)) {
            if (!NOT_BLOCKS.has(type!) && !snapshot.has(address!)) foreign.add(address!);
          }
        }
      }
      for (const address of foreign) {
        reportViolation(
          block.construct,
          `refers to ${address}, which is not a block of stack ${snapshot.stack.node.id}: the fleet's stacks do not reference one another ` +
            `(each deploys alone); derive the name or ARN from cells/naming.ts instead`,
        );
      }
    }
  }
}
