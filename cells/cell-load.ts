import type { CellConfig, FleetConfig } from "./fleet-schema";

/** API Gateway's default account-level burst in a region: a stage cannot usefully exceed it. */
const REGION_BURST_LIMIT = 5000;

/** Events per second a cell is sized for: its own peak, else the fleet's per-cell default. */
export function cellPeakEventsPerSecond(fleet: Pick<FleetConfig, "load">, cell: CellConfig): number {
  return cell.peakEventsPerSecond ?? fleet.load.cellPeakEventsPerSecond;
}

/** Stage-wide API throttling for a cell: its peak with headroom, bursts up to twice that. */
export function ingestThrottle(fleet: Pick<FleetConfig, "load" | "api">, cell: CellConfig) {
  const rateLimit = Math.ceil(cellPeakEventsPerSecond(fleet, cell) * fleet.api.throttleHeadroom);
  return { rateLimit, burstLimit: Math.min(REGION_BURST_LIMIT, 2 * rateLimit) };
}
