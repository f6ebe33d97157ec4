/// <reference types="vite/client" />
// The core op suite (every test file written with `describeBackends`) once more, on the gpujs
// backend in the mode TENSORZOO_GPUJS_MODE names (default headlessgl on a private Xvfb with Mesa),
// inside the ordinary `npm test`: this file sets TENSORZOO_BACKENDS for its own process and
// imports those files, so their blocks register here as "[gpujs]". Per-backend skips, if ever
// needed, go in ../skips.ts with their reasons.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { createGpujsBackend, requestedGpujsMode } from '@tensorzoo/core/backends/gpujs';
import { ensureDisplay } from './display.js';

const testDirectory = fileURLToPath(new URL('..', import.meta.url));
const display = requestedGpujsMode() === 'headlessgl' ? await ensureDisplay() : null;
afterAll(() => {
  tz.engine.removeBackend('gpujs');
  display?.stop();
});

// Where the mode cannot start (no display, `gl` not built), CI fails and elsewhere one skipped test says why.
let unavailable: string | null = null;
try {
  (await createGpujsBackend(requestedGpujsMode())).dispose();
} catch (error) {
  unavailable = (error as Error).message;
}

process.env.TENSORZOO_BACKENDS = 'gpujs';
const importers = import.meta.glob('../*.test.ts');
const files = readdirSync(testDirectory)
  .filter((name) => name.endsWith('.test.ts') && readFileSync(`${testDirectory}${name}`, 'utf8').includes('describeBackends('))
  .sort();
// Under CI=true one failing test says why (a throw at load time would only fail the file).
if (unavailable && process.env.CI)
  test('op suite on gpujs: the backend starts', () => {
    throw new Error(`gpujs mode '${requestedGpujsMode()}' cannot start: ${unavailable} (under CI=true this is a failure)`);
  });
else if (unavailable) test.skip(`op suite on gpujs [skipped: ${unavailable}]`, () => {});
else for (const name of files) await importers[`../${name}`]!();
