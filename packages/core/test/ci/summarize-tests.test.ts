// scripts/summarize-tests.mjs, the CI's final `N passed, N failed` line, on fixture workspaces
// generated here: every way a run can fail without a failed test in vitest's JSON report (a
// beforeAll that throws, an afterAll that throws, an unhandled rejection, a file that fails to
// load, a workspace that wrote no report) must be counted as a failure. First on reports crafted
// in the shape vitest 4 writes them, then on reports a real vitest run writes for fixture suites.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';

const repository = fileURLToPath(new URL('../../../../', import.meta.url));
const summarizeScript = join(repository, 'scripts', 'summarize-tests.mjs');
// Inside the repository (so that `vitest` resolves for the real run) and git-ignored.
const scratch = join(repository, 'packages', 'core', 'test-results');
mkdirSync(scratch, { recursive: true });
const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

interface CraftedTest {
  status: 'passed' | 'failed' | 'skipped';
}
interface CraftedFile {
  name: string;
  status: 'passed' | 'failed';
  message?: string;
  tests: CraftedTest[];
}
interface CraftedWorkspace {
  /** undefined: the workspace wrote no report at all. */
  files?: CraftedFile[];
  unhandledErrors?: string[];
  /** false: vitest.json without run-status.json. */
  runStatus?: boolean;
}

function writeJson(path: string, value: unknown): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify(value));
}

/** A repository root with one `packages/<name>` workspace (with a test script) per entry. */
function craftRoot(workspaces: Record<string, CraftedWorkspace>): string {
  const root = mkdtempSync(join(scratch, 'summarize-'));
  roots.push(root);
  writeJson(join(root, 'package.json'), { private: true, workspaces: ['packages/*'] });
  for (const [name, workspace] of Object.entries(workspaces)) {
    const folder = join(root, 'packages', name);
    writeJson(join(folder, 'package.json'), { name, scripts: { test: 'vitest run' } });
    if (!workspace.files) continue;
    const tests = workspace.files.flatMap((file) => file.tests);
    const count = (status: string) => tests.filter((entry) => entry.status === status).length;
    writeJson(join(folder, 'test-results', 'vitest.json'), {
      numTotalTests: tests.length,
      numPassedTests: count('passed'),
      numFailedTests: count('failed'),
      numPendingTests: count('skipped'),
      numTodoTests: 0,
      success: false,
      testResults: workspace.files.map((file) => ({
        name: `${folder}/test/${file.name}`,
        status: file.status,
        message: file.message ?? '',
        assertionResults: file.tests.map((entry, index) => ({ title: `t${index}`, status: entry.status, failureMessages: [] })),
      })),
    });
    if (workspace.runStatus !== false)
      writeJson(join(folder, 'test-results', 'run-status.json'), { reason: 'failed', files: workspace.files.length, unhandledErrors: workspace.unhandledErrors ?? [] });
  }
  return root;
}

/** This process's environment without the variables that mark it as a vitest worker. */
function childEnvironment(): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = { ...process.env, CI: 'true', NO_COLOR: '1' };
  for (const name of Object.keys(environment)) if (name.startsWith('VITEST') || name === 'TEST' || name === 'NODE_ENV') delete environment[name];
  return environment;
}

function summarize(root: string): { line: string; stderr: string; status: number | null } {
  const result = spawnSync(process.execPath, [summarizeScript, root], { encoding: 'utf8' });
  const lines = result.stdout.trim().split('\n');
  return { line: lines.at(-1) ?? '', stderr: result.stderr, status: result.status };
}

const passing: CraftedFile = { name: 'ok.test.ts', status: 'passed', tests: [{ status: 'passed' }, { status: 'passed' }] };

describe('summarize-tests counts every failure', () => {
  test('a clean run: all passed, 0 failed, exit 0', () => {
    const result = summarize(craftRoot({ a: { files: [passing] } }));
    expect(result.line).toBe('2 passed, 0 failed');
    expect(result.status).toBe(0);
  });

  test('a beforeAll that throws (its tests reported as skipped) is a failure', () => {
    const result = summarize(
      craftRoot({ a: { files: [passing, { name: 'before.test.ts', status: 'failed', message: 'no browser here', tests: [{ status: 'skipped' }, { status: 'skipped' }] }] } }),
    );
    expect(result.line).toBe('2 passed, 1 failed, 2 skipped');
    expect(result.stderr).toMatch(/failed suite .*before\.test\.ts.*no browser here/);
    expect(result.status).toBe(1);
  });

  test('an afterAll that throws (every test passed) is a failure', () => {
    const result = summarize(craftRoot({ a: { files: [{ name: 'after.test.ts', status: 'failed', message: 'cleanup failed', tests: [{ status: 'passed' }] }] } }));
    expect(result.line).toBe('1 passed, 1 failed');
    expect(result.status).toBe(1);
  });

  test('a file that fails to load is a failure', () => {
    const result = summarize(craftRoot({ a: { files: [passing, { name: 'load.test.ts', status: 'failed', message: 'Cannot find module', tests: [] }] } }));
    expect(result.line).toBe('2 passed, 1 failed');
  });

  test('an unhandled rejection (absent from the JSON report) is a failure', () => {
    const result = summarize(craftRoot({ a: { files: [passing], unhandledErrors: ['Error: nobody awaited me'] } }));
    expect(result.line).toBe('2 passed, 1 failed');
    expect(result.stderr).toMatch(/unhandled error: Error: nobody awaited me/);
    expect(result.status).toBe(1);
  });

  test('a workspace with a test script and no report is a failure, as is a report without its run status', () => {
    const result = summarize(craftRoot({ a: { files: [passing] }, b: {}, c: { files: [passing], runStatus: false } }));
    expect(result.line).toBe('4 passed, 2 failed');
    expect(result.stderr).toMatch(/packages\/b: no report/);
    expect(result.stderr).toMatch(/packages\/c: no run status/);
    expect(result.status).toBe(1);
  });

  test('a failed test is still counted once (not again as a failed suite)', () => {
    const result = summarize(craftRoot({ a: { files: [{ name: 'f.test.ts', status: 'failed', tests: [{ status: 'failed' }, { status: 'passed' }] }] } }));
    expect(result.line).toBe('1 passed, 1 failed');
  });

  test('all of them together', () => {
    const result = summarize(
      craftRoot({
        a: {
          files: [
            passing,
            { name: 'before.test.ts', status: 'failed', tests: [{ status: 'skipped' }] },
            { name: 'after.test.ts', status: 'failed', tests: [{ status: 'passed' }] },
          ],
          unhandledErrors: ['Error: one', 'Error: two'],
        },
        missing: {},
      }),
    );
    expect(result.line).toBe('3 passed, 5 failed, 1 skipped');
  });
});

describe('summarize-tests on the reports of a real vitest run', () => {
  test('fixture suites with a throwing beforeAll, a throwing afterAll, an unhandled rejection and a load failure give 5 failed with the missing report', () => {
    const root = craftRoot({});
    const folder = join(root, 'packages', 'fixture');
    writeJson(join(folder, 'package.json'), { name: 'fixture', scripts: { test: 'vitest run' } });
    writeFileSync(join(folder, 'vitest.config.ts'), `import { packageConfig } from ${JSON.stringify(join(repository, 'vitest.shared.ts'))};\nexport default packageConfig('fixture');\n`);
    const suites: Record<string, string> = {
      'ok.test.ts': `import { expect, test } from 'vitest';\ntest('ok', () => expect(2).toBe(2));\n`,
      'before.test.ts': `import { beforeAll, describe, test } from 'vitest';\nbeforeAll(() => { throw new Error('no browser here'); });\ndescribe('d', () => { test('t1', () => {}); test('t2', () => {}); });\n`,
      'after.test.ts': `import { afterAll, test } from 'vitest';\nafterAll(() => { throw new Error('cleanup failed'); });\ntest('t', () => {});\n`,
      'unhandled.test.ts': `import { test } from 'vitest';\ntest('t', () => { void Promise.reject(new Error('nobody awaited me')); });\n`,
      'load.test.ts': `import { test } from 'vitest';\nimport './does-not-exist.js';\ntest('t', () => {});\n`,
    };
    mkdirSync(join(folder, 'test'));
    for (const [name, text] of Object.entries(suites)) writeFileSync(join(folder, 'test', name), text);
    // A second workspace with a test script that never ran: its missing report is the fifth failure.
    writeJson(join(root, 'packages', 'never-ran', 'package.json'), { name: 'never-ran', scripts: { test: 'vitest run' } });
    const run = spawnSync(join(repository, 'node_modules', '.bin', 'vitest'), ['run', '--root', folder, '--config', join(folder, 'vitest.config.ts')], {
      cwd: folder,
      encoding: 'utf8',
      env: childEnvironment(),
      timeout: 110_000,
    });
    expect(run.status, `the fixture run must fail:\n${run.stdout.slice(-1500)}\n${run.stderr.slice(-1500)}`).not.toBe(0);
    const result = summarize(root);
    // 3 passed (ok, after's test, unhandled's test); 2 skipped (before's tests); failed: before,
    // after, load (failed suites), the unhandled rejection, never-ran's missing report.
    expect(result.line, result.stderr).toBe('3 passed, 5 failed, 2 skipped');
    expect(result.status).toBe(1);
  });
});
