/** Per-file wiring: the emulator from global setup, and the fleet provisioned in it. */
import { beforeAll, beforeEach, inject } from "vitest";
import { Emulator } from "./emulator";
import { provisionFleet, type FleetView } from "./fleet";
import { emptyQueues } from "./queues";

/**
 * Provisions the synthesized fleet once for the file (after resetting the emulator) and
 * empties every queue before each test; `fresh: true` provisions anew before each test
 * instead (for tests that read the archive, which keeps everything put on the hub).
 */
export function useFleet(options: { fresh?: boolean } = {}): () => FleetView {
  const emulator = new Emulator(inject("motoEndpoint"));
  const synthDir = inject("synthDir");
  let fleet: FleetView | undefined;
  if (options.fresh) {
    beforeEach(async () => {
      fleet = await provisionFleet(emulator, synthDir);
    });
  } else {
    beforeAll(async () => {
      fleet = await provisionFleet(emulator, synthDir);
    });
    beforeEach(async () => {
      if (fleet) await emptyQueues(emulator, fleet.allQueues());
    });
  }
  return () => {
    if (!fleet) throw new Error("the fleet is provisioned in a hook; read it inside a test");
    return fleet;
  };
}
