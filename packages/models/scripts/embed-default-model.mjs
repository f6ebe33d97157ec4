// Copies the embedded default model (the repository's models/tinycode-gemma2-6m KerasHub preset)
// into this package's embedded/ folder, so the published @tensorzoo/models carries it and
// `fromPreset()` with no preset works after `npm install` too. Skips work when it is up to date.
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(packageDir, '..', '..', 'models', 'tinycode-gemma2-6m');
const target = join(packageDir, 'embedded', 'tinycode-gemma2-6m');

function listing(folder) {
  const files = [];
  const walk = (current) => {
    for (const name of readdirSync(current)) {
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(`${relative(folder, path)}:${statSync(path).size}`);
    }
  };
  if (existsSync(folder)) walk(folder);
  return files.sort().join('\n');
}

if (!existsSync(source)) {
  console.error(`embed-default-model: ${source} is missing; the package is built without its embedded model`);
  process.exit(0);
}
if (listing(source) === listing(target)) {
  console.log('embed-default-model: up to date');
} else {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(dirname(target), { recursive: true });
  cpSync(source, target, { recursive: true });
  console.log(`embed-default-model: copied ${relative(packageDir, source)} → ${relative(packageDir, target)}`);
}
