// The gpujs backend in headless Chromium (Debian's `chromium`, driven by playwright-core) in mode
// webgl2: the backend and its browser entry (browser-entry.ts) are bundled with vite, served from
// a local HTTP server, and every kernel family is compared with the reference backend in the
// page. WebGL2 comes from SwiftShader (`--use-angle=swiftshader --enable-unsafe-swiftshader`).
// Under CI=true a missing browser is a failure; elsewhere the test is skipped with the reason.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const source = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const flags = ['--no-sandbox', '--disable-gpu-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'];

interface PageResult {
  mode?: string;
  renderer?: string;
  errors?: Record<string, number>;
  failures: string[];
  deviceRuns?: number;
}

let server: Server | null = null;
let unavailable: string | null = existsSync(chromiumPath) ? null : `no Chromium at ${chromiumPath} (set CHROMIUM_PATH)`;

async function bundle(): Promise<string> {
  const { build } = await import('vite');
  const output = await build({
    configFile: false,
    logLevel: 'silent',
    root: source(''),
    resolve: {
      alias: [
        { find: /^@tensorzoo\/core\/backends\/(\w+)$/, replacement: source('src/backends/$1/index.ts') },
        { find: /^@tensorzoo\/core$/, replacement: source('src/index.ts') },
      ],
    },
    build: {
      write: false,
      minify: false,
      target: 'es2022',
      lib: { entry: source('test/gpujs/browser-entry.ts'), formats: ['es'], fileName: 'entry' },
      rollupOptions: { output: { codeSplitting: false } as Record<string, unknown> },
    },
  });
  const results = Array.isArray(output) ? output : [output];
  const chunk = results.flatMap((result) => ('output' in result ? result.output : [])).find((item) => item.type === 'chunk');
  if (!chunk || chunk.type !== 'chunk') throw new Error('chromium test: vite produced no bundle');
  return chunk.code;
}

beforeAll(async () => {
  // Not thrown here: a throwing beforeAll makes vitest report the test as skipped; the test
  // itself fails under CI=true (below).
  if (unavailable) return;
  const code = await bundle();
  server = createServer((request, response) => {
    if (request.url === '/entry.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' });
      response.end(code);
    } else {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<!doctype html><meta charset="utf-8"><script type="module" src="/entry.js"></script>');
    }
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
});

afterAll(() => {
  server?.close();
});

describe('gpujs backend in headless Chromium (mode webgl2)', () => {
  test('every kernel family matches the reference backend on WebGL2', async (context) => {
    if (unavailable && process.env.CI) throw new Error(`gpujs chromium test: ${unavailable} (under CI=true a missing browser is a failure)`);
    if (unavailable) context.skip(unavailable);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: flags });
    try {
      const page = await browser.newPage();
      const messages: string[] = [];
      page.on('console', (message) => messages.push(`${message.type()}: ${message.text()}`));
      page.on('pageerror', (error) => messages.push(`pageerror: ${error.message}`));
      const { port } = server!.address() as AddressInfo;
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(() => (window as unknown as { __gpujsResult?: unknown }).__gpujsResult !== undefined, undefined, { timeout: 90_000 });
      const result = (await page.evaluate(() => (window as unknown as { __gpujsResult: unknown }).__gpujsResult)) as PageResult;
      expect(result.failures, `page failures (console: ${messages.slice(-5).join(' | ')})`).toEqual([]);
      expect(result.mode, 'the mode that ran').toBe('webgl2');
      expect(result.deviceRuns, 'kernels ran on WebGL2').toBeGreaterThan(30);
      // Same tolerances as the Node parity tests, as a relative max error per family.
      for (const [name, error] of Object.entries(result.errors!)) expect(error, `${name} on ${result.renderer}`).toBeLessThan(2e-6);
      expect(Object.keys(result.errors!).length).toBe(13);
    } finally {
      await browser.close();
    }
  });
});
