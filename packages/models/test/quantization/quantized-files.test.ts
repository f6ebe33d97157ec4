// The quantized KerasHub presets at the file level: int8 (and packed int4, stored as int8)
// datasets read as int8 without a float copy, `vars/0..n` per quantized layer in Keras's
// serialization order, and re-writing them reproduces the files' full structure (groups,
// datasets, dtypes, attributes) and reads back bit for bit.

import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

import { gemmaKerasGroups, gemmaLayerGroups, gemmaLayerWeightEntries } from '../../src/io/gemma-h5-layout.js';
import { readKerasWeights } from '../../src/io/keras-weights-read.js';
import { writeKerasWeights } from '../../src/io/keras-weights-write.js';
import type { StoredTensor } from '../../src/io/stored-tensor.js';
import { fixture, h5Tree, layoutOf, sameTensor, scratchDir } from '../io/helpers.js';
import { quantFixtures, quantReference } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

/** Each layer's datasets `vars/0..n-1`, keyed by layer path. */
async function layerValues(name: string) {
  const reference = quantReference(name);
  const layout = layoutOf(reference.config);
  const weights = await readKerasWeights(fixture(name));
  try {
    const layers = new Map<string, StoredTensor[]>();
    for (const { layerPath, group } of gemmaLayerGroups(layout)) {
      const values: StoredTensor[] = [];
      for (let index = 0; weights.has(`${group}/vars/${index}`); index++) values.push(weights.get(`${group}/vars/${index}`));
      layers.set(layerPath, values);
    }
    expect([...layers.values()].reduce((total, values) => total + values.length, 0)).toBe(weights.paths().length);
    return { layout, layers, reference };
  } finally {
    weights.close();
  }
}

describe.each(quantFixtures)('$name', ({ name, backboneName, autoNameStart }) => {
  test('every dataset is the reference inventory (path, shape, dtype) in order; int8 arrives as Int8Array', async () => {
    const { layers, reference } = await layerValues(name);
    const inventory: { path: string; shape: number[]; dtype: string }[] = [];
    for (const [layerPath, values] of layers) {
      const names = reference.weights.filter((weight) => weight.path.startsWith(`${layerPath}/`) && !weight.path.slice(layerPath.length + 1).includes('/'));
      values.forEach((value, index) => {
        inventory.push({ path: names[index]?.path ?? `${layerPath}/?${index}`, shape: value.shape, dtype: value.dtype });
        if (value.dtype === 'int8') expect(value.data).toBeInstanceOf(Int8Array);
      });
    }
    const sortKey = (entry: { path: string }) => entry.path;
    expect([...inventory].sort((a, b) => sortKey(a).localeCompare(sortKey(b)))).toEqual(
      [...reference.weights].sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
    );
  });

  test('re-writing reproduces the file (tree, attributes, dtypes) and reads back bit for bit', async () => {
    const { layout, layers } = await layerValues(name);
    const dir = await scratchDir();
    cleanups.push(dir.cleanup);
    await writeKerasWeights(dir.path, gemmaLayerWeightEntries(layers, layout), { groups: gemmaKerasGroups(layout, { backboneName, autoNameStart }) });
    expect(await h5Tree(join(dir.path, 'model.weights.h5'))).toEqual(await h5Tree(fixture(name, 'model.weights.h5')));
    const written = await readKerasWeights(dir.path);
    const original = await readKerasWeights(fixture(name));
    try {
      expect(written.paths()).toEqual(original.paths());
      for (const path of original.paths()) expect(sameTensor(written.get(path), original.get(path)), path).toBe(true);
    } finally {
      written.close();
      original.close();
    }
  });
});

describe('sharded quantized presets', () => {
  test.each(quantFixtures.map((entry) => entry.name))('%s saved in shards reads back bit for bit and computes the same', async (name) => {
    const { GemmaBackbone } = await import('@tensorzoo/models');
    const backbone = await GemmaBackbone.fromPreset(fixture(name));
    const dir = await scratchDir();
    cleanups.push(dir.cleanup);
    try {
      // Limits just above each file's largest tensor (the embedding table), below its total.
      const limit = { keras_gemma2_quant_int8: 70_000, keras_gemma2_quant_int4: 35_000, keras_gemma_quant_int8: 100_000 }[name]!;
      await backbone.saveToPreset(dir.path, { maxShardSize: limit / 1024 ** 3 });
      const { readdir } = await import('node:fs/promises');
      const files = (await readdir(dir.path)).filter((file) => file.includes('weights')).sort();
      expect(files.length, files.join(', ')).toBeGreaterThan(2);
      expect(files[0]).toBe('model.weights.json');
      const written = await readKerasWeights(dir.path);
      const original = await readKerasWeights(fixture(name));
      try {
        expect([...written.paths()].sort()).toEqual([...original.paths()].sort());
        for (const path of original.paths()) expect(sameTensor(written.get(path), original.get(path)), path).toBe(true);
      } finally {
        written.close();
        original.close();
      }
      const reloaded = await GemmaBackbone.fromPreset(dir.path);
      try {
        const ids = { tokenIds: [[2, 17, 900, 31]] };
        const expected = backbone.logits(backbone.call(ids));
        const actual = reloaded.logits(reloaded.call(ids));
        expect(Array.from(actual.dataSync())).toEqual(Array.from(expected.dataSync()));
        expected.dispose();
        actual.dispose();
      } finally {
        reloaded.dispose();
      }
    } finally {
      backbone.dispose();
    }
  });
});
