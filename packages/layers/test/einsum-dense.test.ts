// EinsumDense: kernel/bias/output shapes as Keras derives them, outputs against a brute-force
// einsum, fans for VarianceScaling initializers, Keras's errors for bad equations.
import * as tz from '@tensorzoo/core';
import { describe, expect, test } from 'vitest';
import { analyzeEinsum, EinsumDense, VarianceScaling, GlorotUniform } from '@tensorzoo/layers';
import { describeBackends, expectClose, take } from './harness.js';
import { naiveEinsum } from './naive.js';

interface Case {
  equation: string;
  /** The equation with the ellipsis spelled out in letters, for the brute-force reference. */
  explicit?: string;
  input: number[];
  output: number | (number | null)[];
  bias?: string;
  kernel: number[];
  biasShape?: number[] | null;
  full: (number | null)[];
  inputAxes: number[];
  outputAxes: number[];
}

const cases: Case[] = [
  // Gemma's projections (gemma.md §1.6.1, §1.3).
  { equation: 'btd,ndh->btnh', input: [2, 3, 8], output: [null, 4, 5], kernel: [4, 8, 5], full: [2, null, 4, 5], inputAxes: [1], outputAxes: [0, 2] },
  { equation: 'bsd,kdh->bskh', input: [2, 3, 8], output: [null, 1, 5], kernel: [1, 8, 5], full: [2, null, 1, 5], inputAxes: [1], outputAxes: [0, 2] },
  { equation: 'btnh,nhd->btd', input: [2, 3, 4, 5], output: [null, 8], kernel: [4, 5, 8], full: [2, null, 8], inputAxes: [0, 1], outputAxes: [2] },
  { equation: 'btd,df->btf', input: [2, 3, 8], output: [null, 6], kernel: [8, 6], full: [2, null, 6], inputAxes: [0], outputAxes: [1] },
  { equation: 'btf,fd->btd', input: [2, 3, 6], output: [null, 8], kernel: [6, 8], full: [2, null, 8], inputAxes: [0], outputAxes: [1] },
  // Outputs of rank 1 to 4, with bias axes.
  { equation: 'ab,b->a', input: [2, 3], output: [], kernel: [3], full: [2], inputAxes: [0], outputAxes: [] },
  { equation: 'ab,bc->ac', input: [2, 3], output: 4, bias: 'c', kernel: [3, 4], biasShape: [4], full: [2, 4], inputAxes: [0], outputAxes: [1] },
  { equation: 'ab,bcd->acd', input: [2, 3], output: [4, 5], bias: 'c', kernel: [3, 4, 5], biasShape: [4, 1], full: [2, 4, 5], inputAxes: [0], outputAxes: [1, 2] },
  { equation: 'ab,bcd->acd', input: [2, 3], output: [4, 5], bias: 'dc', kernel: [3, 4, 5], biasShape: [4, 5], full: [2, 4, 5], inputAxes: [0], outputAxes: [1, 2] },
  { equation: 'abc,cde->abde', input: [2, 3, 4], output: [3, 5, 6], bias: 'be', kernel: [4, 5, 6], biasShape: [3, 1, 6], full: [2, 3, 5, 6], inputAxes: [0], outputAxes: [1, 2] },
  { equation: 'abc,cd->abd', input: [2, 3, 4], output: [null, 5], bias: 'd', kernel: [4, 5], biasShape: [5], full: [2, null, 5], inputAxes: [0], outputAxes: [1] },
  // A weight letter also in the input and the output counts as an output axis.
  { equation: 'abc,bcd->abd', input: [2, 3, 4], output: [3, 5], kernel: [3, 4, 5], full: [2, 3, 5], inputAxes: [1], outputAxes: [0, 2] },
  // Ellipsis on the left: the batch and middle dims are elided.
  { equation: '...b,bc->...c', explicit: 'xyb,bc->xyc', input: [2, 3, 4], output: 5, bias: 'c', kernel: [4, 5], biasShape: [5], full: [2, 3, 5], inputAxes: [0], outputAxes: [1] },
  { equation: '...ab,bc->...ac', explicit: 'xab,bc->xac', input: [2, 3, 4], output: [3, 5], kernel: [4, 5], full: [2, 3, 5], inputAxes: [0], outputAxes: [1] },
  // Ellipsis on the right: trailing dims are elided, the bias gets a trailing 1 per elided dim.
  { equation: 'ab...,bc->ac...', explicit: 'abz,bc->acz', input: [2, 3, 4], output: 5, bias: 'c', kernel: [3, 5], biasShape: [5, 1], full: [2, 5, 4], inputAxes: [0], outputAxes: [1] },
];

describe('EinsumDense shape analysis (backend-independent: pure arithmetic on shapes)', () => {
  for (const item of cases)
    test(`${item.equation} on [${item.input}] with outputShape ${JSON.stringify(item.output)}${item.bias ? `, bias '${item.bias}'` : ''}`, () => {
      const analysis = analyzeEinsum(item.equation, item.bias ?? null, item.input, item.output);
      expect(analysis.kernelShape).toEqual(item.kernel);
      expect(analysis.biasShape).toEqual(item.biasShape ?? null);
      expect(analysis.fullOutputShape).toEqual(item.full);
      expect(analysis.kernelInputAxes).toEqual(item.inputAxes);
      expect(analysis.kernelOutputAxes).toEqual(item.outputAxes);
    });

  test('left elision of more than two dims inserts them in reverse in the inferred shape (Keras quirk)', () => {
    // '...b' over [2, 3, 4, 6]: elided dims 3 and 4 are each inserted at position 1 → [2, 4, 3, 5].
    expect(analyzeEinsum('...b,bc->...c', null, [2, 3, 4, 6], 5).fullOutputShape).toEqual([2, 4, 3, 5]);
    expect(analyzeEinsum('...b,bc->...c', null, [2, 3, 4, 6], 5).kernelShape).toEqual([6, 5]);
  });

  test('unknown batch and sequence sizes stay null in the output shape', () => {
    expect(analyzeEinsum('btd,ndh->btnh', null, [null, null, 8], [null, 4, 5]).fullOutputShape).toEqual([null, null, 4, 5]);
  });

  const errors: [string, string, string | null, number[], number | (number | null)[], RegExp][] = [
    ['no arrow', 'ab,bc', null, [2, 3], 4, /invalid einsum equation 'ab,bc'/],
    ['an ellipsis in the middle', 'a...b,bc->ac', null, [2, 3], 4, /invalid einsum equation/],
    ['an ellipsis only in the input', '...ab,bc->ac', null, [2, 3], 4, /invalid einsum equation/],
    ['a right ellipsis after one letter', 'a...,ab->b...', null, [2, 3], 4, /invalid einsum equation/],
    ['three operands', 'ab,bc,cd->ad', null, [2, 3], 4, /invalid einsum equation/],
    ['an output letter from nowhere', 'ab,bc->ad', null, [2, 3], 4, /dimension 'd' of the output spec 'ad' is in neither/],
    ['a weight letter from nowhere', 'ab,bcd->ac', null, [2, 3], 4, /weight dimension 'd' has no match/],
    ['a shared dim whose sizes disagree', 'abc,cd->abd', null, [2, 3, 4], [7, 5], /disagree at the shared dimension 'b': the input has 3, the output 7/],
    ['a bias letter not in the output', 'ab,bc->ac', 'b', [2, 3], 4, /bias dimension 'b' was requested but is not part of the output spec 'ac'/],
    ['an input of the wrong rank', 'abc,cd->abd', null, [2, 3], [null, 5], /needs inputs of rank 3/],
    ['an outputShape of the wrong length', 'abc,cd->abd', null, [2, 3, 4], 5, /outputShape \[5\] does not fit the output spec 'abd'/],
    ['an unknown weight size', 'ab,bc->ac', null, [2, 3], [null], /size of weight dimension 'c' is unknown/],
  ];
  for (const [what, equation, bias, input, output, message] of errors)
    test(`rejects ${what}: ${equation}`, () => {
      expect(() => analyzeEinsum(equation, bias, input, output)).toThrow(message);
    });

  test('the constructor rejects an equation Keras would reject, before any build', () => {
    expect(() => new EinsumDense({ equation: 'ab->b', outputShape: 3 })).toThrow(/invalid einsum equation 'ab->b'/);
    expect(() => new EinsumDense({ equation: 'ab,bc->ac', outputShape: [-1] as never })).toThrow(/argument 'outputShape' expected/);
  });
});

/** Adds `bias` (aligned to the trailing axes) to flat `values` of `shape`, as broadcasting does. */
function addBias(values: number[], shape: number[], bias: number[], biasShape: number[]): number[] {
  const padded = [...new Array<number>(shape.length - biasShape.length).fill(1), ...biasShape];
  return values.map((value, flat) => {
    let rest = flat;
    let offset = 0;
    let stride = 1;
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      const index = rest % shape[axis]!;
      rest = Math.floor(rest / shape[axis]!);
      if (padded[axis] !== 1) offset += index * stride;
      stride *= padded[axis]!;
    }
    return value + bias[offset]!;
  });
}

describeBackends('EinsumDense', (suite) => {
  for (const item of cases)
    suite.test(`${item.equation}${item.bias ? ` + bias '${item.bias}'` : ''} equals a brute-force einsum`, () => {
      const layer = new EinsumDense({ equation: item.equation, outputShape: item.output, biasAxes: item.bias ?? null, biasInitializer: { className: 'RandomUniform', config: { minval: -1, maxval: 1, seed: 5 } } });
      const inputs = tz.randomUniform(item.input, { minval: -1, maxval: 1, seed: 1 });
      const output = take(layer.apply(inputs));
      const kernel = layer.kernelVariable;
      expect(kernel.path).toBe(`${layer.name}/kernel`);
      expect(kernel.shape).toEqual(item.kernel);
      expect(layer.biasVariable?.shape ?? null).toEqual(item.biasShape ?? null);
      let expected = naiveEinsum(item.explicit ?? item.equation, [
        { shape: item.input, values: inputs.dataSync() },
        { shape: item.kernel, values: kernel.numpy() },
      ]);
      if (layer.biasVariable) expected = { ...expected, values: addBias(expected.values, expected.shape, Array.from(layer.biasVariable.numpy()), item.biasShape!) };
      expect(output.shape).toEqual(expected.shape);
      expectClose(output.values, expected.values, 1e-5);
      inputs.dispose();
      layer.dispose();
    });

  suite.test('hand-checked numbers: ab,bc->ac with bias c and relu', () => {
    const layer = new EinsumDense({ equation: 'ab,bc->ac', outputShape: 2, biasAxes: 'c', activation: 'relu' });
    layer.build([1, 2]);
    layer.kernelVariable.assign([1, 2, 3, 4]); // [[1, 2], [3, 4]]
    layer.biasVariable!.assign([0.5, -20]);
    const inputs = tz.tensor([[1, -1], [2, 1]]);
    // [1, -1]·K = [-2, -2] + bias = [-1.5, -22] → relu [0, 0]; [2, 1]·K = [5, 8] + bias = [5.5, -12] → [5.5, 0].
    expect(take(layer.apply(inputs)).values).toEqual([0, 0, 5.5, 0]);
    inputs.dispose();
    layer.dispose();
  });

  suite.test('gelu activation is the exact (erf) form, gelu_approximate the tanh form', () => {
    const exact = new EinsumDense({ equation: 'ab,b->a', outputShape: [], activation: 'gelu', kernelInitializer: 'ones' });
    const approximate = new EinsumDense({ equation: 'ab,b->a', outputShape: [], activation: 'gelu_approximate', kernelInitializer: 'ones' });
    const inputs = tz.tensor([[1], [-0.5]]);
    const phi = (x: number) => 0.5 * (1 + erfApproximation(x / Math.SQRT2));
    expectClose(take(exact.apply(inputs)).values, [1 * phi(1), -0.5 * phi(-0.5)], 1e-5);
    const tanhForm = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    expectClose(take(approximate.apply(inputs)).values, [tanhForm(1), tanhForm(-0.5)], 1e-5);
    inputs.dispose();
    exact.dispose();
    approximate.dispose();
  });

  suite.test('VarianceScaling kernels take fans from the einsum axes (gemma.md §2.3 step 8)', () => {
    // btnh,nhd->btd with N=4, H=8, D=16: fan_in = N·H = 32, fan_out = D = 16 (not the generic 32/64).
    const seed = 11;
    const layer = new EinsumDense({ equation: 'btnh,nhd->btd', outputShape: [null, 16], kernelInitializer: new GlorotUniform({ seed }) });
    layer.build([1, 2, 4, 8]);
    const expected = new VarianceScaling({ scale: 1, mode: 'fan_avg', distribution: 'uniform', seed, inputAxes: [0, 1], outputAxes: [2] }).call([4, 8, 16]);
    expect(Array.from(layer.kernelVariable.numpy())).toEqual(Array.from(take(expected).values));
    const limit = Math.sqrt(6 / (32 + 16));
    const values = layer.kernelVariable.numpy();
    expect(Math.max(...Array.from(values, Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...Array.from(values, Math.abs))).toBeGreaterThan(0.9 * limit); // the generic fans would cap it at 0.25
    // The layer's config still holds the initializer as given.
    expect(layer.getConfig().kernelInitializer).toEqual({ className: 'GlorotUniform', config: { seed } });
    layer.dispose();
  });

  suite.test('bfloat16 and mixed_bfloat16 policies: variable and output dtypes', () => {
    const inputs = tz.randomUniform([2, 3, 8], { minval: -1, maxval: 1, seed: 3 });
    const pure = new EinsumDense({ equation: 'btd,df->btf', outputShape: [null, 4], dtype: 'bfloat16' });
    const mixed = new EinsumDense({ equation: 'btd,df->btf', outputShape: [null, 4], dtype: 'mixed_bfloat16' });
    const pureOut = pure.apply(inputs);
    const mixedOut = mixed.apply(inputs);
    expect([pure.kernelVariable.dtype, pureOut.dtype]).toEqual(['bfloat16', 'bfloat16']);
    expect([mixed.kernelVariable.dtype, mixedOut.dtype]).toEqual(['float32', 'bfloat16']);
    // Mixed: both operands rounded to bf16, einsum in float32, result rounded to bf16.
    const reference = tz.tidy(() => {
      const kernel16 = tz.cast(mixed.kernelVariable.value, 'bfloat16');
      const inputs16 = tz.cast(inputs, 'bfloat16');
      return tz.cast(tz.einsum('btd,df->btf', inputs16, kernel16), 'bfloat16');
    });
    expect(Array.from(mixedOut.dataSync())).toEqual(Array.from(reference.dataSync()));
    tz.dispose([inputs, pureOut, mixedOut, reference]);
    pure.dispose();
    mixed.dispose();
  });

  suite.test('rejects inputs of another rank than it was built for, and use before build', () => {
    const layer = new EinsumDense({ equation: 'btd,df->btf', outputShape: [null, 4], name: 'ffw' });
    expect(() => layer.kernel).toThrow(/EinsumDense 'ffw'.kernel: the layer is not built yet/);
    const inputs = tz.zeros([2, 3, 8]);
    layer.apply(inputs).dispose();
    const flat = tz.zeros([2, 8]);
    expect(() => layer.apply(flat)).toThrow(/argument 'inputs' expected a tensor of rank 3 \(as built\)/);
    tz.dispose([inputs, flat]);
    layer.dispose();
  });
});

/** erf to ~1e-7 (Abramowitz–Stegun 7.1.26 is too coarse; this is a series/continued-fraction mix). */
function erfApproximation(x: number): number {
  // Maclaurin series converges fast for |x| < 3.
  let sum = 0;
  let term = x;
  for (let n = 0; n < 60; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
