import { beforeAll, describe, expect, it } from "vitest";
import { buildTestFleet, defaultFleetInput, fleet, synthStack, type SynthesizedStack } from "../support/fleet";
import { ref, resourcesOf } from "./terraform-json";

const DOMAIN = "invoices.example.com";
const ZONE = "Z0EXAMPLE0HOSTEDZONE";

/** The default fleet plus a second us-east-1 cell, use2-a drained, and two tenants. */
function routedFleet() {
  const input = defaultFleetInput();
  input.cells = [
    ...input.cells!.map((cell) => (cell.id === "use2-a" ? { ...cell, active: false } : cell)),
    { id: "use1-b", region: "us-east-1" },
  ];
  input.tenants = { "acme-emea": "use1-b", globex: "usw2-a" };
  return fleet(input);
}

describe("the router stack", () => {
  let router: SynthesizedStack;
  const cells = new Map<string, SynthesizedStack>();

  beforeAll(() => {
    const stacks = buildTestFleet(routedFleet());
    router = synthStack(stacks.router).parsed;
    for (const [id, stack] of stacks.cells) cells.set(id, synthStack(stack).parsed);
  });

  const healthChecks = () => Object.entries(resourcesOf(router, "aws_route53_health_check"));
  const records = () => Object.values(resourcesOf(router, "aws_route53_record"));
  const lookups = () => Object.entries(router.data["aws_api_gateway_domain_name"] ?? {});
  const lookupRef = (hostname: string, region: string) => {
    const [id] = lookups().find(([, block]) => block["domain_name"] === hostname && block["region"] === region)!;
    return { name: `\${data.aws_api_gateway_domain_name.${id}.regional_domain_name}`, zone_id: `\${data.aws_api_gateway_domain_name.${id}.regional_zone_id}` };
  };

  it("probes every cell's /health over HTTPS on its own hostname, drained ones too", () => {
    const https = healthChecks().filter(([, check]) => check["type"] === "HTTPS");
    expect(https.map(([, check]) => check["fqdn"]).sort()).toEqual(
      ["use1-a", "use1-b", "use2-a", "usw1-a", "usw2-a"].map((cell) => `${cell}.${DOMAIN}`),
    );
    for (const [, check] of https) expect(check).toMatchObject({ port: 443, resource_path: "/health", enable_sni: true });
  });

  it("combines each cell's /health with its canary alarm: a broken pipeline makes the cell unhealthy", () => {
    const checks = Object.fromEntries(healthChecks());
    const [canaryId, canary] = healthChecks().find(([, c]) => c["cloudwatch_alarm_name"] === "usw1-a-canary-failures")!;
    expect(canary).toMatchObject({ type: "CLOUDWATCH_METRIC", cloudwatch_alarm_region: "us-west-1", insufficient_data_health_status: "LastKnownStatus" });
    const [httpId] = healthChecks().find(([, c]) => c["fqdn"] === `usw1-a.${DOMAIN}`)!;
    const calculated = Object.values(checks).find(
      (c) => c["type"] === "CALCULATED" && (c["child_healthchecks"] as string[]).includes(ref("aws_route53_health_check", canaryId, "id")),
    )!;
    expect(calculated["child_healthchecks"]).toEqual([ref("aws_route53_health_check", httpId, "id"), ref("aws_route53_health_check", canaryId, "id")]);
    expect(calculated["child_health_threshold"]).toBe(2);
  });

  it("gives every cell a record on its own name, aliased to its custom domain in its region", () => {
    for (const [cell, region] of [["use1-a", "us-east-1"], ["use2-a", "us-east-2"], ["usw1-a", "us-west-1"]] as const) {
      const record = records().find((r) => r["name"] === `${cell}.${DOMAIN}`)!;
      expect(record).toMatchObject({ zone_id: ZONE, type: "A", alias: { ...lookupRef(`${cell}.${DOMAIN}`, region), evaluate_target_health: false } });
    }
  });

  it("routes the shared entry by latency to one active cell per region, with the cell's combined health check", () => {
    const shared = records().filter((r) => r["name"] === `api.${DOMAIN}`);
    // use2-a is drained; use1-b shares us-east-1 with use1-a, which serves the region.
    expect(shared.map((r) => r["set_identifier"]).sort()).toEqual(["use1-a", "usw1-a", "usw2-a"]);
    for (const record of shared) {
      const cell = record["set_identifier"] as string;
      const region = { "use1-a": "us-east-1", "usw1-a": "us-west-1", "usw2-a": "us-west-2" }[cell]!;
      expect(record["latency_routing_policy"]).toEqual({ region });
      expect(record["health_check_id"]).toMatch(/^\$\{aws_route53_health_check\.[^.]+\.id\}$/);
      expect(record["alias"]).toMatchObject(lookupRef(`api.${DOMAIN}`, region));
    }
  });

  it("pins each tenant to its cell", () => {
    expect(records().find((r) => r["name"] === `acme-emea.${DOMAIN}`)!["alias"]).toMatchObject(lookupRef(`acme-emea.${DOMAIN}`, "us-east-1"));
    expect(records().find((r) => r["name"] === `globex.${DOMAIN}`)!["alias"]).toMatchObject(lookupRef(`globex.${DOMAIN}`, "us-west-2"));
  });

  it("has each cell answer on exactly the names the router points at it", () => {
    const namesOf = (cell: string) =>
      Object.values(resourcesOf(cells.get(cell)!, "aws_api_gateway_domain_name"))
        .map((d) => d["domain_name"])
        .sort();
    expect(namesOf("use1-a")).toEqual([`api.${DOMAIN}`, `use1-a.${DOMAIN}`]);
    expect(namesOf("use1-b")).toEqual([`acme-emea.${DOMAIN}`, `use1-b.${DOMAIN}`]);
    expect(namesOf("use2-a")).toEqual([`use2-a.${DOMAIN}`]);
    expect(namesOf("usw2-a")).toEqual([`api.${DOMAIN}`, `globex.${DOMAIN}`, `usw2-a.${DOMAIN}`]);
    const certificate = Object.values(resourcesOf(cells.get("usw2-a")!, "aws_acm_certificate"))[0]!;
    expect(certificate).toMatchObject({ domain_name: `usw2-a.${DOMAIN}`, subject_alternative_names: [`api.${DOMAIN}`, `globex.${DOMAIN}`] });
  });

  it("drops the canary from the health check when the canary is off", () => {
    const input = defaultFleetInput();
    const off = fleet({ operations: { ...input.operations!, canary: { ...input.operations!.canary!, enabled: false } } });
    const stack = synthStack(buildTestFleet(off).router).parsed;
    const types = Object.values(resourcesOf(stack, "aws_route53_health_check")).map((c) => c["type"]);
    expect(new Set(types)).toEqual(new Set(["HTTPS"]));
  });
});
