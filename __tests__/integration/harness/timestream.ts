/**
 * What a Timestream table holds in the emulator. moto answers every query with an empty
 * result (canned results only) and exposes the written records through its model dump
 * (`/moto-api/data.json`), in WriteRecords' own shape. It keeps every write as it came and never
 * rejects one, so `currentRecords` applies Timestream's upsert rule (one record per series and
 * time; the highest Version wins; an identical rewrite of the same Version is a no-op) to
 * show what Timestream itself would return.
 */
import type { _Record } from "@aws-sdk/client-timestream-write";
import type { Emulator } from "./emulator";
import type { EmulatedStore } from "./provision";

/** Every record written to the table, in write order (duplicates included). */
export async function writtenRecords(emulator: Emulator, store: EmulatedStore): Promise<_Record[]> {
  const data = await emulator.modelData();
  const tables = (data.timestreamwrite?.TimestreamTable ?? []) as {
    name: string;
    db_name: string;
    region_name: string;
    records: _Record[];
  }[];
  const table = tables.find(
    (candidate) => candidate.name === store.table && candidate.db_name === store.database && candidate.region_name === store.region,
  );
  if (!table) throw new Error(`no Timestream table ${store.database}.${store.table} in ${store.region}`);
  return table.records;
}

/** Dimension values of a record, by name. */
export function dimensions(record: _Record): Record<string, string> {
  return Object.fromEntries((record.Dimensions ?? []).map((dimension) => [dimension.Name, dimension.Value]));
}

/** Measure values of a multi-measure record, by name: `{ value, type }`. */
export function measures(record: _Record): Record<string, { value: string; type: string }> {
  return Object.fromEntries(
    (record.MeasureValues ?? []).map((measure) => [measure.Name, { value: measure.Value ?? "", type: String(measure.Type) }]),
  );
}

export interface UpsertConflict {
  readonly key: string;
  readonly version: number;
}

/**
 * The records Timestream would hold after these writes, and the writes it would have rejected
 * (same series, time and Version with different measures).
 */
export function currentRecords(written: readonly _Record[]): { records: _Record[]; conflicts: UpsertConflict[] } {
  const current = new Map<string, _Record>();
  const conflicts: UpsertConflict[] = [];
  for (const record of written) {
    const key = seriesKey(record);
    const stored = current.get(key);
    const version = Number(record.Version ?? 0);
    if (!stored || version > Number(stored.Version ?? 0)) {
      current.set(key, record);
    } else if (version === Number(stored.Version ?? 0) && JSON.stringify(measures(stored)) !== JSON.stringify(measures(record))) {
      conflicts.push({ key, version });
    }
  }
  return { records: [...current.values()], conflicts };
}

function seriesKey(record: _Record): string {
  const dims = Object.entries(dimensions(record)).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify([dims, record.MeasureName, record.Time, record.TimeUnit ?? "MILLISECONDS"]);
}
