// Shared by the browser tests of the docs app (playground, no-bundler page): a static server that
// can send the cross-origin isolation headers and records every request, and Debian's Chromium
// through playwright-core with a fresh profile. Without Chromium a test is skipped with the
// reason, except under CI=true, where it runs and fails.
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(chromiumPath);
export const missingChromium = `no Chromium at ${chromiumPath}; run scripts/install-system-deps.sh or set CHROMIUM_PATH`;
/** Skip only outside CI: under CI=true a missing browser fails the test. */
export const skipWithoutChromium = !hasChromium && !process.env.CI;
export function requireChromium(): void {
  if (!hasChromium) throw new Error(`${missingChromium} (under CI=true a missing browser is a failure, not a skip)`);
}

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

export interface RecordingServer {
  url: string;
  /** Paths requested so far (decoded, without the query). */
  requests: string[];
  close(): Promise<void>;
}

/** Serves `folder` (symbolic links followed, as node_modules needs); `isolate` adds COOP/COEP. */
export async function serveRecording(folder: string, options: { isolate: boolean }): Promise<RecordingServer> {
  const root = normalize(folder);
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    requests.push(path);
    const target = normalize(join(root, path));
    if (target !== root && !target.startsWith(root + sep)) {
      response.writeHead(403).end('outside the served folder');
      return;
    }
    const file = [target, `${target}.html`, join(target, 'index.html')].find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
    if (!file) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    const headers: Record<string, string | number> = { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'content-length': statSync(file).size };
    if (options.isolate) {
      headers['cross-origin-opener-policy'] = 'same-origin';
      headers['cross-origin-embedder-policy'] = 'require-corp';
    }
    response.writeHead(200, headers);
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

// The flags every browser test of this app starts Chromium with (a fresh profile each launch).
export const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Chromium with a fresh --user-data-dir; close() also removes the profile. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'tensorzoo-docs-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumFlags,
    viewport: { width: 1280, height: 1000 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
