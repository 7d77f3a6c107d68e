import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KmsReplicaKey } from "@cdktf/provider-aws/lib/kms-replica-key";
import { Lazy } from "cdktf";
import { Construct } from "constructs";
import type { AccountRef } from "../cells/naming";
import { iamPolicyJson, serviceSid, type Grantee, type PolicyStatement } from "./policy-document";

export interface CellKeyProps {
  /** Alias, e.g. `alias/use1-a-cell`. */
  readonly alias: string;
  /** Region the key lives in. */
  readonly region: string;
  readonly account: AccountRef;
  readonly description: string;
  /** A multi-region primary key (replicas in other regions share its key material). */
  readonly multiRegion?: boolean;
}

/** Actions a service needs to write to and read from a resource encrypted with the key. */
const ENVELOPE_ACTIONS = ["kms:GenerateDataKey", "kms:Decrypt"];

/**
 * The cell's customer managed key. Its policy lets the account administer it through IAM and
 * lets exactly the services that encrypt with it (added by the constructs that need them) use it.
 */
export class CellKey extends Construct {
  readonly key: KmsKey;
  private readonly statements: PolicyStatement[] = [];
  private readonly services = new Set<string>();

  constructor(scope: Construct, id: string, private readonly props: CellKeyProps) {
    super(scope, id);
    const { partition, account } = props.account;
    this.statements.push({
      // AWS's default key policy statement: without it IAM policies cannot grant use of the
      // key and the key becomes unmanageable. Principals still need an IAM grant.
      sid: "AccountAdministersKeyThroughIam",
      actions: ["kms:*"],
      resources: ["*"],
      principals: [{ type: "AWS", identifiers: [`arn:${partition}:iam::${account}:root`] }],
    });
    this.key = new KmsKey(this, "key", {
      region: props.region,
      description: props.description,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      multiRegion: props.multiRegion,
      // The key policy as the key's own JSON: scanners read it with their key-policy checks
      // (in a key policy, Resource "*" means this key), not as an identity policy.
      policy: Lazy.stringValue({ produce: () => iamPolicyJson(this.statements) }),
    });
    new KmsAlias(this, "alias", { region: props.region, name: props.alias, targetKeyId: this.key.keyId });
  }

  /**
   * A replica of this multi-region key in `region`, with the same policy and alias, so that
   * resources replicated there (secrets) stay encrypted with the fleet's own key.
   */
  replicateTo(region: string): KmsReplicaKey {
    if (!this.props.multiRegion) throw new Error(`CellKey ${this.node.path}: only a multiRegion key can be replicated`);
    const replica = new KmsReplicaKey(this, `replica-${region}`, {
      region,
      primaryKeyArn: this.arn,
      description: `${this.props.description} (replica)`,
      deletionWindowInDays: 30,
      policy: Lazy.stringValue({ produce: () => iamPolicyJson(this.statements) }),
    });
    new KmsAlias(this, `replica-${region}-alias`, { region, name: this.props.alias, targetKeyId: replica.keyId });
    return replica;
  }

  /** One token per attribute, so identical grants compare equal and are not repeated. */
  get arn(): string {
    return (this.cachedArn ??= this.key.arn);
  }
  private cachedArn?: string;

  /**
   * Lets an AWS service principal (e.g. `events.amazonaws.com` delivering to an encrypted
   * topic) encrypt and decrypt with the key on behalf of this account only.
   */
  allowServiceEnvelope(service: string): void {
    if (this.services.has(service)) return;
    this.services.add(service);
    this.addStatement({
      sid: serviceSid(service, "Envelope"),
      actions: ENVELOPE_ACTIONS,
      resources: ["*"],
      principals: [{ type: "Service", identifiers: [service] }],
      conditions: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [this.props.account.account] }],
    });
  }

  /** Lets CloudWatch Logs encrypt this account's log groups in the key's region with the key. */
  allowLogs(): void {
    const region = this.props.region;
    const service = `logs.${region}.amazonaws.com`;
    if (this.services.has(service)) return;
    this.services.add(service);
    const { partition, account } = this.props.account;
    this.addStatement({
      sid: "AllowCloudWatchLogs",
      actions: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
      resources: ["*"],
      principals: [{ type: "Service", identifiers: [service] }],
      conditions: [
        {
          test: "ArnLike",
          variable: "kms:EncryptionContext:aws:logs:arn",
          values: [`arn:${partition}:logs:${region}:${account}:log-group:*`],
        },
      ],
    });
  }

  /** Reading a queue or topic encrypted with the key. */
  grantDecrypt(grantee: Grantee): void {
    grantee.addToPolicy({ actions: ["kms:Decrypt"], resources: [this.arn] });
  }

  /** Writing to a queue or topic encrypted with the key (and reading it back). */
  grantEncryptDecrypt(grantee: Grantee): void {
    grantee.addToPolicy({ actions: ENVELOPE_ACTIONS, resources: [this.arn] });
  }

  private addStatement(statement: PolicyStatement): void {
    this.statements.push(statement);
  }
}
