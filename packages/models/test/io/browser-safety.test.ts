// The byte-level readers and writers are meant for browsers too, so no module of the checkpoint
// layer may import Node built-ins at load time (Node-only paths import them on first use).

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const sourceDir = fileURLToPath(new URL('../../src/io/', import.meta.url));

test.each(readdirSync(sourceDir).filter((name) => name.endsWith('.ts')))('%s has no static Node import', (name) => {
  const text = readFileSync(sourceDir + name, 'utf8');
  const staticNodeImports = text.split('\n').filter((line) => /^\s*import\s(?!type\b).*from\s+['"](node:|fs|path|os|crypto)/.test(line));
  expect(staticNodeImports).toEqual([]);
});

test('no compiled JavaScript sits beside the sources', () => {
  // Vite resolves `./files.js` to a real files.js before files.ts, so a stray tsc emit into
  // src/ silently replaces the code under test with a stale copy.
  expect(readdirSync(sourceDir).filter((name) => /\.(js|d\.ts|js\.map)$/.test(name))).toEqual([]);
});
