import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Construct } from "constructs";
import { PolicyDocument, type Grantee, type PolicyStatement } from "./policy-document";

export interface ServiceRoleProps {
  /** Physical role name (from `cells/naming.ts`). */
  readonly roleName: string;
  /** The service that assumes the role, e.g. `lambda.amazonaws.com`. */
  readonly service: string;
  /** Conditions on the trust (e.g. `aws:SourceAccount`, `aws:SourceArn`) against confused deputies. */
  readonly trustConditions?: PolicyStatement["conditions"];
  readonly description: string;
}

/**
 * A role assumed by one AWS service, whose only permissions are the statements constructs grant
 * it (`queue.grantConsumeMessages(role)` and the like), kept in one inline policy.
 */
export class ServiceRole extends Construct implements Grantee {
  readonly role: IamRole;
  private policy?: { document: PolicyDocument; resource: IamRolePolicy };

  constructor(scope: Construct, id: string, props: ServiceRoleProps) {
    super(scope, id);
    const trust = new PolicyDocument(this, "trust", [
      {
        actions: ["sts:AssumeRole"],
        principals: [{ type: "Service", identifiers: [props.service] }],
        conditions: props.trustConditions,
      },
    ]);
    this.role = new IamRole(this, "role", {
      name: props.roleName,
      description: props.description,
      assumeRolePolicy: trust.json,
    });
  }

  /** The inline policy; depend on it where a service must hold its grants before it starts. */
  get grants(): IamRolePolicy {
    if (!this.policy) throw new Error(`ServiceRole ${this.node.path}: nothing was granted to the role`);
    return this.policy.resource;
  }

  get arn(): string {
    return (this.cachedArn ??= this.role.arn);
  }
  private cachedArn?: string;

  get name(): string {
    return this.role.name;
  }

  addToPolicy(statement: PolicyStatement): void {
    // The inline policy exists once there is something in it: IAM refuses an empty one.
    if (!this.policy) {
      const document = new PolicyDocument(this, "permissions");
      const resource = new IamRolePolicy(this, "policy", { name: "least-privilege", role: this.role.id, policy: document.json });
      this.policy = { document, resource };
    }
    this.policy.document.addStatements(statement);
  }
}
