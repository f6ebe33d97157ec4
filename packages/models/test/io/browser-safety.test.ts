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
