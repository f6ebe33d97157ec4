// What `npm pack` would publish for each package: only what users need (dist, declarations, the
// wasm modules, bin, README, LICENSE), no tests, sources or fixtures; every entry point named by
// package.json (exports, main, types, bin) is in the tarball, and so is every module that a packed
// module imports. The four packages form one fixed version group (.changeset/config.json).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const repository = fileURLToPath(new URL('../../..', import.meta.url));
const published = ['core', 'layers', 'models', 'cli'] as const;

interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  main?: string;
  types?: string;
  bin?: string | Record<string, string>;
  exports?: unknown;
  files?: string[];
  dependencies?: Record<string, string>;
}

const manifest = (folder: string): PackageJson => JSON.parse(readFileSync(join(repository, 'packages', folder, 'package.json'), 'utf8'));

function packedFiles(folder: string): string[] {
  const packageDir = join(repository, 'packages', folder);
  if (!existsSync(join(packageDir, 'dist'))) throw new Error(`packages/${folder}/dist is missing: build first (npx turbo run build)`);
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: packageDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [report] = JSON.parse(output) as { files: { path: string }[] }[];
  return report!.files.map((file) => file.path).sort();
}

/** Every path string in an `exports` value (conditions and subpaths, nested). */
function exportTargets(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(exportTargets);
  if (value && typeof value === 'object') return Object.values(value).flatMap(exportTargets);
  return [];
}

const allowed: Record<(typeof published)[number], RegExp[]> = {
  core: [/^dist\/.+\.(js|d\.ts|js\.map|d\.ts\.map)$/, /^wasm\/[\w-]+\.wasm$/],
  layers: [/^dist\/.+\.(js|d\.ts|js\.map|d\.ts\.map)$/],
  models: [/^dist\/.+\.(js|d\.ts|js\.map|d\.ts\.map)$/, /^embedded\/tinycode-gemma2-6m\/[\w./-]+$/],
  cli: [/^dist\/.+\.(js|d\.ts|js\.map|d\.ts\.map)$/, /^bin\/[\w-]+\.js$/],
};
const always = [/^package\.json$/, /^README\.md$/, /^LICENSE$/, /^CHANGELOG\.md$/];
const forbidden = [/(^|\/)(test|tests|__tests__|fixtures|src)\//, /\.test\.[jt]s/, /\.spec\.[jt]s/, /(?<!\.d)\.ts$/, /tsconfig/, /vitest/, /\.tsbuildinfo$/];

describe.each(published)('npm pack of @tensorzoo/%s', (folder) => {
  const files = packedFiles(folder);
  const json = manifest(folder);

  test('only what users need', () => {
    const unexpected = files.filter((file) => !always.some((pattern) => pattern.test(file)) && !allowed[folder].some((pattern) => pattern.test(file)));
    expect(unexpected, `files that should not be published (fix "files" in packages/${folder}/package.json)`).toEqual([]);
    expect(files.filter((file) => forbidden.some((pattern) => pattern.test(file))), 'tests, sources or fixtures in the tarball').toEqual([]);
    for (const needed of ['package.json', 'README.md', 'LICENSE']) expect(files, `${needed} is not packed`).toContain(needed);
    expect(files.some((file) => file.endsWith('.d.ts')), 'no type declarations').toBe(true);
    expect(json.private, 'a published package cannot be private').not.toBe(true);
    expect(readFileSync(join(repository, 'packages', folder, 'LICENSE'), 'utf8')).toContain('Apache License');
    // The embedded default model travels with @tensorzoo/models, so fromPreset() works after npm install.
    if (folder === 'models')
      for (const file of ['config.json', 'model.weights.h5', 'assets/tokenizer/vocabulary.spm', 'preprocessor.json'])
        expect(files, `embedded model file ${file}`).toContain(`embedded/tinycode-gemma2-6m/${file}`);
  });

  test('exports, main, types and bin resolve to packed files', () => {
    const targets = [...exportTargets(json.exports), json.main, json.types, ...(typeof json.bin === 'string' ? [json.bin] : Object.values(json.bin ?? {}))]
      .filter((target): target is string => typeof target === 'string')
      .map((target) => normalize(target).replace(/^\.\//, ''));
    expect(targets.length).toBeGreaterThan(1);
    for (const target of targets) {
      if (target.includes('*')) {
        const pattern = new RegExp(`^${target.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.+')}$`);
        expect(files.some((file) => pattern.test(file)), `no packed file matches export pattern ${target}`).toBe(true);
      } else expect(files, `package.json names ${target}, which is not in the tarball`).toContain(target);
    }
    if (json.bin) {
      for (const bin of typeof json.bin === 'string' ? [json.bin] : Object.values(json.bin))
        expect(readFileSync(join(repository, 'packages', folder, bin), 'utf8').startsWith('#!/usr/bin/env node'), `${bin} needs a node shebang`).toBe(true);
    }
  });

  test('every relative import of a packed module is packed', () => {
    const packed = new Set(files);
    const missing: string[] = [];
    for (const file of files.filter((name) => name.endsWith('.js'))) {
      const text = readFileSync(join(repository, 'packages', folder, file), 'utf8');
      for (const match of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g)) {
        const target = normalize(join(dirname(file), match[1]!));
        if (!packed.has(target)) missing.push(`${file} → ${match[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

test('the published packages form one fixed version group with exact internal dependencies', () => {
  const manifests = published.map(manifest);
  const config = JSON.parse(readFileSync(join(repository, '.changeset/config.json'), 'utf8')) as { fixed: string[][] };
  expect(config.fixed).toContainEqual(manifests.map((json) => json.name));
  const versions = new Set(manifests.map((json) => json.version));
  expect(versions.size, 'one version for the fixed group').toBe(1);
  const [version] = versions;
  for (const json of manifests)
    for (const [name, range] of Object.entries(json.dependencies ?? {}))
      if (name.startsWith('@tensorzoo/')) expect(range, `${json.name} depends on ${name}`).toBe(version);
});
