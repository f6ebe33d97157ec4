// Builds the docs site: TypeDoc writes the API reference as Markdown into docs/api/ (ignored by
// git), then VitePress builds docs/ (srcDir) into apps/docs/.vitepress/dist.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const app = fileURLToPath(new URL('..', import.meta.url));
const apiDir = join(app, '..', '..', 'docs', 'api');

function run(command, args) {
  const result = spawnSync(command, args, { cwd: app, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`docs build: \`${command} ${args.join(' ')}\` failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}

// A fresh API reference each time: pages of removed declarations must not linger.
mkdirSync(apiDir, { recursive: true });
for (const entry of readdirSync(apiDir)) if (entry !== '.gitignore') rmSync(join(apiDir, entry), { recursive: true, force: true });
const require = createRequire(import.meta.url);
const binOf = (name, bin) => join(require.resolve(`${name}/package.json`), '..', require(`${name}/package.json`).bin[bin]);
run(process.execPath, [binOf('typedoc', 'typedoc')]);
run(process.execPath, [binOf('vitepress', 'vitepress'), 'build']);
