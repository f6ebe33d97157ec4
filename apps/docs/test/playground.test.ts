// The playground page of the built docs site (apps/docs/.vitepress/dist) in Debian's Chromium:
// served with the cross-origin isolation headers it loads the demo model in its worker (2 wasm
// threads), generates the same greedy text as Node, answers a click within 100 ms while it
// generates, stops on Stop, refuses an over-long prompt with a message, and after a reload loads
// without requesting any preset file (Cache API). Served without the headers it says it runs one
// thread, and still generates. Screenshots go to test-results/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchChromium, missingChromium, requireChromium, serveRecording, skipWithoutChromium, type RecordingServer } from './browser-harness.js';

const app = fileURLToPath(new URL('..', import.meta.url));
const dist = join(app, '.vitepress/dist');
const artifacts = join(app, 'test-results');
const models = join(app, '../../packages/models');
const prompt = 'def fibonacci(n):';
const maxLength = 48;
const note = skipWithoutChromium ? ` [skipped: ${missingChromium}]` : '';

/** What Node generates for the same prompt, with the same backend and threads. */
async function nodeGreedy(text: string, length: number, threads: number): Promise<string> {
  const tz = await import('@tensorzoo/core');
  const { setWasmThreads } = await import('@tensorzoo/core/backends/wasm');
  const { GemmaCausalLM } = await import('@tensorzoo/models');
  const previous = tz.getBackend();
  await setWasmThreads(threads);
  await tz.setBackend('wasm');
  try {
    const model = await GemmaCausalLM.fromPreset();
    const result = model.generate(text, { maxLength: length });
    model.backbone.dispose();
    return result;
  } finally {
    await tz.setBackend(previous);
  }
}

let isolated: RecordingServer;
let plain: RecordingServer;
let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  if (!existsSync(join(models, 'dist/browser.js'))) {
    const result = spawnSync(process.execPath, [join(models, 'scripts/build-browser.mjs')], { cwd: models, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`models browser build failed:\n${result.stderr}${result.stdout}`);
  }
  if (!existsSync(join(dist, 'playground.html'))) {
    const result = spawnSync(process.execPath, [join(app, 'scripts/build.mjs')], { cwd: app, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`docs build failed:\n${result.stderr}${result.stdout}`);
  }
  isolated = await serveRecording(dist, { isolate: true });
  plain = await serveRecording(dist, { isolate: false });
  if (!skipWithoutChromium) {
    requireChromium();
    browser = await launchChromium();
  }
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await isolated?.close();
  await plain?.close();
});

async function openPlayground(server: RecordingServer): Promise<{ page: Page; errors: string[] }> {
  const page = await browser!.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(new URL('playground.html', server.url).href);
  await page.waitForSelector('.playground[data-state="ready"], .playground[data-state="error"]', { timeout: 180_000 });
  const message = await page.locator('#pg-message').textContent().catch(() => null);
  expect(await page.getAttribute('.playground', 'data-state'), `the playground failed to load: ${message}`).toBe('ready');
  return { page, errors };
}

async function generate(page: Page, options: { prompt: string; maxLength: number; sampler?: string; stopAtEnd?: boolean }): Promise<void> {
  // As a paste: one input event (typing thousands of characters through CDP is what would be slow).
  await page.$eval(
    '#pg-prompt',
    (element, text) => {
      (element as HTMLTextAreaElement).value = text;
      element.dispatchEvent(new Event('input', { bubbles: true }));
    },
    options.prompt,
  );
  await page.fill('#pg-max-length', String(options.maxLength));
  await page.selectOption('#pg-sampler', options.sampler ?? 'greedy');
  await page.setChecked('#pg-stop-at-eos', options.stopAtEnd ?? true);
  await page.click('#pg-generate');
}

const weightRequests = (server: RecordingServer) => server.requests.filter((path) => path.includes('/models/tinycode-gemma2-6m/'));

describe('playground in Chromium, cross-origin isolated', () => {
  test.skipIf(skipWithoutChromium)(`loads, 2 threads, greedy text as Node, responsive, Stop, over-long prompt, cached reload${note}`, async () => {
    const { page, errors } = await openPlayground(isolated);
    expect(await page.getAttribute('.playground', 'data-isolated')).toBe('true');
    expect(await page.getAttribute('.playground', 'data-threads')).toBe('2');
    expect(await page.textContent('#pg-isolation')).toContain('Cross-origin isolated');
    expect(await page.textContent('#pg-backend-info')).toMatch(/wasm \(.*threads.*\), 2 threads/);
    expect(weightRequests(isolated).filter((path) => path.endsWith('model.weights.h5'))).toHaveLength(1);
    await page.screenshot({ path: join(artifacts, 'playground-loaded.png') });

    // Greedy: the same text as Node's generate (wasm backend, 2 threads there too).
    await generate(page, { prompt, maxLength });
    await page.waitForFunction(() => document.querySelector('.playground')?.getAttribute('data-state') === 'ready' && document.querySelector('#pg-result')?.textContent, undefined, { timeout: 120_000 });
    const pageResult = await page.textContent('#pg-result');
    expect(pageResult).toBe(await nodeGreedy(prompt, maxLength, 2));
    const streamed = (await page.textContent('#pg-output'))!;
    expect(streamed.startsWith(prompt)).toBe(true);
    expect(pageResult!.replace(/\s+/g, ' ')).toContain(streamed.slice(prompt.length).trim().replace(/\s+/g, ' '));
    expect(await page.textContent('#pg-speed')).toMatch(/\d+ tokens, [\d.]+ tokens\/s/);
    await page.screenshot({ path: join(artifacts, 'playground-greedy.png') });

    // Responsive while generating: a click is handled within 100 ms of reaching the page and its
    // effect (the output's wrapping) shows; then Stop ends the generation early.
    await generate(page, { prompt: 'class Stack:', maxLength: 1024, sampler: 'random', stopAtEnd: false });
    await page.waitForFunction(() => (document.querySelector('#pg-output')?.textContent?.length ?? 0) > 'class Stack:'.length + 10, undefined, { timeout: 60_000 });
    const latencies: number[] = [];
    for (let click = 0; click < 5; click++) {
      const wrapped = await page.isChecked('#pg-wrap');
      await page.click('#pg-wrap');
      await page.waitForFunction((expected) => document.querySelector('#pg-output')?.classList.contains('nowrap') === expected, wrapped, { timeout: 2000 });
      latencies.push(Number(await page.getAttribute('.playground', 'data-input-latency')));
    }
    expect(await page.getAttribute('.playground', 'data-state'), 'the generation ended before the clicks; lengthen it').toBe('generating');
    writeFileSync(join(artifacts, 'playground-click-latency.json'), `${JSON.stringify({ clickLatenciesMs: latencies }, null, 2)}\n`);
    expect(Math.max(...latencies), `click latencies ${latencies.map((value) => value.toFixed(1)).join(', ')} ms`).toBeLessThan(100);
    await page.screenshot({ path: join(artifacts, 'playground-generating.png') });
    await page.click('#pg-stop');
    await page.waitForSelector('.playground[data-state="ready"]', { timeout: 10_000 });
    expect(await page.textContent('#pg-speed')).toContain('(stopped)');
    const stoppedTokens = Number(/^(\d+) tokens/.exec((await page.textContent('#pg-speed'))!)![1]);
    expect(stoppedTokens).toBeGreaterThan(0);
    expect(stoppedTokens).toBeLessThan(1024 - 5);

    // An over-long prompt: a message, not a frozen page; the page still generates afterwards.
    await generate(page, { prompt: 'x = 1\n'.repeat(4000), maxLength: 64 });
    await page.waitForSelector('#pg-message', { timeout: 60_000 });
    expect(await page.textContent('#pg-message')).toMatch(/The prompt is \d+ tokens .* max length is 64.*Shorten the prompt/);
    expect(await page.getAttribute('.playground', 'data-state')).toBe('ready');
    await page.click('#pg-wrap');
    expect(Number(await page.getAttribute('.playground', 'data-input-latency'))).toBeLessThan(100);
    await page.screenshot({ path: join(artifacts, 'playground-too-long.png') });

    // A reload loads from the Cache API: no request for any preset file.
    const before = isolated.requests.length;
    await page.reload();
    await page.waitForSelector('.playground[data-state="ready"]', { timeout: 120_000 });
    const afterReload = isolated.requests.slice(before);
    expect(afterReload.length, 'the reload requested nothing at all').toBeGreaterThan(0);
    expect(afterReload.filter((path) => path.includes('/models/'))).toEqual([]);
    expect(await page.textContent('#pg-progress')).toMatch(/0 file\(s\) downloaded, \d+ from the cache/);
    expect(errors).toEqual([]);
    await page.close();
  }, 600_000);
});

describe('playground in Chromium, not cross-origin isolated', () => {
  test.skipIf(skipWithoutChromium)(`says it runs one thread, and generates the same greedy text; gpujs (webgl2) generates too${note}`, async () => {
    const { page, errors } = await openPlayground(plain);
    expect(await page.getAttribute('.playground', 'data-isolated')).toBe('false');
    expect(await page.getAttribute('.playground', 'data-threads')).toBe('1');
    expect(await page.textContent('#pg-isolation')).toContain('Not cross-origin isolated: the wasm backend runs on one thread');
    await generate(page, { prompt, maxLength });
    await page.waitForFunction(() => document.querySelector('.playground')?.getAttribute('data-state') === 'ready' && document.querySelector('#pg-result')?.textContent, undefined, { timeout: 120_000 });
    expect(await page.textContent('#pg-result')).toBe(await nodeGreedy(prompt, maxLength, 1));
    await page.screenshot({ path: join(artifacts, 'playground-not-isolated.png') });

    // The gpujs backend in webgl2 mode (SwiftShader's WebGL2 here) loads and generates too; its
    // numerics differ from wasm's within tolerance, so only the prompt is compared.
    await page.selectOption('#pg-backend', 'gpujs');
    await page.waitForSelector('.playground[data-state="ready"] #pg-backend-info:text("webgl2"), .playground[data-state="error"]', { timeout: 180_000 });
    expect(await page.getAttribute('.playground', 'data-state'), (await page.locator('#pg-message').textContent().catch(() => null)) ?? '').toBe('ready');
    await generate(page, { prompt, maxLength: 24 });
    await page.waitForFunction(() => document.querySelector('.playground')?.getAttribute('data-state') === 'ready' && document.querySelector('#pg-result')?.textContent, undefined, { timeout: 180_000 });
    const gpujsResult = (await page.textContent('#pg-result'))!;
    expect(gpujsResult.startsWith(prompt)).toBe(true);
    expect(gpujsResult.length).toBeGreaterThan(prompt.length);
    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);
});
