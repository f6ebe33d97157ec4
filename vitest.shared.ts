// Shared vitest settings: workspace packages resolve to their TypeScript sources, so a test
// always runs the code beside it (no stale dist), and every package reports JSON for .ci/run.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { RunStatusReporter } from './scripts/vitest-run-status.js';

const root = fileURLToPath(new URL('.', import.meta.url));
const source = (path: string) => `${root}packages/${path}`;

export function packageConfig(packageName: string) {
  return defineConfig({
    resolve: {
      alias: [
        { find: /^@tensorzoo\/core\/backends\/(\w+)$/, replacement: source('core/src/backends/$1/index.ts') },
        { find: /^@tensorzoo\/core$/, replacement: source('core/src/index.ts') },
        { find: /^@tensorzoo\/layers$/, replacement: source('layers/src/index.ts') },
        { find: /^@tensorzoo\/models$/, replacement: source('models/src/index.ts') },
        { find: /^@tensorzoo\/cli$/, replacement: source('cli/src/index.ts') },
      ],
    },
    test: {
      name: packageName,
      include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
      testTimeout: 120_000,
      hookTimeout: 120_000,
      pool: 'forks',
      // .ci/run sums every package's JSON report into one `N passed, N failed` line; the run
      // status beside it carries the unhandled errors the JSON report leaves out.
      reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }], new RunStatusReporter()],
    },
  });
}
