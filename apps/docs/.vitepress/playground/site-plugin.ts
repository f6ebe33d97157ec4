// What the docs site does for the playground besides the page itself:
// - the headers that make a page cross-origin isolated (SharedArrayBuffer, so wasm threads), sent
//   by `vitepress dev` (config.ts) and by `npm run preview` (scripts/preview.mjs); a deployment
//   must send the same ones (docs/browser.md says so);
// - the demo model's preset folder (the repository's models/tinycode-gemma2-6m, the model
//   @tensorzoo/models embeds) served at /models/tinycode-gemma2-6m/ by the dev server and written
//   into the built site, where the playground's fromPreset fetches it.
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin, Connect } from 'vite';

export const crossOriginIsolationHeaders: Record<string, string> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export const demoModelRoute = '/models/tinycode-gemma2-6m/';
export const demoModelFolder = fileURLToPath(new URL('../../../../models/tinycode-gemma2-6m/', import.meta.url));

/** The preset's files, relative and '/'-separated. */
export function demoModelFiles(): string[] {
  const files: string[] = [];
  const walk = (folder: string) => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(relative(demoModelFolder, path).split(sep).join('/'));
    }
  };
  if (existsSync(demoModelFolder)) walk(demoModelFolder);
  return files;
}

function serveDemoModel(base: string): Connect.NextHandleFunction {
  const prefix = `${base.replace(/\/$/, '')}${demoModelRoute}`;
  return (request, response, next) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    if (!path.startsWith(prefix)) return next();
    const name = path.slice(prefix.length);
    if (!demoModelFiles().includes(name)) {
      response.statusCode = 404;
      response.end(`not part of the demo model: ${name}`);
      return;
    }
    const body = readFileSync(join(demoModelFolder, name));
    response.setHeader('content-type', name.endsWith('.json') ? 'application/json' : 'application/octet-stream');
    response.setHeader('content-length', String(body.byteLength));
    for (const [key, value] of Object.entries(crossOriginIsolationHeaders)) response.setHeader(key, value);
    response.end(body);
  };
}

/** Serves the demo model in dev, and emits it into the client build. */
export function demoModel(): Plugin {
  let ssr = false;
  let base = '/';
  return {
    name: 'tensorzoo-demo-model',
    configResolved(config) {
      ssr = Boolean(config.build.ssr);
      base = config.base;
    },
    configureServer(server) {
      // Every response, VitePress's own HTML included (Vite's server.headers misses those).
      server.middlewares.use((_request, response, next) => {
        for (const [key, value] of Object.entries(crossOriginIsolationHeaders)) response.setHeader(key, value);
        next();
      });
      server.middlewares.use(serveDemoModel(base));
    },
    generateBundle() {
      if (ssr) return;
      const files = demoModelFiles();
      if (files.length === 0) this.error(`the demo model is missing: ${demoModelFolder} has no files`);
      for (const name of files) this.emitFile({ type: 'asset', fileName: `${demoModelRoute.slice(1)}${name}`, source: readFileSync(join(demoModelFolder, name)) });
    },
  };
}
