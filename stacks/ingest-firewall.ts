import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { Wafv2WebAcl } from "@cdktf/provider-aws/lib/wafv2-web-acl";
import { Wafv2WebAclAssociation } from "@cdktf/provider-aws/lib/wafv2-web-acl-association";
import { Wafv2WebAclLoggingConfiguration } from "@cdktf/provider-aws/lib/wafv2-web-acl-logging-configuration";
import { Construct } from "constructs";
import type { CellKey } from "./cell-key";

/** Headers whose values never reach the WAF logs. */
export const REDACTED_HEADERS = ["x-api-key", "authorization"];

/** WAF inspects this much of a body at most (KB_16 is the free default for API Gateway). */
const INSPECTION_LIMITS = [16, 32, 48, 64] as const;

export interface IngestFirewallProps {
  readonly webAclName: string;
  readonly logGroupName: string;
  /** ARN of the API Gateway stage to protect. */
  readonly stageArn: string;
  /** Requests one IP may make in 5 minutes before it is blocked (10 .. 2e9). */
  readonly ipRateLimitPer5Minutes: number;
  /** Request bodies larger than this are blocked (1 KB .. 64 KB). */
  readonly maxBodyBytes: number;
  readonly key: CellKey;
  readonly logRetentionDays: number;
}

/**
 * The cell's regional web ACL on the ingest stage: an IP rate limit, a body size limit, and
 * AWS's common and known-bad-inputs rule sets; logs without API keys or credentials.
 */
export class IngestFirewall extends Construct {
  readonly webAcl: Wafv2WebAcl;

  constructor(scope: Construct, id: string, props: IngestFirewallProps) {
    super(scope, id);
    if (props.ipRateLimitPer5Minutes < 10 || props.ipRateLimitPer5Minutes > 2_000_000_000) {
      throw new Error(`IngestFirewall ${this.node.path}: ipRateLimitPer5Minutes must be 10 .. 2,000,000,000, got ${props.ipRateLimitPer5Minutes}`);
    }
    const inspectionKb = INSPECTION_LIMITS.find((kb) => kb * 1024 >= props.maxBodyBytes);
    if (props.maxBodyBytes < 1024 || inspectionKb === undefined) {
      throw new Error(`IngestFirewall ${this.node.path}: maxBodyBytes must be 1024 .. 65536, got ${props.maxBodyBytes}`);
    }

    const visibility = (metricName: string) => ({
      cloudwatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName,
    });
    this.webAcl = new Wafv2WebAcl(this, "web-acl", {
      name: props.webAclName,
      description: "Ingest API: rate limit, body size, AWS common, known-bad-inputs and anonymous-IP rules",
      scope: "REGIONAL",
      defaultAction: { allow: {} },
      associationConfig: {
        requestBody: [{ apiGateway: { defaultSizeInspectionLimit: `KB_${inspectionKb}` } }],
      },
      visibilityConfig: visibility(props.webAclName),
      rule: [
        {
          name: "ip-rate-limit",
          priority: 1,
          action: { block: {} },
          statement: {
            rate_based_statement: { limit: props.ipRateLimitPer5Minutes, aggregate_key_type: "IP", evaluation_window_sec: 300 },
          },
          visibilityConfig: visibility("ip-rate-limit"),
        },
        {
          name: "body-size-limit",
          priority: 2,
          action: { block: {} },
          statement: {
            size_constraint_statement: {
              comparison_operator: "GT",
              size: props.maxBodyBytes,
              field_to_match: { body: { oversize_handling: "MATCH" } },
              text_transformation: [{ priority: 0, type: "NONE" }],
            },
          },
          visibilityConfig: visibility("body-size-limit"),
        },
        {
          name: "aws-common-rule-set",
          priority: 10,
          overrideAction: { none: {} },
          statement: {
            managed_rule_group_statement: {
              vendor_name: "AWS",
              name: "AWSManagedRulesCommonRuleSet",
              // Its 8 KB body rule would refuse bodies our own size rule allows.
              rule_action_override: [{ name: "SizeRestrictions_BODY", action_to_use: { count: {} } }],
            },
          },
          visibilityConfig: visibility("aws-common-rule-set"),
        },
        {
          name: "aws-known-bad-inputs",
          priority: 20,
          overrideAction: { none: {} },
          statement: {
            managed_rule_group_statement: { vendor_name: "AWS", name: "AWSManagedRulesKnownBadInputsRuleSet" },
          },
          visibilityConfig: visibility("aws-known-bad-inputs"),
        },
        {
          name: "aws-anonymous-ip",
          priority: 30,
          overrideAction: { none: {} },
          statement: {
            managed_rule_group_statement: {
              vendor_name: "AWS",
              name: "AWSManagedRulesAnonymousIpList",
              // ERPs and supplier portals often call from cloud hosts: count those, block VPNs/Tor.
              rule_action_override: [{ name: "HostingProviderIPList", action_to_use: { count: {} } }],
            },
          },
          visibilityConfig: visibility("aws-anonymous-ip"),
        },
      ],
    });
    new Wafv2WebAclAssociation(this, "association", {
      resourceArn: props.stageArn,
      webAclArn: this.webAcl.arn,
    });

    const logs = new CloudwatchLogGroup(this, "logs", {
      name: props.logGroupName,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.key.arn,
    });
    new Wafv2WebAclLoggingConfiguration(this, "logging", {
      resourceArn: this.webAcl.arn,
      logDestinationConfigs: [logs.arn],
      redactedFields: REDACTED_HEADERS.map((name) => ({ singleHeader: { name } })),
    });
  }
}
