// `npm run preview`: serves the built site (.vitepress/dist) the way a deployment must serve the
// playground: with the cross-origin isolation headers (COOP/COEP, so the wasm backend gets
// threads; see docs/browser.md). `vitepress preview` cannot send headers, hence this server.
//   node scripts/preview.mjs [--port 4173]
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const isolationHeaders = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

/** Serves `folder` on 127.0.0.1:`port` (0: any free port); resolves with the server once listening. */
export function servePreview(folder, port = 4173, host = '127.0.0.1') {
  const root = normalize(folder);
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const target = normalize(join(root, path));
    if (target !== root && !target.startsWith(root + sep)) {
      response.writeHead(403).end('outside the site');
      return;
    }
    const file = [target, `${target}.html`, join(target, 'index.html')].find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
    if (!file) {
      response.writeHead(404, { 'content-type': 'text/plain', ...isolationHeaders }).end(`not found: ${path}`);
      return;
    }
    response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream', 'content-length': statSync(file).size, ...isolationHeaders });
    createReadStream(file).pipe(response);
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === normalize(process.argv[1])) {
  const dist = fileURLToPath(new URL('../.vitepress/dist', import.meta.url));
  if (!existsSync(join(dist, 'index.html'))) {
    console.error('preview: the site is not built (npm run build)');
    process.exit(1);
  }
  const portIndex = process.argv.indexOf('--port');
  const port = portIndex > 0 ? Number(process.argv[portIndex + 1]) : 4173;
  const server = await servePreview(dist, port);
  console.log(`preview: http://127.0.0.1:${server.address().port}/ (cross-origin isolated)`);
}
