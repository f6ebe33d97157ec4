// KerasHub `.lora.h5` files: the fixture saved by `save_lora_weights` after `enable_lora(4)`
// reads with the layer indices spec §2.8 predicts, and writing reproduces its exact structure.

import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';

import { readLoraWeights, readLoraWeightsFromBytes, writeLoraWeights, writeLoraWeightsToBytes } from '../../src/io/lora-weights.js';
import { fixture, h5Tree, h5TreeOfBytes, sameTensor, scratchDir } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});
async function scratch(): Promise<string> {
  const dir = await scratchDir();
  cleanups.push(dir.cleanup);
  return dir.path;
}

const lorafile = fixture('keras_gemma_tiny.lora.h5');

/**
 * Spec §2.8, Gemma 1 layout (11 weighted layers per block, reversed depth-first flattening):
 * block i's `value` is layer 8 + 11i and its `query` layer 10 + 11i.
 */
function expectedLayers(): Map<number, { a: number[]; b: number[] }> {
  const reference = JSON.parse(readFileSync(fixture('keras_gemma_tiny.lora.reference.json'), 'utf8')) as {
    rank: number;
    trainable: { path: string; shape: number[] }[];
  };
  const layers = new Map<number, { a: number[]; b: number[] }>();
  for (const { path, shape } of reference.trainable) {
    const match = /^decoder_block_(\d+)\/attention\/(query|value)\/lora_kernel_(a|b)$/.exec(path)!;
    const index = (match[2] === 'value' ? 8 : 10) + 11 * Number(match[1]);
    const entry = layers.get(index) ?? { a: [], b: [] };
    entry[match[3] as 'a' | 'b'] = shape;
    layers.set(index, entry);
  }
  return layers;
}

test('the fixture reads with rank 4 and the predicted layer indices and shapes', async () => {
  const lora = await readLoraWeights(lorafile);
  expect(lora.rank).toBe(4);
  expect([...lora.layers.keys()]).toEqual([8, 10, 19, 21]);
  for (const [index, shapes] of expectedLayers()) {
    const factors = lora.layers.get(index)!;
    expect(factors.a.shape, `layer ${index} A`).toEqual(shapes.a);
    expect(factors.b.shape, `layer ${index} B`).toEqual(shapes.b);
    expect(factors.a.dtype).toBe('float32');
  }
  // Random factors: B is not zero (enable_lora's initial value), so applying them matters.
  expect((lora.layers.get(10)!.b.data as Float32Array).some((value) => value !== 0)).toBe(true);
});

test('writing reproduces the fixture\'s structure and reads back bit for bit', async () => {
  const lora = await readLoraWeights(lorafile);
  const path = join(await scratch(), 'adapter.lora.h5');
  await writeLoraWeights(path, lora.rank, lora.layers);
  expect(await h5Tree(path)).toEqual(await h5Tree(lorafile));
  const copy = await readLoraWeights(path);
  expect(copy.rank).toBe(4);
  expect([...copy.layers.keys()]).toEqual([...lora.layers.keys()]);
  for (const [index, factors] of lora.layers) {
    expect(sameTensor(copy.layers.get(index)!.a, factors.a)).toBe(true);
    expect(sameTensor(copy.layers.get(index)!.b, factors.b)).toBe(true);
  }
});

test('the bytes variants agree with the files', async () => {
  const lora = await readLoraWeightsFromBytes(new Uint8Array(await readFile(lorafile)), 'keras_gemma_tiny.lora.h5');
  expect([...lora.layers.keys()]).toEqual([8, 10, 19, 21]);
  const bytes = await writeLoraWeightsToBytes(lora.rank, lora.layers);
  expect(await h5TreeOfBytes(bytes)).toEqual(await h5Tree(lorafile));
});

test("KerasHub's errors: a name not ending in .lora.h5, no LoRA layers", async () => {
  const lora = await readLoraWeights(lorafile);
  const dir = await scratch();
  await expect(writeLoraWeights(join(dir, 'adapter.h5'), 4, lora.layers)).rejects.toThrow(/The filename must end in `\.lora\.h5`\. Received: filepath=.*adapter\.h5/);
  await expect(writeLoraWeights(join(dir, 'adapter.lora.h5'), 4, new Map())).rejects.toThrow(/There are no lora-enabled layers in this model/);
});

test('factors that do not match the rank are refused', async () => {
  const lora = await readLoraWeights(lorafile);
  await expect(writeLoraWeights(join(await scratch(), 'x.lora.h5'), 8, lora.layers)).rejects.toThrow(
    /tensor "lora\/8\/vars\/lora_kernel_a": expected a shape ending in the rank 8, got \[1,48,4\]/,
  );
});

test('a missing or truncated LoRA file', async () => {
  const dir = await scratch();
  await expect(readLoraWeights(join(dir, 'absent.lora.h5'))).rejects.toThrow(/absent\.lora\.h5: LoRA weights file not found/);
  const bytes = new Uint8Array(await readFile(lorafile));
  await expect(readLoraWeightsFromBytes(bytes.subarray(0, 4000), 'cut.lora.h5')).rejects.toThrow(/cut\.lora\.h5: cannot open as HDF5 \(4000 bytes; the file is truncated or corrupt\)/);
});
