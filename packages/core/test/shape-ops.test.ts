// Data-movement ops against naive index arithmetic: reshape (-1), transpose (every permutation),
// expandDims, squeeze, concat, stack, split, slice (negative begin, -1 size), gather/take.
import { expect } from 'vitest';
import * as tz from '@tensorzoo/core';
import { describeBackends, expectClose, expectError, expectTensor, randomFloatTensor, randomIntTensor, readAndDispose, TestRandom } from './harness.js';
import { naiveTranspose, ravel, size, unravel, type Plain } from './naive.js';

function permutations(rank: number): number[][] {
  if (rank === 0) return [[]];
  return permutations(rank - 1).flatMap((rest) => Array.from({ length: rank }, (_, at) => [...rest.slice(0, at), rank - 1, ...rest.slice(at)]));
}

/** Naive concat: each output element comes from the part whose range along `axis` holds it. */
function naiveConcat(parts: Plain[], axis: number): Plain {
  const shape = [...parts[0]!.shape];
  shape[axis] = parts.reduce((total, part) => total + part.shape[axis]!, 0);
  const values = Array.from({ length: size(shape) }, (_, flat) => {
    const index = unravel(flat, shape);
    let offset = index[axis]!;
    for (const part of parts) {
      if (offset < part.shape[axis]!) return part.values[ravel(index.map((value, at) => (at === axis ? offset : value)), part.shape)]!;
      offset -= part.shape[axis]!;
    }
    throw new Error('naiveConcat: out of range');
  });
  return { values, shape };
}

function naiveSlice(x: Plain, begin: number[], extent: number[]): Plain {
  const values = Array.from({ length: size(extent) }, (_, flat) => x.values[ravel(unravel(flat, extent).map((value, axis) => value + begin[axis]!), x.shape)]!);
  return { values, shape: extent };
}

describeBackends('reshape, expandDims, squeeze', ({ test }) => {
  test('reshape keeps the row-major order and infers -1', async () => {
    const x = tz.tensor([1, 2, 3, 4, 5, 6]);
    await expectTensor(tz.reshape(x, [2, 3]), [2, 3], 'float32', [1, 2, 3, 4, 5, 6]);
    await expectTensor(tz.reshape(x, [-1, 2]), [3, 2], 'float32', [1, 2, 3, 4, 5, 6]);
    await expectTensor(tz.reshape(x, [3, 1, -1]), [3, 1, 2], 'float32', [1, 2, 3, 4, 5, 6]);
    await expectTensor(tz.reshape(x, [-1]), [6], 'float32', [1, 2, 3, 4, 5, 6]);
    x.dispose();
    const scalar = tz.tensor(5, [], 'int32');
    await expectTensor(tz.reshape(scalar, [1, 1]), [1, 1], 'int32', [5]);
    await expectTensor(tz.reshape(scalar, [-1]), [1], 'int32', [5]);
    scalar.dispose();
    const empty = tz.zeros([0, 3]);
    await expectTensor(tz.reshape(empty, [3, 0, 5]), [3, 0, 5], 'float32', []);
    await expectTensor(tz.reshape(empty, [-1, 3]), [0, 3], 'float32', []);
    empty.dispose();
  });

  test('expandDims at every position, negative included', async () => {
    const x = tz.tensor([[1, 2, 3], [4, 5, 6]]);
    const expectations: [number, number[]][] = [[0, [1, 2, 3]], [1, [2, 1, 3]], [2, [2, 3, 1]], [-1, [2, 3, 1]], [-2, [2, 1, 3]], [-3, [1, 2, 3]]];
    for (const [axis, shape] of expectations) await expectTensor(tz.expandDims(x, axis), shape, 'float32', [1, 2, 3, 4, 5, 6]);
    const scalar = tz.tensor(1);
    await expectTensor(tz.expandDims(scalar), [1], 'float32', [1]);
    tz.dispose([x, scalar]);
  });

  test('squeeze all size-1 dims or the given ones', async () => {
    const x = tz.zeros([1, 2, 1, 3, 1], 'int32');
    await expectTensor(tz.squeeze(x), [2, 3], 'int32', new Array(6).fill(0));
    await expectTensor(tz.squeeze(x, 0), [2, 1, 3, 1], 'int32', new Array(6).fill(0));
    await expectTensor(tz.squeeze(x, [-1, 2]), [1, 2, 3], 'int32', new Array(6).fill(0));
    x.dispose();
    const y = tz.tensor([[7]]);
    await expectTensor(tz.squeeze(y), [], 'float32', [7]);
    y.dispose();
  });

  test('errors', () => {
    const x = tz.zeros([2, 3]);
    expectError(() => tz.reshape(x, [4, 2]), 'reshape', "argument 'shape'", 'a shape with 6 elements', '[4, 2]');
    expectError(() => tz.reshape(x, [-1, 4]), 'reshape', "argument 'shape'", 'compatible with 6 elements', '[-1, 4]');
    expectError(() => tz.reshape(x, [-1, -1]), 'reshape', "argument 'shape'", 'at most one -1', '[-1, -1]');
    expectError(() => tz.reshape(x, [-2, -3]), 'reshape', "argument 'shape'", 'non-negative integers or -1', '[-2, -3]');
    expectError(() => tz.reshape(x, [2.5, 2]), 'reshape', "argument 'shape'", '[2.5, 2]');
    expectError(() => tz.reshape(x, 6 as unknown as number[]), 'reshape', "argument 'shape'", 'an array of integers', 'received 6');
    expectError(() => tz.expandDims(x, 3), 'expandDims', "argument 'axis'", '[-3, 2]', 'received 3');
    expectError(() => tz.squeeze(x, 0), 'squeeze', "argument 'axis'", 'axes of size 1', 'received 0');
    expectError(() => tz.squeeze(x, 2), 'squeeze', "argument 'axis'", '[-2, 1]', 'received 2');
    x.dispose();
  });
});

describeBackends('transpose', ({ test }) => {
  for (let rank = 1; rank <= 4; rank++)
    test(`every permutation of rank ${rank} against the naive index map`, async () => {
      const random = new TestRandom(rank * 17);
      const x = randomFloatTensor(random, random.shape(rank, 1, 4));
      for (const perm of permutations(rank)) {
        const expected = naiveTranspose({ values: x.values, shape: x.shape }, perm);
        await expectTensor(tz.transpose(x.tensor, perm), expected.shape, 'float32', expected.values);
        // The same permutation spelled with negative axes.
        await expectTensor(tz.transpose(x.tensor, perm.map((axis) => axis - rank)), expected.shape, 'float32', expected.values);
      }
      x.tensor.dispose();
    });

  test('default reverses the axes; int32, bool and size-0 inputs', async () => {
    const x = tz.tensor([[1, 2, 3], [4, 5, 6]], [2, 3], 'int32');
    await expectTensor(tz.transpose(x), [3, 2], 'int32', [1, 4, 2, 5, 3, 6]);
    const b = tz.tensor([[true, false]]);
    await expectTensor(tz.transpose(b, [1, 0]), [2, 1], 'bool', [1, 0]);
    const empty = tz.zeros([2, 0, 3]);
    await expectTensor(tz.transpose(empty, [2, 0, 1]), [3, 2, 0], 'float32', []);
    const scalar = tz.tensor(3);
    await expectTensor(tz.transpose(scalar), [], 'float32', [3]);
    tz.dispose([x, b, empty, scalar]);
  });

  test('errors', () => {
    const x = tz.zeros([2, 3, 4]);
    expectError(() => tz.transpose(x, [0, 1]), 'transpose', "argument 'perm'", 'a permutation of [0..2]', '[0, 1]');
    expectError(() => tz.transpose(x, [0, 0, 1]), 'transpose', "argument 'perm'", 'a permutation', '[0, 0, 1]');
    expectError(() => tz.transpose(x, 1 as unknown as number[]), 'transpose', "argument 'perm'", 'a permutation of [0..2]', 'received 1');
    expectError(() => tz.transpose(x, [0, 1, 3]), 'transpose', "argument 'perm'", '[-3, 2]', '3');
    x.dispose();
  });
});

describeBackends('concat, stack, split', ({ test }) => {
  test('concat along every axis (negative too) against the naive definition', async () => {
    const random = new TestRandom(31);
    for (const rank of [1, 2, 3, 4]) {
      const base = random.shape(rank, 1, 3);
      for (let axis = -rank; axis < rank; axis++) {
        const position = axis < 0 ? axis + rank : axis;
        const parts = Array.from({ length: random.int(1, 4) }, () => randomFloatTensor(random, base.map((dimension, at) => (at === position ? random.int(0, 3) : dimension))));
        const expected = naiveConcat(parts.map((part) => ({ values: part.values, shape: part.shape })), position);
        await expectTensor(tz.concat(parts.map((part) => part.tensor), axis), expected.shape, 'float32', expected.values);
        for (const part of parts) part.tensor.dispose();
      }
    }
  });

  test('concat hand-computed, int32 and bool', async () => {
    const a = tz.tensor([[1, 2]], [1, 2], 'int32');
    const b = tz.tensor([[3, 4], [5, 6]], [2, 2], 'int32');
    await expectTensor(tz.concat([a, b]), [3, 2], 'int32', [1, 2, 3, 4, 5, 6]);
    const c = tz.tensor([[true], [false]]);
    const d = tz.tensor([[false], [true]]);
    await expectTensor(tz.concat([c, d], 1), [2, 2], 'bool', [1, 0, 0, 1]);
    tz.dispose([a, b, c, d]);
  });

  test('stack along every axis', async () => {
    const a = tz.tensor([[1, 2], [3, 4]]);
    const b = tz.tensor([[5, 6], [7, 8]]);
    await expectTensor(tz.stack([a, b]), [2, 2, 2], 'float32', [1, 2, 3, 4, 5, 6, 7, 8]);
    await expectTensor(tz.stack([a, b], 1), [2, 2, 2], 'float32', [1, 2, 5, 6, 3, 4, 7, 8]);
    await expectTensor(tz.stack([a, b], -1), [2, 2, 2], 'float32', [1, 5, 2, 6, 3, 7, 4, 8]);
    await expectTensor(tz.stack([a]), [1, 2, 2], 'float32', [1, 2, 3, 4]);
    const scalar = tz.tensor(1);
    const t = tz.tensor(2);
    await expectTensor(tz.stack([scalar, t]), [2], 'float32', [1, 2]);
    tz.dispose([a, b, scalar, t]);
  });

  test('split into equal parts, given sizes and an inferred -1 size', async () => {
    const x = tz.tensor([[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]]);
    const thirds = tz.split(x, 3, 1);
    expect(thirds.length).toBe(3);
    await expectTensor(thirds[0]!, [2, 2], 'float32', [1, 2, 7, 8]);
    await expectTensor(thirds[1]!, [2, 2], 'float32', [3, 4, 9, 10]);
    await expectTensor(thirds[2]!, [2, 2], 'float32', [5, 6, 11, 12]);
    const [first, second, third] = tz.split(x, [1, -1, 0], -1) as [tz.Tensor, tz.Tensor, tz.Tensor];
    await expectTensor(first, [2, 1], 'float32', [1, 7]);
    await expectTensor(second, [2, 5], 'float32', [2, 3, 4, 5, 6, 8, 9, 10, 11, 12]);
    await expectTensor(third, [2, 0], 'float32', []);
    const rows = tz.split(x, 2);
    await expectTensor(rows[0]!, [1, 6], 'float32', [1, 2, 3, 4, 5, 6]);
    await expectTensor(rows[1]!, [1, 6], 'float32', [7, 8, 9, 10, 11, 12]);
    x.dispose();
  });

  test('split then concat is the identity on random inputs', async () => {
    const random = new TestRandom(44);
    for (let trial = 0; trial < 10; trial++) {
      const x = randomFloatTensor(random, random.shape(3, 1, 5));
      const axis = random.int(-3, 2);
      const length = x.shape[axis < 0 ? axis + 3 : axis]!;
      const sizes: number[] = [];
      for (let left = length; left > 0; ) {
        const part = random.int(1, left);
        sizes.push(part);
        left -= part;
      }
      const parts = tz.split(x.tensor, sizes, axis);
      await expectTensor(tz.concat(parts, axis), x.shape, 'float32', x.values);
      tz.dispose([...parts, x.tensor]);
    }
  });

  test('errors', () => {
    const a = tz.zeros([2, 3]);
    const b = tz.zeros([3, 3]);
    const ints = tz.zeros([2, 3], 'int32');
    const scalar = tz.tensor(1);
    expectError(() => tz.concat(a as unknown as tz.Tensor[]), 'concat', "argument 'tensors'", 'a non-empty array', 'a float32 tensor of shape [2, 3]');
    expectError(() => tz.concat([]), 'concat', "argument 'tensors'", 'a non-empty array');
    expectError(() => tz.concat([a, b], 1), 'concat', "argument 'tensors[1]'", 'shape [2, 3] except along axis 1', '[3, 3]');
    expectError(() => tz.concat([a, ints]), 'concat', "argument 'tensors[1]'", 'dtype float32', 'int32');
    expectError(() => tz.concat([a, a], 2), 'concat', "argument 'axis'", '[-2, 1]', '2');
    expectError(() => tz.concat([scalar, scalar]), 'concat', "argument 'axis'", 'scalar');
    expectError(() => tz.concat([a, 3 as unknown as tz.Tensor]), 'concat', "argument 'tensors[1]'", 'a Tensor', 'number');
    expectError(() => tz.stack([a, b]), 'stack', "argument 'tensors[1]'", 'shape [2, 3]', '[3, 3]');
    expectError(() => tz.stack([a, ints]), 'stack', "argument 'tensors[1]'", 'dtype float32', 'int32');
    expectError(() => tz.stack([a, a], 3), 'stack', "argument 'axis'", '[-3, 2]', '3');
    expectError(() => tz.stack([]), 'stack', "argument 'tensors'", 'non-empty');
    expectError(() => tz.split(a, 4, 1), 'split', "argument 'sizesOrCount'", 'a positive divisor of 3', '4');
    expectError(() => tz.split(a, [1, 1], 1), 'split', "argument 'sizesOrCount'", 'sizes summing to 3', '[1, 1]');
    expectError(() => tz.split(a, [4, -1], 1), 'split', "argument 'sizesOrCount'", 'sizes summing to 3', '[4, -1]');
    expectError(() => tz.split(a, 1, 2), 'split', "argument 'axis'", '2');
    tz.dispose([a, b, ints, scalar]);
  });
});

describeBackends('slice', ({ test }) => {
  test('random begin/size (negative begins, -1 sizes, omitted trailing entries) against the naive copy', async () => {
    const random = new TestRandom(55);
    for (let trial = 0; trial < 60; trial++) {
      const rank = random.int(1, 4);
      const x = randomFloatTensor(random, random.shape(rank, 1, 5));
      const givenRank = random.int(0, rank);
      const start = x.shape.map((dimension) => random.int(0, dimension));
      const extent = x.shape.map((dimension, axis) => random.int(0, dimension - start[axis]!));
      const begin = start.slice(0, givenRank).map((value, axis) => (random.next() < 0.3 && value < x.shape[axis]! ? value - x.shape[axis]! : value));
      const sizes = extent.slice(0, givenRank).map((value, axis) => (random.next() < 0.3 ? -1 : value));
      const resolvedBegin = x.shape.map((_, axis) => (axis < givenRank ? start[axis]! : 0));
      const resolvedSize = x.shape.map((dimension, axis) => (axis < givenRank && sizes[axis] !== -1 ? extent[axis]! : dimension - resolvedBegin[axis]!));
      const expected = naiveSlice({ values: x.values, shape: x.shape }, resolvedBegin, resolvedSize);
      await expectTensor(tz.slice(x.tensor, begin, sizes), expected.shape, 'float32', expected.values);
      x.tensor.dispose();
    }
  });

  test('hand-computed', async () => {
    const x = tz.tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [3, 3], 'int32');
    await expectTensor(tz.slice(x, [1, 1]), [2, 2], 'int32', [5, 6, 8, 9]);
    await expectTensor(tz.slice(x, [-1, 0], [1, 2]), [1, 2], 'int32', [7, 8]);
    await expectTensor(tz.slice(x, [0, -2], [-1, 1]), [3, 1], 'int32', [2, 5, 8]);
    await expectTensor(tz.slice(x, [3, 0]), [0, 3], 'int32', []);
    await expectTensor(tz.slice(x, [0]), [3, 3], 'int32', [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    x.dispose();
  });

  test('errors', () => {
    const x = tz.zeros([2, 3]);
    expectError(() => tz.slice(x, 1 as unknown as number[]), 'slice', "argument 'begin'", 'an array of integers', 'received 1');
    expectError(() => tz.slice(x, [0], 2 as unknown as number[]), 'slice', "argument 'size'", 'an array of integers', 'received 2');
    expectError(() => tz.slice(x, [0, 0, 0]), 'slice', "argument 'begin'", 'at most 2 entries', '[0, 0, 0]');
    expectError(() => tz.slice(x, [3]), 'slice', "argument 'begin'", 'begin[0] in [-2, 2]', '[3]');
    expectError(() => tz.slice(x, [-3]), 'slice', "argument 'begin'", 'begin[0]', '[-3]');
    expectError(() => tz.slice(x, [0.5]), 'slice', "argument 'begin'", '[0.5]');
    expectError(() => tz.slice(x, [1, 1], [2, 1]), 'slice', "argument 'size'", 'size[0] ≤ 1', '[2, 1]');
    expectError(() => tz.slice(x, [0, 0], [1, -2]), 'slice', "argument 'size'", 'size[1]', '[1, -2]');
    expectError(() => tz.slice(x, [0, 0], [1, 1, 1]), 'slice', "argument 'size'", 'at most 2 entries', '[1, 1, 1]');
    x.dispose();
  });
});

describeBackends('gather', ({ test }) => {
  test('along every axis with indices of rank 0, 1 and 2 (negative ids included), against the naive pick', async () => {
    const random = new TestRandom(66);
    for (const shape of [[5], [4, 3], [2, 3, 4]]) {
      const x = randomFloatTensor(random, shape);
      for (let axis = -shape.length; axis < shape.length; axis++) {
        const position = axis < 0 ? axis + shape.length : axis;
        const count = shape[position]!;
        for (const indexShape of [[], [3], [2, 2], [0]]) {
          const ids = random.ints(size(indexShape), -count, count - 1);
          const indices = tz.tensor(ids, indexShape, 'int32');
          const outShape = [...shape.slice(0, position), ...indexShape, ...shape.slice(position + 1)];
          const expected = Array.from({ length: size(outShape) }, (_, flat) => {
            const index = unravel(flat, outShape);
            const id = ids[ravel(index.slice(position, position + indexShape.length), indexShape)]!;
            const source = [...index.slice(0, position), id < 0 ? id + count : id, ...index.slice(position + indexShape.length)];
            return x.values[ravel(source, shape)]!;
          });
          await expectTensor(tz.gather(x.tensor, indices, axis), outShape, 'float32', expected);
          indices.dispose();
        }
      }
      x.tensor.dispose();
    }
  });

  test('hand-computed embedding lookup with take, int32 and bfloat16 tables', async () => {
    const table = tz.tensor([[0, 0], [1, 1], [2, 2]], [3, 2], 'int32');
    const ids = tz.tensor([[2, 0], [-1, 1]], [2, 2], 'int32');
    await expectTensor(tz.take(table, ids), [2, 2, 2], 'int32', [2, 2, 0, 0, 2, 2, 1, 1]);
    const half = tz.tensor([[0.5, 1.5], [2.5, 3.5]], [2, 2], 'bfloat16');
    const one = tz.tensor([1], [1], 'int32');
    const picked = await readAndDispose(tz.gather(half, one));
    expect(picked.shape).toEqual([1, 2]);
    expectClose(picked.values, [2.5, 3.5], 0, 0);
    tz.dispose([table, ids, half, one]);
  });

  test('errors: out-of-range ids, non-int32 indices, bad axis, scalar input', () => {
    const x = tz.zeros([3, 2]);
    const tooBig = tz.tensor([0, 3], [2], 'int32');
    const tooSmall = tz.tensor([-4], [1], 'int32');
    const floats = tz.tensor([0, 1]);
    const ok = tz.tensor([0], [1], 'int32');
    const scalar = tz.tensor(1);
    expectError(() => tz.gather(x, tooBig), 'gather', "argument 'indices'", 'ids in [-3, 2]', 'received 3');
    expectError(() => tz.gather(x, tooSmall), 'gather', "argument 'indices'", 'ids in [-3, 2]', 'received -4');
    expectError(() => tz.gather(x, floats), 'gather', "argument 'indices'", 'an int32 tensor', 'float32');
    expectError(() => tz.gather(x, ok, 2), 'gather', "argument 'axis'", '[-2, 1]', '2');
    expectError(() => tz.gather(scalar, ok), 'gather', "argument 'axis'", 'scalar');
    tz.dispose([x, tooBig, tooSmall, floats, ok, scalar]);
  });
});
