// Property tests (fast-check, issue 19): core ops against their naive twins (test/naive.ts) on
// shapes fast-check draws, on every backend of the run (`npm test`: reference and wasm). Where the
// op suites check chosen shapes, these draw them: broadcast pairs with size-1 and size-0 dims and
// rank mismatch, any axis subsets, any permutation, batched and rank-1 matrix products, quantize
// and int4 packing along any axis. Values come from a seeded generator keyed by fast-check's draw,
// so a failure shrinks to a small shape and replays from the printed seed and path.
import fc from 'fast-check';
import { expect } from 'vitest';
import * as tz from '@tensorzoo/core';
import { describeBackends, expectClose, readAndDispose, TestRandom } from '../harness.js';
import { naiveAbsMaxQuantize, naiveBinary, naiveMatMul, naivePackInt4, naiveReduce, naiveTranspose, naiveUnpackInt4, size } from '../naive.js';

/** Fixed seed: the same cases on every run (a failure prints its seed and shrunk path). */
const runs = (numRuns: number) => ({ seed: 19, numRuns });

const dimension = (min: number) => fc.integer({ min, max: 4 });
const shapeOf = (minRank: number, maxRank: number, minDimension = 1) => fc.array(dimension(minDimension), { minLength: minRank, maxLength: maxRank });

/**
 * Two shapes that broadcast: an output shape, then each operand a suffix of it with some
 * dimensions replaced by 1 (size-0 dimensions included: they broadcast only against 0 or 1).
 */
const broadcastPair = shapeOf(0, 4, 0).chain((output) => {
  const operand = fc
    .tuple(fc.integer({ min: 0, max: output.length }), fc.array(fc.boolean(), { minLength: output.length, maxLength: output.length }))
    .map(([rank, ones]) => output.slice(output.length - rank).map((size, axis) => (ones[axis + output.length - rank] ? 1 : size)));
  return fc.tuple(operand, operand);
});

const seed = fc.integer({ min: 0, max: 2 ** 31 - 1 });

const binaryOps: [string, (a: tz.Tensor, b: tz.Tensor) => tz.Tensor, (a: number, b: number) => number][] = [
  ['add', tz.add, (a, b) => a + b],
  ['sub', tz.sub, (a, b) => a - b],
  ['mul', tz.mul, (a, b) => a * b],
  ['maximum', tz.maximum, Math.max],
  ['less', tz.less, (a, b) => Number(a < b)],
];

describeBackends('op properties', ({ test }) => {
  for (const [name, op, definition] of binaryOps)
    test(`${name} broadcasts any compatible pair of shapes like the naive loop`, async () => {
      await fc.assert(
        fc.asyncProperty(broadcastPair, seed, async ([shapeA, shapeB], valueSeed) => {
          const random = new TestRandom(valueSeed);
          const a = random.floats(size(shapeA), -3, 3);
          // Some of a's values reused in b, so equal pairs (for less) occur.
          const b = random.floats(size(shapeB), -3, 3).map((value, index) => (index % 3 === 0 && a.length > 0 ? a[index % a.length]! : value));
          const expected = naiveBinary({ values: a, shape: shapeA }, { values: b, shape: shapeB }, (x, y) => Math.fround(definition(x, y)));
          const read = await readAndDispose(tz.tidy(() => op(tz.tensor(a, shapeA), tz.tensor(b, shapeB))));
          expect(read.shape).toEqual(expected.shape);
          expectClose(read.values, expected.values, 0, 0);
        }),
        runs(40),
      );
    });

  const reductions: [string, typeof tz.sum, (group: number[]) => number, number][] = [
    ['sum', tz.sum, (group) => group.reduce((total, value) => total + value, 0), 1e-5],
    ['max', tz.max, (group) => Math.max(...group), 0],
    ['mean', tz.mean, (group) => group.reduce((total, value) => total + value, 0) / group.length, 1e-5],
  ];
  for (const [name, op, definition, tolerance] of reductions)
    test(`${name} over any subset of axes, keepDims or not, like the naive groups`, async () => {
      await fc.assert(
        fc.asyncProperty(shapeOf(1, 4), fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), fc.boolean(), seed, async (shape, chosen, keepDims, valueSeed) => {
          const axes = shape.map((_, axis) => axis).filter((axis) => chosen[axis]);
          const values = new TestRandom(valueSeed).floats(size(shape), -2, 2);
          const expected = naiveReduce({ values, shape }, axes, keepDims, definition);
          const read = await readAndDispose(tz.tidy(() => op(tz.tensor(values, shape), axes, keepDims)));
          expect(read.shape).toEqual(expected.shape);
          expectClose(read.values, expected.values, tolerance, tolerance);
        }),
        runs(30),
      );
    });

  test('transpose by any permutation moves every element like the naive index map', async () => {
    await fc.assert(
      fc.asyncProperty(shapeOf(0, 5, 0), seed, async (shape, valueSeed) => {
        const random = new TestRandom(valueSeed);
        const perm = random.shuffle(shape.map((_, axis) => axis));
        const values = random.floats(size(shape));
        const expected = naiveTranspose({ values, shape }, perm);
        const read = await readAndDispose(tz.tidy(() => tz.transpose(tz.tensor(values, shape), perm)));
        expect(read.shape).toEqual(expected.shape);
        expectClose(read.values, expected.values, 0, 0);
      }),
      runs(30),
    );
  });

  test('matMul of broadcast batches, rank-1 operands and either transpose like the naive product', async () => {
    const operands = fc.record({
      batch: fc.array(dimension(1), { maxLength: 2 }),
      ones: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
      rankA: fc.integer({ min: 0, max: 2 }),
      rankB: fc.integer({ min: 0, max: 2 }),
      m: dimension(1),
      k: dimension(1),
      n: dimension(1),
      transposeA: fc.boolean(),
      transposeB: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(operands, seed, async (drawn, valueSeed) => {
        const { m, k, n, transposeA, transposeB } = drawn;
        // rank 0 here: a rank-1 operand (vector); else a matrix with 0..2 batch dims (some 1s).
        const batchOf = (rank: number, side: number) => drawn.batch.slice(drawn.batch.length - Math.min(rank, drawn.batch.length)).map((size, axis) => (drawn.ones[(axis + side) % 2] ? 1 : size));
        const vectorA = drawn.rankA === 0;
        const vectorB = drawn.rankB === 0;
        const shapeA = vectorA ? [k] : [...batchOf(drawn.rankA, 0), ...(transposeA ? [k, m] : [m, k])];
        const shapeB = vectorB ? [k] : [...batchOf(drawn.rankB, 1), ...(transposeB ? [n, k] : [k, n])];
        const random = new TestRandom(valueSeed);
        const a = random.floats(size(shapeA));
        const b = random.floats(size(shapeB));
        const expected = naiveMatMul({ values: a, shape: shapeA }, { values: b, shape: shapeB }, transposeA && !vectorA, transposeB && !vectorB);
        const options = { transposeA: transposeA && !vectorA, transposeB: transposeB && !vectorB };
        const read = await readAndDispose(tz.tidy(() => tz.matMul(tz.tensor(a, shapeA), tz.tensor(b, shapeB), options)));
        expect(read.shape).toEqual(expected.shape);
        expectClose(read.values, expected.values, 1e-5, 1e-5);
      }),
      runs(40),
    );
  });

  test('absMaxQuantize along any axis equals Keras abs_max_quantize (the naive float32 steps) exactly', async () => {
    await fc.assert(
      fc.asyncProperty(shapeOf(1, 3), fc.nat(), seed, async (shape, axisDraw, valueSeed) => {
        const axis = axisDraw % shape.length;
        const values = new TestRandom(valueSeed).floats(size(shape), -3, 3);
        const expected = naiveAbsMaxQuantize({ values, shape }, [axis]);
        const x = tz.tensor(values, shape);
        const { quantized, scale } = tz.absMaxQuantize(x, { axis });
        x.dispose();
        const readQuantized = await readAndDispose(quantized);
        const readScale = await readAndDispose(scale);
        expect(readQuantized.dtype).toBe('int8');
        expect(readQuantized.values).toEqual(expected.quantized.values);
        expect(readScale.shape).toEqual(expected.scale.shape);
        expect(readScale.values).toEqual(expected.scale.values);
      }),
      runs(30),
    );
  });

  test('packInt4 along any axis packs like Keras pack_int4, and unpackInt4 gives the values back', async () => {
    await fc.assert(
      fc.asyncProperty(shapeOf(1, 3), fc.nat(), seed, async (shape, axisDraw, valueSeed) => {
        const axis = axisDraw % shape.length;
        const values = new TestRandom(valueSeed).ints(size(shape), -8, 7);
        const expected = naivePackInt4({ values, shape }, axis);
        const input = tz.tensor(values, shape, 'int8');
        const packed = tz.packInt4(input, axis);
        const unpacked = tz.unpackInt4(packed, shape[axis]!, axis);
        input.dispose();
        const readPacked = await readAndDispose(packed);
        expect(readPacked.shape).toEqual(expected.shape);
        expect(readPacked.values).toEqual(expected.values);
        const readUnpacked = await readAndDispose(unpacked);
        expect(readUnpacked.values).toEqual(naiveUnpackInt4(expected, shape[axis]!, axis).values);
        expect(readUnpacked.values).toEqual(values);
      }),
      runs(30),
    );
  });
});
