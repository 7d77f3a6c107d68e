import { setTokenCreationTraces } from "../../stacks/token-traces";

// As in `npm run synth`: tokens record no creation stack trace (a third of every synth's time).
// __tests__/stacks/synth-shortcuts.test.ts turns them on to compare against stock cdktf.
setTokenCreationTraces(false);
