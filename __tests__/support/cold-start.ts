import { afterEach, vi } from "vitest";

/**
 * For specs of a deployed handler module, which reads its environment once, at import (its cold
 * start). Registers the cleanup (environment, stubbed globals, loaded modules) after each test
 * and returns `coldStart(env)`: it sets the environment (`undefined` unsets a variable) and
 * forgets loaded modules, so that the next `import()` starts the handler afresh.
 */
export function useColdStarts(): (env: Record<string, string | undefined>) => void {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.unstubAllGlobals();
    vi.resetModules();
  });
  return (env) => {
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    vi.resetModules();
  };
}
