import type { CellConfig, FleetConfig } from "./fleet-schema";

/**
 * Which cell answers the shared entry in each region. API Gateway allows a custom domain name
 * once per region and account, so one active cell per region (the first in fleet.json) serves
 * `api.<domain>`; Route 53 routes the shared entry by latency across those cells. Other cells of
 * the region are reached by their own name and by tenant pins.
 */
export function sharedEntryCells(fleet: Pick<FleetConfig, "cells">): CellConfig[] {
  const byRegion = new Map<string, CellConfig>();
  for (const cell of fleet.cells) {
    if (cell.active && !byRegion.has(cell.region)) byRegion.set(cell.region, cell);
  }
  return [...byRegion.values()];
}

/** The tenants pinned to a cell, sorted. */
export function tenantsOf(fleet: Pick<FleetConfig, "tenants">, cellId: string): string[] {
  return Object.entries(fleet.tenants)
    .filter(([, cell]) => cell === cellId)
    .map(([tenant]) => tenant)
    .sort();
}
