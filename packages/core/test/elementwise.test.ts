// Elementwise ops against hand-computed cases and against the naive broadcasting loop on seeded
// random inputs: arithmetic, comparisons, logic, unary math, where, cast, type promotion.
import { expect } from 'vitest';
import * as tz from '@tensorzoo/core';
import { describeBackends, expectClose, expectError, expectTensor, randomFloatTensor, readAndDispose, TestRandom } from './harness.js';
import { naiveBinary, size, type Plain } from './naive.js';

type BinaryOp = (a: tz.TensorLike, b: tz.TensorLike) => tz.Tensor;

// op, definition, output dtype for float inputs, input range (pow needs a positive base).
const binaryCases: [string, BinaryOp, (a: number, b: number) => number, 'float32' | 'bool', [number, number]][] = [
  ['add', tz.add, (a, b) => a + b, 'float32', [-3, 3]],
  ['sub', tz.sub, (a, b) => a - b, 'float32', [-3, 3]],
  ['mul', tz.mul, (a, b) => a * b, 'float32', [-3, 3]],
  ['div', tz.div, (a, b) => a / b, 'float32', [0.5, 3]],
  ['pow', tz.pow, (a, b) => a ** b, 'float32', [0.25, 2]],
  ['maximum', tz.maximum, Math.max, 'float32', [-3, 3]],
  ['minimum', tz.minimum, Math.min, 'float32', [-3, 3]],
  ['equal', tz.equal, (a, b) => Number(a === b), 'bool', [-3, 3]],
  ['notEqual', tz.notEqual, (a, b) => Number(a !== b), 'bool', [-3, 3]],
  ['less', tz.less, (a, b) => Number(a < b), 'bool', [-3, 3]],
  ['lessEqual', tz.lessEqual, (a, b) => Number(a <= b), 'bool', [-3, 3]],
  ['greater', tz.greater, (a, b) => Number(a > b), 'bool', [-3, 3]],
  ['greaterEqual', tz.greaterEqual, (a, b) => Number(a >= b), 'bool', [-3, 3]],
];

// Shape pairs covering scalars, size-1 dims on either side, rank mismatch and size-0 dims.
const broadcastPairs: [number[], number[]][] = [
  [[], []],
  [[], [3]],
  [[4], []],
  [[2, 3], [3]],
  [[2, 3], [2, 1]],
  [[2, 1], [1, 3]],
  [[4, 1, 3], [2, 1]],
  [[1], [2, 2]],
  [[5, 4, 3], [5, 1, 3]],
  [[1, 1, 1], [2]],
  [[2, 3, 4], [2, 3, 4]],
  [[0], [1]],
  [[1], [0]],
  [[2, 0], [2, 1]],
  [[0, 3], [3]],
  [[3, 1, 0], [1, 2, 1]],
];

// float32 results are the correctly rounded double results; pow goes through a library pow.
const tolerance = (name: string) => (name === 'pow' ? 2e-6 : name === 'div' ? 1e-7 : 0);

describeBackends('elementwise binary', ({ test }) => {
  for (const [name, op, definition, dtype, [low, high]] of binaryCases) {
    for (const [shapeA, shapeB] of broadcastPairs)
      test(`${name} of [${shapeA}] and [${shapeB}] matches the naive broadcasting loop`, async () => {
        const random = new TestRandom(name.length * 101 + shapeA.length * 7 + shapeB.length);
        const a = randomFloatTensor(random, shapeA, low, high);
        // Reuse some of a's values in b so that equality cases occur.
        const bValues = random.floats(size(shapeB), low, high).map((value, index) => (index % 3 === 0 && a.values.length ? a.values[index % a.values.length]! : value));
        const b = tz.tensor(bValues, shapeB);
        const expected = naiveBinary({ values: a.values, shape: shapeA }, { values: bValues, shape: shapeB }, definition);
        const read = await readAndDispose(op(a.tensor, b));
        expect(read.shape, `${name} shapes [${shapeA}] and [${shapeB}]`).toEqual(expected.shape);
        expect(read.dtype).toBe(dtype);
        expectClose(read.values, expected.values.map(dtype === 'float32' ? Math.fround : (value) => value), 0, tolerance(name));
        tz.dispose([a.tensor, b]);
      });

    if (name !== 'div' && name !== 'pow')
      for (const [shapeA, shapeB] of broadcastPairs)
        test(`${name} of int32 [${shapeA}] and [${shapeB}] is exact`, async () => {
          const random = new TestRandom(name.length * 53 + shapeA.length * 5 + shapeB.length);
          const aValues = random.ints(size(shapeA), -5, 5);
          const bValues = random.ints(size(shapeB), -5, 5);
          const a = tz.tensor(aValues, shapeA, 'int32');
          const b = tz.tensor(bValues, shapeB, 'int32');
          const expected = naiveBinary({ values: aValues, shape: shapeA }, { values: bValues, shape: shapeB }, definition);
          await expectTensor(op(a, b), expected.shape, dtype === 'bool' ? 'bool' : 'int32', expected.values);
          tz.dispose([a, b]);
        });

    test(`${name} with a number on either side`, async () => {
      const x = tz.tensor([low, (low + high) / 2, high]);
      const right = await readAndDispose(op(x, 1.5));
      const left = await readAndDispose(op(1.5, x));
      const round = dtype === 'float32' ? Math.fround : (value: number) => value;
      expectClose(right.values, [low, (low + high) / 2, high].map((value) => round(definition(Math.fround(value), 1.5))), 0, tolerance(name));
      expectClose(left.values, [low, (low + high) / 2, high].map((value) => round(definition(1.5, Math.fround(value)))), 0, tolerance(name));
      x.dispose();
    });
  }

  test('hand-computed arithmetic', async () => {
    const a = tz.tensor([[1, 2, 3], [4, 5, 6]]);
    const b = tz.tensor([10, 20, 30]);
    await expectTensor(tz.add(a, b), [2, 3], 'float32', [11, 22, 33, 14, 25, 36]);
    await expectTensor(tz.sub(b, a), [2, 3], 'float32', [9, 18, 27, 6, 15, 24]);
    await expectTensor(tz.mul(a, 2), [2, 3], 'float32', [2, 4, 6, 8, 10, 12]);
    await expectTensor(tz.div(a, 2), [2, 3], 'float32', [0.5, 1, 1.5, 2, 2.5, 3]);
    await expectTensor(tz.pow(a, 2), [2, 3], 'float32', [1, 4, 9, 16, 25, 36]);
    await expectTensor(tz.maximum(a, 3), [2, 3], 'float32', [3, 3, 3, 4, 5, 6]);
    await expectTensor(tz.minimum(a, 3), [2, 3], 'float32', [1, 2, 3, 3, 3, 3]);
    await expectTensor(tz.square(b), [3], 'float32', [100, 400, 900]);
    tz.dispose([a, b]);
  });

  test('IEEE special values: division by zero, NaN propagation, pow edge cases', async () => {
    const x = tz.tensor([1, -1, 0, NaN]);
    await expectTensor(tz.div(x, 0), [4], 'float32', [Infinity, -Infinity, NaN, NaN]);
    await expectTensor(tz.maximum(x, 0), [4], 'float32', [1, 0, 0, NaN]);
    await expectTensor(tz.minimum(x, 0), [4], 'float32', [0, -1, 0, NaN]);
    await expectTensor(tz.equal(x, x), [4], 'bool', [1, 1, 1, 0]);
    const base = tz.tensor([0, 2, -8, 4]);
    const exponent = tz.tensor([0, -1, 1 / 3, 0.5]);
    await expectTensor(tz.pow(base, exponent), [4], 'float32', [1, 0.5, NaN, 2]);
    tz.dispose([x, base, exponent]);
  });

  test('int32 arithmetic stays int32; div and pow give float32', async () => {
    const a = tz.tensor([7, -7, 3], [3], 'int32');
    const b = tz.tensor([2, 2, 3], [3], 'int32');
    await expectTensor(tz.add(a, b), [3], 'int32', [9, -5, 6]);
    await expectTensor(tz.sub(a, b), [3], 'int32', [5, -9, 0]);
    await expectTensor(tz.mul(a, b), [3], 'int32', [14, -14, 9]);
    await expectTensor(tz.maximum(a, b), [3], 'int32', [7, 2, 3]);
    await expectTensor(tz.div(a, b), [3], 'float32', [3.5, -3.5, 1]);
    await expectTensor(tz.pow(b, b), [3], 'float32', [4, 4, 27]);
    await expectTensor(tz.add(a, 1), [3], 'int32', [8, -6, 4]);
    tz.dispose([a, b]);
  });

  test('type promotion: int32 with float32, bool with int32, numbers follow the tensor', async () => {
    const ints = tz.tensor([1, 2], [2], 'int32');
    const floats = tz.tensor([0.5, 0.25]);
    const b = tz.tensor([true, false]);
    await expectTensor(tz.add(ints, floats), [2], 'float32', [1.5, 2.25]);
    await expectTensor(tz.add(floats, ints), [2], 'float32', [1.5, 2.25]);
    await expectTensor(tz.add(b, ints), [2], 'int32', [2, 2]);
    await expectTensor(tz.mul(b, floats), [2], 'float32', [0.5, 0]);
    await expectTensor(tz.add(ints, 0.5), [2], 'float32', [1.5, 2.5]);
    await expectTensor(tz.add(ints, 2), [2], 'int32', [3, 4]);
    await expectTensor(tz.add(floats, 2), [2], 'float32', [2.5, 2.25]);
    await expectTensor(tz.add(1, 2), [], 'float32', [3]);
    await expectTensor(tz.equal(ints, floats), [2], 'bool', [0, 0]);
    await expectTensor(tz.less(ints, 1.5), [2], 'bool', [1, 0]);
    await expectTensor(tz.equal(b, true), [2], 'bool', [1, 0]);
    tz.dispose([ints, floats, b]);
  });

  test('arithmetic on two bool tensors counts in int32 (never a bool holding 2)', async () => {
    const b = tz.tensor([true, true, false]);
    await expectTensor(tz.add(b, b), [3], 'int32', [2, 2, 0]);
    await expectTensor(tz.tidy(() => tz.sub(b, tz.tensor([false, true, true]))), [3], 'int32', [1, 0, -1]);
    await expectTensor(tz.mul(b, b), [3], 'int32', [1, 1, 0]);
    await expectTensor(tz.add(b, 1), [3], 'int32', [2, 2, 1]);
    await expectTensor(tz.maximum(b, false), [3], 'bool', [1, 1, 0]);
    b.dispose();
  });

  test('int32 arithmetic wraps modulo 2³² exactly, as NumPy int32 does', async () => {
    const a = tz.tensor([123456789, 2147483647, -2147483648, 65536], [4], 'int32');
    const b = tz.tensor([987654321, 1, -1, 65536], [4], 'int32');
    await expectTensor(tz.mul(a, b), [4], 'int32', [Math.imul(123456789, 987654321), 2147483647, -2147483648, 0]);
    await expectTensor(tz.add(a, b), [4], 'int32', [1111111110, -2147483648, 2147483647, 131072]);
    await expectTensor(tz.sub(b, a), [4], 'int32', [864197532, -2147483646, 2147483647, 0]);
    await expectTensor(tz.neg(a), [4], 'int32', [-123456789, -2147483647, -2147483648, -65536]);
    tz.dispose([a, b]);
  });

  test('int32 comparisons are exact beyond float32 precision', async () => {
    const a = tz.tensor([16777217, 5], [2], 'int32');
    const b = tz.tensor([16777216, 5], [2], 'int32');
    await expectTensor(tz.equal(a, b), [2], 'bool', [0, 1]);
    await expectTensor(tz.greater(a, b), [2], 'bool', [1, 0]);
    tz.dispose([a, b]);
  });
});

describeBackends('elementwise unary', ({ test }) => {
  // High-precision erf for the comparison: the Maclaurin series in float64 (|x| ≤ 3).
  const preciseErf = (x: number) => {
    let term = x;
    let total = x;
    for (let n = 1; n < 80; n++) {
      term *= (-x * x) / n;
      total += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * total;
  };

  const unaryCases: [string, (x: tz.Tensor) => tz.Tensor, (x: number) => number, [number, number], number][] = [
    ['neg', tz.neg, (x) => -x, [-5, 5], 0],
    ['abs', tz.abs, Math.abs, [-5, 5], 0],
    ['exp', tz.exp, Math.exp, [-10, 10], 1e-6],
    ['log', tz.log, Math.log, [1e-3, 100], 1e-6],
    ['sqrt', tz.sqrt, Math.sqrt, [0, 100], 1e-7],
    ['rsqrt', tz.rsqrt, (x) => 1 / Math.sqrt(x), [1e-3, 100], 1e-6],
    ['tanh', tz.tanh, Math.tanh, [-6, 6], 1e-6],
    ['erf', tz.erf, preciseErf, [-3, 3], 1e-6],
  ];

  for (const [name, op, definition, [low, high], rtol] of unaryCases) {
    test(`${name} matches its definition on seeded random inputs of several shapes`, async () => {
      const random = new TestRandom(name.charCodeAt(0) * 7 + name.length);
      for (const shape of [[], [1], [7], [3, 4], [2, 3, 5], [0], [2, 0, 3]]) {
        const x = randomFloatTensor(random, shape, low, high);
        const read = await readAndDispose(op(x.tensor));
        expect(read.shape).toEqual(shape);
        expect(read.dtype).toBe('float32');
        expectClose(read.values, x.values.map((value) => Math.fround(definition(value))), name === 'erf' ? 2e-7 : 0, rtol);
        x.tensor.dispose();
      }
    });
  }

  test('special values', async () => {
    const x = tz.tensor([0, -0, Infinity, -Infinity, NaN]);
    await expectTensor(tz.exp(x), [5], 'float32', [1, 1, Infinity, 0, NaN]);
    await expectTensor(tz.log(x), [5], 'float32', [-Infinity, -Infinity, Infinity, NaN, NaN]);
    await expectTensor(tz.sqrt(x), [5], 'float32', [0, -0, Infinity, NaN, NaN]);
    await expectTensor(tz.rsqrt(x), [5], 'float32', [Infinity, -Infinity, 0, NaN, NaN]);
    await expectTensor(tz.tanh(x), [5], 'float32', [0, -0, 1, -1, NaN]);
    await expectTensor(tz.erf(x), [5], 'float32', [0, 0, 1, -1, NaN], 1e-7);
    await expectTensor(tz.abs(x), [5], 'float32', [0, 0, Infinity, Infinity, NaN]);
    x.dispose();
  });

  test('erf is relatively accurate near 0 and across the range (float32-rounded double values)', async () => {
    // Reference values of erf to 16 digits.
    const cases: [number, number][] = [
      [1e-10, 1.1283791670955126e-10],
      [-1e-6, -1.1283791670951366e-6],
      [0.001, 0.0011283787909692363],
      [0.1, 0.1124629160182849],
      [1, 0.8427007929497149],
      [2.5, 0.999593047982555],
      [3, 0.9999779095030014],
      [4, 0.9999999845827421],
    ];
    const x = tz.tensor(cases.map(([input]) => input));
    await expectTensor(tz.erf(x), [cases.length], 'float32', cases.map(([, value]) => Math.fround(value)), 0, 2e-7);
    x.dispose();
  });

  test('erf is odd and saturates', async () => {
    const x = tz.tensor([0.5, -0.5, 4, -4, 10, -10]);
    const read = await readAndDispose(tz.erf(x));
    expectClose(read.values, [0.5204998778, -0.5204998778, 0.9999999846, -0.9999999846, 1, -1], 2e-7, 0);
    x.dispose();
  });

  test('neg and abs keep int32; float math on int32 gives float32', async () => {
    const x = tz.tensor([-3, 0, 4], [3], 'int32');
    await expectTensor(tz.neg(x), [3], 'int32', [3, 0, -4]);
    await expectTensor(tz.abs(x), [3], 'int32', [3, 0, 4]);
    await expectTensor(tz.exp(x), [3], 'float32', [Math.exp(-3), 1, Math.exp(4)], 0, 1e-6);
    await expectTensor(tz.tidy(() => tz.sqrt(tz.abs(x))), [3], 'float32', [Math.fround(Math.sqrt(3)), 0, 2]);
    x.dispose();
  });
});

describeBackends('logic, where and cast', ({ test }) => {
  test('logicalAnd / logicalOr / logicalNot truth tables with broadcasting', async () => {
    const a = tz.tensor([[true], [false]]);
    const b = tz.tensor([true, false]);
    await expectTensor(tz.logicalAnd(a, b), [2, 2], 'bool', [1, 0, 0, 0]);
    await expectTensor(tz.logicalOr(a, b), [2, 2], 'bool', [1, 1, 1, 0]);
    await expectTensor(tz.logicalNot(b), [2], 'bool', [0, 1]);
    await expectTensor(tz.logicalAnd(b, true), [2], 'bool', [1, 0]);
    await expectTensor(tz.logicalOr(false, b), [2], 'bool', [1, 0]);
    tz.dispose([a, b]);
  });

  test('logic ops match the naive loop on random masks', async () => {
    const random = new TestRandom(77);
    for (const [shapeA, shapeB] of broadcastPairs) {
      const valuesA = random.ints(size(shapeA), 0, 1);
      const valuesB = random.ints(size(shapeB), 0, 1);
      const a = tz.tensor(valuesA, shapeA, 'bool');
      const b = tz.tensor(valuesB, shapeB, 'bool');
      const plainA: Plain = { values: valuesA, shape: shapeA };
      const plainB: Plain = { values: valuesB, shape: shapeB };
      expectClose((await readAndDispose(tz.logicalAnd(a, b))).values, naiveBinary(plainA, plainB, (x, y) => x & y).values, 0, 0);
      expectClose((await readAndDispose(tz.logicalOr(a, b))).values, naiveBinary(plainA, plainB, (x, y) => x | y).values, 0, 0);
      expectClose((await readAndDispose(tz.logicalNot(a))).values, valuesA.map((x) => 1 - x), 0, 0);
      tz.dispose([a, b]);
    }
  });

  test('where: hand-computed with broadcasting of all three arguments', async () => {
    const condition = tz.tensor([[true, false, true]]);
    const a = tz.tensor([[1], [2]]);
    await expectTensor(tz.where(condition, a, -1), [2, 3], 'float32', [1, -1, 1, 2, -1, 2]);
    const always = tz.tensor(true);
    await expectTensor(tz.where(always, a, 0), [2, 1], 'float32', [1, 2]);
    tz.dispose([condition, a, always]);
  });

  test('where matches the naive select on random broadcast triples', async () => {
    const random = new TestRandom(5);
    const triples: [number[], number[], number[]][] = [
      [[2, 3], [2, 3], [2, 3]],
      [[3], [2, 3], []],
      [[2, 1], [1, 4], [4]],
      [[1, 1, 3], [2, 1, 1], [1, 5, 1]],
      [[0], [1], []],
      [[2, 0], [1], [2, 1]],
    ];
    for (const [shapeC, shapeA, shapeB] of triples) {
      const condition = random.ints(size(shapeC), 0, 1);
      const a = randomFloatTensor(random, shapeA);
      const b = randomFloatTensor(random, shapeB);
      const conditionTensor = tz.tensor(condition, shapeC, 'bool');
      const picked = naiveBinary(naiveBinary({ values: condition, shape: shapeC }, { values: a.values, shape: shapeA }, (selected, x) => (selected ? x : NaN)), { values: b.values, shape: shapeB }, (x, y) => (Number.isNaN(x) ? y : x));
      const read = await readAndDispose(tz.where(conditionTensor, a.tensor, b.tensor));
      expect(read.shape).toEqual(picked.shape);
      expectClose(read.values, picked.values, 0, 0);
      tz.dispose([conditionTensor, a.tensor, b.tensor]);
    }
  });

  test('where promotes a and b to a common dtype', async () => {
    const condition = tz.tensor([true, false]);
    const ints = tz.tensor([1, 2], [2], 'int32');
    await expectTensor(tz.where(condition, ints, 0), [2], 'int32', [1, 0]);
    await expectTensor(tz.where(condition, ints, 0.5), [2], 'float32', [1, 0.5]);
    await expectTensor(tz.where(condition, true, false), [2], 'bool', [1, 0]);
    tz.dispose([condition, ints]);
  });

  test('cast between every pair of compute dtypes', async () => {
    const floats = tz.tensor([1.7, -1.7, 0, -0.2, 2.5]);
    await expectTensor(tz.cast(floats, 'int32'), [5], 'int32', [1, -1, 0, 0, 2]);
    await expectTensor(tz.cast(floats, 'bool'), [5], 'bool', [1, 1, 0, 1, 1]);
    await expectTensor(tz.cast(floats, 'float32'), [5], 'float32', [1.7, -1.7, 0, -0.2, 2.5].map(Math.fround));
    const ints = tz.tensor([3, 0, -2], [3], 'int32');
    await expectTensor(tz.cast(ints, 'float32'), [3], 'float32', [3, 0, -2]);
    await expectTensor(tz.cast(ints, 'bool'), [3], 'bool', [1, 0, 1]);
    const b = tz.tensor([true, false]);
    await expectTensor(tz.cast(b, 'float32'), [2], 'float32', [1, 0]);
    await expectTensor(tz.cast(b, 'int32'), [2], 'int32', [1, 0]);
    tz.dispose([floats, ints, b]);
  });

  test('cast of NaN to bool is true (NaN ≠ 0)', async () => {
    const x = tz.tensor([NaN, 0]);
    await expectTensor(tz.cast(x, 'bool'), [2], 'bool', [1, 0]);
    x.dispose();
  });
});

describeBackends('elementwise errors', ({ test }) => {
  test('incompatible broadcast names both shapes', () => {
    const a = tz.zeros([2, 3]);
    const b = tz.zeros([4]);
    expectError(() => tz.add(a, b), 'add', "argument 'b'", 'broadcastable with a [2, 3]', 'received [4]');
    expectError(() => tz.less(a, b), 'less', "argument 'b'", '[4]');
    tz.dispose([a, b]);
  });

  test('incompatible broadcast after promotion does not leak the promoted copies', () => {
    const a = tz.zeros([2, 3], 'int32');
    const b = tz.zeros([4]);
    expectError(() => tz.mul(a, b), 'mul', "argument 'b'", '[4]');
    const condition = tz.ones([3], 'bool');
    expectError(() => tz.where(condition, a, b), 'where', "argument 'b'", '[4]');
    tz.dispose([a, b, condition]);
  });

  test('non-tensor arguments', () => {
    const x = tz.zeros([2]);
    expectError(() => tz.add(x, 'two' as unknown as number), 'add', "argument 'b'", 'a Tensor or a number', 'string');
    expectError(() => tz.exp([1, 2] as unknown as tz.Tensor), 'exp', "argument 'x'", 'a Tensor', 'object');
    expectError(() => tz.cast(null as unknown as tz.Tensor, 'int32'), 'cast', "argument 'x'", 'a Tensor', 'null');
    x.dispose();
  });

  test('float math on bool tensors', () => {
    const b = tz.tensor([true]);
    for (const [name, op] of [['exp', tz.exp], ['log', tz.log], ['neg', tz.neg], ['abs', tz.abs], ['tanh', tz.tanh]] as const)
      expectError(() => op(b), name, "argument 'x'", 'a numeric tensor', 'a bool tensor of shape [1]');
    b.dispose();
  });

  test('logic ops on non-bool tensors', () => {
    const floats = tz.zeros([2]);
    const b = tz.tensor([true, false]);
    expectError(() => tz.logicalAnd(floats, b), 'logicalAnd', "argument 'a'", 'a bool tensor', 'a float32 tensor of shape [2]');
    expectError(() => tz.logicalOr(b, floats), 'logicalOr', "argument 'b'", 'a bool tensor', 'float32');
    expectError(() => tz.logicalAnd(b, 2), 'logicalAnd', "argument 'b'", 'a bool tensor or a boolean', 'received 2');
    expectError(() => tz.logicalNot(floats), 'logicalNot', "argument 'x'", 'a bool tensor', 'float32');
    const ints = tz.zeros([2], 'int32');
    expectError(() => tz.logicalNot(ints), 'logicalNot', "argument 'x'", 'received an int32 tensor of shape [2]');
    ints.dispose();
    const three = tz.ones([3], 'bool');
    expectError(() => tz.logicalAnd(b, three), 'logicalAnd', "argument 'b'", 'broadcastable with a [2]', '[3]');
    tz.dispose([floats, b, three]);
  });

  test('where with a non-bool condition or incompatible shapes', () => {
    const floats = tz.zeros([2]);
    const condition = tz.tensor([true, false]);
    expectError(() => tz.where(floats, floats, floats), 'where', "argument 'condition'", 'a bool tensor', 'float32');
    const wide = tz.zeros([3]);
    expectError(() => tz.where(condition, wide, 0), 'where', "argument 'a'", '[3]');
    tz.dispose([floats, condition, wide]);
  });

  test('cast to an unknown dtype', () => {
    const x = tz.zeros([1]);
    expectError(() => tz.cast(x, 'float64' as tz.DType), 'cast', "argument 'dtype'", 'one of', 'float64');
    x.dispose();
  });
});
