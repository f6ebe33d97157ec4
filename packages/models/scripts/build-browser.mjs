// Builds dist/browser.js: the browser entry of @tensorzoo/models (package.json's "browser" export
// condition), one ES module made from dist/browser.js's tsc output with Vite (Rolldown).
//
// Why a bundle: the Node entry statically imports Node modules for what only Node can do (the
// disk cache of kaggle:// and hf:// downloads, saving presets, GGUF export, h5wasm's NODERAWFS
// build). In the browser entry every `node:*` import is replaced by a stand-in made here:
// `node:path`'s join/dirname/basename/resolve work on '/'-separated strings, `node:os`'s
// totalmem/freemem answer from navigator.deviceMemory (or 4 GiB), `node:crypto`'s randomBytes uses
// crypto.getRandomValues, and every other function throws an error naming the function and saying
// what to use in a browser instead (fromPreset on a URL, the *FromBytes readers and writers).
// `h5wasm/node` is replaced the same way; @tensorzoo/core, @tensorzoo/layers and h5wasm (its
// in-memory ESM build) stay imports, so a page shares one core with the backends it registers.
// The output contains no `node:` import: apps/docs/test/browser-build.test.ts checks that with
// a Vite build of a page, as a bundler user would make one.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(packageDir, 'dist');

/** Every named import of each `node:*` module in the compiled files, and which take a default import. */
function nodeImports() {
  const names = new Map();
  const defaults = new Set();
  const walk = (folder) => {
    for (const entry of readdirSync(folder)) {
      const path = join(folder, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.js') && entry !== 'browser.js') {
        const text = readFileSync(path, 'utf8');
        for (const match of text.matchAll(/import\s+([\w$]+\s*,\s*)?(?:\{([^}]*)\})?\s*(?:from\s*)?['"](node:[\w/]+)['"]/g)) {
          const module = match[3];
          if (!names.has(module)) names.set(module, new Set());
          if (match[1]) defaults.add(module);
          for (const part of (match[2] ?? '').split(',')) {
            const name = part.trim().split(/\s+as\s+/)[0];
            if (name && /^[A-Za-z_$][\w$]*$/.test(name)) names.get(module).add(name);
          }
        }
        for (const match of text.matchAll(/(?:\{([\w$\s,:]*)\}\s*=\s*await\s+)?import\s*\(\s*['"](node:[\w/]+)['"]\s*\)/g)) {
          if (!names.has(match[2])) names.set(match[2], new Set());
          for (const part of (match[1] ?? '').split(',')) {
            const name = part.trim().split(/\s*:\s*/)[0];
            if (name && /^[A-Za-z_$][\w$]*$/.test(name)) names.get(match[2]).add(name);
          }
        }
      }
    }
  };
  walk(dist);
  // Reached through a helper (\`const nodeFs = () => import('node:fs/promises')\`), so not seen above.
  const extra = {
    'node:fs/promises': ['open', 'readFile', 'writeFile', 'stat', 'rename', 'unlink', 'mkdir', 'rm', 'readdir', 'copyFile', 'access'],
    'node:fs': ['openSync', 'readSync', 'closeSync', 'fstatSync', 'writeSync', 'existsSync', 'statSync', 'readFileSync'],
  };
  for (const [module, list] of Object.entries(extra)) {
    if (!names.has(module)) names.set(module, new Set());
    for (const name of list) names.get(module).add(name);
  }
  return { names, defaults };
}

// Stand-ins that work in a browser; everything else throws when called.
const working = {
  'node:path': {
    join: `(...parts) => normalise(parts.filter((part) => part !== '').join('/'))`,
    resolve: `(...parts) => normalise(parts.reduce((path, part) => (part.startsWith('/') ? part : path + '/' + part), ''))`,
    dirname: `(path) => { const index = path.replace(/\\/+$/, '').lastIndexOf('/'); return index < 0 ? '.' : index === 0 ? '/' : path.slice(0, index); }`,
    basename: `(path, suffix) => { const name = path.replace(/\\/+$/, '').split('/').pop() ?? ''; return suffix && name.endsWith(suffix) ? name.slice(0, -suffix.length) : name; }`,
    sep: `'/'`,
  },
  'node:os': {
    totalmem: `() => deviceMemory()`,
    freemem: `() => deviceMemory() / 2`,
    homedir: `() => '/'`,
    tmpdir: `() => '/tmp'`,
  },
  'node:crypto': {
    randomBytes: `(size) => globalThis.crypto.getRandomValues(new Uint8Array(size))`,
  },
};

const helpers = `
function unavailable(module, name) {
  return function () {
    throw new Error(\`\${module} \${name}() is not available in the browser build of @tensorzoo/models: in a browser, load presets with fromPreset(url or hf://…) (fetched into memory and cached) and use the *FromBytes readers and *ToBytes writers of io\`);
  };
}
function normalise(path) {
  const absolute = path.startsWith('/');
  const parts = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && parts.length && parts[parts.length - 1] !== '..') parts.pop();
    else parts.push(part);
  }
  return (absolute ? '/' : '') + parts.join('/') || (absolute ? '/' : '.');
}
// navigator.deviceMemory is in GiB, rounded and capped at 8 by browsers; 4 GiB where it is absent.
function deviceMemory() {
  const gib = typeof navigator !== 'undefined' && typeof navigator.deviceMemory === 'number' ? navigator.deviceMemory : 4;
  return gib * 2 ** 30;
}
`;

function shimSource(module, names, withDefault) {
  const lines = [helpers];
  const all = new Set([...names, ...Object.keys(working[module] ?? {})]);
  for (const name of all) {
    const value = working[module]?.[name] ?? `unavailable(${JSON.stringify(module)}, ${JSON.stringify(name)})`;
    lines.push(`export const ${name} = ${value};`);
  }
  lines.push(`export default new Proxy({ ${[...all].join(', ')} }, { get: (target, key) => (key in target ? target[key] : unavailable(${JSON.stringify(module)}, String(key))) });`);
  void withDefault;
  return lines.join('\n');
}

const h5wasmNodeStandIn = `
const message = 'h5wasm/node (files on disk) is not available in the browser build of @tensorzoo/models: read .h5 bytes with the *FromBytes readers (h5wasm in memory)';
export const ready = Promise.reject(new Error(message));
ready.catch(() => {});
export class File { constructor() { throw new Error(message); } }
export default { ready, File };
`;

function browserStandIns() {
  const { names, defaults } = nodeImports();
  return {
    name: 'tensorzoo-browser-stand-ins',
    enforce: 'pre',
    resolveId(source) {
      if (source.startsWith('node:')) return `\0tz-browser:${source}`;
      if (source === 'h5wasm/node') return '\0tz-browser:h5wasm/node';
      return undefined;
    },
    load(id) {
      if (!id.startsWith('\0tz-browser:')) return undefined;
      const module = id.slice('\0tz-browser:'.length);
      if (module === 'h5wasm/node') return h5wasmNodeStandIn;
      return shimSource(module, names.get(module) ?? new Set(), defaults.has(module));
    },
  };
}

const { build } = await import('vite');
await build({
  configFile: false,
  logLevel: 'warn',
  root: packageDir,
  plugins: [browserStandIns()],
  build: {
    outDir: dist,
    emptyOutDir: false,
    minify: false,
    sourcemap: false,
    target: 'es2022',
    lib: { entry: join(dist, 'index.js'), formats: ['es'], fileName: () => 'browser.js' },
    rollupOptions: {
      external: (id) => /^@tensorzoo\//.test(id) || id === 'h5wasm',
      // Code written for Node reads process.env (TENSORZOO_MEMORY_BUDGET …) and process.pid: in a
      // browser they read this module-local stand-in, never a global the page did not define.
      output: {
        codeSplitting: false,
        banner: "const process = globalThis.process ?? { env: {}, pid: 0, platform: 'browser', versions: {}, cwd: () => '/' };",
      },
    },
  },
});
const output = readFileSync(join(dist, 'browser.js'), 'utf8');
const leftovers = [...output.matchAll(/(?:from|import\()\s*['"](node:[\w/]+|[a-z@][\w@/.-]*)['"]/g)].map((match) => match[1]).filter((id) => !/^@tensorzoo\/|^h5wasm$/.test(id));
if (leftovers.length > 0) {
  console.error(`build-browser: dist/browser.js still imports ${[...new Set(leftovers)].join(', ')}`);
  process.exit(1);
}
console.log(`build-browser: ${relative(packageDir, join(dist, 'browser.js'))} (${(output.length / 1024).toFixed(0)} KiB)`);
