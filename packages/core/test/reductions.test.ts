// sum, mean, max, min, argmax over every subset of axes (negative spellings too), with and
// without keepDims, against the naive grouping loop; ties, NaN, empty reductions and errors.
import { expect } from 'vitest';
import * as tz from '@tensorzoo/core';
import { describeBackends, expectClose, expectError, expectTensor, randomFloatTensor, randomIntTensor, readAndDispose, TestRandom } from './harness.js';
import { naiveReduce } from './naive.js';

const definitions: Record<string, (group: number[]) => number> = {
  sum: (group) => group.reduce((total, value) => total + value, 0),
  mean: (group) => group.reduce((total, value) => total + value, 0) / group.length,
  max: (group) => Math.max(...group),
  min: (group) => Math.min(...group),
};

const ops: Record<string, (x: tz.Tensor, axis?: number | number[], keepDims?: boolean) => tz.Tensor> = {
  sum: tz.sum,
  mean: tz.mean,
  max: tz.max,
  min: tz.min,
};

function subsets(rank: number): number[][] {
  return Array.from({ length: 2 ** rank }, (_, mask) => [...Array(rank).keys()].filter((axis) => mask & (1 << axis)));
}

describeBackends('reductions', ({ test }) => {
  for (const name of Object.keys(ops)) {
    test(`${name} over every subset of axes, negative axes and keepDims, against the naive loop`, async () => {
      const random = new TestRandom(name.length * 13 + 1);
      for (const shape of [[5], [3, 4], [2, 3, 4], [2, 1, 3, 2]]) {
        const x = randomFloatTensor(random, shape, -2, 2);
        for (const axes of subsets(shape.length)) {
          if (axes.length === 0) continue;
          // Spell some axes negatively and in a shuffled order; the result must not change.
          const spelled = random.shuffle(axes.map((axis) => (random.next() < 0.5 ? axis - shape.length : axis)));
          for (const keepDims of [false, true]) {
            const expected = naiveReduce({ values: x.values, shape }, axes, keepDims, definitions[name]!);
            const read = await readAndDispose(ops[name]!(x.tensor, spelled, keepDims));
            expect(read.shape, `${name} of [${shape}] over [${spelled}] keepDims ${keepDims}`).toEqual(expected.shape);
            expect(read.dtype).toBe('float32');
            expectClose(read.values, expected.values.map(Math.fround), 1e-6, 1e-6);
          }
        }
        x.tensor.dispose();
      }
    });

    test(`${name} with no axis reduces everything; a single number axis works`, async () => {
      const x = tz.tensor([[1, 2, 3], [4, 5, 6]]);
      const all = { sum: 21, mean: 3.5, max: 6, min: 1 }[name]!;
      await expectTensor(ops[name]!(x), [], 'float32', [all]);
      await expectTensor(ops[name]!(x, undefined, true), [1, 1], 'float32', [all]);
      const rows = { sum: [6, 15], mean: [2, 5], max: [3, 6], min: [1, 4] }[name]!;
      await expectTensor(ops[name]!(x, -1), [2], 'float32', rows);
      await expectTensor(ops[name]!(x, 1, true), [2, 1], 'float32', rows);
      x.dispose();
    });

    test(`${name} of a scalar and over an empty axis list is the identity`, async () => {
      const scalar = tz.tensor(2.5);
      await expectTensor(ops[name]!(scalar), [], 'float32', [2.5]);
      scalar.dispose();
      const x = tz.tensor([[1, 2]]);
      await expectTensor(ops[name]!(x, []), [1, 2], 'float32', [1, 2]);
      x.dispose();
    });
  }

  test('sum over large rows stays accurate', async () => {
    const values = Array.from({ length: 10000 }, (_, index) => Math.fround(0.1 + (index % 7) * 0.01));
    const x = tz.tensor(values);
    const exact = values.reduce((total, value) => total + value, 0);
    await expectTensor(tz.sum(x), [], 'float32', [exact], 0, 1e-6);
    await expectTensor(tz.mean(x), [], 'float32', [exact / values.length], 0, 1e-6);
    x.dispose();
  });

  test('int32 and bool sums are int32; mean of int32 is float32; max of int32 is int32', async () => {
    const random = new TestRandom(9);
    const x = randomIntTensor(random, [3, 4], -100, 100);
    const expected = naiveReduce({ values: x.values, shape: [3, 4] }, [1], false, definitions.sum!);
    await expectTensor(tz.sum(x.tensor, 1), [3], 'int32', expected.values);
    await expectTensor(tz.mean(x.tensor, 1), [3], 'float32', expected.values.map((value) => value / 4), 0, 1e-6);
    await expectTensor(tz.max(x.tensor, 0), [4], 'int32', naiveReduce({ values: x.values, shape: [3, 4] }, [0], false, definitions.max!).values);
    const b = tz.tensor([[true, false, true], [true, true, true]]);
    await expectTensor(tz.sum(b, -1), [2], 'int32', [2, 3]);
    await expectTensor(tz.mean(b), [], 'float32', [5 / 6], 0, 1e-6);
    tz.dispose([x.tensor, b]);
  });

  test('reductions over size-0 dims: sum is 0, mean is NaN', async () => {
    const x = tz.zeros([2, 0, 3]);
    await expectTensor(tz.sum(x, 1), [2, 3], 'float32', [0, 0, 0, 0, 0, 0]);
    await expectTensor(tz.sum(x), [], 'float32', [0]);
    await expectTensor(tz.mean(x, 1), [2, 3], 'float32', new Array(6).fill(NaN));
    await expectTensor(tz.sum(x, 2), [2, 0], 'float32', []);
    await expectTensor(tz.max(x, 2), [2, 0], 'float32', []);
    x.dispose();
  });

  test('max and min propagate NaN and handle infinities', async () => {
    const x = tz.tensor([[1, NaN, 3], [-Infinity, -Infinity, -Infinity], [Infinity, 0, -1]]);
    await expectTensor(tz.max(x, -1), [3], 'float32', [NaN, -Infinity, Infinity]);
    await expectTensor(tz.min(x, -1), [3], 'float32', [NaN, -Infinity, -1]);
    x.dispose();
  });
});

describeBackends('argmax', ({ test }) => {
  test('hand-computed, with keepDims and negative axes', async () => {
    const x = tz.tensor([[1, 5, 2], [7, 0, 7]]);
    await expectTensor(tz.argmax(x), [2], 'int32', [1, 0]);
    await expectTensor(tz.argmax(x, 0), [3], 'int32', [1, 0, 1]);
    await expectTensor(tz.argmax(x, -2, true), [1, 3], 'int32', [1, 0, 1]);
    await expectTensor(tz.argmax(x, 1, true), [2, 1], 'int32', [1, 0]);
    x.dispose();
  });

  test('ties give the first index; NaN counts as the maximum', async () => {
    const x = tz.tensor([[3, 3, 3], [0, 2, 2], [1, NaN, NaN], [-Infinity, -Infinity, -5]]);
    await expectTensor(tz.argmax(x), [4], 'int32', [0, 1, 1, 2]);
    x.dispose();
  });

  test('matches the naive first-maximum over every axis of random inputs', async () => {
    const random = new TestRandom(21);
    for (const shape of [[6], [3, 5], [2, 3, 4], [2, 2, 3, 3]]) {
      // Few distinct values so ties are common.
      const x = randomIntTensor(random, shape, 0, 3);
      const floatX = tz.cast(x.tensor, 'float32');
      for (let axis = -shape.length; axis < shape.length; axis++) {
        const position = axis < 0 ? axis + shape.length : axis;
        const expected = naiveReduce({ values: x.values, shape }, [position], false, (group) => group.indexOf(Math.max(...group)));
        await expectTensor(tz.argmax(floatX, axis), expected.shape, 'int32', expected.values);
        await expectTensor(tz.argmax(x.tensor, axis), expected.shape, 'int32', expected.values);
      }
      tz.dispose([x.tensor, floatX]);
    }
  });

  test('argmax of bool and bfloat16 inputs', async () => {
    const b = tz.tensor([[false, true, true]]);
    await expectTensor(tz.argmax(b), [1], 'int32', [1]);
    const half = tz.tensor([0.5, 2, 1], [3], 'bfloat16');
    await expectTensor(tz.argmax(half), [], 'int32', [1]);
    tz.dispose([b, half]);
  });
});

describeBackends('reduction errors', ({ test }) => {
  test('axis out of range, fractional or repeated', () => {
    const x = tz.zeros([2, 3]);
    expectError(() => tz.sum(x, 2), 'sum', "argument 'axis'", 'an integer in [-2, 1]', 'received 2');
    expectError(() => tz.mean(x, -3), 'mean', "argument 'axis'", '[-2, 1]', '-3');
    expectError(() => tz.max(x, 0.5), 'max', "argument 'axis'", '0.5');
    expectError(() => tz.min(x, [0, -2]), 'min', "argument 'axis'", 'distinct axes', '[0, -2]');
    expectError(() => tz.argmax(x, 5), 'argmax', "argument 'axis'", '5');
    x.dispose();
  });

  test('argmax takes a single axis', () => {
    const x = tz.zeros([2, 3]);
    expectError(() => tz.argmax(x, [0, 1] as unknown as number), 'argmax', "argument 'axis'", 'a single axis', '[0, 1]');
    x.dispose();
  });

  test('max, min and argmax over an empty axis', () => {
    const x = tz.zeros([2, 0]);
    expectError(() => tz.max(x, 1), 'max', "argument 'x'", 'a non-empty reduction', '[2, 0]');
    expectError(() => tz.min(x), 'min', "argument 'x'", 'non-empty');
    expectError(() => tz.argmax(x), 'argmax', "argument 'x'", 'non-empty');
    x.dispose();
  });

  test('axes on a scalar', () => {
    const scalar = tz.tensor(1);
    expectError(() => tz.sum(scalar, 0), 'sum', "argument 'axis'", 'received 0');
    expectError(() => tz.argmax(scalar), 'argmax', "argument 'axis'", 'received -1');
    scalar.dispose();
  });

  test('non-tensor input', () => expectError(() => tz.sum([1, 2] as unknown as tz.Tensor), 'sum', "argument 'x'", 'a Tensor'));
});
