// Sums vitest JSON reports (packages/*/test-results/vitest.json, apps/*/…) into one line:
// `N passed, N failed`. Exits non-zero when anything failed or no test passed.
//
// "failed" counts, besides failed tests, everything that makes a test run fail without a failed
// test in vitest's JSON report (each listed on stderr):
// - a failed file with no failed test: a beforeAll that throws (vitest then reports the file's
//   tests as skipped), an afterAll that throws, a file that fails to load;
// - unhandled errors and rejections, which vitest's JSON report leaves out: the run-status
//   reporter (scripts/vitest-run-status.ts, in vitest.shared.ts) writes them beside the report;
// - a workspace with a `test` script that wrote no report (or no run status), or an unreadable one.
//
// Usage: node scripts/summarize-tests.mjs [repository root] (default: this script's repository).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(process.argv[2] ?? fileURLToPath(new URL('..', import.meta.url)));

/** Workspaces with a `test` script, from the root package.json's `workspaces` ("dir" or "dir/*"). */
function testedWorkspaces() {
  const patterns = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces ?? [];
  const folders = patterns.flatMap((pattern) => {
    if (!pattern.endsWith('/*')) return [pattern];
    const base = pattern.slice(0, -2);
    return existsSync(join(root, base)) ? readdirSync(join(root, base)).sort().map((name) => `${base}/${name}`) : [];
  });
  return folders.filter((folder) => {
    const manifest = join(root, folder, 'package.json');
    return existsSync(manifest) && typeof JSON.parse(readFileSync(manifest, 'utf8')).scripts?.test === 'string';
  });
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return { unreadable: error.message.split('\n')[0] };
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
const reports = [];
const problems = [];
const firstLine = (text) => String(text ?? '').split('\n')[0].slice(0, 200);

for (const folder of testedWorkspaces()) {
  const reportPath = join(folder, 'test-results', 'vitest.json');
  const statusPath = join(folder, 'test-results', 'run-status.json');
  if (!existsSync(join(root, reportPath))) {
    failed++;
    problems.push(`${folder}: no report (${reportPath} is missing: the tests did not run or vitest died)`);
    continue;
  }
  const data = readJson(join(root, reportPath));
  if (data.unreadable !== undefined) {
    failed++;
    problems.push(`${folder}: unreadable report ${reportPath} (${data.unreadable})`);
    continue;
  }
  reports.push(folder);
  passed += data.numPassedTests ?? 0;
  failed += data.numFailedTests ?? 0;
  skipped += (data.numPendingTests ?? 0) + (data.numTodoTests ?? 0);
  for (const file of data.testResults ?? []) {
    const failedTests = (file.assertionResults ?? []).filter((test) => test.status === 'failed').length;
    if (file.status === 'failed' && failedTests === 0) {
      failed++;
      problems.push(`${folder}: failed suite ${file.name} (a hook or the file itself failed): ${firstLine(file.message) || 'no message'}`);
    }
  }
  if (!existsSync(join(root, statusPath))) {
    failed++;
    problems.push(`${folder}: no run status (${statusPath} is missing: was vitest run with vitest.shared.ts's reporters?)`);
    continue;
  }
  const status = readJson(join(root, statusPath));
  if (status.unreadable !== undefined) {
    failed++;
    problems.push(`${folder}: unreadable run status ${statusPath} (${status.unreadable})`);
    continue;
  }
  for (const error of status.unhandledErrors ?? []) {
    failed++;
    problems.push(`${folder}: unhandled error: ${firstLine(error)}`);
  }
  if (status.reason === 'interrupted') {
    failed++;
    problems.push(`${folder}: the test run was interrupted`);
  }
}

console.error(`reports: ${reports.join(', ') || 'none'}`);
for (const problem of problems) console.error(`failure: ${problem}`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
