// Prints "N passed, N failed" summed over vitest JSON reports; fails when a report is missing
// or no test ran, so a run that executed nothing is visible.
import { readFileSync } from "node:fs";

let passed = 0;
let failed = 0;
let total = 0;
let missing = false;
for (const file of process.argv.slice(2)) {
  try {
    const report = JSON.parse(readFileSync(file, "utf8"));
    passed += report.numPassedTests ?? 0;
    failed += report.numFailedTests ?? 0;
    total += report.numTotalTests ?? 0;
  } catch (error) {
    console.error(`no test report at ${file}: ${error.message}`);
    missing = true;
  }
}
console.log(`${passed} passed, ${failed} failed`);
if (total === 0) console.error("no test ran");
process.exit(missing || total === 0 || failed > 0 ? 1 : 0);
