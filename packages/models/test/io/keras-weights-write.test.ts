// Writing Keras weights: re-writing each KerasHub fixture reproduces its files' full structure
// (groups, datasets, dtypes, every attribute) and, for the sharded fixture, the same split and a
// byte-identical index; everything reads back bit for bit, on disk and as bytes.

import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

import { gemmaH5PathFor, gemmaKerasGroups, gemmaVariablePathFor, gemmaWeightEntries } from '../../src/io/gemma-h5-layout.js';
import { readKerasWeights, readKerasWeightsFromBytes } from '../../src/io/keras-weights-read.js';
import { writeKerasWeights, writeKerasWeightsFile, writeKerasWeightsToBytes, type KerasWeightEntry } from '../../src/io/keras-weights-write.js';
import type { StoredTensor } from '../../src/io/stored-tensor.js';
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

// The bf16 fixture holds 168,768 bytes of variables and Keras split it after 149,760 bytes, so
// any limit from 149,760 up to 151,807 reproduces its split (spec §4.5's rule).
const FIXTURE_SHARD_LIMIT = 150_000;

const fixtureVariableCache = new Map<string, ReturnType<typeof loadFixtureVariables>>();
function fixtureVariables(name: string) {
  let loaded = fixtureVariableCache.get(name);
  if (!loaded) fixtureVariableCache.set(name, (loaded = loadFixtureVariables(name)));
  return loaded;
}

async function loadFixtureVariables(name: string) {
  const reference = referenceWeights(name);
  const layout = layoutOf(reference.config);
  const weights = await readKerasWeights(fixture(name));
  const variables = new Map(weights.paths().map((path) => [gemmaVariablePathFor(path, layout), weights.get(path)]));
  weights.close();
  return { layout, variables };
}

describe.each(kerasFixtures)('re-writing $name', ({ name, backboneName, autoNameStart, shards }) => {
  const sharded = shards.length > 1;
  const options = async () => {
    const { layout, variables } = await fixtureVariables(name);
    return {
      entries: gemmaWeightEntries(variables, layout),
      variables,
      layout,
      write: {
        groups: gemmaKerasGroups(layout, { backboneName, autoNameStart }),
        maxShardSizeBytes: sharded ? FIXTURE_SHARD_LIMIT : undefined,
      },
    };
  };

  test('reproduces the files (tree, attributes, dtypes, shard split, index) and reads back bit for bit', async () => {
    const { entries, write, variables, layout } = await options();
    const out = await scratch();
    await writeKerasWeights(out, entries, write);
    const expectedFiles = sharded ? ['model.weights.json', ...shards] : shards;
    expect((await readdir(out)).sort()).toEqual([...expectedFiles].sort());
    for (const shard of shards) {
      expect(await h5Tree(join(out, shard)), shard).toEqual(await h5Tree(fixture(name, shard)));
    }
    if (sharded) {
      expect(await readFile(join(out, 'model.weights.json'), 'utf8')).toBe(await readFile(fixture(name, 'model.weights.json'), 'utf8'));
    }
    const weights = await readKerasWeights(out);
    expect(weights.paths().length).toBe(variables.size);
    for (const [path, tensor] of variables) {
      expect(sameTensor(weights.get(gemmaH5PathFor(path, layout)), tensor), path).toBe(true);
    }
    weights.close();
  });

  test('the bytes variant produces the same files', async () => {
    const { entries, write } = await options();
    const files = await writeKerasWeightsToBytes(entries, write);
    expect([...files.keys()].sort()).toEqual((sharded ? ['model.weights.json', ...shards] : [...shards]).sort());
    for (const shard of shards) expect(await h5TreeOfBytes(files.get(shard)!), shard).toEqual(await h5Tree(fixture(name, shard)));
    const weights = await readKerasWeightsFromBytes(files);
    const original = await readKerasWeights(fixture(name));
    for (const path of original.paths()) expect(sameTensor(weights.get(path), original.get(path)), path).toBe(true);
    weights.close();
    original.close();
  });
});

function float32(shape: number[], seed: number): StoredTensor {
  const data = new Float32Array(shape.reduce((product, dimension) => product * dimension, 1));
  for (let index = 0; index < data.length; index++) data[index] = Math.sin(seed + index * 0.37);
  return { shape, dtype: 'float32', data };
}

test('a float32 model can be sharded, and a group spanning shards is listed under both', async () => {
  const entries: KerasWeightEntry[] = [
    { h5Path: 'layers/dense/vars/0', tensor: float32([64, 32], 1) },
    { h5Path: 'layers/dense/vars/1', tensor: float32([64, 32], 2) },
    { h5Path: 'layers/dense_1/vars/0', tensor: float32([16], 3) },
  ];
  const out = await scratch();
  await writeKerasWeights(out, entries, { maxShardSizeBytes: 10_000 });
  const index = JSON.parse(await readFile(join(out, 'model.weights.json'), 'utf8'));
  expect(index).toEqual({
    metadata: { total_size: 2 * 64 * 32 * 4 + 16 * 4 },
    weight_map: {
      '/layers/dense/vars': ['model_00000.weights.h5', 'model_00001.weights.h5'],
      '/layers/dense_1/vars': 'model_00001.weights.h5',
    },
  });
  const weights = await readKerasWeights(join(out, 'model.weights.json'));
  for (const entry of entries) expect(sameTensor(weights.get(entry.h5Path), entry.tensor), entry.h5Path).toBe(true);
  weights.close();
  // Without a groups list, each vars group is named after its layer group.
  const tree = await h5Tree(join(out, 'model_00000.weights.h5'));
  expect(tree.find((node) => node.path === 'layers/dense/vars')!.attributes).toEqual([{ name: 'name', value: 'dense', kind: 'string' }]);
});

test('saving unsharded over a sharded save removes the stale index and shards', async () => {
  const out = await scratch();
  const entries = [
    { h5Path: 'layers/a/vars/0', tensor: float32([100], 1) },
    { h5Path: 'layers/b/vars/0', tensor: float32([100], 2) },
  ];
  await writeKerasWeights(out, entries, { maxShardSizeBytes: 500 });
  expect((await readdir(out)).sort()).toEqual(['model.weights.json', 'model_00000.weights.h5', 'model_00001.weights.h5']);
  await writeFile(join(out, 'config.json'), '{}');
  await writeKerasWeights(out, entries);
  expect((await readdir(out)).sort()).toEqual(['config.json', 'model.weights.h5']);
  const weights = await readKerasWeights(out);
  expect(sameTensor(weights.get('layers/b/vars/0'), entries[1]!.tensor)).toBe(true);
  weights.close();
});

test('scalars, integers and an exact file name', async () => {
  const out = await scratch();
  const path = join(out, 'custom.weights.h5');
  const entries: KerasWeightEntry[] = [
    { h5Path: 'vars/0', tensor: { shape: [], dtype: 'int64', data: BigInt64Array.of(-7n) } },
    { h5Path: 'layers/counts/vars/0', tensor: { shape: [2, 2], dtype: 'int32', data: Int32Array.of(1, -2, 3, 2147483647) } },
    { h5Path: 'layers/mixed/vars/0', tensor: { shape: [3], dtype: 'bfloat16', data: Uint16Array.of(0x3f80, 0xc000, 0x7fc0) } },
  ];
  await writeKerasWeightsFile(path, entries, { groups: [{ path: '', name: 'model' }, { path: 'layers/counts', name: 'counts' }, { path: 'layers/mixed' }] });
  const weights = await readKerasWeights(path);
  for (const entry of entries) expect(sameTensor(weights.get(entry.h5Path), entry.tensor), entry.h5Path).toBe(true);
  weights.close();
});

test('the preset folder is created when missing; an exact file path is not', async () => {
  const root = await scratch();
  const entries = [{ h5Path: 'layers/a/vars/0', tensor: float32([3], 1) }];
  await writeKerasWeights(join(root, 'new', 'preset'), entries);
  expect(await readdir(join(root, 'new', 'preset'))).toEqual(['model.weights.h5']);
  await expect(writeKerasWeightsFile(join(root, 'absent', 'x.weights.h5'), entries)).rejects.toThrow(/absent\/x\.weights\.h5: cannot create the file: /);
});

describe('errors name the tensor', () => {
  const tensor = float32([4], 0);
  test('float16 cannot be written (h5wasm has no 2-byte float type)', async () => {
    const entries = [{ h5Path: 'layers/x/vars/0', tensor: { shape: [1], dtype: 'float16' as const, data: Uint16Array.of(0x3c00) } }];
    await expect(writeKerasWeights(await scratch(), entries)).rejects.toThrow(/tensor "layers\/x\/vars\/0": writing float16 is not supported/);
  });
  test('data that does not match the shape', async () => {
    const entries = [{ h5Path: 'layers/x/vars/0', tensor: { ...tensor, shape: [5] } }];
    await expect(writeKerasWeights(await scratch(), entries)).rejects.toThrow(/tensor "layers\/x\/vars\/0": shape \[5\] needs 5 elements but the data has 4/);
  });
  test('a variable larger than the shard limit', async () => {
    const entries = [{ h5Path: 'layers/x/vars/0', tensor: float32([100], 0) }, { h5Path: 'layers/y/vars/0', tensor: float32([1000], 0) }];
    await expect(writeKerasWeights(await scratch(), entries, { maxShardSizeBytes: 1000 })).rejects.toThrow(/tensor "layers\/y\/vars\/0": 4000 bytes exceed the shard size limit of 1000 bytes/);
  });
  test('a path outside a vars group, a duplicate, a group missing from the list', async () => {
    await expect(writeKerasWeights(await scratch(), [{ h5Path: 'layers/x/0', tensor }])).rejects.toThrow(/must end in "vars\/<name>"/);
    const twice = [{ h5Path: 'layers/x/vars/0', tensor }, { h5Path: '/layers/x/vars/0', tensor }];
    await expect(writeKerasWeights(await scratch(), twice)).rejects.toThrow(/dataset is given twice/);
    const groups = [{ path: 'layers/y', name: 'y' }];
    await expect(writeKerasWeights(await scratch(), [{ h5Path: 'layers/x/vars/0', tensor }], { groups })).rejects.toThrow(/group "layers\/x" is not in the groups given/);
  });
});
