import { writeFileSync } from "node:fs";
import path from "node:path";
import { fleetJsonSchema } from "./fleet-json-schema";

// `npm run schema`: regenerates cells/fleet.schema.json (a test fails when it is stale).
const target = path.join(__dirname, "fleet.schema.json");
writeFileSync(target, fleetJsonSchema());
console.log(`wrote ${path.relative(process.cwd(), target)}`);
