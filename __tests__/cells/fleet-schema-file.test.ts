import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AWS_REGIONS } from "../../cells/aws-regions";
import { fleetJsonSchema } from "../../cells/fleet-json-schema";

const CELLS_DIR = path.join(__dirname, "..", "..", "cells");
const SCHEMA_FILE = path.join(CELLS_DIR, "fleet.schema.json");
const FLEET_FILE = path.join(CELLS_DIR, "fleet.json");

interface JsonSchemaNode {
  type?: string;
  enum?: unknown[];
  required?: string[];
  additionalProperties?: boolean | JsonSchemaNode;
  properties?: Record<string, JsonSchemaNode>;
  items?: JsonSchemaNode;
  default?: unknown;
}

const generated = JSON.parse(fleetJsonSchema()) as JsonSchemaNode & { title: string };
const cellSchema = generated.properties!.cells!.items!;

describe("cells/fleet.schema.json (for editors)", () => {
  it("is exactly what `npm run schema` generates from the zod schema", () => {
    const onDisk = readFileSync(SCHEMA_FILE, "utf8");

    expect(onDisk, "cells/fleet.schema.json is stale: run `npm run schema` and commit the result").toBe(fleetJsonSchema());
  });

  it("is pointed at by cells/fleet.json, relative to it", () => {
    const fleet = JSON.parse(readFileSync(FLEET_FILE, "utf8")) as { $schema?: string };

    expect(fleet.$schema).toBe("./fleet.schema.json");
    expect(existsSync(path.resolve(CELLS_DIR, fleet.$schema!))).toBe(true);
  });

  it("offers every AWS region, and only those, wherever a region goes", () => {
    for (const [where, node] of [
      ["cells[].region", cellSchema.properties!.region],
      ["cells[].storeRegion", cellSchema.properties!.storeRegion],
      ["global.region", generated.properties!.global!.properties!.region],
      ["stateBackend.region", generated.properties!.stateBackend!.properties!.region],
    ] as const) {
      expect(node?.enum, where).toEqual([...AWS_REGIONS]);
    }
  });

  it("marks what a fleet must state as required, and what has a default as optional", () => {
    expect(generated.required).toEqual(expect.arrayContaining(["stateBackend", "global", "stages", "cells"]));
    for (const optional of ["project", "stageSettings", "stageDefaults", "subscribers", "store", "queues", "router", "logRetentionDays"]) {
      expect(generated.required, optional).not.toContain(optional);
    }
    expect(cellSchema.required).toEqual(expect.arrayContaining(["id", "region"]));
    expect(cellSchema.required).not.toContain("storeRegion");
  });

  it("flags unknown keys, as the loader does", () => {
    expect(generated.additionalProperties).toBe(false);
    expect(cellSchema.additionalProperties).toBe(false);
  });

  it("shows the defaults the loader fills in", () => {
    expect(generated.properties!.queues!.properties!.maxReceiveCount!.default).toBe(5);
    expect(generated.properties!.logRetentionDays!.default).toBe(365);
    expect(generated.properties!.stageDefaults!.properties!.delivery!.default).toBe("fifo");
  });

  it("is titled for the editor", () => {
    expect(generated.title).toBe("cellfleet fleet");
  });
});
