// softmax (stable, masked), logSoftmax, gelu (exact and tanh), sigmoid against float64 formulas;
// fused kernels are compared with their composed twins in fused.test.ts.
import { expect } from 'vitest';
import * as tz from '@tensorzoo/core';
import { describeBackends, expectClose, expectError, expectTensor, randomFloatTensor, readAndDispose, TestRandom } from './harness.js';
import { ravel, size, unravel, type Plain } from './naive.js';

/** Applies fn to every 1-D line along `axis` (fn gets the line's values and the mask line). */
function alongAxis(x: Plain, axis: number, fn: (line: number[], maskLine: number[]) => number[], mask?: Plain): number[] {
  const out = new Array<number>(size(x.shape));
  for (let flat = 0; flat < out.length; flat++) {
    const index = unravel(flat, x.shape);
    if (index[axis] !== 0) continue;
    const positions = Array.from({ length: x.shape[axis]! }, (_, step) => ravel(index.map((value, at) => (at === axis ? step : value)), x.shape));
    const maskLine = positions.map((position) => (mask ? mask.values[position]! : 1));
    const result = fn(positions.map((position) => x.values[position]!), maskLine);
    positions.forEach((position, step) => (out[position] = result[step]!));
  }
  return out;
}

function naiveSoftmax(line: number[], maskLine: number[]): number[] {
  const kept = line.filter((_, index) => maskLine[index]);
  if (kept.length === 0) return line.map(() => 0);
  const peak = Math.max(...kept);
  const exps = line.map((value, index) => (maskLine[index] ? Math.exp(value - peak) : 0));
  const total = exps.reduce((sum, value) => sum + value, 0);
  return exps.map((value) => value / total);
}

function naiveLogSoftmax(line: number[]): number[] {
  const peak = Math.max(...line);
  const logTotal = Math.log(line.reduce((sum, value) => sum + Math.exp(value - peak), 0));
  return line.map((value) => value - peak - logTotal);
}

const preciseErf = (x: number) => {
  if (Math.abs(x) > 5) return Math.sign(x);
  let term = x;
  let total = x;
  for (let n = 1; n < 120; n++) {
    term *= (-x * x) / n;
    total += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * total;
};
const geluExact = (x: number) => 0.5 * x * (1 + preciseErf(x / Math.SQRT2));
const geluTanh = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

describeBackends('softmax', ({ test }) => {
  test('every axis of random inputs against the float64 formula', async () => {
    const random = new TestRandom(1);
    for (const shape of [[5], [3, 4], [2, 3, 4]]) {
      const x = randomFloatTensor(random, shape, -5, 5);
      for (let axis = -shape.length; axis < shape.length; axis++) {
        const expected = alongAxis({ values: x.values, shape }, axis < 0 ? axis + shape.length : axis, naiveSoftmax);
        await expectTensor(tz.softmax(x.tensor, axis), shape, 'float32', expected, 1e-7, 1e-6);
      }
      x.tensor.dispose();
    }
  });

  test('stable with huge logits', async () => {
    const x = tz.tensor([[1e30, 1e30, -1e30], [1000, 0, -1000], [-1e38, -1e38, -1e38], [88.8, 89, 0]]);
    await expectTensor(tz.softmax(x), [4, 3], 'float32', [0.5, 0.5, 0, 1, 0, 0, 1 / 3, 1 / 3, 1 / 3, ...naiveSoftmax([88.8, 89, 0].map(Math.fround), [1, 1, 1])], 1e-7, 1e-6);
    x.dispose();
  });

  test('hand-computed row sums to one', async () => {
    const x = tz.tensor([0, Math.log(3)]);
    await expectTensor(tz.softmax(x), [2], 'float32', [0.25, 0.75], 1e-7, 0);
    x.dispose();
  });

  test('masked entries are exactly 0 and fully masked rows are all zeros', async () => {
    const x = tz.tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    const mask = tz.tensor([[true, false, true], [false, false, false], [true, true, true]]);
    const read = await readAndDispose(tz.softmax(x, -1, mask));
    expect(read.values[1]).toBe(0);
    expect(read.values.slice(3, 6)).toEqual([0, 0, 0]);
    expectClose(read.values, [...naiveSoftmax([1, 2, 3], [1, 0, 1]), 0, 0, 0, ...naiveSoftmax([7, 8, 9], [1, 1, 1])], 1e-7, 1e-6);
    tz.dispose([x, mask]);
  });

  test('masking is exact even when every kept logit is below -1e9', async () => {
    const x = tz.tensor([[-1e10, -2e10, 5], [-3e10, -3e10, -3e10]]);
    const mask = tz.tensor([[true, true, false], [true, false, true]]);
    await expectTensor(tz.softmax(x, -1, mask), [2, 3], 'float32', [1, 0, 0, 0.5, 0, 0.5]);
    tz.dispose([x, mask]);
  });

  test('random masks (broadcast too) against the softmax over the unmasked entries', async () => {
    const random = new TestRandom(2);
    for (const [shape, maskShape, axis] of [[[4, 5], [4, 5], -1], [[2, 3, 4], [3, 4], -1], [[2, 3, 4], [2, 1, 4], 1], [[3, 6], [1, 6], 0]] as [number[], number[], number][]) {
      const x = randomFloatTensor(random, shape, -3, 3);
      const maskValues = random.ints(size(maskShape), 0, 1);
      const mask = tz.tensor(maskValues, maskShape, 'bool');
      // Broadcast the mask to x's shape for the naive definition.
      const offset = shape.length - maskShape.length;
      const fullMask = Array.from({ length: size(shape) }, (_, flat) => {
        const index = unravel(flat, shape).slice(offset).map((value, at) => (maskShape[at] === 1 ? 0 : value));
        return maskValues[ravel(index, maskShape)]!;
      });
      const position = axis < 0 ? axis + shape.length : axis;
      const expected = alongAxis({ values: x.values, shape }, position, naiveSoftmax, { values: fullMask, shape });
      const read = await readAndDispose(tz.softmax(x.tensor, axis, mask));
      expect(read.shape).toEqual(shape);
      expectClose(read.values, expected, 1e-7, 1e-6);
      read.values.forEach((value, index) => {
        if (!fullMask[index]) expect(value).toBe(0);
      });
      tz.dispose([x.tensor, mask]);
    }
  });

  test('an empty softmax axis gives an empty float32 result', async () => {
    const x = tz.zeros([2, 0]);
    await expectTensor(tz.softmax(x), [2, 0], 'float32', []);
    await expectTensor(tz.logSoftmax(x), [2, 0], 'float32', []);
    const rows = tz.zeros([0, 3], 'bfloat16');
    await expectTensor(tz.softmax(rows), [0, 3], 'float32', []);
    tz.dispose([x, rows]);
  });

  test('bfloat16 logits give float32 probabilities', async () => {
    const x = tz.tensor([0, Math.log(3)], [2], 'bfloat16');
    const rounded = Array.from(await x.data());
    await expectTensor(tz.softmax(x), [2], 'float32', naiveSoftmax(rounded, [1, 1]), 1e-7, 1e-6);
    x.dispose();
  });

  test('errors', () => {
    const x = tz.zeros([2, 3]);
    const ints = tz.zeros([2, 3], 'int32');
    const floatMask = tz.zeros([2, 3]);
    const wideMask = tz.zeros([4, 2, 3], 'bool');
    const badMask = tz.zeros([2, 2], 'bool');
    expectError(() => tz.softmax(ints), 'softmax', "argument 'x'", 'a float tensor', 'int32');
    expectError(() => tz.softmax(x, 2), 'softmax', "argument 'axis'", '[-2, 1]', '2');
    expectError(() => tz.softmax(x, -1, floatMask), 'softmax', "argument 'mask'", 'a bool tensor', 'float32');
    expectError(() => tz.softmax(x, -1, badMask), 'softmax', "argument 'mask'", 'broadcastable to [2, 3]', '[2, 2]');
    expectError(() => tz.softmax(x, -1, wideMask), 'softmax', "argument 'mask'", 'broadcastable to [2, 3]', '[4, 2, 3]');
    tz.dispose([x, ints, floatMask, wideMask, badMask]);
  });
});

describeBackends('logSoftmax, gelu, sigmoid', ({ test }) => {
  test('logSoftmax on every axis against the float64 formula, stable with huge logits', async () => {
    const random = new TestRandom(3);
    const x = randomFloatTensor(random, [3, 4], -5, 5);
    for (const axis of [0, 1, -1]) {
      const expected = alongAxis({ values: x.values, shape: [3, 4] }, axis < 0 ? axis + 2 : axis, naiveLogSoftmax);
      await expectTensor(tz.logSoftmax(x.tensor, axis), [3, 4], 'float32', expected, 1e-6, 1e-6);
    }
    x.tensor.dispose();
    const huge = tz.tensor([1000, 0, -1000]);
    await expectTensor(tz.logSoftmax(huge), [3], 'float32', [0, -1000, -2000], 1e-4, 0);
    huge.dispose();
  });

  for (const [label, approximate, formula] of [['exact (erf)', false, geluExact], ['tanh approximation', true, geluTanh]] as const)
    test(`gelu ${label} against the formula on random and special inputs`, async () => {
      const random = new TestRandom(approximate ? 5 : 4);
      const values = [...random.floats(200, -6, 6), 0, -0, 10, -10, 30, -30];
      const x = tz.tensor(values);
      await expectTensor(tz.gelu(x, approximate), [values.length], 'float32', values.map(formula), 2e-7, 2e-6);
      x.dispose();
    });

  test('gelu exact and tanh differ measurably (the flag is honoured)', async () => {
    const x = tz.tensor([1]);
    const exact = (await readAndDispose(tz.gelu(x))).values[0]!;
    const approximate = (await readAndDispose(tz.gelu(x, true))).values[0]!;
    expect(Math.abs(exact - 0.8413447461)).toBeLessThan(1e-6);
    expect(Math.abs(approximate - 0.8411919906)).toBeLessThan(1e-6);
    x.dispose();
  });

  test('sigmoid against the formula', async () => {
    const values = [-20, -3, -0.5, 0, 0.5, 3, 20];
    const x = tz.tensor(values);
    await expectTensor(tz.sigmoid(x), [7], 'float32', values.map((value) => 1 / (1 + Math.exp(-value))), 1e-7, 1e-6);
    x.dispose();
  });

  test('errors', () => {
    const ints = tz.zeros([2], 'int32');
    const b = tz.zeros([2], 'bool');
    expectError(() => tz.gelu(ints), 'gelu', "argument 'x'", 'a float tensor', 'int32');
    expectError(() => tz.logSoftmax(b), 'logSoftmax', "argument 'x'", 'a float tensor', 'bool');
    expectError(() => tz.sigmoid(ints), 'sigmoid', "argument 'x'", 'a float tensor');
    const floats = tz.zeros([2]);
    expectError(() => tz.logSoftmax(floats, 1), 'logSoftmax', "argument 'axis'", '[-1, 0]');
    tz.dispose([ints, b, floats]);
  });
});
