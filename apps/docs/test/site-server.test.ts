// The docs servers send the cross-origin isolation headers the playground needs and serve the
// demo model: `npm run dev` (VitePress's dev server with this app's config) and `npm run preview`
// (scripts/preview.mjs over the built site).
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
// @ts-expect-error: a plain .mjs script without declarations
import { servePreview } from '../scripts/preview.mjs';

const app = fileURLToPath(new URL('..', import.meta.url));
const dist = join(app, '.vitepress/dist');

async function expectIsolatedWithModel(base: string): Promise<void> {
  const page = await fetch(new URL('playground.html', base));
  expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
  expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
  const config = await fetch(new URL('models/tinycode-gemma2-6m/config.json', base));
  expect(config.status).toBe(200);
  expect(((await config.json()) as { class_name: string }).class_name).toBe('GemmaBackbone');
  expect(config.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
  const weights = await fetch(new URL('models/tinycode-gemma2-6m/model.weights.h5', base), { method: 'GET' });
  expect(Number(weights.headers.get('content-length'))).toBeGreaterThan(1_000_000);
  await weights.body?.cancel();
}

describe('docs servers', () => {
  test('npm run dev: COOP/COEP and the demo model', async () => {
    const { createServer } = await import('vitepress');
    const server = await createServer(app, { port: 0, host: '127.0.0.1', strictPort: false });
    await server.listen();
    try {
      const { port } = server.httpServer!.address() as AddressInfo;
      await expectIsolatedWithModel(`http://127.0.0.1:${port}/`);
    } finally {
      await server.close();
    }
  }, 120_000);

  test.skipIf(!existsSync(join(dist, 'playground.html')))('npm run preview: COOP/COEP and the demo model in the built site [skipped when the site is not built]', async () => {
    const server = await servePreview(dist, 0);
    try {
      await expectIsolatedWithModel(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
