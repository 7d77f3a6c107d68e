import { DataAwsApiGatewayDomainName } from "@cdktf/provider-aws/lib/data-aws-api-gateway-domain-name";
import { Route53HealthCheck } from "@cdktf/provider-aws/lib/route53-health-check";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { Construct } from "constructs";

export interface RoutedCell {
  readonly id: string;
  readonly region: string;
  /** `<cell>.<domain>`: the health check probes it and its record points at the cell. */
  readonly hostname: string;
  /** The cell's canary alarm (`<cell>-canary-failures`), when the canary runs. */
  readonly canaryAlarmName?: string;
}

export interface CellRouterProps {
  readonly hostedZoneId: string;
  readonly cells: readonly RoutedCell[];
  /** `api.<domain>` and the cells that serve it (active, one per region). */
  readonly sharedEntry: { readonly hostname: string; readonly cellIds: readonly string[] };
  /** `<tenant>.<domain>` pinned to a cell. */
  readonly tenants: readonly { readonly tenant: string; readonly hostname: string; readonly cellId: string }[];
}

/**
 * The Route 53 cell router. Each cell is healthy when its `/health` answers over HTTPS on its
 * own name AND its end-to-end canary is not in ALARM (a calculated health check), so a cell
 * whose pipeline is broken stops receiving shared traffic even while its API answers. The
 * shared entry is latency-routed across active cells; tenants are pinned to a cell.
 *
 * Alias targets are the cells' API Gateway custom domains, looked up by name in each cell's
 * region: deploy the router after the cells it routes to.
 */
export class CellRouter extends Construct {
  readonly healthChecks = new Map<string, Route53HealthCheck>();

  constructor(scope: Construct, id: string, props: CellRouterProps) {
    super(scope, id);
    const byId = new Map(props.cells.map((cell) => [cell.id, cell]));
    const target = (cell: RoutedCell, hostname: string) => {
      const domain = new DataAwsApiGatewayDomainName(this, `domain-${cell.region}-${hostname}`, { domainName: hostname, region: cell.region });
      return { name: domain.regionalDomainName, zoneId: domain.regionalZoneId, evaluateTargetHealth: false };
    };

    for (const cell of props.cells) {
      const http = new Route53HealthCheck(this, `${cell.id}-health`, {
        type: "HTTPS",
        fqdn: cell.hostname,
        port: 443,
        resourcePath: "/health",
        enableSni: true,
        requestInterval: 30,
        failureThreshold: 3,
        measureLatency: true,
        tags: { Name: `${cell.id} /health` },
      });
      let health = http;
      if (cell.canaryAlarmName) {
        const canary = new Route53HealthCheck(this, `${cell.id}-canary`, {
          type: "CLOUDWATCH_METRIC",
          cloudwatchAlarmName: cell.canaryAlarmName,
          cloudwatchAlarmRegion: cell.region,
          // Without data (canary not yet run, metrics delayed) keep the last known state.
          insufficientDataHealthStatus: "LastKnownStatus",
          tags: { Name: `${cell.id} canary` },
        });
        health = new Route53HealthCheck(this, `${cell.id}-cell`, {
          type: "CALCULATED",
          childHealthchecks: [http.id, canary.id],
          childHealthThreshold: 2,
          tags: { Name: `${cell.id} (health and canary)` },
        });
      }
      this.healthChecks.set(cell.id, health);
      new Route53Record(this, `${cell.id}-record`, {
        zoneId: props.hostedZoneId,
        name: cell.hostname,
        type: "A",
        alias: target(cell, cell.hostname),
      });
    }

    for (const cellId of props.sharedEntry.cellIds) {
      const cell = byId.get(cellId)!;
      new Route53Record(this, `shared-${cellId}`, {
        zoneId: props.hostedZoneId,
        name: props.sharedEntry.hostname,
        type: "A",
        setIdentifier: cellId,
        latencyRoutingPolicy: { region: cell.region },
        healthCheckId: this.healthChecks.get(cellId)!.id,
        alias: target(cell, props.sharedEntry.hostname),
      });
    }

    for (const pin of props.tenants) {
      const cell = byId.get(pin.cellId)!;
      new Route53Record(this, `tenant-${pin.tenant}`, {
        zoneId: props.hostedZoneId,
        name: pin.hostname,
        type: "A",
        alias: target(cell, pin.hostname),
      });
    }
  }
}
