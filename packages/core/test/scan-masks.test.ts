// cumsum (exclusive/reverse), topK (ties), and the band/triangular masks, against naive loops.
import { expect } from 'vitest';
import * as tz from '@tensorzoo/core';
import { describeBackends, expectError, expectTensor, randomFloatTensor, randomIntTensor, readAndDispose, TestRandom } from './harness.js';
import { ravel, size, unravel, type Plain } from './naive.js';

function naiveCumsum(x: Plain, axis: number, exclusive: boolean, reverse: boolean): number[] {
  return Array.from({ length: size(x.shape) }, (_, flat) => {
    const index = unravel(flat, x.shape);
    let total = 0;
    for (let step = 0; step < x.shape[axis]!; step++) {
      const included = reverse ? (exclusive ? step > index[axis]! : step >= index[axis]!) : exclusive ? step < index[axis]! : step <= index[axis]!;
      if (included) total += x.values[ravel(index.map((value, at) => (at === axis ? step : value)), x.shape)]!;
    }
    return total;
  });
}

describeBackends('cumsum', ({ test }) => {
  for (const exclusive of [false, true])
    for (const reverse of [false, true])
      test(`every axis of random inputs, exclusive=${exclusive} reverse=${reverse}`, async () => {
        const random = new TestRandom(Number(exclusive) * 2 + Number(reverse) + 1);
        for (const shape of [[6], [3, 4], [2, 3, 4], [2, 0, 3]]) {
          const x = randomFloatTensor(random, shape);
          for (let axis = -shape.length; axis < shape.length; axis++) {
            const expected = naiveCumsum({ values: x.values, shape }, axis < 0 ? axis + shape.length : axis, exclusive, reverse);
            await expectTensor(tz.cumsum(x.tensor, axis, { exclusive, reverse }), shape, 'float32', expected, 1e-6, 1e-6);
          }
          x.tensor.dispose();
        }
      });

  test('hand-computed', async () => {
    const x = tz.tensor([1, 2, 3, 4], [4], 'int32');
    await expectTensor(tz.cumsum(x), [4], 'int32', [1, 3, 6, 10]);
    await expectTensor(tz.cumsum(x, 0, { exclusive: true }), [4], 'int32', [0, 1, 3, 6]);
    await expectTensor(tz.cumsum(x, 0, { reverse: true }), [4], 'int32', [10, 9, 7, 4]);
    await expectTensor(tz.cumsum(x, -1, { exclusive: true, reverse: true }), [4], 'int32', [9, 7, 4, 0]);
    x.dispose();
  });

  test('bool counts in int32; bfloat16 computes in float32', async () => {
    const b = tz.tensor([[true, false, true], [true, true, true]]);
    await expectTensor(tz.cumsum(b, 1), [2, 3], 'int32', [1, 1, 2, 1, 2, 3]);
    const half = tz.tensor([0.5, 0.25, 2], [3], 'bfloat16');
    await expectTensor(tz.cumsum(half), [3], 'float32', [0.5, 0.75, 2.75]);
    tz.dispose([b, half]);
  });

  test('errors', () => {
    const x = tz.zeros([2, 3]);
    const scalar = tz.tensor(1);
    expectError(() => tz.cumsum(x, 2), 'cumsum', "argument 'axis'", '[-2, 1]', '2');
    expectError(() => tz.cumsum(scalar), 'cumsum', "argument 'axis'", 'scalar');
    expectError(() => tz.cumsum('x' as unknown as tz.Tensor), 'cumsum', "argument 'x'", 'a Tensor');
    tz.dispose([x, scalar]);
  });
});

describeBackends('topK', ({ test }) => {
  test('random rows with many ties against a stable naive sort', async () => {
    const random = new TestRandom(8);
    for (const shape of [[7], [3, 6], [2, 2, 5]]) {
      const x = randomIntTensor(random, shape, 0, 3);
      const floatX = tz.cast(x.tensor, 'float32');
      const n = shape[shape.length - 1]!;
      for (const k of [0, 1, 3, n]) {
        const rows = size(shape) / n;
        const values: number[] = [];
        const indices: number[] = [];
        for (let row = 0; row < rows; row++) {
          const order = [...Array(n).keys()].sort((a, b) => x.values[row * n + b]! - x.values[row * n + a]! || a - b).slice(0, k);
          values.push(...order.map((index) => x.values[row * n + index]!));
          indices.push(...order);
        }
        const outShape = [...shape.slice(0, -1), k];
        for (const input of [floatX, x.tensor]) {
          const result = tz.topK(input, k);
          await expectTensor(result.values, outShape, input.dtype, values);
          await expectTensor(result.indices, outShape, 'int32', indices);
        }
      }
      tz.dispose([x.tensor, floatX]);
    }
  });

  test('hand-computed, ties keep the lower index first, NaN ranks highest', async () => {
    const x = tz.tensor([[1, 3, 3, 2], [NaN, 5, -Infinity, 5]]);
    const { values, indices } = tz.topK(x, 3);
    await expectTensor(values, [2, 3], 'float32', [3, 3, 2, NaN, 5, 5]);
    await expectTensor(indices, [2, 3], 'int32', [1, 2, 3, 0, 1, 3]);
    x.dispose();
  });

  test('errors', () => {
    const x = tz.zeros([2, 3]);
    const scalar = tz.tensor(1);
    expectError(() => tz.topK(x, 4), 'topK', "argument 'k'", 'an integer in [0, 3]', '4');
    expectError(() => tz.topK(x, -1), 'topK', "argument 'k'", '-1');
    expectError(() => tz.topK(x, 1.5), 'topK', "argument 'k'", '1.5');
    expectError(() => tz.topK(scalar), 'topK', "argument 'x'", 'rank ≥ 1');
    tz.dispose([x, scalar]);
  });
});

describeBackends('masks', ({ test }) => {
  const band = (rows: number, columns: number, lower: number, upper: number) =>
    Array.from({ length: rows * columns }, (_, flat) => {
      const offset = (flat % columns) - Math.floor(flat / columns);
      return Number((lower < 0 || offset >= -lower) && (upper < 0 || offset <= upper));
    });

  test('bandMask for every (numLower, numUpper) pair on square and rectangular shapes', async () => {
    for (const [rows, columns] of [[4, 4], [3, 5], [5, 2], [1, 1], [0, 3]])
      for (const lower of [-1, 0, 1, 2])
        for (const upper of [-1, 0, 1, 3])
          await expectTensor(tz.bandMask(rows, columns, lower, upper), [rows, columns], 'bool', band(rows, columns, lower, upper));
  });

  test('bandPart zeroes outside the band over the last two axes of batched input', async () => {
    const random = new TestRandom(12);
    const x = randomFloatTensor(random, [2, 3, 4]);
    const mask = band(3, 4, 1, 0);
    await expectTensor(tz.bandPart(x.tensor, 1, 0), [2, 3, 4], 'float32', x.values.map((value, index) => (mask[index % 12] ? value : 0)));
    const lower = band(3, 4, -1, 0);
    await expectTensor(tz.bandPart(x.tensor, -1, 0), [2, 3, 4], 'float32', x.values.map((value, index) => (lower[index % 12] ? value : 0)));
    x.tensor.dispose();
  });

  test('lower and upper triangular masks with a diagonal offset', async () => {
    await expectTensor(tz.lowerTriangularMask(3), [3, 3], 'bool', [1, 0, 0, 1, 1, 0, 1, 1, 1]);
    await expectTensor(tz.lowerTriangularMask(2, 3, 1), [2, 3], 'bool', [1, 1, 0, 1, 1, 1]);
    await expectTensor(tz.lowerTriangularMask(3, 3, -1), [3, 3], 'bool', [0, 0, 0, 1, 0, 0, 1, 1, 0]);
    await expectTensor(tz.upperTriangularMask(3), [3, 3], 'bool', [1, 1, 1, 0, 1, 1, 0, 0, 1]);
    await expectTensor(tz.upperTriangularMask(2, 3, 1), [2, 3], 'bool', [0, 1, 1, 0, 0, 1]);
    // The causal mask of a decoder: query t sees keys 0..t.
    const causal = await readAndDispose(tz.lowerTriangularMask(4));
    expect(causal.values).toEqual(band(4, 4, -1, 0));
  });

  test('errors', () => {
    const vector = tz.zeros([3]);
    expectError(() => tz.bandMask(-1, 3, 0, 0), 'bandMask', "argument 'rows'", 'a non-negative integer', '-1');
    expectError(() => tz.bandMask(2, 1.5, 0, 0), 'bandMask', "argument 'columns'", '1.5');
    expectError(() => tz.bandMask(2, 2, 0.5, 0), 'bandMask', "argument 'numLower'", 'an integer', '0.5');
    expectError(() => tz.bandPart(vector, 0, 0), 'bandPart', "argument 'x'", 'rank ≥ 2', '[3]');
    expectError(() => tz.lowerTriangularMask(-2), 'lowerTriangularMask', "argument 'rows'", 'non-negative', '-2');
    expectError(() => tz.upperTriangularMask(2, -1), 'upperTriangularMask', "argument 'columns'", 'non-negative', '-1');
    expectError(() => tz.lowerTriangularMask(2, 2, 0.5), 'lowerTriangularMask', "argument 'k'", 'an integer', '0.5');
    vector.dispose();
  });
});
