import { ApiGatewayApiKey } from "@cdktf/provider-aws/lib/api-gateway-api-key";
import { ApiGatewayUsagePlan } from "@cdktf/provider-aws/lib/api-gateway-usage-plan";
import { ApiGatewayUsagePlanKey } from "@cdktf/provider-aws/lib/api-gateway-usage-plan-key";
import { DataAwsSecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/data-aws-secretsmanager-secret-version";
import { Construct } from "constructs";

export interface ClientTier {
  /** Steady requests per second per client. */
  readonly rate: number;
  /** Requests a client may burst above its rate. */
  readonly burst: number;
  /** Requests per client per calendar month. */
  readonly monthlyQuota: number;
}

export interface ApiClientsProps {
  readonly restApiId: string;
  readonly stageName: string;
  /** Usage plans by tier name. */
  readonly tiers: Readonly<Record<string, ClientTier>>;
  readonly clients: readonly { readonly name: string; readonly tier: string }[];
  /** Physical names (from `cells/naming.ts`). */
  readonly usagePlanName: (tier: string) => string;
  readonly apiKeyName: (client: string) => string;
  /** Secret holding a client's key value, replicated to this region by the global stack. */
  readonly keySecretName: (client: string) => string;
}

/**
 * Who may call the ingest API: a usage plan per client tier (throttle and monthly quota, per
 * cell) and an API key per client. A client's key has the same value in every cell, read from
 * the secret the global stack replicates to each cell region, so any cell the router picks
 * accepts it.
 */
export class ApiClients extends Construct {
  readonly plans = new Map<string, ApiGatewayUsagePlan>();
  readonly keys = new Map<string, ApiGatewayApiKey>();

  constructor(scope: Construct, id: string, props: ApiClientsProps) {
    super(scope, id);
    for (const [tier, limits] of Object.entries(props.tiers)) {
      if (limits.burst < 1 || limits.rate <= 0 || limits.monthlyQuota < 1) {
        throw new Error(`ApiClients ${this.node.path}: tiers.${tier} needs a positive rate, burst and monthlyQuota`);
      }
      this.plans.set(
        tier,
        new ApiGatewayUsagePlan(this, `plan-${tier}`, {
          name: props.usagePlanName(tier),
          description: `${tier} clients: ${limits.rate}/s (burst ${limits.burst}), ${limits.monthlyQuota}/month`,
          apiStages: [{ apiId: props.restApiId, stage: props.stageName }],
          throttleSettings: { rateLimit: limits.rate, burstLimit: limits.burst },
          quotaSettings: { limit: limits.monthlyQuota, period: "MONTH" },
        }),
      );
    }
    for (const client of props.clients) {
      const plan = this.plans.get(client.tier);
      if (!plan) {
        throw new Error(`ApiClients ${this.node.path}: client "${client.name}" has unknown tier "${client.tier}"`);
      }
      const secret = new DataAwsSecretsmanagerSecretVersion(this, `secret-${client.name}`, {
        secretId: props.keySecretName(client.name),
      });
      const key = new ApiGatewayApiKey(this, `key-${client.name}`, {
        name: props.apiKeyName(client.name),
        description: `${client.name} (${client.tier})`,
        value: secret.secretString,
        enabled: true,
      });
      new ApiGatewayUsagePlanKey(this, `plan-key-${client.name}`, {
        usagePlanId: plan.id,
        keyId: key.id,
        keyType: "API_KEY",
      });
      this.keys.set(client.name, key);
    }
  }
}
