// The built docs site (apps/docs/.vitepress/dist, from `npm run docs:build`) in headless Chromium:
// every guide page renders with its included examples, the API reference is there, and the
// local search finds a term and leads to its page.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { serveFolder, type StaticServer } from '../../../scripts/static-server.js';

const app = fileURLToPath(new URL('..', import.meta.url));
const dist = join(app, '.vitepress/dist');
const artifacts = join(app, 'test-results');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Each page, and text that only renders when its content (and its included example) is there.
const pages: [string, string, string][] = [
  ['getting-started.html', 'Getting started', 'GemmaCausalLM.fromPreset'],
  ['concepts.html', 'Concepts', "setBackend('wasm')"],
  ['packages/core.html', '@tensorzoo/core', 'einsum('],
  ['packages/layers.html', '@tensorzoo/layers', 'enableLora(2)'],
  ['packages/models.html', '@tensorzoo/models', 'GemmaTokenizer.fromPreset'],
  ['packages/cli.html', 'The command line', 'tensorzoo generate --max-length 24'],
  ['gemma.html', 'The Gemma guide', 'saveLoraWeights(adapterFile)'],
  ['gemma.html#fine-tuning', 'The Gemma guide', 'model.fit(texts'],
  ['benchmarks.html', 'Benchmarks', 'npm run bench -- matmul'],
  ['quantization.html', 'Quantization', "model.quantize('int8')"],
  ['differences-from-kerashub.html', 'Where tensorzoo differs from KerasHub', 'query_head_dim_normalize'],
  ['architecture.html', 'Architecture', 'tidy'],
  ['contributing.html', 'Contributing and releases', 'npm run version-packages'],
  ['browser.html', 'Running in the browser', 'Cross-Origin-Embedder-Policy: require-corp'],
  ['api/index.html', 'API reference', '@tensorzoo/models'],
];

let browser: Browser;
let server: StaticServer;

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  if (!existsSync(join(dist, 'index.html'))) {
    const result = spawnSync(process.execPath, [join(app, 'scripts/build.mjs')], { cwd: app, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`docs build failed:\n${result.stderr}${result.stdout}`);
  }
  server = await serveFolder(dist);
  if (!existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath}: run scripts/install-system-deps.sh (or set CHROMIUM_PATH)`);
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function open(path: string): Promise<{ page: Page; errors: string[]; status: number }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  const response = await page.goto(new URL(path, server.url).href);
  await page.waitForSelector('.VPContent');
  return { page, errors, status: response?.status() ?? 0 };
}

describe('docs site', () => {
  test('the home page links the guides; screenshot', async () => {
    const { page, errors, status } = await open('');
    expect(status).toBe(200);
    expect(await page.textContent('.VPHero .name')).toContain('tensorzoo');
    const links = await page.$$eval('.VPSidebar a, .VPNav a, .VPHero a', (anchors) => anchors.map((anchor) => anchor.getAttribute('href')));
    expect(links.join(' ')).toContain('getting-started');
    await page.screenshot({ path: join(artifacts, 'docs-home.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  test.each(pages)('%s renders', async (path, heading, text) => {
    const { page, errors, status } = await open(path);
    expect(status).toBe(200);
    expect((await page.textContent('.vp-doc h1'))?.replace(/\u200b/g, '')).toContain(heading);
    expect(await page.textContent('.vp-doc')).toContain(text);
    expect(await page.textContent('.vp-doc')).not.toContain('Code snippet path not found');
    const code = (await page.$$eval('.vp-doc div[class*="language-"] pre', (blocks) => blocks.map((block) => block.textContent))).join('\n');
    expect(code, 'a snippet region was not found, so the whole file is shown').not.toMatch(/#region|#endregion|# endregion/);
    expect(await page.$$eval('.VPSidebar a', (anchors) => anchors.length)).toBeGreaterThan(8);
    expect(errors).toEqual([]);
    await page.close();
  });

  test('the benchmarks page shows the committed results', async () => {
    const { page } = await open('benchmarks.html');
    const folder = join(app, '../../benchmarks/results');
    const committed = existsSync(folder) ? readdirSync(folder).filter((name) => name.endsWith('.json')) : [];
    if (committed.length === 0) expect(await page.isVisible('.no-results')).toBe(true);
    else {
      expect(await page.locator('.benchmark-table').count()).toBeGreaterThan(0);
      expect(await page.locator('.benchmark-table tbody tr').count()).toBeGreaterThan(0);
      // The alphabetically last file is the newest of its suite, so its table names it.
      expect(await page.textContent('.vp-doc')).toContain(committed.sort().at(-1)!);
    }
    await page.close();
  });

  test('the API reference documents the classes', async () => {
    const { page, status } = await open('api/index.html');
    expect(status).toBe(200);
    await page.click('.vp-doc a:text-is("@tensorzoo/models")');
    await page.waitForFunction(() => document.querySelector('.vp-doc h1')?.textContent?.includes('@tensorzoo/models'));
    expect(await page.textContent('.vp-doc')).toContain('GemmaBackbone');
    await page.click('.vp-doc a:text-is("GemmaBackbone")');
    await page.waitForFunction(() => document.querySelector('.vp-doc h1')?.textContent?.includes('GemmaBackbone'));
    expect(await page.textContent('.vp-doc')).toContain('fromPreset');
    await page.close();
  });

  test('a package guide links to its API reference', async () => {
    const { page } = await open('packages/core.html');
    await page.click('.vp-doc a:text-is("API reference for @tensorzoo/core")');
    await page.waitForFunction(() => document.querySelector('.vp-doc h1')?.textContent?.includes('@tensorzoo/core'));
    expect(await page.textContent('.vp-doc')).toContain('tidy');
    await page.close();
  });

  test('local search finds a term and opens its page', async () => {
    const { page, errors } = await open('getting-started.html');
    await page.click('.VPNavBarSearch button');
    const input = page.locator('#localsearch-input');
    await input.fill('tidy');
    const result = page.locator('#localsearch-list a[href*="concepts"]').first();
    await result.waitFor();
    expect(await page.locator('#localsearch-list a').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(artifacts, 'docs-search.png') });
    await result.click();
    await page.waitForURL(/concepts/);
    // The router swaps the content after the URL changes: wait for the new heading.
    await page.waitForFunction(() => document.querySelector('.vp-doc h1')?.textContent?.includes('Concepts'));
    expect(await page.textContent('.vp-doc h1')).toContain('Concepts');

    // A term that appears nowhere finds nothing.
    await page.click('.VPNavBarSearch button');
    await page.locator('#localsearch-input').fill('zqxjkwvy');
    await page.waitForSelector('.no-results');
    expect(errors).toEqual([]);
    await page.close();
  });
});
