// The built dashboard in headless Chromium: it loads the committed results, every chart draws
// (non-blank canvas pixels), filters change what is shown, and a screenshot is kept as
// test-results/dashboard.png. A second build over test/fixtures/results covers the model suite,
// history over several files and the machine filter.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readResults } from '../vite.config.js';
import { serveFolder, type StaticServer } from '../../../scripts/static-server.js';

const app = fileURLToPath(new URL('..', import.meta.url));
const committedDir = join(app, '../../benchmarks/results');
const fixtureDir = join(app, 'test/fixtures/results');
const artifacts = join(app, 'test-results');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function viteBuild(outDir: string, resultsDir?: string): void {
  const require = createRequire(import.meta.url);
  const vite = join(require.resolve('vite/package.json'), '..', 'bin', 'vite.js');
  const env = { ...process.env, DASHBOARD_OUT_DIR: outDir, ...(resultsDir ? { TENSORZOO_RESULTS_DIR: resultsDir } : {}) };
  const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'error'], { cwd: app, env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`vite build into ${outDir} failed:\n${result.stderr}${result.stdout}`);
}

/** Per chart: its id, series count, and how many canvas pixels are not blank. */
async function chartPixels(page: Page): Promise<{ id: string; series: number; inked: number; width: number }[]> {
  return page.$$eval('figure.chart', (figures) =>
    figures.map((figure) => {
      const canvas = figure.querySelector('canvas')!;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let inked = 0;
      for (let index = 3; index < data.length; index += 4) if (data[index]! > 0) inked++;
      return { id: (figure as HTMLElement).dataset.chart!, series: Number((figure as HTMLElement).dataset.series), inked, width: canvas.width };
    }),
  );
}

let browser: Browser;
let committedServer: StaticServer;
let fixtureServer: StaticServer;

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  // The committed results are baked into dist/ by `npm run build`; build it here when missing.
  if (!existsSync(join(app, 'dist/index.html'))) viteBuild(join(app, 'dist'));
  viteBuild(join(artifacts, 'fixture-dist'), fixtureDir);
  committedServer = await serveFolder(join(app, 'dist'));
  fixtureServer = await serveFolder(join(artifacts, 'fixture-dist'));
  if (!existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath}: run scripts/install-system-deps.sh (or set CHROMIUM_PATH)`);
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
});

afterAll(async () => {
  await browser?.close();
  await committedServer?.close();
  await fixtureServer?.close();
});

async function open(url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]');
  return { page, errors };
}

describe('dashboard over the committed benchmarks/results', () => {
  const committed = readResults(committedDir);

  test('loads the results, draws every chart, filters, screenshot', async () => {
    const { page, errors } = await open(committedServer.url);
    const summary = await page.textContent('#summary');
    if (committed.length === 0) {
      expect(summary).toMatch(/No benchmark results yet/);
      await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true });
      return;
    }
    const caseCount = committed.reduce((sum, file) => sum + file.cases.length, 0);
    expect(summary).toContain(`${committed.length} results file`);
    expect(summary).toContain(`${caseCount} measurements`);
    // Every suite of the newest machine's files has its section.
    const suites = await page.$$eval('section.suite', (sections) => sections.map((section) => (section as HTMLElement).dataset.suite));
    expect(suites.length).toBeGreaterThan(0);
    const charts = await chartPixels(page);
    expect(charts.length).toBeGreaterThan(0);
    for (const chart of charts) {
      expect(chart.width, chart.id).toBeGreaterThan(0);
      expect(chart.inked, `chart ${chart.id} drew nothing`).toBeGreaterThan(500);
    }
    if (!committed.some((file) => file.cases.some((entry) => entry.suite === 'model')))
      expect(await page.isVisible('#model-missing')).toBe(true);
    await page.screenshot({ path: join(artifacts, 'dashboard.png'), fullPage: true });

    // Unticking a backend removes it from the charts and the table.
    const rowsBefore = Number(await page.getAttribute('body', 'data-rows'));
    // An implementation that has rows in the table (some filters list implementations whose rows
    // are only in other machines' files, which the newest-machine table does not show).
    const firstImpl = await page.$eval('#cases-table tbody td:nth-child(3)', (cell) => cell.textContent ?? '');
    await page.uncheck(`#filter-impls input[value="${firstImpl}"]`);
    const rowsAfter = Number(await page.getAttribute('body', 'data-rows'));
    expect(rowsAfter).toBeLessThan(rowsBefore);
    expect(await page.$$eval('#cases-table tbody td:nth-child(3)', (cells) => cells.map((cell) => cell.textContent))).not.toContain(firstImpl);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('dashboard over the fixture results (model suite, history, two machines)', () => {
  test('model prefill and decode charts, history, ratio; every chart draws', async () => {
    const { page, errors } = await open(fixtureServer.url);
    expect(await page.inputValue('#filter-machine')).toContain('Fixture CPU A');
    const charts = await chartPixels(page);
    const ids = charts.map((chart) => chart.id);
    expect(ids).toEqual(expect.arrayContaining([
      'matmul-GFLOP_s-matmul', 'matmul-GFLOP_s-gemv', 'matmul-GB_s-gemv', 'matmul-ratio', 'matmul-history',
      'model-tokens_s-prefill', 'model-tokens_s-decode', 'model-MB_s-tokenize', 'model-ratio', 'model-history',
    ]));
    for (const chart of charts) expect(chart.inked, `chart ${chart.id} drew nothing`).toBeGreaterThan(500);
    expect(await page.getAttribute('figure[data-chart="matmul-history"]', 'data-labels')).toBe('2026-11-01|2026-11-20');
    expect(await page.isVisible('#model-missing')).toBe(false);
    await page.screenshot({ path: join(artifacts, 'dashboard-fixture.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  test('filters: backend, thread count, suite, machine (a machine with only the matmul suite)', async () => {
    const { page, errors } = await open(fixtureServer.url);
    const seriesOf = (id: string) => page.getAttribute(`figure[data-chart="${id}"]`, 'data-series').then(Number);
    const before = await seriesOf('matmul-GFLOP_s-matmul');
    await page.uncheck('#filter-impls input[value="ort-node"]');
    expect(await seriesOf('matmul-GFLOP_s-matmul')).toBe(before - 2);
    await page.uncheck('#filter-threads input[value="2"]');
    // Left: tensorzoo-wasm ×1 (in both process groups), tensorzoo-reference, tfjs-wasm, ort-web.
    expect(await seriesOf('matmul-GFLOP_s-matmul')).toBe(5);

    await page.selectOption('#filter-suite', 'model');
    expect(await page.$$eval('section.suite', (sections) => sections.map((section) => (section as HTMLElement).dataset.suite))).toEqual(['model']);

    await page.selectOption('#filter-suite', '');
    const machineB = await page.$eval('#filter-machine', (select) =>
      [...(select as HTMLSelectElement).options].map((option) => option.value).find((value) => value.includes('CPU B'))!);
    await page.selectOption('#filter-machine', machineB);
    expect(await page.$$eval('section.suite', (sections) => sections.map((section) => (section as HTMLElement).dataset.suite))).toEqual(['matmul']);
    expect(await page.isVisible('#model-missing')).toBe(true);
    const charts = await chartPixels(page);
    expect(charts.length).toBeGreaterThan(0);
    for (const chart of charts) expect(chart.inked, `chart ${chart.id} drew nothing`).toBeGreaterThan(500);
    expect(await page.textContent('.run-info')).toContain('matmul-2026-11-10.json');

    await page.selectOption('figure[data-chart="matmul-history"] select', 'gemv-2048x16384');
    expect(await page.textContent('figure[data-chart="matmul-history"] figcaption span')).toContain('gemv-2048x16384');
    expect(errors).toEqual([]);
    await page.close();
  });
});
