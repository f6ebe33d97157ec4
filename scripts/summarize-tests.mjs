// Sums vitest JSON reports (packages/*/test-results/vitest.json, apps/*/…) into one line:
// `N passed, N failed`. Exits non-zero when a test failed, a suite failed to load, or none ran.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
let brokenSuites = 0;
const reports = [];
for (const folder of ['packages', 'apps', '.']) {
  const base = join(root, folder);
  const names = folder === '.' ? ['benchmarks'] : existsSync(base) ? readdirSync(base) : [];
  for (const name of names) {
    const report = join(base, name, 'test-results', 'vitest.json');
    if (!existsSync(report)) continue;
    const data = JSON.parse(readFileSync(report, 'utf8'));
    reports.push(`${folder}/${name}`);
    passed += data.numPassedTests ?? 0;
    failed += data.numFailedTests ?? 0;
    skipped += (data.numPendingTests ?? 0) + (data.numTodoTests ?? 0);
    for (const suite of data.testResults ?? [])
      if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) brokenSuites++;
  }
}
failed += brokenSuites;
console.error(`reports: ${reports.join(', ') || 'none'}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
