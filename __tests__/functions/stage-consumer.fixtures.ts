import { vi } from "vitest";

export * from "../support/invoice-records";

/** What the Powertools Logger and Metrics printed (both write JSON lines to stdout/stderr). */
export interface CapturedOutput {
  /** Everything printed, verbatim. */
  readonly text: () => string;
  /** Log entries (EMF blobs excluded). */
  readonly logs: () => Record<string, unknown>[];
  /** Metric values summed over every EMF blob. */
  readonly metrics: () => Record<string, number>;
  /** Dimension sets declared by the EMF blobs. */
  readonly metricDimensions: () => string[][];
  readonly restore: () => void;
}

export function captureOutput(): CapturedOutput {
  const chunks: string[] = [];
  const swallow = (chunk: unknown) => {
    chunks.push(String(chunk));
    return true;
  };
  const spies = [vi.spyOn(process.stdout, "write"), vi.spyOn(process.stderr, "write")];
  for (const spy of spies) spy.mockImplementation(swallow as typeof process.stdout.write);

  const entries = () =>
    chunks
      .join("")
      .split("\n")
      .filter((line) => line.trim().startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  type Emf = { _aws: { CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string }[] }[] } };
  const emf = () => entries().filter((entry): entry is Record<string, unknown> & Emf => "_aws" in entry);

  return {
    text: () => chunks.join(""),
    logs: () => entries().filter((entry) => !("_aws" in entry)),
    metrics: () => {
      const sums: Record<string, number> = {};
      for (const blob of emf()) {
        for (const { Name } of blob._aws.CloudWatchMetrics.flatMap((directive) => directive.Metrics)) {
          sums[Name] = (sums[Name] ?? 0) + Number(blob[Name]);
        }
      }
      return sums;
    },
    metricDimensions: () => emf().flatMap((blob) => blob._aws.CloudWatchMetrics.flatMap((d) => d.Dimensions)),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}
