import { beforeAll, describe, expect, it } from "vitest";
import { ACCESS_LOG_FORMAT, REQUEST_MODEL_NAME } from "../../stacks/ingest-api";
import { GATEWAY_RESPONSES } from "../../stacks/gateway-responses";
import { invoiceRequestModelSchema } from "../../stacks/request-model";
import { buildTestFleet, fleet, synthStack, type SynthesizedStack } from "../support/fleet";
import { byName, entriesOf, ref, resourcesOf, type TfBlock } from "./terraform-json";

const CELL = "use1-a";
const STAGES = ["ingestion", "reconciliation", "authorization", "posting"];

describe("the ingest API edge of a cell", () => {
  let cell: SynthesizedStack;
  const config = fleet();

  beforeAll(() => {
    cell = synthStack(buildTestFleet(config).cells.get(CELL)!).parsed;
  });

  const apiRef = () => ref("aws_api_gateway_rest_api", byName(cell, "aws_api_gateway_rest_api", `${CELL}-ingest`).id, "id");
  const resourceFor = (pathPart: string) =>
    entriesOf(cell, "aws_api_gateway_resource").find(([, block]) => block["path_part"] === pathPart)!;
  const methodOn = (pathPart: string, httpMethod: string) => {
    const [id] = resourceFor(pathPart);
    return entriesOf(cell, "aws_api_gateway_method").find(
      ([, block]) => block["resource_id"] === ref("aws_api_gateway_resource", id, "id") && block["http_method"] === httpMethod,
    )![1];
  };

  describe("request contract", () => {
    it("publishes one request model, the invoice schema as JSON Schema draft 4", () => {
      const models = Object.values(resourcesOf(cell, "aws_api_gateway_model"));
      expect(models).toHaveLength(1);
      expect(models[0]).toMatchObject({ name: REQUEST_MODEL_NAME, content_type: "application/json", rest_api_id: apiRef() });
      expect(JSON.parse(models[0]!["schema"] as string)).toEqual(invoiceRequestModelSchema());
      expect(JSON.parse(models[0]!["schema"] as string).$schema).toBe("http://json-schema.org/draft-04/schema#");
    });

    it.each(STAGES)("validates the body of POST /invoices/%s against the model, and requires an API key", (stage) => {
      const [validatorId, validator] = entriesOf(cell, "aws_api_gateway_request_validator")[0]!;
      expect(validator).toMatchObject({ validate_request_body: true, validate_request_parameters: false });
      const modelId = entriesOf(cell, "aws_api_gateway_model")[0]![0];
      expect(methodOn(stage, "POST")).toMatchObject({
        authorization: "NONE",
        api_key_required: true,
        request_validator_id: ref("aws_api_gateway_request_validator", validatorId, "id"),
        request_models: { "application/json": ref("aws_api_gateway_model", modelId, "name") },
      });
    });

    it("leaves GET /health open: no key, no model", () => {
      const health = methodOn("health", "GET");
      expect(health["authorization"]).toBe("NONE");
      expect(health["api_key_required"]).toBeUndefined();
      expect(health["request_models"]).toBeUndefined();
    });

    it("answers every gateway response as JSON carrying the request id", () => {
      const responses = Object.values(resourcesOf(cell, "aws_api_gateway_gateway_response"));
      expect(responses.map((r) => r["response_type"]).sort()).toEqual(Object.keys(GATEWAY_RESPONSES).sort());
      for (const response of responses) {
        const template = (response["response_templates"] as Record<string, string>)["application/json"]!;
        expect(template).toContain('"requestId":"$context.requestId"');
        // Substituting sample values gives JSON (messageString arrives quoted).
        const rendered = template
          .replace("$context.error.messageString", '"Invalid request body"')
          .replace("$context.error.validationErrorString", "instance failed to match pattern")
          .replace("$context.error.responseType", "BAD_REQUEST_BODY")
          .replace("$context.requestId", "c0ffee");
        expect(() => JSON.parse(rendered), String(response["response_type"])).not.toThrow();
      }
    });

    it.each([
      ["BAD_REQUEST_BODY", "400"],
      ["UNSUPPORTED_MEDIA_TYPE", "415"],
      ["MISSING_AUTHENTICATION_TOKEN", "404"],
      ["THROTTLED", "429"],
      ["QUOTA_EXCEEDED", "429"],
      ["INVALID_API_KEY", "403"],
      ["WAF_FILTERED", "403"],
    ])("answers %s with status %s", (type, status) => {
      const response = Object.values(resourcesOf(cell, "aws_api_gateway_gateway_response")).find((r) => r["response_type"] === type)!;
      expect(response["status_code"]).toBe(status);
    });

    it("names the offending field on a bad body and tells throttled clients when to retry", () => {
      const response = (type: string) =>
        Object.values(resourcesOf(cell, "aws_api_gateway_gateway_response")).find((r) => r["response_type"] === type)!;
      expect((response("BAD_REQUEST_BODY")["response_templates"] as Record<string, string>)["application/json"]).toContain(
        "$context.error.validationErrorString",
      );
      for (const type of ["THROTTLED", "QUOTA_EXCEEDED"]) {
        expect(response(type)["response_parameters"]).toEqual({ "gatewayresponse.header.Retry-After": "'1'" });
      }
    });

    it("redeploys when the model or the gateway responses change", () => {
      const deployment = Object.values(resourcesOf(cell, "aws_api_gateway_deployment"))[0]!;
      const dependsOn = deployment["depends_on"] as string[];
      expect(dependsOn.some((d) => d.startsWith("aws_api_gateway_model."))).toBe(true);
      expect(dependsOn.filter((d) => d.startsWith("aws_api_gateway_gateway_response."))).toHaveLength(Object.keys(GATEWAY_RESPONSES).length);
      expect((deployment["triggers"] as Record<string, string>)["redeployment"]).toMatch(/^[0-9a-f]{64}$/);
    });
  });

  describe("access control and throttling", () => {
    it("creates a usage plan per client tier with its rate, burst and monthly quota on the stage", () => {
      for (const [tier, limits] of Object.entries(config.api.clientTiers)) {
        const plan = byName(cell, "aws_api_gateway_usage_plan", `${CELL}-${tier}`).block;
        expect(plan["throttle_settings"]).toEqual({ rate_limit: limits.rate, burst_limit: limits.burst });
        expect(plan["quota_settings"]).toEqual({ limit: limits.monthlyQuota, period: "MONTH" });
        expect(plan["api_stages"]).toEqual([{ api_id: apiRef(), stage: expect.stringContaining("aws_api_gateway_stage.") }]);
      }
    });

    it("gives each client an API key read from its replicated secret, attached to its tier's plan", () => {
      for (const client of config.api.clients) {
        const { id: keyId, block: key } = byName(cell, "aws_api_gateway_api_key", `${CELL}-${client.name}`);
        const secrets = Object.entries(cell.data["aws_secretsmanager_secret_version"] ?? {});
        const [secretId] = secrets.find(([, block]) => block["secret_id"] === `cellfleet/api-keys/${client.name}`)!;
        expect(key["value"]).toBe(`\${data.aws_secretsmanager_secret_version.${secretId}.secret_string}`);
        const { id: planId } = byName(cell, "aws_api_gateway_usage_plan", `${CELL}-${client.tier}`);
        const attachments = Object.values(resourcesOf(cell, "aws_api_gateway_usage_plan_key")).filter(
          (attachment) => attachment["key_id"] === ref("aws_api_gateway_api_key", keyId, "id"),
        );
        expect(attachments).toEqual([
          expect.objectContaining({ usage_plan_id: ref("aws_api_gateway_usage_plan", planId, "id"), key_type: "API_KEY" }),
        ]);
      }
    });

    it("throttles the stage at the cell's peak times the headroom, with bursts of twice that", () => {
      const settings = Object.values(resourcesOf(cell, "aws_api_gateway_method_settings"))[0]!;
      const rate = Math.ceil(config.load.cellPeakEventsPerSecond * config.api.throttleHeadroom);
      expect(settings).toMatchObject({
        method_path: "*/*",
        settings: { throttling_rate_limit: rate, throttling_burst_limit: 2 * rate },
      });
    });

    it("sizes the throttle from a cell's own configured peak", () => {
      const custom = fleet({ cells: [{ id: "big-a", region: "us-east-1", peakEventsPerSecond: 2000 }] });
      const big = synthStack(buildTestFleet(custom).cells.get("big-a")!).parsed;
      const settings = Object.values(resourcesOf(big, "aws_api_gateway_method_settings"))[0]!;
      expect(settings["settings"]).toMatchObject({ throttling_rate_limit: 3000, throttling_burst_limit: 5000 });
    });
  });

  describe("logging", () => {
    it("logs executions at ERROR only, with data tracing off and metrics on", () => {
      const settings = Object.values(resourcesOf(cell, "aws_api_gateway_method_settings"))[0]!;
      expect(settings["settings"]).toMatchObject({ logging_level: "ERROR", data_trace_enabled: false, metrics_enabled: true });
    });

    it("writes JSON access logs without bodies or key values to an encrypted group with retention", () => {
      const stage = Object.values(resourcesOf(cell, "aws_api_gateway_stage"))[0]!;
      const { id: groupId, block: group } = byName(cell, "aws_cloudwatch_log_group", `/aws/apigateway/${CELL}-ingest/access`);
      expect(stage["access_log_settings"]).toEqual({
        destination_arn: ref("aws_cloudwatch_log_group", groupId, "arn"),
        format: ACCESS_LOG_FORMAT,
      });
      expect(stage["xray_tracing_enabled"]).toBe(true);
      expect(group).toMatchObject({ retention_in_days: config.logRetentionDays, kms_key_id: expect.stringContaining("aws_kms_key.") });
      const fields = Object.values(JSON.parse(ACCESS_LOG_FORMAT) as Record<string, string>);
      expect(fields).not.toContain("$context.identity.apiKey");
      expect(fields.some((field) => /body|\$input/i.test(field))).toBe(false);
    });

    it("owns the execution log group API Gateway would otherwise create without retention", () => {
      const group = Object.values(resourcesOf(cell, "aws_cloudwatch_log_group")).find((g) =>
        String(g["name"]).startsWith("API-Gateway-Execution-Logs_"),
      )!;
      expect(group["name"]).toBe(`API-Gateway-Execution-Logs_${apiRef()}/v1`);
      expect(group).toMatchObject({ retention_in_days: config.logRetentionDays });
    });

    it("leaves API Gateway's per-region account settings to the global stack", () => {
      expect(resourcesOf(cell, "aws_api_gateway_account")).toEqual({});
    });
  });

  describe("firewall", () => {
    let acl: TfBlock;
    let aclId: string;
    const rule = (name: string) => (acl["rule"] as TfBlock[]).find((r) => r["name"] === name)!;

    beforeAll(() => {
      ({ id: aclId, block: acl } = byName(cell, "aws_wafv2_web_acl", `${CELL}-ingest`));
    });

    it("is a regional web ACL associated with the ingest stage", () => {
      expect(acl).toMatchObject({ scope: "REGIONAL", default_action: { allow: {} } });
      const association = Object.values(resourcesOf(cell, "aws_wafv2_web_acl_association"))[0]!;
      expect(association["web_acl_arn"]).toBe(ref("aws_wafv2_web_acl", aclId, "arn"));
      expect(association["resource_arn"]).toMatch(/^\$\{aws_api_gateway_stage\.[^.]+\.arn\}$/);
    });

    it("blocks an IP above the configured rate per 5 minutes", () => {
      expect(rule("ip-rate-limit")).toMatchObject({
        action: { block: {} },
        statement: {
          rate_based_statement: { limit: config.api.waf.ipRateLimitPer5Minutes, aggregate_key_type: "IP", evaluation_window_sec: 300 },
        },
      });
    });

    it("blocks bodies above the configured size, including ones too large to inspect", () => {
      expect(rule("body-size-limit")).toMatchObject({
        action: { block: {} },
        statement: {
          size_constraint_statement: {
            comparison_operator: "GT",
            size: config.api.waf.maxBodyBytes,
            field_to_match: { body: { oversize_handling: "MATCH" } },
          },
        },
      });
    });

    it("applies AWS's common and known-bad-inputs rule sets, with the common set's 8 KB body rule only counting", () => {
      expect(rule("aws-common-rule-set")["statement"]).toEqual({
        managed_rule_group_statement: {
          vendor_name: "AWS",
          name: "AWSManagedRulesCommonRuleSet",
          rule_action_override: [{ name: "SizeRestrictions_BODY", action_to_use: { count: {} } }],
        },
      });
      expect(rule("aws-known-bad-inputs")["statement"]).toEqual({
        managed_rule_group_statement: { vendor_name: "AWS", name: "AWSManagedRulesKnownBadInputsRuleSet" },
      });
    });

    it("logs to an aws-waf-logs- group with the API key and authorization headers redacted", () => {
      const logging = Object.values(resourcesOf(cell, "aws_wafv2_web_acl_logging_configuration"))[0]!;
      const { id: groupId } = byName(cell, "aws_cloudwatch_log_group", `aws-waf-logs-${CELL}-ingest`);
      expect(logging["log_destination_configs"]).toEqual([ref("aws_cloudwatch_log_group", groupId, "arn")]);
      expect(logging["redacted_fields"]).toEqual([{ single_header: { name: "x-api-key" } }, { single_header: { name: "authorization" } }]);
    });
  });

  describe("custom domain", () => {
    it("serves the cell on <cell>.<domain> with a DNS-validated certificate and TLS 1.2", () => {
      const hostname = `${CELL}.${config.api.domain.name}`;
      const { id: certId, block: certificate } = byName(cell, "aws_acm_certificate", hostname, "domain_name");
      expect(certificate["validation_method"]).toBe("DNS");
      const record = Object.values(resourcesOf(cell, "aws_route53_record"))[0]!;
      expect(record["zone_id"]).toBe(config.api.domain.hostedZoneId);
      // One validation record per name on the certificate (for_each over its validation options).
      expect(String(record["for_each"])).toContain(`aws_acm_certificate.${certId}.domain_validation_options`);
      expect(record["name"]).toBe("${each.value.resource_record_name}");
      const validation = Object.values(resourcesOf(cell, "aws_acm_certificate_validation"))[0]!;
      expect(validation["certificate_arn"]).toBe(ref("aws_acm_certificate", certId, "arn"));
      const domain = byName(cell, "aws_api_gateway_domain_name", hostname, "domain_name").block;
      expect(domain).toMatchObject({ security_policy: "TLS_1_2", endpoint_configuration: { types: ["REGIONAL"] } });
      expect(domain["regional_certificate_arn"]).toMatch(/^\$\{aws_acm_certificate_validation\./);
      const mapping = Object.values(resourcesOf(cell, "aws_api_gateway_base_path_mapping"))[0]!;
      expect(mapping["api_id"]).toBe(apiRef());
    });
  });
});
