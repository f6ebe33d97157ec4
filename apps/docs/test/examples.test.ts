// Every code example of the docs (apps/docs/examples/*) runs here against the real packages, and
// every example file is included into a docs page — so the docs cannot show code that fails.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { getBackend, memory, setBackend } from '@tensorzoo/core';

const app = fileURLToPath(new URL('..', import.meta.url));
const repository = join(app, '../..');
const docsDir = join(repository, 'docs');
const examples = readdirSync(join(app, 'examples')).sort();

function markdownPages(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (name === 'api' || name.startsWith('.')) return [];
    return statSync(path).isDirectory() ? markdownPages(path) : name.endsWith('.md') ? [path] : [];
  });
}

describe('every example is shown in the docs', () => {
  const pages = markdownPages(docsDir).map((path) => readFileSync(path, 'utf8')).join('\n');
  const included = new Set([...pages.matchAll(/^<<< .*apps\/docs\/examples\/([\w.-]+?)(?:#[\w-]+)?(?:\{.*)?$/gm)].map((match) => match[1]));
  test.each(examples)('%s is included by a page', (example) => {
    expect(included.has(example), `no docs page has \`<<< ../apps/docs/examples/${example}\``).toBe(true);
  });
});

describe('examples run', () => {
  /** Temporary folders the examples wrote into (adapter files). */
  const written: string[] = [];
  afterAll(async () => {
    if (getBackend() !== 'reference') await setBackend('reference');
    for (const folder of written) rmSync(folder, { recursive: true, force: true });
  });

  test('tensors.ts', async () => {
    const tensors = await import('../examples/tensors.js');
    expect(tensors.total.isDisposed).toBe(true); // the example cleans up after itself
    const before = tensors.before;
    expect(memory().numTensors).toBeLessThanOrEqual(before);
  });

  test('backends.ts', async () => {
    await import('../examples/backends.js');
    expect(getBackend()).toBe('reference');
  });

  test('layers.ts', async () => {
    const { projected, query, dense } = await import('../examples/layers.js');
    expect(query.kernel.shape).toEqual([2, 16, 8]);
    expect(projected.shape).toEqual([1, 4, 2, 8]);
    expect(dense.trainableWeights.map((weight) => weight.path)).toEqual(['dense/bias', 'dense/lora_kernel_a', 'dense/lora_kernel_b']);
  });

  test('backbone.ts', async () => {
    const { backbone, hidden, logits } = await import('../examples/backbone.js');
    expect(hidden.shape).toEqual([1, 4, backbone.config.hiddenDim]);
    expect(logits.shape).toEqual([1, 4, backbone.config.vocabularySize]);
  });

  test('checkpoints.ts', async () => {
    const { backbone, hidden } = await import('../examples/checkpoints.js');
    expect(hidden.shape).toEqual([1, 4, backbone.config.hiddenDim]);
  });

  test('presets.ts', async () => {
    const { preset, config } = await import('../examples/presets.js');
    expect(preset.name).toBe('gemma2_2b_en');
    expect(config.numLayers).toBe(26);
    expect(config.hiddenDim).toBe(2304);
  });

  test('generate.ts', async () => {
    const { model, greedy, sampled, pieces } = await import('../examples/generate.js');
    expect(greedy.startsWith('def add(a, b):')).toBe(true);
    expect(greedy.length).toBeGreaterThan('def add(a, b):'.length);
    expect(sampled.startsWith('import numpy as np\n')).toBe(true);
    expect(pieces.length).toBeGreaterThan(0);
    // Same seed, same text.
    expect(model.generate('import numpy as np\n', { maxLength: 16, sampler: { name: 'top_k', k: 5, seed: 7 } })).toBe(sampled);
  });

  test('lora.ts', async () => {
    const { tuned, restored, adapterFile } = await import('../examples/lora.js');
    written.push(dirname(adapterFile));
    const names = (model: typeof tuned) => model.trainableWeights.map((weight) => weight.path).sort();
    expect(names(tuned).length).toBeGreaterThan(0);
    expect(names(tuned).every((path) => /lora_kernel_[ab]$/.test(path))).toBe(true);
    expect(names(restored)).toEqual(names(tuned));
    for (const [index, weight] of tuned.trainableWeights.entries())
      expect(Array.from(restored.trainableWeights[index]!.value.dataSync())).toEqual(Array.from(weight.value.dataSync()));
  });

  test('finetune.ts', async () => {
    const { history, adapterFile } = await import('../examples/finetune.js');
    written.push(dirname(adapterFile));
    expect(history.loss).toHaveLength(4);
    expect(history.loss.every((loss: number) => Number.isFinite(loss) && loss > 0)).toBe(true);
    expect(history.loss.at(-1)).toBeLessThan(history.loss[0]!); // seeded, so the same every run
    expect(statSync(adapterFile).size).toBeGreaterThan(0);
  });

  test('quantization.ts', async () => {
    const { model, reloaded, int4, text, outputFolder } = await import('../examples/quantization.js');
    written.push(dirname(outputFolder));
    expect(Object.keys(model.backbone.quantizedLayers)).toHaveLength(22);
    expect(reloaded.backbone.quantizedLayers).toEqual(model.backbone.quantizedLayers);
    expect(reloaded.backbone.weights.map((weight) => weight.dtype)).toEqual(model.backbone.weights.map((weight) => weight.dtype));
    expect(new Set(Object.values(int4.backbone.quantizedLayers))).toEqual(new Set(['int4/128']));
    expect(text.startsWith('the quick brown fox')).toBe(true);
    for (const loaded of [model, reloaded, int4]) loaded.backbone.dispose();
  });

  test('layout-map.ts', async () => {
    const { layoutMap, mesh } = await import('../examples/layout-map.js');
    expect(mesh.shape).toEqual([2, 4]);
    expect(layoutMap.get('decoder_block_0/attention/query/kernel')?.axes).toEqual(['model', 'batch', null]);
  });

  test('tokenizer.ts', async () => {
    const { tokenizer, ids } = await import('../examples/tokenizer.js');
    expect(ids.length).toBeGreaterThan(1);
    expect(tokenizer.detokenize(ids)).toBe('def forward(self, x):');
  });

  test('cli.sh', () => {
    const path = `${join(repository, 'node_modules/.bin')}:${process.env.PATH}`;
    const result = spawnSync('bash', [join(app, 'examples/cli.sh')], { cwd: repository, env: { ...process.env, PATH: path }, encoding: 'utf8' });
    expect(result.stderr + result.stdout).not.toMatch(/error/i);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('def forward(self, x):');
    expect(result.stdout).toContain('"ids"');
    expect(result.stdout).toMatch(/"loss"/);
    expect(result.stdout).toContain('gemma_2b_en');
    expect(result.stdout).toContain('"axes"');
  });
});
