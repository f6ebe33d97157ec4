// matMul / batchMatMul against the naive triple loop: broadcast batch dims, transposeA/B, rank-1
// operands, int32, storage dtypes, empty dims, and the error paths.
import { expect } from 'vitest';
import * as tz from '@tensorzoo/core';
import { describeBackends, expectClose, expectError, expectTensor, randomFloatTensor, randomIntTensor, readAndDispose, TestRandom } from './harness.js';
import { naiveMatMul, naiveTranspose, type Plain } from './naive.js';

/** Swaps the last two axes of a plain array (to build transposed operands). */
function swapLast(x: Plain): Plain {
  const rank = x.shape.length;
  return naiveTranspose(x, [...Array(rank).keys()].map((axis) => (axis === rank - 2 ? rank - 1 : axis === rank - 1 ? rank - 2 : axis)));
}

// [a shape, b shape] in the untransposed layout.
const shapePairs: [number[], number[]][] = [
  [[2, 3], [3, 4]],
  [[1, 1], [1, 1]],
  [[5, 7], [7, 1]],
  [[2, 2, 3], [2, 3, 4]],
  [[2, 2, 3], [3, 4]],
  [[3, 5], [4, 5, 2]],
  [[2, 1, 3, 4], [5, 4, 2]],
  [[1, 3, 2, 4], [2, 1, 4, 3]],
  [[3], [3, 4]],
  [[2, 3], [3]],
  [[4], [4]],
  [[3], [2, 3, 5]],
  [[2, 4, 3], [3]],
  [[0, 3], [3, 2]],
  [[2, 0], [0, 3]],
  [[0, 2, 3], [3, 4]],
];

describeBackends('matMul', ({ test }) => {
  for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    test(`random shapes with broadcast batch dims, transposeA=${transposeA} transposeB=${transposeB}`, async () => {
      const random = new TestRandom(100 + Number(transposeA) * 2 + Number(transposeB));
      for (const [shapeA, shapeB] of shapePairs) {
        // Transposes only apply to operands of rank ≥ 2.
        const ta = transposeA && shapeA.length >= 2;
        const tb = transposeB && shapeB.length >= 2;
        const a = randomFloatTensor(random, shapeA);
        const b = randomFloatTensor(random, shapeB);
        const expected = naiveMatMul({ values: a.values, shape: shapeA }, { values: b.values, shape: shapeB });
        const storedA = ta ? swapLast({ values: a.values, shape: shapeA }) : { values: a.values, shape: shapeA };
        const storedB = tb ? swapLast({ values: b.values, shape: shapeB }) : { values: b.values, shape: shapeB };
        const inputA = tz.tensor(storedA.values, storedA.shape);
        const inputB = tz.tensor(storedB.values, storedB.shape);
        const read = await readAndDispose(tz.matMul(inputA, inputB, { transposeA: ta, transposeB: tb }));
        expect(read.shape, `[${shapeA}]${ta ? 'ᵀ' : ''} × [${shapeB}]${tb ? 'ᵀ' : ''}`).toEqual(expected.shape);
        expect(read.dtype).toBe('float32');
        expectClose(read.values, expected.values, 1e-6, 1e-5);
        tz.dispose([a.tensor, b.tensor, inputA, inputB]);
      }
    });
  }

  test('hand-computed 2×2 products and transposes', async () => {
    const a = tz.tensor([[1, 2], [3, 4]]);
    const b = tz.tensor([[5, 6], [7, 8]]);
    await expectTensor(tz.matMul(a, b), [2, 2], 'float32', [19, 22, 43, 50]);
    await expectTensor(tz.matMul(a, b, { transposeA: true }), [2, 2], 'float32', [26, 30, 38, 44]);
    await expectTensor(tz.matMul(a, b, { transposeB: true }), [2, 2], 'float32', [17, 23, 39, 53]);
    await expectTensor(tz.batchMatMul(a, b, { transposeA: true, transposeB: true }), [2, 2], 'float32', [23, 31, 34, 46]);
    tz.dispose([a, b]);
  });

  test('rank-1 operands: vector·vector is a scalar, matrix·vector drops the axis', async () => {
    const vector = tz.tensor([1, 2, 3]);
    const matrix = tz.tensor([[1, 0, 0], [0, 1, 1]]);
    await expectTensor(tz.matMul(vector, vector), [], 'float32', [14]);
    await expectTensor(tz.matMul(matrix, vector), [2], 'float32', [1, 5]);
    await expectTensor(tz.tidy(() => tz.matMul(tz.tensor([1, 1]), matrix)), [3], 'float32', [1, 1, 1]);
    tz.dispose([vector, matrix]);
  });

  test('transpose flags on a rank-1 operand are ignored (a vector is its own transpose)', async () => {
    const vector = tz.tensor([1, 2, 3]);
    const matrix = tz.tensor([[1, 0], [0, 1], [1, 1]]);
    await expectTensor(tz.matMul(vector, matrix, { transposeA: true }), [2], 'float32', [4, 5]);
    await expectTensor(tz.matMul(matrix, vector, { transposeA: true, transposeB: true }), [2], 'float32', [4, 5]);
    tz.dispose([vector, matrix]);
  });

  test('int32 × int32 stays int32; mixed int32 × float32 gives float32', async () => {
    const random = new TestRandom(3);
    const a = randomIntTensor(random, [2, 3, 4], -9, 9);
    const b = randomIntTensor(random, [4, 5], -9, 9);
    const expected = naiveMatMul({ values: a.values, shape: [2, 3, 4] }, { values: b.values, shape: [4, 5] });
    await expectTensor(tz.matMul(a.tensor, b.tensor), [2, 3, 5], 'int32', expected.values);
    const bFloat = tz.cast(b.tensor, 'float32');
    await expectTensor(tz.matMul(a.tensor, bFloat), [2, 3, 5], 'float32', expected.values);
    tz.dispose([a.tensor, b.tensor, bFloat]);
  });

  test('int32 products wrap modulo 2³² exactly', async () => {
    const a = tz.tensor([[123456789, 2147483647, -2147483648]], [1, 3], 'int32');
    const b = tz.tensor([[987654321], [1], [-1]], [3, 1], 'int32');
    const expected = (Math.imul(123456789, 987654321) + 2147483647 + 2147483648) | 0;
    await expectTensor(tz.matMul(a, b), [1, 1], 'int32', [expected]);
    tz.dispose([a, b]);
  });

  test('bfloat16 and float16 operands compute in float32', async () => {
    const random = new TestRandom(4);
    for (const dtype of ['bfloat16', 'float16'] as const) {
      const a = randomFloatTensor(random, [3, 4]);
      const b = randomFloatTensor(random, [4, 2]);
      const storedA = tz.cast(a.tensor, dtype);
      const storedB = tz.cast(b.tensor, dtype);
      const roundedA = Array.from(await storedA.data());
      const roundedB = Array.from(await storedB.data());
      const expected = naiveMatMul({ values: roundedA, shape: [3, 4] }, { values: roundedB, shape: [4, 2] });
      await expectTensor(tz.matMul(storedA, storedB), [3, 2], 'float32', expected.values, 1e-6, 1e-5);
      await expectTensor(tz.matMul(a.tensor, storedB), [3, 2], 'float32', naiveMatMul({ values: a.values, shape: [3, 4] }, { values: roundedB, shape: [4, 2] }).values, 1e-6, 1e-5);
      tz.dispose([a.tensor, b.tensor, storedA, storedB]);
    }
  });

  test('a zero inner dimension gives zeros', async () => {
    const a = tz.zeros([2, 0]);
    const b = tz.zeros([0, 3]);
    await expectTensor(tz.matMul(a, b), [2, 3], 'float32', [0, 0, 0, 0, 0, 0]);
    tz.dispose([a, b]);
  });

  test('larger products stay accurate', async () => {
    const random = new TestRandom(8);
    const a = randomFloatTensor(random, [17, 65]);
    const b = randomFloatTensor(random, [65, 33]);
    const expected = naiveMatMul({ values: a.values, shape: [17, 65] }, { values: b.values, shape: [65, 33] });
    const read = await readAndDispose(tz.matMul(a.tensor, b.tensor));
    expectClose(read.values, expected.values, 1e-5, 1e-5);
    tz.dispose([a.tensor, b.tensor]);
  });
});

describeBackends('matMul errors', ({ test }) => {
  test('inner dimensions that differ name both shapes', () => {
    const a = tz.zeros([2, 3]);
    const b = tz.zeros([4, 5]);
    expectError(() => tz.matMul(a, b), 'matMul', "argument 'b'", 'an inner dimension of 3', '[2, 3]', 'shape [4, 5]');
    expectError(() => tz.matMul(a, b, { transposeA: true }), 'matMul', "argument 'b'", 'an inner dimension of 2', 'transposed');
    tz.dispose([a, b]);
  });

  test('inner dimension mismatch with rank-1 operands does not leak the promoted views', () => {
    const vector = tz.zeros([3]);
    const matrix = tz.zeros([4, 5]);
    expectError(() => tz.matMul(vector, matrix), 'matMul', "argument 'b'", 'an inner dimension of 3');
    expectError(() => tz.matMul(matrix, vector), 'matMul', "argument 'b'", 'an inner dimension of 5');
    tz.dispose([vector, matrix]);
  });

  test('batch dims that do not broadcast', () => {
    const a = tz.zeros([2, 3, 4]);
    const b = tz.zeros([3, 4, 5]);
    expectError(() => tz.matMul(a, b), 'matMul', "argument 'b'", 'broadcastable', '[2]', '[3]');
    tz.dispose([a, b]);
  });

  test('scalars and bool operands', () => {
    const scalar = tz.tensor(2);
    const matrix = tz.zeros([2, 2]);
    const b = tz.zeros([2, 2], 'bool');
    expectError(() => tz.matMul(scalar, matrix), 'matMul', "argument 'a'", 'rank ≥ 1', 'shape []');
    expectError(() => tz.matMul(matrix, scalar), 'matMul', "argument 'b'", 'rank ≥ 1');
    expectError(() => tz.matMul(matrix, b), 'matMul', "argument 'b'", 'a numeric tensor', 'bool');
    tz.dispose([scalar, matrix, b]);
  });

  test('non-tensor operands', () => {
    const matrix = tz.zeros([2, 2]);
    expectError(() => tz.matMul(matrix, [[1, 2]] as unknown as tz.Tensor), 'matMul', "argument 'b'", 'a Tensor');
    matrix.dispose();
  });
});
