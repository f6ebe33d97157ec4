// Creation (tensor, scalar, zeros, ones, fill, arange, *Like), reading (data, dataSync,
// arraySync, array) and the seeded random distributions.
import { expect } from 'vitest';
import * as tz from '@tensorzoo/core';
import { describeBackends, expectClose, expectError, expectTensor, readAndDispose } from './harness.js';

describeBackends('creation', ({ test }) => {
  test('tensor from nested arrays infers shape and float32', async () => {
    await expectTensor(tz.tensor([[1, 2, 3], [4, 5, 6]]), [2, 3], 'float32', [1, 2, 3, 4, 5, 6]);
  });

  test('tensor from a number is a scalar', async () => {
    const x = tz.tensor(3.5);
    expect(x.rank).toBe(0);
    expect(x.size).toBe(1);
    await expectTensor(x, [], 'float32', [3.5]);
  });

  test('tensor from booleans is bool', async () => {
    await expectTensor(tz.tensor([true, false, true]), [3], 'bool', [1, 0, 1]);
  });

  test('tensor from typed arrays takes their dtype', async () => {
    await expectTensor(tz.tensor(new Int32Array([1, -2])), [2], 'int32', [1, -2]);
    await expectTensor(tz.tensor(new Uint8Array([1, 0])), [2], 'bool', [1, 0]);
    await expectTensor(tz.tensor(new Float32Array([0.5, 2])), [2], 'float32', [0.5, 2]);
  });

  test('tensor with an explicit shape and dtype', async () => {
    await expectTensor(tz.tensor([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), [3, 2], 'int32', [1, 2, 3, 4, 5, 6]);
    await expectTensor(tz.tensor([0, 2, -1], [3], 'bool'), [3], 'bool', [0, 1, 1]);
  });

  test('tensor rounds to float32 and truncates to int32', async () => {
    await expectTensor(tz.tensor([0.1]), [1], 'float32', [Math.fround(0.1)]);
    await expectTensor(tz.tensor([1.9, -1.9], [2], 'int32'), [2], 'int32', [1, -1]);
    // Out-of-range values saturate, as cast does (never wrap modulo 2³²).
    await expectTensor(tz.tensor([3e9, -Infinity, NaN], [3], 'int32'), [3], 'int32', [2147483647, -2147483648, 0]);
    await expectTensor(tz.fill([1], 5e9, 'int32'), [1], 'int32', [2147483647]);
  });

  test('tensor with size-0 dims', async () => {
    await expectTensor(tz.tensor([]), [0], 'float32', []);
    await expectTensor(tz.tensor([[], []]), [2, 0], 'float32', []);
    await expectTensor(tz.tensor([], [3, 0, 2]), [3, 0, 2], 'float32', []);
  });

  test('tensor copies its input (later changes to the array do not leak in)', async () => {
    const source = new Float32Array([1, 2]);
    const x = tz.tensor(source);
    source[0] = 99;
    await expectTensor(x, [2], 'float32', [1, 2]);
  });

  test('scalar', async () => {
    await expectTensor(tz.scalar(7, 'int32'), [], 'int32', [7]);
    await expectTensor(tz.scalar(true), [], 'bool', [1]);
  });

  test('zeros, ones and fill in every dtype', async () => {
    for (const dtype of tz.allDTypes) {
      await expectTensor(tz.zeros([2, 2], dtype), [2, 2], dtype, [0, 0, 0, 0]);
      await expectTensor(tz.ones([3], dtype), [3], dtype, [1, 1, 1]);
    }
    await expectTensor(tz.fill([2], 2.5), [2], 'float32', [2.5, 2.5]);
    await expectTensor(tz.fill([2], 2.5, 'int32'), [2], 'int32', [2, 2]);
    await expectTensor(tz.fill([2], 3, 'bool'), [2], 'bool', [1, 1]);
    await expectTensor(tz.fill([1], 0.1, 'bfloat16'), [1], 'bfloat16', [tz.bfloat16BitsToFloat32(tz.float32ToBfloat16Bits(0.1))]);
    await expectTensor(tz.zeros([]), [], 'float32', [0]);
    await expectTensor(tz.zeros([0, 4]), [0, 4], 'float32', []);
  });

  test('zerosLike and onesLike keep shape and dtype', async () => {
    const x = tz.tensor([[1, 2]], [1, 2], 'int32');
    await expectTensor(tz.zerosLike(x), [1, 2], 'int32', [0, 0]);
    await expectTensor(tz.onesLike(x), [1, 2], 'int32', [1, 1]);
    x.dispose();
  });

  test('arange with one, two and three arguments', async () => {
    await expectTensor(tz.arange(5), [5], 'int32', [0, 1, 2, 3, 4]);
    await expectTensor(tz.arange(2, 5), [3], 'int32', [2, 3, 4]);
    await expectTensor(tz.arange(5, 0, -2), [3], 'int32', [5, 3, 1]);
    await expectTensor(tz.arange(0, 1, 0.25), [4], 'float32', [0, 0.25, 0.5, 0.75]);
    await expectTensor(tz.arange(3, 3), [0], 'int32', []);
    await expectTensor(tz.arange(3, 0), [0], 'int32', []);
    await expectTensor(tz.arange(0, 3, 1, 'float32'), [3], 'float32', [0, 1, 2]);
  });

  test('arange matches NumPy lengths for fractional steps', async () => {
    for (const [start, stop, step] of [[0, 1, 0.3], [1, 2.5, 0.5], [-1, 1, 0.7], [10, 0, -3]] as const) {
      // NumPy's definition: ceil((stop - start) / step) values start + i·step.
      const count = Math.max(0, Math.ceil((stop - start) / step));
      const expected = Array.from({ length: count }, (_, index) => start + index * step);
      const read = await readAndDispose(tz.arange(start, stop, step));
      expect(read.shape).toEqual([expected.length]);
      expectClose(read.values, expected.map(Math.fround), 0, 0);
    }
  });

  test('dataSync, data and arraySync agree', async () => {
    const x = tz.tensor([[1, 2], [3, 4]]);
    expect(Array.from(x.dataSync())).toEqual([1, 2, 3, 4]);
    expect(Array.from(await x.data())).toEqual([1, 2, 3, 4]);
    expect(x.arraySync()).toEqual([[1, 2], [3, 4]]);
    expect(await x.array()).toEqual([[1, 2], [3, 4]]);
    x.dispose();
  });

  test('arraySync of bool, scalar and empty tensors', () => {
    const b = tz.tensor([[true, false]]);
    expect(b.arraySync()).toEqual([[true, false]]);
    const scalar = tz.scalar(4, 'int32');
    expect(scalar.arraySync()).toBe(4);
    const empty = tz.zeros([2, 0]);
    expect(empty.arraySync()).toEqual([[], []]);
    tz.dispose([b, scalar, empty]);
  });

  test('dataSync returns a copy, not the backing store', () => {
    const x = tz.tensor([1, 2]);
    x.dataSync()[0] = 50;
    expect(Array.from(x.dataSync())).toEqual([1, 2]);
    x.dispose();
  });

  test('toString names dtype and shape', () => {
    const x = tz.zeros([2, 3], 'int32');
    expect(x.toString()).toBe('Tensor(int32, [2, 3])');
    x.dispose();
  });
});

describeBackends('random', ({ test }) => {
  const moments = (values: number[]) => {
    const mean = values.reduce((total, value) => total + value, 0) / values.length;
    const variance = values.reduce((total, value) => total + (value - mean) ** 2, 0) / values.length;
    return { mean, std: Math.sqrt(variance) };
  };

  for (const [name, make] of [
    ['randomNormal', (seed: number) => tz.randomNormal([4000], { seed })],
    ['randomUniform', (seed: number) => tz.randomUniform([4000], { seed })],
    ['truncatedNormal', (seed: number) => tz.truncatedNormal([4000], { seed })],
  ] as const) {
    test(`${name} is reproducible per seed and differs across seeds`, async () => {
      const first = await readAndDispose(make(42));
      const again = await readAndDispose(make(42));
      const other = await readAndDispose(make(43));
      expect(first.values).toEqual(again.values);
      expect(first.values).not.toEqual(other.values);
    });
  }

  test('randomNormal has mean ≈ 0 and stddev ≈ 1, and honours mean/stddev', async () => {
    const standard = moments((await readAndDispose(tz.randomNormal([20000], { seed: 1 }))).values);
    expect(Math.abs(standard.mean)).toBeLessThan(0.03);
    expect(Math.abs(standard.std - 1)).toBeLessThan(0.03);
    const shifted = moments((await readAndDispose(tz.randomNormal([20000], { seed: 2, mean: 3, stddev: 0.5 }))).values);
    expect(Math.abs(shifted.mean - 3)).toBeLessThan(0.02);
    expect(Math.abs(shifted.std - 0.5)).toBeLessThan(0.02);
  });

  test('randomUniform stays in [minval, maxval) with the right moments', async () => {
    const read = await readAndDispose(tz.randomUniform([20000], { seed: 3, minval: -2, maxval: 4 }));
    expect(Math.min(...read.values)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...read.values)).toBeLessThan(4);
    const { mean, std } = moments(read.values);
    expect(Math.abs(mean - 1)).toBeLessThan(0.05);
    expect(Math.abs(std - 6 / Math.sqrt(12))).toBeLessThan(0.05);
  });

  test('truncatedNormal stays within two stddevs with the truncated stddev', async () => {
    const read = await readAndDispose(tz.truncatedNormal([20000], { seed: 4, mean: 1, stddev: 2 }));
    expect(Math.min(...read.values)).toBeGreaterThanOrEqual(1 - 4);
    expect(Math.max(...read.values)).toBeLessThanOrEqual(1 + 4);
    const { mean, std } = moments(read.values);
    expect(Math.abs(mean - 1)).toBeLessThan(0.05);
    // The standard deviation of a standard normal truncated to [-2, 2] is 0.87962.
    expect(Math.abs(std - 2 * 0.87962)).toBeLessThan(0.04);
  });

  test('random ops write the requested shape and storage dtype', async () => {
    const read = await readAndDispose(tz.randomNormal([2, 3, 4], { seed: 5, dtype: 'bfloat16' }));
    expect(read.shape).toEqual([2, 3, 4]);
    expect(read.dtype).toBe('bfloat16');
    for (const value of read.values) expect(tz.bfloat16BitsToFloat32(tz.float32ToBfloat16Bits(value))).toBe(value);
  });

  test('the seeded generator is the same on every backend (fixed first values)', async () => {
    const generator = new tz.RandomGenerator(42);
    const expected = Array.from({ length: 4 }, () => Math.fround(generator.nextFloat()));
    await expectTensor(tz.randomUniform([4], { seed: 42 }), [4], 'float32', expected);
  });

  test('unseeded calls give different values', async () => {
    const first = await readAndDispose(tz.randomUniform([8]));
    const second = await readAndDispose(tz.randomUniform([8]));
    expect(first.values).not.toEqual(second.values);
  });
});

describeBackends('creation errors', ({ test }) => {
  test('ragged nested arrays', () => expectError(() => tz.tensor([[1, 2], [3]]), 'tensor', "argument 'values'", 'shape [2, 2]', 'length 1'));
  test('uneven nesting depth', () => {
    expectError(() => tz.tensor([[1], [[2]]] as unknown as number[][]), 'tensor', "argument 'values'", 'shape [2, 1]', 'a deeper nesting');
    expectError(() => tz.tensor([[1, 2], 3] as unknown as number[][]), 'tensor', "argument 'values'", 'shape [2, 2]', 'length scalar at depth 1');
  });
  test('shape that does not match the values', () => expectError(() => tz.tensor([1, 2, 3], [2, 2]), 'tensor', "argument 'shape'", '3 elements', '[2, 2]'));
  test('negative or fractional shape', () => {
    expectError(() => tz.zeros([2, -1]), 'fill', "argument 'shape'", 'non-negative integers', '[2, -1]');
    expectError(() => tz.ones([1.5]), 'fill', "argument 'shape'", '[1.5]');
  });
  test('unknown dtype', () => expectError(() => tz.zeros([1], 'float64' as tz.DType), 'fill', "argument 'dtype'", 'float32', 'received float64'));
  test('non-array values', () => expectError(() => tz.tensor('abc' as unknown as number[]), 'tensor', "argument 'values'", 'string'));
  test('arange with a zero or infinite step', () => {
    expectError(() => tz.arange(0, 5, 0), 'arange', "argument 'step'", 'non-zero', '0');
    expectError(() => tz.arange(0, 5, Infinity), 'arange', "argument 'step'", 'Infinity');
  });
  test('arange with a non-finite bound', () => {
    expectError(() => tz.arange(0, NaN), 'arange', "argument 'stop'", 'finite', 'NaN');
    expectError(() => tz.arange(-Infinity, 3), 'arange', "argument 'start'", 'finite', '-Infinity');
  });
  test('random ops reject integer dtypes and bad shapes', () => {
    expectError(() => tz.randomNormal([2], { dtype: 'int32' }), 'randomNormal', "argument 'dtype'", 'float dtype', 'int32');
    expectError(() => tz.randomUniform([-1]), 'randomUniform', "argument 'shape'", '[-1]');
    expectError(() => tz.truncatedNormal([2], { dtype: 'bool' }), 'truncatedNormal', "argument 'dtype'", 'bool');
  });
  test('randomUniform with maxval below minval', () => expectError(() => tz.randomUniform([2], { minval: 1, maxval: 0 }), 'randomUniform', "argument 'maxval'", '≥ minval', '0'));
  test('reading a disposed tensor', () => {
    const x = tz.tensor([1]);
    x.dispose();
    expectError(() => x.dataSync(), 'dataSync', 'used after dispose()');
    expectError(() => x.arraySync(), 'dataSync', 'used after dispose()');
  });
});
