// The wasm backend in Chromium: browser-entry.ts is bundled with Vite (the generated base64
// module inlined, no Node built-ins), served with cross-origin isolation headers (COOP/COEP, so
// SharedArrayBuffer exists), and run by headless Chromium twice: in the page, whose main thread
// may not block in Atomics.wait (so: single-threaded, with its one warning), and in a module Web
// Worker (threaded: workers started from a Blob URL). Both compare against the reference backend.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(chromiumPath);
const packages = fileURLToPath(new URL('../../../', import.meta.url));

const page = `<!doctype html><meta charset="utf-8"><title>tensorzoo wasm</title>
<script type="module">
  const warnings = [];
  const warn = console.warn;
  console.warn = (...args) => { warnings.push(String(args[0])); warn(...args); };
  try {
    const { runChecks } = await import('/bundle.js');
    const main = { ...(await runChecks(2)), warnings };
    const worker = await new Promise((resolve, reject) => {
      const w = new Worker('/worker.js', { type: 'module' });
      w.onmessage = (event) => resolve(event.data);
      w.onerror = (event) => reject(new Error(event.message));
    });
    await fetch('/result', { method: 'POST', body: 'RESULT' + JSON.stringify({ main, worker }) });
  } catch (error) {
    await fetch('/result', { method: 'POST', body: 'ERROR' + String(error && error.stack || error) });
  }
</script>`;
const worker = `import { runChecks } from '/bundle.js';
runChecks(2).then((result) => postMessage(result), (error) => postMessage({ error: String(error && error.stack || error) }));`;

async function bundle(): Promise<string> {
  const { build } = await import('vite');
  const source = (path: string) => `${packages}${path}`;
  const result = await build({
    configFile: false,
    logLevel: 'error',
    resolve: {
      alias: [
        { find: /^@tensorzoo\/core\/backends\/(\w+)$/, replacement: source('core/src/backends/$1/index.ts') },
        { find: /^@tensorzoo\/core$/, replacement: source('core/src/index.ts') },
      ],
    },
    build: { write: false, minify: false, lib: { entry: source('core/test/wasm/browser-entry.ts'), formats: ['es'], fileName: 'bundle' } },
  });
  const outputs = (Array.isArray(result) ? result : [result]).flatMap((entry) => ('output' in entry ? entry.output : []));
  const chunk = outputs.find((entry) => entry.type === 'chunk');
  if (!chunk || chunk.type !== 'chunk') throw new Error('vite produced no bundle');
  return chunk.code;
}

let server: Server;
let url = '';
const profile = mkdtempSync(join(tmpdir(), 'tensorzoo-chromium-'));
let reportResult: (text: string) => void = () => {};
const result = new Promise<string>((resolve) => (reportResult = resolve));

beforeAll(async () => {
  if (!hasChromium) return;
  const code = await bundle();
  const files: Record<string, [string, string]> = {
    '/': ['text/html', page],
    '/bundle.js': ['text/javascript', code],
    '/worker.js': ['text/javascript', worker],
  };
  server = createServer((request, response) => {
    if (request.method === 'POST' && request.url === '/result') {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        response.writeHead(204).end();
        reportResult(body);
      });
      return;
    }
    const file = files[request.url ?? '/'];
    if (!file) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, {
      'content-type': file[0],
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    });
    response.end(file[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  rmSync(profile, { recursive: true, force: true });
});

// Without Chromium the test is skipped with the reason, except under CI=true, where it runs and fails.
const missingChromium = `no Chromium at ${chromiumPath}; run scripts/install-system-deps.sh or set CHROMIUM_PATH`;

describe('wasm backend in headless Chromium', () => {
  test.skipIf(!hasChromium && !process.env.CI)(`page (single-threaded) and Web Worker (threaded) agree with the reference backend${hasChromium ? '' : ` [${process.env.CI ? 'failing under CI' : 'skipped'}: ${missingChromium}]`}`, async () => {
    if (!hasChromium) throw new Error(`wasm browser test: ${missingChromium} (under CI=true a missing browser is a failure)`);
    // Asynchronous: the page is served by this process, whose event loop must keep running. The
    // page POSTs its result back; Chromium is stopped once it has.
    let stderr = '';
    // Its own process group, so that stopping it also stops the renderer and zygote processes.
    const browser = spawn(chromiumPath, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', `--user-data-dir=${profile}`, url], {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    browser.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<void>((resolve) => browser.on('exit', () => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('TIMEOUT'), 90_000)));
    const text = await Promise.race([result, timeout]);
    clearTimeout(timer);
    process.kill(-browser.pid!, 'SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    expect(text.startsWith('TIMEOUT'), `no result from Chromium within 90 s; stderr:\n${stderr.slice(-2000)}`).toBe(false);
    const match = /^(RESULT|ERROR)([\s\S]*)$/.exec(text)!;
    expect(match[1], match[2]).toBe('RESULT');
    const { main, worker } = JSON.parse(match[2]!) as Record<string, Record<string, unknown>>;
    expect(main!.crossOriginIsolated).toBe(true);
    expect(main!.simd).toBe(true);
    expect(main!.maxDiff as number).toBeLessThan(1e-4);
    expect(main!.threads).toBe(1); // a page's main thread may not block in Atomics.wait
    expect(String((main!.warnings as string[])[0])).toMatch(/single-threaded: this thread may not block/);
    expect(worker!.error).toBeUndefined();
    expect(worker!.maxDiff as number).toBeLessThan(1e-4);
    expect(worker!.threads).toBe(2);
    expect(String(worker!.variant)).toMatch(/-threads$/);
  });
});
