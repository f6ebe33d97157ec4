// The tape's contract: API shapes, accumulation, zeros for unused sources, what it refuses, and
// no leaks (every intermediate of the forward and backward passes is disposed).
import { expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { describeBackends } from '../harness.js';

async function values(tensor: tz.Tensor): Promise<number[]> {
  const data = Array.from(await tensor.data());
  tensor.dispose();
  return data;
}

describeBackends('autodiff: tape', (suite) => {
  suite.test('grad of x² · 3 is 6x; valueAndGrad returns both', async () => {
    const x = tz.tensor([1, -2, 0.5]);
    expect(await values(tz.grad((input) => tz.mul(tz.square(input), 3))(x))).toEqual([6, -12, 3]);
    const { value, grad } = tz.valueAndGrad((input) => tz.sum(tz.square(input)))(x);
    expect(await values(value)).toEqual([5.25]);
    expect(await values(grad)).toEqual([2, -4, 1]);
    x.dispose();
  });

  suite.test('a tensor used several times accumulates; dy weights the outputs', async () => {
    const a = tz.tensor([2, 3]);
    const b = tz.tensor([5, 7]);
    const dy = tz.tensor([1, 10]);
    const { value, grads } = tz.valueAndGrads((x, y) => tz.add(tz.mul(x, y), tz.mul(x, x)))([a, b], dy);
    expect(await values(value)).toEqual([14, 30]);
    expect(await values(grads[0]!)).toEqual([9, 130]);
    expect(await values(grads[1]!)).toEqual([2, 30]);
    tz.dispose([a, b, dy]);
  });

  suite.test('a source the result does not use gets zeros; the identity gets dy', async () => {
    const a = tz.tensor([1, 2]);
    const b = tz.tensor([[3]]);
    const [da, db] = tz.grads((x) => tz.exp(x))([a, b]);
    expect(await values(db!)).toEqual([0]);
    expect(db).toBeDefined();
    expect((await values(da!)).map((value) => Math.round(value * 1e4) / 1e4)).toEqual([2.7183, 7.3891]);
    expect(await values(tz.grad((x) => x)(a))).toEqual([1, 1]);
    expect(a.isDisposed).toBe(false);
    a.dispose();
    b.dispose();
  });

  suite.test('gradientsOf differentiates a closure with respect to tensors it reads', async () => {
    const weight = tz.tensor([[1, 2], [3, 4]]);
    const input = tz.tensor([[1, 1]]);
    const { value, grads } = tz.gradientsOf(() => tz.sum(tz.matMul(input, weight)), [weight]);
    expect(await values(value)).toEqual([10]);
    expect(await values(grads[0]!)).toEqual([1, 1, 1, 1]);
    tz.dispose([weight, input]);
  });

  suite.test('intermediates disposed inside f (tidy) are still differentiated, then freed', async () => {
    const x = tz.tensor([0.5, 1.5]);
    const before = tz.memory().numTensors;
    const gradient = tz.grad((input) => tz.tidy(() => tz.sum(tz.exp(tz.mul(tz.reshape(input, [2, 1]), 2)))))(x);
    expect(tz.memory().numTensors).toBe(before + 1);
    const got = await values(gradient);
    expect(got[0]).toBeCloseTo(2 * Math.exp(1), 4);
    expect(got[1]).toBeCloseTo(2 * Math.exp(3), 3);
    x.dispose();
  });

  suite.test('isRecording is set only while f runs', () => {
    const x = tz.tensor([1]);
    let seen = false;
    tz.grad((input) => {
      seen = tz.engine.isRecording;
      return tz.neg(input);
    })(x).dispose();
    expect(seen).toBe(true);
    expect(tz.engine.isRecording).toBe(false);
    x.dispose();
  });

  suite.test('a result that depends on a kernel without a gradient (topK) is an error, and leaks nothing', () => {
    const x = tz.tensor([3, 1, 2]);
    expect(() => tz.grad((input) => tz.topK(input, 2).values)(x)).toThrow(/'TopK' is not differentiable/);
    expect(tz.engine.isRecording).toBe(false);
    x.dispose();
  });

  suite.test('errors name the argument, the expectation and what was received', () => {
    const x = tz.tensor([1, 2]);
    const ids = tz.tensor([1], [1], 'int32');
    const wrong = tz.tensor([1, 2, 3]);
    expect(() => tz.grad(tz.neg)(ids)).toThrow(/grad: argument 'x' expected a float tensor/);
    expect(() => tz.gradientsOf(() => tz.neg(x), [x], wrong)).toThrow(/gradientsOf: argument 'outputGradient' expected shape \[2\].*received \[3\]/);
    expect(() => tz.gradientsOf((() => 3) as unknown as () => tz.Tensor, [x])).toThrow(/argument 'f' expected a function returning a Tensor, received number/);
    expect(() => tz.gradientsOf(() => tz.greater(x, 1), [x])).toThrow(/argument 'f' expected a function returning a float tensor/);
    expect(() => tz.gradientsOf(() => x, 'x' as unknown as tz.Tensor[])).toThrow(/argument 'sources' expected an array/);
    tz.dispose([x, ids, wrong]);
  });
});

test('every gradient is registered once, for the differentiable kernels and the Reshape view', () => {
  const x = tz.tensor([1]);
  tz.grad(tz.neg)(x).dispose(); // registers on first use
  x.dispose();
  const expected = ['Abs', 'Add', 'BatchMatMul', 'Cast', 'Concat', 'Cumsum', 'Div', 'Erf', 'Exp', 'Gather', 'Gelu', 'Log', 'Max', 'Maximum', 'Min', 'Minimum', 'Mul', 'Neg', 'Pow', 'RMSNorm', 'Reshape', 'Rope', 'Rsqrt', 'Slice', 'Softmax', 'Sqrt', 'Sub', 'Sum', 'Tanh', 'Transpose', 'Where'];
  expect(tz.listGradients()).toEqual(expected.sort());
  expect(() => tz.registerGradient({ kernelName: 'Neg', gradient: () => ({}) })).toThrow(/already registered/);
});
