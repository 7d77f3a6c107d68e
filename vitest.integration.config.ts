import { defineConfig } from "vitest/config";

// Integration tests (`npm run test:integration`): the synthesized stacks recreated in a moto
// server started by the global setup; what is recreated and what is stood in for is described
// at the top of __tests__/integration/harness/provision.ts.
export default defineConfig({
  test: {
    include: ["__tests__/integration/**/*.itest.ts"],
    globalSetup: ["__tests__/integration/setup/global-setup.ts"],
    // One moto server for the run; every test provisions the fleet afresh after a reset, so
    // test files must not overlap.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
