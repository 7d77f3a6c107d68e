import type { DescribeArchiveCommandOutput, DescribeReplayCommandOutput, Replay } from "@aws-sdk/client-eventbridge";

/** The clock of every test: the drill runs at noon on 10 June 2024. */
export const NOW = Date.parse("2024-06-10T12:00:00Z");
export const ACCOUNT = "123456789012";
export const ARCHIVE_ARN = `arn:aws:events:us-east-1:${ACCOUNT}:archive/cellfleet-archive`;
export const HUB_BUS_ARN = `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/cellfleet-archive-hub`;
export const replayRuleArn = (cell: string) => `arn:aws:events:us-east-1:${ACCOUNT}:rule/cellfleet-archive-hub/cellfleet-replay-${cell}`;
export const replayArn = (name: string) => `arn:aws:events:us-east-1:${ACCOUNT}:replay/${name}`;

const metadata = { httpStatusCode: 200, requestId: "5d8e3f0c-7a41-4b0e-9d3c-2f6a1b8e4c77", attempts: 1, totalRetryDelay: 0 };

/** The hub's archive as DescribeArchive answers for it. */
export function describedArchive(overrides: Partial<DescribeArchiveCommandOutput> = {}): DescribeArchiveCommandOutput {
  return {
    $metadata: metadata,
    ArchiveArn: ARCHIVE_ARN,
    ArchiveName: "cellfleet-archive",
    EventSourceArn: HUB_BUS_ARN,
    Description: "Every cell's live invoice events, for DR replays",
    EventPattern: '{"source":[{"prefix":""}]}',
    State: "ENABLED",
    RetentionDays: 35,
    SizeBytes: 48_213_770_112,
    EventCount: 2_581_337_004,
    CreationTime: new Date("2024-01-15T09:30:00Z"),
    ...overrides,
  };
}

/** A ListReplays entry. */
export function replayEntry(name: string, overrides: Partial<Replay> = {}): Replay {
  return {
    ReplayName: name,
    EventSourceArn: ARCHIVE_ARN,
    State: "RUNNING",
    EventStartTime: new Date("2024-06-08T00:00:00Z"),
    EventEndTime: new Date("2024-06-08T06:00:00Z"),
    ReplayStartTime: new Date("2024-06-10T11:00:00Z"),
    ...overrides,
  };
}

/** A DescribeReplay answer for the drill's replay of `window`. */
export function describedReplay(
  name: string,
  window: { from: string; to: string },
  overrides: Partial<DescribeReplayCommandOutput> = {},
): DescribeReplayCommandOutput {
  return {
    $metadata: metadata,
    ReplayName: name,
    ReplayArn: replayArn(name),
    State: "RUNNING",
    EventSourceArn: ARCHIVE_ARN,
    Destination: { Arn: HUB_BUS_ARN, FilterArns: [replayRuleArn(name.replace(/^dr-(.+)-\d{8}T\d{6}Z$/, "$1"))] },
    EventStartTime: new Date(window.from),
    EventEndTime: new Date(window.to),
    ReplayStartTime: new Date(NOW + 1000),
    ...overrides,
  };
}
