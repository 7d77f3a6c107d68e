import { beforeAll, describe, expect, it } from "vitest";
import { buildTestFleet, defaultFleetInput, fleet, synthStack, type SynthesizedStack } from "../support/fleet";
import { byName, ref, resourcesOf, statementsOf } from "./terraform-json";

describe("the global stack", () => {
  let global: SynthesizedStack;
  const config = fleet();

  beforeAll(() => {
    global = synthStack(buildTestFleet(config).global).parsed;
  });

  describe("API Gateway's per-region logging role (a region singleton no cell may own)", () => {
    it("is set once for every region a cell runs in", () => {
      const accounts = Object.values(resourcesOf(global, "aws_api_gateway_account"));
      expect(accounts.map((a) => a["region"]).sort()).toEqual(["us-east-1", "us-east-2", "us-west-1", "us-west-2"]);
      const { id: roleId } = byName(global, "aws_iam_role", "cellfleet-apigateway-cloudwatch");
      for (const account of accounts) expect(account["cloudwatch_role_arn"]).toBe(ref("aws_iam_role", roleId, "arn"));
    });

    it("sets a region once even when several cells share it", () => {
      const input = defaultFleetInput();
      input.cells = [...input.cells!, { id: "use1-b", region: "us-east-1" }];
      const shared = synthStack(buildTestFleet(fleet(input)).global).parsed;
      const regions = Object.values(resourcesOf(shared, "aws_api_gateway_account")).map((a) => a["region"]);
      expect(regions.filter((r) => r === "us-east-1")).toHaveLength(1);
    });

    it("uses a role only API Gateway of this account can assume, with AWS's push-to-CloudWatch policy", () => {
      const { id, block: role } = byName(global, "aws_iam_role", "cellfleet-apigateway-cloudwatch");
      const [trust] = statementsOf(global, role["assume_role_policy"]);
      expect(trust).toMatchObject({
        actions: ["sts:AssumeRole"],
        principals: [{ type: "Service", identifiers: ["apigateway.amazonaws.com"] }],
        condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: ["${data.aws_caller_identity.account.account_id}"] }],
      });
      const attachment = Object.values(resourcesOf(global, "aws_iam_role_policy_attachment"))[0]!;
      expect(attachment["role"]).toBe(ref("aws_iam_role", id, "name"));
      expect(attachment["policy_arn"]).toMatch(/:iam::aws:policy\/service-role\/AmazonAPIGatewayPushToCloudWatchLogs$/);
      // AWS's managed policy only: no inline statements on this role.
      expect(Object.values(resourcesOf(global, "aws_iam_role_policy")).filter((p) => p["role"] === ref("aws_iam_role", id, "id"))).toEqual([]);
    });

    it("is left alone when the organisation manages it elsewhere", () => {
      const input = defaultFleetInput();
      const off = fleet({ api: { ...input.api!, manageAccountSettings: false } });
      const stack = synthStack(buildTestFleet(off).global).parsed;
      expect(resourcesOf(stack, "aws_api_gateway_account")).toEqual({});
      expect(Object.values(resourcesOf(stack, "aws_iam_role")).map((role) => role["name"])).not.toContain("cellfleet-apigateway-cloudwatch");
    });
  });

  describe("API key secrets", () => {
    it("are encrypted with a multi-region key whose replicas carry its alias in every other cell region", () => {
      const [, key] = Object.entries(resourcesOf(global, "aws_kms_key")).find(([, k]) => k["multi_region"] === true)!;
      expect(key).toMatchObject({ enable_key_rotation: true, region: "us-east-1" });
      const aliases = Object.values(resourcesOf(global, "aws_kms_alias")).filter((a) => a["name"] === "alias/cellfleet-secrets");
      expect(aliases.map((a) => a["region"]).sort()).toEqual(["us-east-1", "us-east-2", "us-west-1", "us-west-2"]);
    });

    it("keeps one secret per client, replicated to every other cell region", () => {
      for (const client of config.api.clients) {
        const secret = byName(global, "aws_secretsmanager_secret", `cellfleet/api-keys/${client.name}`).block;
        const replicaKey = (region: string) => {
          const [id] = Object.entries(resourcesOf(global, "aws_kms_replica_key")).find(([, key]) => key["region"] === region)!;
          return ref("aws_kms_replica_key", id, "arn");
        };
        expect(secret["replica"]).toEqual(["us-east-2", "us-west-1", "us-west-2"].map((region) => ({ region, kms_key_id: replicaKey(region) })));
        expect(secret["kms_key_id"]).toMatch(/^\$\{aws_kms_key\.[^.]+\.arn\}$/);
      }
    });

    it("generates each key once: later plans never overwrite the value", () => {
      const versions = Object.values(resourcesOf(global, "aws_secretsmanager_secret_version"));
      expect(versions).toHaveLength(config.api.clients.length);
      for (const version of versions) {
        expect(version["secret_string"]).toMatch(/^\$\{data\.aws_secretsmanager_random_password\.[^.]+\.random_password\}$/);
        expect(version["lifecycle"]).toEqual({ ignore_changes: ["secret_string"] });
      }
      for (const password of Object.values(global.data["aws_secretsmanager_random_password"] ?? {})) {
        // API Gateway keys: at least 20 characters, no punctuation to escape in headers.
        expect(password).toMatchObject({ password_length: 40, exclude_punctuation: true });
      }
    });
  });
});

describe("the optional compliance module in the global stack", () => {
  it("is absent by default and, when switched on, adds one multi-region trail and a Config recorder per region in use", () => {
    expect(resourcesOf(synthStack(buildTestFleet(fleet()).global).parsed, "aws_cloudtrail")).toEqual({});
    const on = synthStack(buildTestFleet(fleet({ compliance: { enabled: true, trailRetentionDays: 365 } })).global).parsed;
    expect(Object.values(resourcesOf(on, "aws_cloudtrail"))).toEqual([expect.objectContaining({ is_multi_region_trail: true })]);
    const recorders = Object.values(resourcesOf(on, "aws_config_configuration_recorder")).map((r) => r["region"] ?? "us-east-1");
    expect(recorders.sort()).toEqual(["us-east-1", "us-east-2", "us-west-1", "us-west-2"]);
  });
});

describe("the optional QuickSight module in the global stack", () => {
  it("is absent by default and, when switched on, adds dashboards for the configured principals", () => {
    expect(resourcesOf(synthStack(buildTestFleet(fleet()).global).parsed, "aws_quicksight_dashboard")).toEqual({});
    const viewer = "arn:aws:quicksight:us-east-1:111122223333:group/default/invoice-viewers";
    const on = synthStack(
      buildTestFleet(fleet({ analytics: { quicksight: { enabled: true, region: "us-east-1", viewers: [viewer], authors: [] } } })).global,
    ).parsed;
    const dashboards = Object.values(resourcesOf(on, "aws_quicksight_dashboard"));
    expect(dashboards.length).toBeGreaterThan(0);
    for (const dashboard of dashboards) {
      expect((dashboard["permissions"] as { principal: string }[]).map((p) => p.principal)).toEqual([viewer]);
    }
  });
});
