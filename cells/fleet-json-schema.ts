import { z } from "zod";
import { FleetSchema } from "./fleet-schema";

/** The JSON Schema editors validate `fleet.json` with, generated from the zod schema. */
export function fleetJsonSchema(): string {
  const schema = z.toJSONSchema(FleetSchema, { io: "input", unrepresentable: "any" });
  return `${JSON.stringify({ ...schema, title: "cellfleet fleet" }, null, 2)}\n`;
}
