import type { App } from "cdktf";
import { CellStack } from "../stacks/cell-stack";
import type { FunctionBundles } from "../functions/bundle";
import { GlobalStack } from "../stacks/global-stack";
import { RouterStack } from "../stacks/router-stack";
import type { FleetConfig } from "./fleet-schema";

export interface FleetStacks {
  readonly global: GlobalStack;
  readonly cells: ReadonlyMap<string, CellStack>;
  readonly router: RouterStack;
}

/**
 * The fleet: the global stack (deployed first), one CellStack per configured cell in config
 * order, and the router (deployed last: it points at the cells).
 */
export function buildFleet(app: App, fleet: FleetConfig, bundles: FunctionBundles): FleetStacks {
  const global = new GlobalStack(app, { fleet });
  const cells = new Map(
    fleet.cells.map((cell) => [cell.id, new CellStack(app, { fleet, cell, bundles })] as const),
  );
  const router = new RouterStack(app, { fleet });
  return { global, cells, router };
}
