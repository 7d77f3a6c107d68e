// Prints "N passed, N failed" from a vitest JSON report; fails when no test ran.
import { readFileSync } from "node:fs";

const file = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(file, "utf8"));
} catch (error) {
  console.log("0 passed, 0 failed");
  console.error(`no test report at ${file}: ${error.message}`);
  process.exit(1);
}
const { numPassedTests: passed = 0, numFailedTests: failed = 0, numTotalTests: total = 0 } = report;
console.log(`${passed} passed, ${failed} failed`);
if (total === 0) {
  console.error("no test ran");
  process.exit(1);
}
process.exit(failed > 0 ? 1 : 0);
