import type { Construct } from "constructs";
import type { FleetConfig } from "../cells/fleet-schema";
import { ROUTER_STACK_ID, cellNames, sharedHostname, tenantHostname } from "../cells/naming";
import { sharedEntryCells } from "../cells/routing";
import { FleetStack, stackFoundation } from "./stack-foundation";
import { GLOBAL_REQUIRED_TAGS, applyPolicyAspects } from "./aspects";
import { CellRouter } from "./cell-router";

/**
 * The Route 53 cell router (stack `router`). Its alias records point at the cells' custom
 * domains, which exist only once the cells are deployed: deploy order is global, the cells, then
 * the router. Like every stack it takes names from config, not from other stacks' state.
 */
export class RouterStack extends FleetStack {
  readonly router: CellRouter;

  constructor(scope: Construct, props: { readonly fleet: FleetConfig }) {
    super(scope, ROUTER_STACK_ID);
    const { fleet } = props;
    stackFoundation(this, {
      fleet,
      stackId: ROUTER_STACK_ID,
      region: fleet.global.region,
      tags: { project: fleet.project, stack: ROUTER_STACK_ID, region: fleet.global.region },
    });
    const domain = fleet.api.domain.name;
    this.router = new CellRouter(this, "router", {
      hostedZoneId: fleet.api.domain.hostedZoneId,
      cells: fleet.cells.map((cell) => ({
        id: cell.id,
        region: cell.region,
        hostname: cellNames(cell.id).hostname(domain),
        canaryAlarmName: fleet.operations.canary.enabled ? cellNames(cell.id).alarm("canary-failures") : undefined,
      })),
      sharedEntry: { hostname: sharedHostname(domain), cellIds: sharedEntryCells(fleet).map((cell) => cell.id) },
      tenants: Object.entries(fleet.tenants)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([tenant, cellId]) => ({ tenant, cellId, hostname: tenantHostname(tenant, domain) })),
    });
    applyPolicyAspects(this, { requiredTags: GLOBAL_REQUIRED_TAGS });
  }
}
