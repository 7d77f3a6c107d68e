import {
  WriteRecordsCommand,
  type TimestreamWriteClient,
  type _Record,
} from "@aws-sdk/client-timestream-write";
import type { InvoiceEventBridgeEvent } from "./event";
import { toTimestreamRecord } from "./record";

/**
 * Where validated invoice events are stored. Timestream for LiveAnalytics is closed to new AWS
 * customers since 2025-06-20: another store plugs in here without touching the consumer.
 */
export interface InvoiceSink {
  /**
   * Resolves once the event is stored, or with `"superseded"` when the store already holds a
   * newer version of the same record (nothing to do for a late event). Rejects with
   * {@link RecordRejectedError} when the store refuses this record, or {@link SinkWriteError}
   * when the write as a whole failed; either way the message must be retried, never dropped.
   */
  write(event: InvoiceEventBridgeEvent): Promise<WriteOutcome>;
}

/**
 * `superseded`: a higher version is stored (a late event). `duplicate`: this version is stored
 * already with other ingest metadata (a client's retry of an accepted request, a second ingest of
 * the same business event): the business event is in the store, so nothing is lost.
 */
export type WriteOutcome = "stored" | "superseded" | "duplicate";

/** The store refused this one record (e.g. outside the retention window, version conflict). */
export class RecordRejectedError extends Error {
  override readonly name = "RecordRejectedError";
  constructor(
    readonly reason: string,
    /** Version of the record already stored, when the rejection is a version conflict. */
    readonly existingVersion: number | undefined,
  ) {
    super(`record rejected: ${reason}`);
  }
}

/** The write failed for every record in it (throttling, access, outage, ...). */
export class SinkWriteError extends Error {
  override readonly name = "SinkWriteError";
  /** The store's error name, e.g. `ThrottlingException`. */
  readonly errorName: string;
  readonly throttled: boolean;
  constructor(cause: unknown) {
    const errorName = cause instanceof Error ? cause.name : "UnknownError";
    super(`write failed: ${errorName}`, { cause });
    this.errorName = errorName;
    this.throttled = errorName === "ThrottlingException";
  }
}

/** WriteRecords accepts at most 100 records per call. */
export const MAX_RECORDS_PER_WRITE = 100;

export interface TimestreamSinkProps {
  /** A client created once per container, with an explicit `endpoint` in tests/emulators. */
  client: TimestreamWriteClient;
  /** Timestream database name. */
  database: string;
  /** Timestream table name. */
  table: string;
  /** Region the consumer runs in (the record's `region` dimension). */
  region: string;
}

interface PendingWrite {
  record: _Record;
  resolve: (outcome: WriteOutcome) => void;
  reject: (error: Error) => void;
}

/**
 * Writes invoice records to Timestream, coalescing writes: every write requested during the
 * same turn of the event loop goes out together, in WriteRecords calls of at most 100 records.
 * A standard batch's records are handled concurrently, so 100 messages become one call; a FIFO
 * batch's invoices are handled side by side, each invoice's messages one after another (see
 * MessageGroups), so the first message of every invoice goes in one call, the second ones in the
 * next, and an invoice's events are never written out of order.
 */
export class TimestreamSink implements InvoiceSink {
  readonly #props: TimestreamSinkProps;
  #pending: PendingWrite[] = [];
  #flushScheduled = false;

  constructor(props: TimestreamSinkProps) {
    this.#props = props;
  }

  write(event: InvoiceEventBridgeEvent): Promise<WriteOutcome> {
    let record: _Record;
    try {
      record = toTimestreamRecord(event, { region: this.#props.region });
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<WriteOutcome>((resolve, reject) => {
      this.#pending.push({ record, resolve, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        // setImmediate, not a microtask: writes issued after awaits within this turn still join.
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    const pending = this.#pending;
    this.#pending = [];
    this.#flushScheduled = false;
    const calls: Promise<void>[] = [];
    for (let start = 0; start < pending.length; start += MAX_RECORDS_PER_WRITE) {
      calls.push(this.#writeCall(pending.slice(start, start + MAX_RECORDS_PER_WRITE)));
    }
    await Promise.all(calls);
  }

  /** One WriteRecords call; settles every write in it and never throws. */
  async #writeCall(writes: PendingWrite[]): Promise<void> {
    try {
      await this.#props.client.send(
        new WriteRecordsCommand({
          DatabaseName: this.#props.database,
          TableName: this.#props.table,
          Records: writes.map((write) => write.record),
        }),
      );
      for (const write of writes) write.resolve("stored");
    } catch (error) {
      await this.#settleFailedCall(writes, error);
    }
  }

  async #settleFailedCall(writes: PendingWrite[], error: unknown): Promise<void> {
    const name = error instanceof Error ? error.name : undefined;

    if (name === "RejectedRecordsException") {
      // The records not named were written; indexes are relative to this call.
      const rejected = new Map<number, { Reason?: string; ExistingVersion?: number }>();
      for (const entry of (error as { RejectedRecords?: { RecordIndex?: number; Reason?: string; ExistingVersion?: number }[] }).RejectedRecords ?? []) {
        if (entry.RecordIndex !== undefined) rejected.set(entry.RecordIndex, entry);
      }
      if (rejected.size === 0) {
        // Nothing named: we cannot tell what was stored, so nothing counts as stored.
        for (const write of writes) write.reject(new SinkWriteError(error));
        return;
      }
      writes.forEach((write, index) => {
        const entry = rejected.get(index);
        if (entry === undefined) write.resolve("stored");
        else if (isSupersededBy(write.record, entry.ExistingVersion)) write.resolve("superseded");
        else if (isSameVersion(write.record, entry.ExistingVersion)) write.resolve("duplicate");
        else write.reject(new RecordRejectedError(entry.Reason ?? "no reason given", entry.ExistingVersion));
      });
      return;
    }

    if (name === "ValidationException" && writes.length > 1) {
      // One malformed record fails the whole call; write one by one so it fails alone instead
      // of taking its neighbours to the DLQ with it.
      await Promise.all(writes.map((write) => this.#writeCall([write])));
      return;
    }

    for (const write of writes) write.reject(new SinkWriteError(error));
  }
}

/**
 * A newer version of the same record (same dimensions, time and measure name) is already
 * stored: this write is a late, superseded event and storing nothing is the correct outcome.
 */
function isSupersededBy(record: _Record, existingVersion: number | undefined): boolean {
  return existingVersion !== undefined && record.Version !== undefined && existingVersion > record.Version;
}

/**
 * The same record at the same version is stored with different measure values: only the ingest
 * metadata (requestId, receivedAt) can differ for one (invoice, stage, eventTime, sequence).
 */
function isSameVersion(record: _Record, existingVersion: number | undefined): boolean {
  return existingVersion !== undefined && record.Version !== undefined && existingVersion === record.Version;
}
