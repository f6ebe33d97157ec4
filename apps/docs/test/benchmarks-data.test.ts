// The benchmarks page's data loader: the newest file of each suite, each case in its main metric,
// and tensorzoo's ratio to each peer (the dashboard's fixture results serve as input).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import loader, { summarize } from '../.vitepress/benchmarks.data.js';
import { readResults } from '../../dashboard/vite.config.js';

const repository = fileURLToPath(new URL('../../..', import.meta.url));
const fixtures = readResults(join(repository, 'apps/dashboard/test/fixtures/results'));

describe('benchmarks page data', () => {
  test('newest file per suite, main metric per case, ratios', () => {
    const suites = summarize(fixtures);
    expect(suites.map((suite) => [suite.suite, suite.file])).toEqual([['matmul', 'matmul-2026-11-20.json'], ['model', 'model-2026-11-20.json']]);
    const matmul = suites[0]!;
    expect(new Set(matmul.rows.map((row) => row.metric))).toEqual(new Set(['GFLOP/s']));
    const ortNode = matmul.rows.find((row) => row.name === 'matmul-256' && row.impl === 'ort-node' && row.threads === 1)!;
    expect(ortNode.ratio).toBeCloseTo(20 / 30, 10);
    expect(matmul.rows.find((row) => row.impl === 'tensorzoo-wasm')!.ratio).toBeNull();
    const tokenize = suites[1]!.rows.filter((row) => row.name === 'tokenize');
    expect(tokenize.map((row) => [row.impl, row.metric])).toEqual([['tensorzoo-tokenizer', 'MB/s'], ['sentencepiece-wasm', 'MB/s']]);
    expect(tokenize[1]!.ratio).toBeCloseTo(1.25, 10);
  });

  test('the loader reads the committed results files', () => {
    const folder = join(repository, 'benchmarks/results');
    const paths = existsSync(folder) ? readdirSync(folder).filter((name) => name.endsWith('.json')).map((name) => join(folder, name)) : [];
    const suites = loader.load(paths);
    const names = new Set(readResults(folder).flatMap((file) => file.cases.map((entry) => entry.suite)));
    expect(suites.map((suite) => suite.suite).sort()).toEqual([...names].sort());
    for (const suite of suites) expect(suite.rows.length, suite.suite).toBeGreaterThan(0);
  });
});
