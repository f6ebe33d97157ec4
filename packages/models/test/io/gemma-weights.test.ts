// Gemma weights by variable path: reading every fixture with Keras' loading checks, and writing
// them back as KerasHub would (the generic writer's full-structure checks are in
// keras-weights-write.test.ts).

import { copyFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

import { readGemmaKerasWeights, readGemmaKerasWeightsFromBytes, writeGemmaKerasWeights, writeGemmaKerasWeightsToBytes } from '../../src/io/gemma-weights.js';
import { writeKerasWeightsFile } from '../../src/io/keras-weights-write.js';
import { readKerasWeights } from '../../src/io/keras-weights-read.js';
import { fixture, h5Tree, h5TreeOfBytes, kerasFixtures, layoutOf, referenceWeights, sameTensor, scratchDir } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});
async function scratch(): Promise<string> {
  const dir = await scratchDir();
  cleanups.push(dir.cleanup);
  return dir.path;
}

describe.each(kerasFixtures)('$name', ({ name, backboneName, autoNameStart, shards }) => {
  // The generic writer's bytes variant is compared with every fixture in keras-weights-write.test.ts;
  // here the Gemma wrappers are checked end to end on disk, and once in memory below.
  const reference = referenceWeights(name);
  const layout = layoutOf(reference.config);
  const shapes = new Map(reference.weights.map((weight) => [weight.path, weight.shape]));

  test('reads every variable by path with the reference shapes and writes the same files back', async () => {
    const variables = await readGemmaKerasWeights(fixture(name), layout, { shapes });
    expect([...variables.keys()]).toEqual(reference.weights.map((weight) => weight.path));
    const out = await scratch();
    const maxShardSizeBytes = shards.length > 1 ? 150_000 : undefined;
    await writeGemmaKerasWeights(out, variables, layout, { maxShardSizeBytes, naming: { backboneName, autoNameStart } });
    for (const shard of shards) expect(await h5Tree(join(out, shard)), shard).toEqual(await h5Tree(fixture(name, shard)));
    const copy = await readGemmaKerasWeights(out, layout);
    for (const [path, tensor] of variables) expect(sameTensor(copy.get(path)!, tensor), path).toBe(true);
  });
});

test('the in-memory variants agree with the files', async () => {
  const layout = layoutOf(referenceWeights('keras_gemma2_tiny_bf16_sharded').config);
  const variables = await readGemmaKerasWeights(fixture('keras_gemma2_tiny_bf16_sharded'), layout);
  const naming = { backboneName: 'gemma_backbone_1', autoNameStart: 3 };
  const files = await writeGemmaKerasWeightsToBytes(variables, layout, { maxShardSizeBytes: 150_000, naming });
  expect(await h5TreeOfBytes(files.get('model_00001.weights.h5')!)).toEqual(await h5Tree(fixture('keras_gemma2_tiny_bf16_sharded', 'model_00001.weights.h5')));
  const fromBytes = await readGemmaKerasWeightsFromBytes(files, layout);
  for (const [path, tensor] of variables) expect(sameTensor(fromBytes.get(path)!, tensor), path).toBe(true);
});

test('a layout the file does not hold, and a wrong shape, are errors naming file and tensor', async () => {
  const folder = fixture('keras_gemma_tiny');
  await expect(readGemmaKerasWeights(folder, { numLayers: 3 })).rejects.toThrow(
    /model\.weights\.h5, tensor "layers\/gemma_decoder_block_2\/pre_attention_norm\/vars\/0": tensor not found \(it holds decoder_block_2\/pre_attention_norm\/scale\)/,
  );
  await expect(readGemmaKerasWeights(folder, { numLayers: 2, usePostFfwNorm: true })).rejects.toThrow(/post_ffw_norm\/vars\/0": tensor not found/);
  const shapes = new Map([['final_normalization/scale', [64]]]);
  await expect(readGemmaKerasWeights(folder, { numLayers: 2 }, { shapes })).rejects.toThrow(
    /tensor "layers\/rms_normalization\/vars\/0": shape mismatch: expected \[64\], the file has \[48\]/,
  );
});

test("Keras' count check: a layer group with an extra dataset is refused; unknown groups are ignored", async () => {
  const source = await readKerasWeights(fixture('keras_gemma_tiny'));
  const entries = source.paths().map((h5Path) => ({ h5Path, tensor: source.get(h5Path) }));
  source.close();
  const extra = { shape: [1], dtype: 'float32' as const, data: Float32Array.of(1) };
  const withOptimizer = join(await scratch(), 'model.weights.h5');
  await writeKerasWeightsFile(withOptimizer, [...entries, { h5Path: 'optimizer/vars/0', tensor: extra }]);
  expect((await readGemmaKerasWeights(withOptimizer, { numLayers: 2 })).size).toBe(20);
  const withExtra = join(await scratch(), 'model.weights.h5');
  await writeKerasWeightsFile(withExtra, [...entries, { h5Path: 'layers/rms_normalization/vars/1', tensor: extra }]);
  await expect(readGemmaKerasWeights(withExtra, { numLayers: 2 })).rejects.toThrow(
    /tensor "layers\/rms_normalization\/vars\/1": layer group layers\/rms_normalization\/vars holds more variables than the layer has/,
  );
});

test('a truncated shard of a sharded preset', async () => {
  const dir = await scratch();
  const source = fixture('keras_gemma2_tiny_bf16_sharded');
  for (const name of await readdir(source)) if (name.startsWith('model')) await copyFile(join(source, name), join(dir, name));
  await writeFile(join(dir, 'model_00001.weights.h5'), (await readFile(join(source, 'model_00001.weights.h5'))).subarray(0, 50_000));
  await expect(readGemmaKerasWeights(dir, layoutOf(referenceWeights('keras_gemma2_tiny_bf16_sharded').config))).rejects.toThrow(
    /model_00001\.weights\.h5: cannot open as HDF5 \(50000 bytes; the file is truncated or corrupt\): truncated file/,
  );
});
