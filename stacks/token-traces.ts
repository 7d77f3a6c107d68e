/**
 * cdktf records where each token was created: every `queue.arn`, `Fn.*` or `Lazy` value captures
 * a full stack trace (no frame limit), formatted on the spot, only to quote it if that token
 * later fails to resolve. A cell creates thousands of tokens; capturing their traces was 30% of
 * a synth. AWS CDK turns the same traces off with CDK_DISABLE_STACK_TRACE; cdktf 0.21 has no
 * switch, so this swaps the function its token classes call (looked up on the module at each
 * call). The module path is cdktf's own and the version is pinned: an upgrade that moves it
 * fails here, loudly, rather than silently bringing the cost back.
 */
// A CommonJS module's exports object: its functions can be replaced; an ES namespace import's cannot.
const stackTraceModule: { captureStackTrace: (below?: unknown) => string[] } = require("cdktf/lib/tokens/private/stack-trace");

const captureWithTrace = stackTraceModule.captureStackTrace;
const captureNothing = (): string[] => [];

/**
 * Whether tokens created from now on record their creation stack trace (cdktf's default: on).
 * Synth turns them off; `CELLFLEET_TOKEN_TRACES=1` keeps them, for a "token created at" error.
 */
export function setTokenCreationTraces(enabled: boolean): void {
  stackTraceModule.captureStackTrace = enabled ? captureWithTrace : captureNothing;
}
