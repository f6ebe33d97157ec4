// Reading every KerasHub fixture: the datasets are exactly the reference variables (mapped with
// gemmaH5PathFor) with the reference shapes, sharded files resolve through their index, and
// bfloat16 opaque data decodes to the values h5py + ml_dtypes give.

import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, test } from 'vitest';

import { bfloat16BitsToFloat32, float32ToBfloat16Bits, toFloat32 } from '../../src/io/stored-tensor.js';
import { gemmaH5PathFor, gemmaVariablePathFor } from '../../src/io/gemma-h5-layout.js';
import { readKerasWeights, readKerasWeightsFromBytes, type KerasWeights } from '../../src/io/keras-weights-read.js';
import { fixture, kerasFixtures, layoutOf, referenceWeights, sameBits, sameTensor } from './helpers.js';

const opened: KerasWeights[] = [];
afterAll(() => opened.forEach((weights) => weights.close()));

async function open(name: string): Promise<KerasWeights> {
  const weights = await readKerasWeights(fixture(name));
  opened.push(weights);
  return weights;
}

describe.each(kerasFixtures)('$name', ({ name, shards }) => {
  const reference = referenceWeights(name);
  const layout = layoutOf(reference.config);

  test('holds exactly the reference variables, with their shapes', async () => {
    const weights = await open(name);
    const expected = reference.weights.map((weight) => gemmaH5PathFor(weight.path, layout)).sort();
    expect([...weights.paths()].sort()).toEqual(expected);
    for (const weight of reference.weights) {
      const tensor = weights.get(gemmaH5PathFor(weight.path, layout));
      expect(tensor.shape, weight.path).toEqual(weight.shape);
      expect(tensor.data.length).toBe(weight.shape.reduce((product, dimension) => product * dimension, 1));
    }
  });

  test('reports the files it opened and each tensor\'s file', async () => {
    const weights = await open(name);
    expect(weights.files.map((file) => file.split('/').at(-1))).toEqual(
      shards.length > 1 ? ['model.weights.json', ...shards] : shards,
    );
    const info = weights.info('/layers/rms_normalization/vars/0');
    expect(info.shape).toEqual([reference.config.hidden_dim]);
    expect(info.file.endsWith(shards.at(-1)!)).toBe(true);
  });

  test('maps every dataset back to its variable path', async () => {
    const weights = await open(name);
    const variables = weights.paths().map((path) => gemmaVariablePathFor(path, layout));
    expect(variables.sort()).toEqual(reference.weights.map((weight) => weight.path).sort());
  });

  test('reads the same from bytes as from disk', async () => {
    const names = shards.length > 1 ? ['model.weights.json', ...shards] : shards;
    const files = new Map<string, Uint8Array>();
    for (const file of names) files.set(file, new Uint8Array(await readFile(fixture(name, file))));
    const fromBytes = await readKerasWeightsFromBytes(files);
    opened.push(fromBytes);
    const fromDisk = await open(name);
    expect(fromBytes.paths()).toEqual(fromDisk.paths());
    for (const path of fromDisk.paths()) {
      expect(sameTensor(fromBytes.get(path), fromDisk.get(path)), path).toBe(true);
    }
  });
});

test('float32 weights have the float32 dtype', async () => {
  const weights = await open('keras_gemma_tiny');
  const tensor = weights.get('layers/gemma_decoder_block_1/attention/query_dense/vars/0');
  expect(tensor.dtype).toBe('float32');
  expect(tensor.data).toBeInstanceOf(Float32Array);
});

describe('bfloat16 (HDF5 opaque, 2 bytes, dtype="bfloat16")', () => {
  // Expected values: h5py 3.16 + ml_dtypes 0.6, `np.array(dataset, dtype=ml_dtypes.bfloat16)`,
  // exactly as Keras loads these datasets, printed as float64 (bf16 values are exact there).
  const known: [string, number[], number][] = [
    ['layers/rms_normalization/vars/0', [0.10546875, 0.439453125, -0.462890625, -0.25], -1.8780975341796875],
    ['layers/reversible_embedding/vars/0', [0.361328125, -0.451171875, 0.07373046875, -0.1005859375], 60.85712271928787],
    ['layers/gemma_decoder_block_2/attention/query_dense/vars/0', [0.019287109375, 0.050537109375, 0.271484375, 0.123046875], 2.4359865188598633],
  ];

  test.each(known)('%s decodes to the values Keras reads', async (path, first, sum) => {
    const weights = await open('keras_gemma2_tiny_bf16_sharded');
    const tensor = weights.get(path);
    expect(tensor.dtype).toBe('bfloat16');
    expect(tensor.data).toBeInstanceOf(Uint16Array);
    const values = toFloat32(tensor);
    expect([...values.subarray(0, 4)]).toEqual(first);
    // Summed in float64 like numpy's float64 sum, so the total is exact to the last bit.
    expect(values.reduce((total, value) => total + value, 0)).toBeCloseTo(sum, 9);
  });

  test('every bf16 tensor survives widening to float32 and rounding back', async () => {
    const weights = await open('keras_gemma2_tiny_bf16_sharded');
    for (const path of weights.paths()) {
      const tensor = weights.get(path);
      expect(sameBits(float32ToBfloat16Bits(bfloat16BitsToFloat32(tensor.data as Uint16Array)), tensor.data), path).toBe(true);
    }
  });
});

test('printing a KerasWeights object (as a failing assertion does) leaves h5wasm usable', async () => {
  const weights = await open('keras_gemma_tiny');
  // Formatting the object for the failure message must not reach the Emscripten module.
  expect(() => expect(weights).toBe(null)).toThrow(/expected/);
  expect(weights.get('layers/rms_normalization/vars/0').shape).toEqual([48]);
});
