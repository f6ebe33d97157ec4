// Stored types the KerasHub fixtures do not contain, from a file h5py wrote
// (fixtures/generated/make_h5py_dtypes.py): float16, bfloat16 opaque data without the `dtype`
// attribute (older Keras files), big-endian float32 and int64; and slab-wise reading of large
// datasets.

import { expect, test } from 'vitest';

import { openH5Path, readDatasetBytes } from '../../src/io/h5-runtime.js';
import { readKerasWeights } from '../../src/io/keras-weights-read.js';
import { toFloat32 } from '../../src/io/stored-tensor.js';
import { fixture, sameBits } from './helpers.js';

const file = fixture('generated', 'h5py_dtypes.weights.h5');

test('float16, untagged bfloat16, big-endian float32 and int64 read as h5py wrote them', async () => {
  const weights = await readKerasWeights(file);
  try {
    const half = weights.get('layers/half/vars/0');
    expect(half.dtype).toBe('float16');
    expect([...toFloat32(half)]).toEqual([1, -2, 65504, 2 ** -24]);
    // Keras' backends treat any 2-byte opaque array as bfloat16 (spec §4.3).
    const untagged = weights.get('layers/untagged/vars/0');
    expect(untagged.dtype).toBe('bfloat16');
    expect([...toFloat32(untagged)]).toEqual([1, -2, 0.10546875]);
    const bigEndian = weights.get('layers/big_endian/vars/0');
    expect(bigEndian).toMatchObject({ dtype: 'float32', shape: [2, 2] });
    expect([...(bigEndian.data as Float32Array)]).toEqual([1.5, -3, 0.25, Math.fround(1e-3)]);
    const counts = weights.get('layers/counts/vars/0');
    expect(counts.dtype).toBe('int64');
    expect([...(counts.data as BigInt64Array)]).toEqual([-(2n ** 40n), 7n]);
  } finally {
    weights.close();
  }
});

test('large datasets are read in slabs along the first axis with identical bytes', async () => {
  const open = await openH5Path(fixture('keras_gemma_tiny', 'model.weights.h5'), 'weights');
  try {
    const path = 'layers/reversible_embedding/vars/0';
    const whole = readDatasetBytes(open, path, [2048, 48], 4);
    // 1000 bytes per slab is 5 rows of 192 bytes: 410 slabs, the last one partial.
    const slabbed = readDatasetBytes(open, path, [2048, 48], 4, 1000);
    expect(whole.byteLength).toBe(2048 * 48 * 4);
    expect(sameBits(slabbed, whole)).toBe(true);
  } finally {
    open.close();
  }
});

test('a dataset declaring more data than can exist is a clear error, not a crash', async () => {
  const weights = await readKerasWeights(fixture('generated', 'h5py_declared_huge.weights.h5'));
  try {
    expect(weights.info('layers/huge/vars/0').shape).toEqual([2 ** 42]);
    expect(() => weights.get('layers/huge/vars/0')).toThrow(/tensor "layers\/huge\/vars\/0": cannot allocate 17592186044416 bytes for shape \[4398046511104\]/);
  } finally {
    weights.close();
  }
});
