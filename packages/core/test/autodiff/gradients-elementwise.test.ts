// Gradients of elementwise ops (unary, binary with broadcasting, where, cast) against central
// finite differences, on every backend.
import { expect } from 'vitest';
import * as tz from '@tensorzoo/core';
import { describeBackends } from '../harness.js';
import { checkGradients } from './finite-differences.js';

describeBackends('gradients: elementwise', (suite) => {
  const unary: [string, (x: tz.Tensor) => tz.Tensor, number, number][] = [
    ['neg', tz.neg, -1, 1],
    ['abs', tz.abs, 0.1, 1],
    ['exp', tz.exp, -1, 1],
    ['log', tz.log, 0.5, 2],
    ['sqrt', tz.sqrt, 0.5, 2],
    ['rsqrt', tz.rsqrt, 0.5, 2],
    ['tanh', tz.tanh, -2, 2],
    ['erf', tz.erf, -1.5, 1.5],
    ['square', tz.square, -1, 1],
    ['sigmoid', tz.sigmoid, -3, 3],
  ];
  for (const [name, op, low, high] of unary)
    suite.test(`${name}`, () => checkGradients(op, [{ shape: [2, 3], low, high }]));

  suite.test('abs of negative entries', () => checkGradients(tz.abs, [{ shape: [5], low: -2, high: -0.1 }]));

  const broadcastPairs: [number[], number[]][] = [
    [[2, 3], [2, 3]],
    [[2, 3, 4], [3, 1]],
    [[4], [2, 3, 4]],
    [[2, 1, 3], [1, 4, 1]],
    [[2, 3], []],
  ];
  const binary: [string, (a: tz.Tensor, b: tz.Tensor) => tz.Tensor, [number, number], [number, number]][] = [
    ['add', tz.add, [-1, 1], [-1, 1]],
    ['sub', tz.sub, [-1, 1], [-1, 1]],
    ['mul', tz.mul, [-1, 1], [-1, 1]],
    ['div', tz.div, [-1, 1], [0.5, 2]],
    ['pow', tz.pow, [0.5, 2], [-1.5, 1.5]],
  ];
  for (const [name, op, [lowA, highA], [lowB, highB]] of binary)
    for (const [shapeA, shapeB] of broadcastPairs)
      suite.test(`${name} [${shapeA}] with [${shapeB}]`, () =>
        checkGradients(op, [{ shape: shapeA, low: lowA, high: highA }, { shape: shapeB, low: lowB, high: highB }]));

  // Ties are kept apart (a in [-1, 0), b in [0.05, 1)) on some entries by interleaving values.
  for (const [name, op] of [['maximum', tz.maximum], ['minimum', tz.minimum]] as const)
    suite.test(`${name} with broadcasting (no ties)`, () => {
      const a = new Float32Array([-0.9, 0.8, -0.3, 0.6, 0.2, -0.7]);
      const b = new Float32Array([0.05, -0.5, 0.45]);
      checkGradients(op, [{ shape: [2, 3], values: a }, { shape: [3], values: b }]);
    });

  suite.test('maximum gives a tie to a', async () => {
    const a = tz.tensor([1, 2]);
    const b = tz.tensor([1, 3]);
    const [da, db] = tz.grads(tz.maximum)([a, b]);
    expect(Array.from(await da!.data())).toEqual([1, 0]);
    expect(Array.from(await db!.data())).toEqual([0, 1]);
    tz.dispose([a, b, da!, db!]);
  });

  suite.test('pow: the exponent gets 0 where the base is not positive', async () => {
    const a = tz.tensor([0, -2, 2]);
    const b = tz.tensor([2, 2, 2]);
    const [da, db] = tz.grads(tz.pow)([a, b]);
    const values = Array.from(await db!.data());
    expect(values.slice(0, 2)).toEqual([0, 0]);
    expect(values[2]).toBeCloseTo(4 * Math.log(2), 5);
    tz.dispose([a, b, da!, db!]);
  });

  suite.test('where with broadcasting (condition carries none)', () => {
    const condition = tz.tensor([true, false, true], [3], 'bool');
    try {
      checkGradients((a, b) => tz.where(condition, a, b), [{ shape: [2, 3] }, { shape: [2, 1] }]);
    } finally {
      condition.dispose();
    }
  });

  suite.test('soft cap c · tanh(x / c)', () => checkGradients((x) => tz.mul(tz.tanh(tz.mul(x, 1 / 3)), 3), [{ shape: [3, 4], low: -6, high: 6 }]));

  suite.test('cast between float dtypes passes the gradient straight through', async () => {
    const x = tz.tensor([0.1234567, -2.5, 3.3333]);
    const gradient = tz.grad((input) => tz.mul(tz.cast(tz.cast(input, 'bfloat16'), 'float32'), 2))(x);
    expect(gradient.dtype).toBe('float32');
    expect(Array.from(await gradient.data())).toEqual([2, 2, 2]);
    tz.dispose([x, gradient]);
  });

  suite.test('an int32 cast is a constant: the gradient through it is zero', async () => {
    const x = tz.tensor([1.5, 2.5]);
    const gradient = tz.grad((input) => tz.add(tz.cast(tz.cast(input, 'int32'), 'float32'), 0))(x);
    expect(Array.from(await gradient.data())).toEqual([0, 0]);
    tz.dispose([x, gradient]);
  });
});
