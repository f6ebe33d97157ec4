// The packages' browser entry points pull in no Node module: a page importing every package (core
// with its wasm and gpujs backends, layers, models) is built with Vite for the browser, as a
// bundler user would, and Vite must not have to replace any Node built-in ("externalized for
// browser compatibility"). @tensorzoo/models must resolve to its browser entry.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, test } from 'vitest';

const app = fileURLToPath(new URL('..', import.meta.url));
const models = join(app, '../../packages/models');

describe('browser entry points', () => {
  test('a Vite browser build of a page importing every package needs no Node module', async () => {
    if (!existsSync(join(models, 'dist/browser.js'))) {
      const result = spawnSync(process.execPath, [join(models, 'scripts/build-browser.mjs')], { cwd: models, encoding: 'utf8' });
      expect(result.status, result.stderr).toBe(0);
    }
    // Inside the app, so the workspace packages resolve as they do for the docs site.
    const folder = join(app, 'test-results/browser-build');
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      join(folder, 'entry.js'),
      [
        "import * as tz from '@tensorzoo/core';",
        "import { setWasmThreads } from '@tensorzoo/core/backends/wasm';",
        "import { setGpujsMode } from '@tensorzoo/core/backends/gpujs';",
        "import { Dense } from '@tensorzoo/layers';",
        "import { GemmaCausalLM, GemmaTokenizer, fetchPresetFiles, io } from '@tensorzoo/models';",
        'export const used = [tz.tensor, setWasmThreads, setGpujsMode, Dense, GemmaCausalLM, GemmaTokenizer, fetchPresetFiles, io.readKerasWeightsFromBytes];',
      ].join('\n'),
    );
    const messages: string[] = [];
    const resolved: string[] = [];
    const { build } = await import('vite');
    await build({
      configFile: false,
      root: folder,
      logLevel: 'silent',
      customLogger: {
        info: () => {},
        warn: (message: string) => messages.push(message),
        warnOnce: (message: string) => messages.push(message),
        error: (message: string) => messages.push(message),
        clearScreen: () => {},
        hasErrorLogged: () => false,
        hasWarned: false,
      },
      plugins: [
        {
          name: 'record-models-resolution',
          enforce: 'post',
          resolveId: {
            order: 'post',
            handler: () => undefined,
          },
          load(id: string) {
            if (id.includes('packages/models/dist/')) resolved.push(id);
            return undefined;
          },
        },
      ],
      build: {
        write: false,
        minify: false,
        lib: { entry: join(folder, 'entry.js'), formats: ['es'], fileName: 'page' },
        rollupOptions: { onwarn: (warning: { message: string }) => messages.push(warning.message) },
      },
    });
    const externalized = messages.filter((message) => /externalized for browser compatibility|__vite-browser-external/.test(message));
    expect(externalized, externalized.join('\n')).toEqual([]);
    expect(resolved.some((id) => id.endsWith('packages/models/dist/browser.js')), `models resolved to ${resolved.slice(0, 3).join(', ')}`).toBe(true);
    expect(resolved.filter((id) => !id.endsWith('browser.js'))).toEqual([]);
  }, 180_000);
});
