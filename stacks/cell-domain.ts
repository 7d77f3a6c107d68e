import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { ApiGatewayBasePathMapping } from "@cdktf/provider-aws/lib/api-gateway-base-path-mapping";
import { ApiGatewayDomainName } from "@cdktf/provider-aws/lib/api-gateway-domain-name";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { TerraformIterator, Token } from "cdktf";
import { Construct } from "constructs";

export interface CellDomainProps {
  /**
   * The names the cell answers on: its own `<cell>.<domain>` first, then the shared entry when it
   * serves it in its region, then its pinned tenants' names (from `cells/naming.ts`).
   */
  readonly hostnames: readonly string[];
  /** Route 53 zone where the certificate is validated. */
  readonly hostedZoneId: string;
  readonly restApiId: string;
  readonly stageName: string;
}

/**
 * The cell's HTTPS names: one ACM certificate for all of them validated by DNS, a regional API
 * Gateway custom domain (TLS 1.2) per name, each mapped to the ingest stage. The DNS records
 * that point the names at the cell belong to the router stack, with their health checks.
 */
export class CellDomain extends Construct {
  readonly domains = new Map<string, ApiGatewayDomainName>();

  constructor(scope: Construct, id: string, props: CellDomainProps) {
    super(scope, id);
    const [primary, ...alternatives] = props.hostnames;
    if (!primary) throw new Error(`CellDomain ${this.node.path}: hostnames must name at least the cell's own hostname`);
    const certificate = new AcmCertificate(this, "certificate", {
      domainName: primary,
      subjectAlternativeNames: alternatives.length > 0 ? [...alternatives] : undefined,
      validationMethod: "DNS",
      lifecycle: { createBeforeDestroy: true },
    });
    // One validation record per name; Terraform keeps the options in a set, hence for_each.
    const options = TerraformIterator.fromComplexList(certificate.domainValidationOptions, "domain_name");
    const records = new Route53Record(this, "validation-record", {
      forEach: options,
      zoneId: props.hostedZoneId,
      name: options.getString("resource_record_name"),
      type: options.getString("resource_record_type"),
      records: [options.getString("resource_record_value")],
      ttl: 300,
      allowOverwrite: true,
    });
    const validation = new AcmCertificateValidation(this, "validation", {
      certificateArn: certificate.arn,
      validationRecordFqdns: Token.asList(`\${[for record in ${records.fqn} : record.fqdn]}`),
    });
    props.hostnames.forEach((hostname, i) => {
      const domain = new ApiGatewayDomainName(this, i === 0 ? "domain" : `domain-${hostname}`, {
        domainName: hostname,
        regionalCertificateArn: validation.certificateArn,
        endpointConfiguration: { types: ["REGIONAL"] },
        securityPolicy: "TLS_1_2",
      });
      new ApiGatewayBasePathMapping(this, i === 0 ? "mapping" : `mapping-${hostname}`, {
        domainName: domain.domainName,
        apiId: props.restApiId,
        stageName: props.stageName,
      });
      this.domains.set(hostname, domain);
    });
  }
}
