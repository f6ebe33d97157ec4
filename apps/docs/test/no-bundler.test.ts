// The no-bundler example (examples/no-bundler.html, shown in docs/browser.md): a plain HTML page
// whose import map points at the built ES modules under node_modules, served from the repository
// root as `npx serve .` would, in Debian's Chromium. It must load every package without a bundler
// and generate the same greedy text as Node (one wasm thread: it runs on the page's main thread).
import { existsSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchChromium, missingChromium, requireChromium, serveRecording, skipWithoutChromium, type RecordingServer } from './browser-harness.js';

const app = fileURLToPath(new URL('..', import.meta.url));
const repository = join(app, '../..');
const artifacts = join(app, 'test-results');
const models = join(repository, 'packages/models');
const note = skipWithoutChromium ? ` [skipped: ${missingChromium}]` : '';

let server: RecordingServer;
let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  if (!existsSync(join(models, 'dist/browser.js'))) {
    const result = spawnSync(process.execPath, [join(models, 'scripts/build-browser.mjs')], { cwd: models, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`models browser build failed:\n${result.stderr}${result.stdout}`);
  }
  server = await serveRecording(repository, { isolate: false });
  if (!skipWithoutChromium) {
    requireChromium();
    browser = await launchChromium();
  }
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('no-bundler example in Chromium', () => {
  test.skipIf(skipWithoutChromium)(`the import-map page loads the built packages and generates as Node does${note}`, async () => {
    const page = await browser!.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(new URL('apps/docs/examples/no-bundler.html', server.url).href);
    await page.waitForSelector('body[data-done]', { timeout: 180_000 });
    const output = await page.textContent('#output');
    expect(await page.getAttribute('body', 'data-done'), output ?? '').toBe('true');

    const tz = await import('@tensorzoo/core');
    const { setWasmThreads } = await import('@tensorzoo/core/backends/wasm');
    const { GemmaCausalLM } = await import('@tensorzoo/models');
    const previous = tz.getBackend();
    await setWasmThreads(1);
    await tz.setBackend('wasm');
    const model = await GemmaCausalLM.fromPreset();
    const expected = model.generate('def add(a, b):', { maxLength: 32 });
    model.backbone.dispose();
    await tz.setBackend(previous);
    expect(output).toBe(expected);

    // Only built files were loaded: the packages' dist/ folders and h5wasm's ESM build.
    const scripts = server.requests.filter((path) => path.endsWith('.js'));
    expect(scripts).toContain('/node_modules/@tensorzoo/models/dist/browser.js');
    expect(scripts.filter((path) => !/^\/node_modules\/(@tensorzoo\/\w+\/dist|h5wasm\/dist\/esm)\//.test(path))).toEqual([]);
    await page.screenshot({ path: join(artifacts, 'no-bundler.png') });
    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);
});
