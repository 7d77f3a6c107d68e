/**
 * Small stacks to break on purpose: an app, a cell-like stack with its AWS provider (default
 * tags) and cell key, and the errors the policy aspects annotate during a synth.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import { AnnotationMetadataEntryType, Aspects, Testing, TerraformStack, type IAspect } from "cdktf";
import { expect } from "vitest";
import { CellKey } from "../../../stacks/cell-key";
import { CellFunction } from "../../../stacks/cell-function";
import { EncryptedQueue } from "../../../stacks/encrypted-queue";
import { FunctionCode } from "../../../stacks/function-code";

export const STACK_ID = "cell-test-a";
export const REGION = "us-east-1";
export const ACCOUNT = { partition: "aws", account: "123456789012" };
export const CELL_TAGS = { project: "cellfleet", cell: "test-a", region: REGION };

export interface AspectStack {
  readonly stack: TerraformStack;
  readonly key: CellKey;
}

/**
 * A stack like a cell's: an AWS provider with the cell's default tags (or the given ones; `null`
 * for none), the cell key, and the aspects under test.
 */
export function aspectStack(aspects: readonly IAspect[], defaultTags: Record<string, string> | null = CELL_TAGS): AspectStack {
  const stack = new TerraformStack(Testing.app(), STACK_ID);
  new AwsProvider(stack, "aws", { region: REGION, defaultTags: defaultTags ? [{ tags: defaultTags }] : undefined });
  const key = new CellKey(stack, "key", { alias: "alias/test-a-cell", region: REGION, account: ACCOUNT, description: "test cell key" });
  key.allowLogs();
  for (const aspect of aspects) Aspects.of(stack).add(aspect);
  return { stack, key };
}

/** Synthesizes the stack (which runs its aspects) and returns every error annotation, `path: message`. */
export function aspectErrors(stack: TerraformStack): string[] {
  Testing.synth(stack);
  return stack.node
    .findAll()
    .flatMap((node) => node.node.metadata.filter((entry) => entry.type === AnnotationMetadataEntryType.ERROR).map((entry) => String(entry.data)));
}

/** Exactly these errors: each names its construct path first, then says what matches. */
export function expectErrors(stack: TerraformStack, expected: readonly (readonly [constructPath: string, message: RegExp])[]): void {
  const errors = aspectErrors(stack);
  expect(errors, errors.join("\n")).toHaveLength(expected.length);
  for (const [constructPath, message] of expected) {
    expect(errors).toContainEqual(expect.stringMatching(new RegExp(`^${escapeRegExp(`${constructPath}: `)}${message.source}`)));
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const scratch = mkdtempSync(path.join(tmpdir(), "cellfleet-aspects-"));
const zipPath = path.join(scratch, "code.zip");
writeFileSync(zipPath, "not really a zip: nothing here reads it");

/** A function built the way every function of a cell is. */
export function cellFunction({ stack, key }: AspectStack, id: string): CellFunction {
  const props = {
    functionName: `test-a-${id}`,
    roleName: `test-a-${id}`,
    logGroupName: `/aws/lambda/test-a-${id}`,
    description: "a function as a cell builds it",
    code: new FunctionCode(stack, `${id}-code`, { zipPath, sha256: "x", handler: "index.handler" }),
    serviceName: id,
    environment: {},
    memoryMb: 256,
    timeoutSeconds: 30,
    key,
    logRetentionDays: 30,
    reservedConcurrency: 1,
    asyncDeadLetterQueue: new EncryptedQueue(stack, `${id}-async-dlq`, { queueName: `test-a-${id}-async-dlq`, key }),
  };
  return new CellFunction(stack, id, props);
}

/** What a raw `LambdaFunction` needs besides what a test leaves out. */
export const RAW_FUNCTION = { runtime: "nodejs24.x", handler: "index.handler", filename: zipPath } as const;
