import { DataAwsSecretsmanagerRandomPassword } from "@cdktf/provider-aws/lib/data-aws-secretsmanager-random-password";
import { SecretsmanagerSecret } from "@cdktf/provider-aws/lib/secretsmanager-secret";
import { SecretsmanagerSecretVersion } from "@cdktf/provider-aws/lib/secretsmanager-secret-version";
import { Construct } from "constructs";
import type { CellKey } from "./cell-key";

export interface ApiKeySecretsProps {
  readonly clients: readonly string[];
  readonly secretName: (client: string) => string;
  /** The secret's home (the global stack's region). */
  readonly primaryRegion: string;
  /** Every region a cell runs in; each gets a replica its cells read the key from. */
  readonly cellRegions: readonly string[];
  /** A multi-region key; the secrets and their replicas are encrypted with it and its replicas. */
  readonly key: CellKey;
}

/**
 * One API key value per client, generated once and replicated to every cell region, so that a
 * client's key works in whichever cell the router sends it to. Rotate by putting a new secret
 * value and redeploying the cells.
 */
export class ApiKeySecrets extends Construct {
  readonly secrets = new Map<string, SecretsmanagerSecret>();

  constructor(scope: Construct, id: string, props: ApiKeySecretsProps) {
    super(scope, id);
    const replicaRegions = [...new Set(props.cellRegions)].filter((region) => region !== props.primaryRegion).sort();
    const replicaKeys = new Map(replicaRegions.map((region) => [region, props.key.replicateTo(region)]));
    for (const client of props.clients) {
      const secret = new SecretsmanagerSecret(this, `secret-${client}`, {
        name: props.secretName(client),
        description: `Ingest API key of client ${client}, read by every cell`,
        recoveryWindowInDays: 7,
        kmsKeyId: props.key.arn,
        replica: replicaRegions.map((region) => ({ region, kmsKeyId: replicaKeys.get(region)!.arn })),
      });
      // A fresh random value on every plan; only the first is ever written (ignore_changes).
      const value = new DataAwsSecretsmanagerRandomPassword(this, `value-${client}`, {
        passwordLength: 40,
        excludePunctuation: true,
        includeSpace: false,
      });
      new SecretsmanagerSecretVersion(this, `version-${client}`, {
        secretId: secret.id,
        secretString: value.randomPassword,
        lifecycle: { ignoreChanges: ["secret_string"] },
      });
      this.secrets.set(client, secret);
    }
  }
}
