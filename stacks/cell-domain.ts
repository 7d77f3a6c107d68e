import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation";
import { ApiGatewayBasePathMapping } from "@cdktf/provider-aws/lib/api-gateway-base-path-mapping";
import { ApiGatewayDomainName } from "@cdktf/provider-aws/lib/api-gateway-domain-name";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record";
import { Fn } from "cdktf";
import { Construct } from "constructs";

export interface CellDomainProps {
  /** The cell's hostname, `<cell>.<domain>` (from `cells/naming.ts`). */
  readonly hostname: string;
  /** Route 53 zone where the certificate is validated. */
  readonly hostedZoneId: string;
  readonly restApiId: string;
  readonly stageName: string;
}

/**
 * The cell's own HTTPS name: an ACM certificate validated by DNS, a regional API Gateway custom
 * domain (TLS 1.2) and the mapping of its root to the ingest stage. The DNS record that points
 * the name at the domain belongs to the router in the global stack, with its health check.
 */
export class CellDomain extends Construct {
  readonly domain: ApiGatewayDomainName;

  constructor(scope: Construct, id: string, props: CellDomainProps) {
    super(scope, id);
    const certificate = new AcmCertificate(this, "certificate", {
      domainName: props.hostname,
      validationMethod: "DNS",
      lifecycle: { createBeforeDestroy: true },
    });
    // One name, one validation option; Terraform keeps them in a set, which has no index.
    const option = Fn.element(Fn.tolist(certificate.domainValidationOptions), 0);
    const validationRecord = new Route53Record(this, "validation-record", {
      zoneId: props.hostedZoneId,
      name: Fn.lookup(option, "resource_record_name", ""),
      type: Fn.lookup(option, "resource_record_type", ""),
      records: [Fn.lookup(option, "resource_record_value", "")],
      ttl: 300,
      allowOverwrite: true,
    });
    const validation = new AcmCertificateValidation(this, "validation", {
      certificateArn: certificate.arn,
      validationRecordFqdns: [validationRecord.fqdn],
    });
    this.domain = new ApiGatewayDomainName(this, "domain", {
      domainName: props.hostname,
      regionalCertificateArn: validation.certificateArn,
      endpointConfiguration: { types: ["REGIONAL"] },
      securityPolicy: "TLS_1_2",
    });
    new ApiGatewayBasePathMapping(this, "mapping", {
      domainName: this.domain.domainName,
      apiId: props.restApiId,
      stageName: props.stageName,
    });
  }

  /** Where the router's alias record for this cell points. */
  get target(): { readonly name: string; readonly zoneId: string } {
    return { name: this.domain.regionalDomainName, zoneId: this.domain.regionalZoneId };
  }
}
