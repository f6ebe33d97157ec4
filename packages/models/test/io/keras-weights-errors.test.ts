// Damaged, hostile or incomplete Keras weights: every failure is a CheckpointError whose message
// names the file and, where there is one, the tensor.

import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

import { CheckpointError } from '../../src/io/errors.js';
import { checkShardName, readJson } from '../../src/io/files.js';
import { readKerasWeights, readKerasWeightsFromBytes } from '../../src/io/keras-weights-read.js';
import { fixture, scratchDir } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});
async function scratch(): Promise<string> {
  const dir = await scratchDir();
  cleanups.push(dir.cleanup);
  return dir.path;
}

const single = fixture('keras_gemma_tiny', 'model.weights.h5');
const shardedDir = fixture('keras_gemma2_tiny_bf16_sharded');
const shards = ['model_00000.weights.h5', 'model_00001.weights.h5'];

test('a truncated model.weights.h5', async () => {
  const bytes = await readFile(single);
  const dir = await scratch();
  await writeFile(join(dir, 'model.weights.h5'), bytes.subarray(0, 300_000));
  const error = await readKerasWeights(dir).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(CheckpointError);
  expect((error as CheckpointError).file).toBe(join(dir, 'model.weights.h5'));
  expect((error as Error).message).toMatch(/model\.weights\.h5: cannot open as HDF5 \(300000 bytes; the file is truncated or corrupt\): .*truncated file/);
  await expect(readKerasWeightsFromBytes(new Map([['model.weights.h5', new Uint8Array(bytes.subarray(0, 300_000))]]))).rejects.toThrow(
    /^model\.weights\.h5: cannot open as HDF5 \(300000 bytes/,
  );
});

test('a file that is not HDF5 at all', async () => {
  const dir = await scratch();
  await writeFile(join(dir, 'model.weights.h5'), '{"not": "hdf5"}');
  await expect(readKerasWeights(dir)).rejects.toThrow(/model\.weights\.h5: Keras weights file is not an HDF5 file \(no HDF5 signature/);
});

test('a missing folder, file or tensor', async () => {
  const dir = await scratch();
  await expect(readKerasWeights(dir)).rejects.toThrow(/no Keras weights: neither model\.weights\.h5 nor model\.weights\.json exists/);
  await expect(readKerasWeights(join(dir, 'x.weights.h5'))).rejects.toThrow(/x\.weights\.h5: Keras weights file not found/);
  const weights = await readKerasWeights(single);
  try {
    const error = (() => {
      try {
        weights.get('layers/gemma_decoder_block_7/attention/query_dense/vars/0');
      } catch (caught) {
        return caught as CheckpointError;
      }
    })()!;
    expect(error.tensor).toBe('layers/gemma_decoder_block_7/attention/query_dense/vars/0');
    expect(error.message).toMatch(/model\.weights\.h5, tensor "layers\/gemma_decoder_block_7\/attention\/query_dense\/vars\/0": tensor not found \(the weights hold 20 tensors\)/);
    expect(weights.has('layers/gemma_decoder_block_7/attention/query_dense/vars/0')).toBe(false);
  } finally {
    weights.close();
  }
});

test('soft and external links are refused, as Keras refuses them', async () => {
  const { nodeH5Runtime } = await import('../../src/io/h5-runtime.js');
  const runtime = await nodeH5Runtime();
  const dir = await scratch();
  for (const kind of ['soft', 'external'] as const) {
    const path = join(dir, `${kind}.weights.h5`);
    const file = new runtime.api.File(path, 'w');
    const vars = file.create_group('layers').create_group('dense').create_group('vars');
    vars.create_dataset({ name: '0', data: Float32Array.of(1, 2), shape: [2], dtype: '<f' });
    if (kind === 'soft') vars.create_soft_link('/layers/dense/vars/0', '1');
    else vars.create_external_link('/etc/secret.h5', '/data', '1');
    file.close();
    await expect(readKerasWeights(path), kind).rejects.toThrow(/tensor "layers\/dense\/vars\/1": soft and external links are not allowed in a weights file/);
  }
});

test('a shape mismatch against what the caller expects', async () => {
  const weights = await readKerasWeights(single);
  try {
    expect(weights.get('layers/rms_normalization/vars/0', { shape: [48] }).shape).toEqual([48]);
    expect(() => weights.get('layers/rms_normalization/vars/0', { shape: [64] })).toThrow(
      /model\.weights\.h5, tensor "layers\/rms_normalization\/vars\/0": shape mismatch: expected \[64\], the file has \[48\]/,
    );
  } finally {
    weights.close();
  }
});

describe('sharded index problems', () => {
  async function withIndex(mutate: (index: { weight_map: Record<string, unknown> }) => void, copyShards = shards): Promise<string> {
    const dir = await scratch();
    for (const name of copyShards) await copyFile(join(shardedDir, name), join(dir, name));
    const index = JSON.parse(await readFile(join(shardedDir, 'model.weights.json'), 'utf8'));
    mutate(index);
    await writeFile(join(dir, 'model.weights.json'), JSON.stringify(index));
    return dir;
  }

  test('shard names with "..", absolute paths or folders are refused before anything is opened', async () => {
    const key = '/layers/rms_normalization/vars';
    const dotDot = await withIndex((index) => (index.weight_map[key] = '../model_00001.weights.h5'));
    await expect(readKerasWeights(dotDot)).rejects.toThrow(
      /model\.weights\.json, tensor "\/layers\/rms_normalization\/vars": shard file name "\.\.\/model_00001\.weights\.h5" contains "\.\."/,
    );
    const absolute = await withIndex((index) => (index.weight_map[key] = '/tmp/model_00001.weights.h5'));
    await expect(readKerasWeights(absolute)).rejects.toThrow(/shard file name "\/tmp\/model_00001\.weights\.h5" is an absolute path/);
    const windows = await withIndex((index) => (index.weight_map[key] = ['C:\\x.h5']));
    await expect(readKerasWeights(windows)).rejects.toThrow(/shard file name "C:\\\\x\.h5" is an absolute path/);
  });

  test('a shard missing from the folder', async () => {
    const dir = await withIndex(() => undefined, [shards[0]!]);
    await expect(readKerasWeights(dir)).rejects.toThrow(/model_00001\.weights\.h5: weights shard named by model\.weights\.json not found/);
  });

  test('an index that assigns a group to the wrong shard', async () => {
    const dir = await withIndex((index) => (index.weight_map['/layers/rms_normalization/vars'] = 'model_00000.weights.h5'));
    await expect(readKerasWeights(dir)).rejects.toThrow(
      /model\.weights\.json: the index assigns group \/layers\/rms_normalization\/vars to model_00000\.weights\.h5, which hold no datasets in it/,
    );
  });

  test('a malformed index', async () => {
    const noMap = await withIndex((index) => delete (index as { weight_map?: unknown }).weight_map);
    await expect(readKerasWeights(noMap)).rejects.toThrow(/model\.weights\.json: sharded weights index has no "weight_map" object/);
    const badKey = await withIndex((index) => (index.weight_map['layers/x'] = shards[0]));
    await expect(readKerasWeights(badKey)).rejects.toThrow(/weight_map key "layers\/x" is not of the form "\/<layer path>\/vars"/);
    const dir = await scratch();
    await writeFile(join(dir, 'model.weights.json'), '{"weight_map": {');
    await expect(readKerasWeights(dir)).rejects.toThrow(/model\.weights\.json: sharded Keras weights index is not valid JSON/);
  });
});

test('readJson: clear errors for a missing or corrupt config', async () => {
  const dir = await scratch();
  expect((await readJson(fixture('keras_gemma_tiny', 'config.json'), { what: 'preset config' })).class_name).toBe('GemmaBackbone');
  await expect(readJson(join(dir, 'config.json'), { what: 'preset config' })).rejects.toThrow(/config\.json: preset config not found/);
  await writeFile(join(dir, 'config.json'), '{"class_name": ');
  await expect(readJson(join(dir, 'config.json'), { what: 'preset config' })).rejects.toThrow(/config\.json: preset config is not valid JSON/);
});

test('checkShardName accepts plain names only', () => {
  const where = { file: 'index.json' };
  expect(checkShardName('model-00001-of-00002.safetensors', where)).toBe('model-00001-of-00002.safetensors');
  for (const bad of ['', '.', '..', 'a/../b', '/abs', '\\\\server\\share', 'D:evil', 'dir/file', 'a\u0000b', 3]) {
    expect(() => checkShardName(bad, where), String(bad)).toThrow(CheckpointError);
  }
});
