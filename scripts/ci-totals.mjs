// Prints "N passed, N failed" summed over vitest JSON reports (a missing report counts as failed).
import { existsSync, readFileSync } from 'node:fs';

let passed = 0;
let failed = 0;
for (const file of process.argv.slice(2)) {
  if (!existsSync(file)) {
    console.log(`${file}: no report (the run crashed)`);
    failed += 1;
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  console.log(`${file}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
  passed += r.numPassedTests;
  failed += r.numFailedTests + r.numPendingTests + r.numTodoTests;
  if (r.numTotalTests === 0) failed += 1;
}
console.log(`${passed} passed, ${failed} failed`);
