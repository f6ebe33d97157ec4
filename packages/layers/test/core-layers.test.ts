// Dense, RMSNormalization (Gemma's 1 + scale form), Dropout (seeded) and Softmax (masked), against
// hand-checked numbers.
import * as tz from '@tensorzoo/core';
import { expect } from 'vitest';
import { Dense, Dropout, RMSNormalization, Softmax } from '@tensorzoo/layers';
import { describeBackends, expectClose, take } from './harness.js';

describeBackends('Dense', (suite) => {
  suite.test('x @ kernel + bias, activation, any leading axes (hand-checked)', () => {
    const dense = new Dense({ units: 2, activation: 'relu' });
    dense.build([null, 3]);
    dense.kernelVariable.assign([1, -1, 2, 0, 0, 1]); // [[1, -1], [2, 0], [0, 1]]
    dense.biasVariable!.assign([0.5, -1]);
    const inputs = tz.tensor([[[1, 2, 3]], [[-1, 0, 1]]]);
    // [1, 2, 3] → [5, 2] + bias = [5.5, 1]; [-1, 0, 1] → [-1, 2] + bias = [-0.5, 1] → relu [0, 1].
    expect(take(dense.apply(inputs))).toEqual({ shape: [2, 1, 2], dtype: 'float32', values: [5.5, 1, 0, 1] });
    expect(dense.weights.map((variable) => [variable.path, variable.shape])).toEqual([['dense/kernel', [3, 2]], ['dense/bias', [2]]]);
    const wrong = tz.zeros([2, 4]);
    expect(() => dense.apply(wrong)).toThrow("Dense 'dense': argument 'inputs' expected a tensor whose last axis is 3, received a float32 tensor of shape [2, 4]");
    const noBias = new Dense({ units: 1, useBias: false, kernelInitializer: 'ones' });
    expect(take(noBias.apply(inputs)).values).toEqual([6, 0]);
    expect(noBias.weights.map((variable) => variable.name)).toEqual(['kernel']);
    expect(() => new Dense({ units: 0 })).toThrow(/argument 'units' expected a positive integer, received 0/);
    expect(() => new Dense({ units: 2, activation: 'mish' as never })).toThrow(/argument 'activation' expected one of linear, relu, gelu/);
    tz.dispose([inputs, wrong]);
    dense.dispose();
    noBias.dispose();
  });
});

describeBackends('RMSNormalization', (suite) => {
  suite.test('x · rsqrt(mean(x²) + eps) · (1 + scale), hand-checked; a fresh scale is zeros', () => {
    const norm = new RMSNormalization({ name: 'pre_attention_norm' });
    const inputs = tz.tensor([[3, 4], [0, 0]]);
    // mean(x²) = 12.5 → 1/sqrt(12.5) = 0.282842…; zeros stay zeros (epsilon avoids 0/0).
    const inverse = 1 / Math.sqrt(12.5 + 1e-6);
    expectClose(take(norm.apply(inputs)).values, [3 * inverse, 4 * inverse, 0, 0], 1e-6);
    expect([norm.scaleVariable.path, Array.from(norm.scaleVariable.numpy())]).toEqual(['pre_attention_norm/scale', [0, 0]]);
    norm.scaleVariable.assign([1, -0.5]);
    expectClose(take(norm.apply(inputs)).values, [3 * inverse * 2, 4 * inverse * 0.5, 0, 0], 1e-6);
    const wide = new RMSNormalization({ epsilon: 1 });
    const ones = tz.ones([1, 2]);
    expectClose(take(wide.apply(ones)).values, [1 / Math.sqrt(2), 1 / Math.sqrt(2)], 1e-6);
    expect(() => new RMSNormalization({ epsilon: -1 })).toThrow(/argument 'epsilon' expected a non-negative number, received -1/);
    tz.dispose([inputs, ones]);
    norm.dispose();
    wide.dispose();
  });

  suite.test('computes in float32 and returns the compute dtype', () => {
    const norm = new RMSNormalization({ dtype: 'mixed_bfloat16' });
    const inputs = tz.tensor([[1, 2, 3, 4]], undefined, 'bfloat16');
    const out = take(norm.apply(inputs));
    expect([norm.scaleVariable.dtype, out.dtype]).toEqual(['float32', 'bfloat16']);
    const inverse = 1 / Math.sqrt(7.5 + 1e-6);
    expectClose(out.values, [1, 2, 3, 4].map((value) => value * inverse), 4e-3);
    inputs.dispose();
    norm.dispose();
  });
});

describeBackends('Dropout', (suite) => {
  suite.test('identity (the same tensor) unless training with rate > 0', () => {
    const dropout = new Dropout({ rate: 0.5, seed: 1 });
    const inputs = tz.ones([4]);
    expect(dropout.apply(inputs)).toBe(inputs);
    expect(dropout.apply(inputs, { training: false })).toBe(inputs);
    expect(new Dropout({ rate: 0 }).apply(inputs, { training: true })).toBe(inputs);
    inputs.dispose();
  });

  suite.test('training: kept values scaled by 1 / (1 - rate), about 1 - rate kept; seeded sequences repeat', () => {
    const inputs = tz.fill([40, 100], 3);
    const first = new Dropout({ rate: 0.25, seed: 7 });
    const second = new Dropout({ rate: 0.25, seed: 7 });
    const a1 = take(first.apply(inputs, { training: true })).values;
    const a2 = take(first.apply(inputs, { training: true })).values;
    const b1 = take(second.apply(inputs, { training: true })).values;
    expect(new Set(a1)).toEqual(new Set([0, 4]));
    const kept = a1.filter((value) => value !== 0).length / a1.length;
    expect(Math.abs(kept - 0.75)).toBeLessThan(0.03);
    expect(b1).toEqual(a1);
    expect(a2).not.toEqual(a1);
    inputs.dispose();
  });

  suite.test('noiseShape broadcasts one decision over an axis; rate 1 gives zeros; outputs in the compute dtype', () => {
    const inputs = tz.ones([50, 4], 'bfloat16');
    const rows = new Dropout({ rate: 0.5, noiseShape: [null, 1], seed: 3, dtype: 'bfloat16' });
    const out = take(rows.apply(inputs, { training: true }));
    expect(out.dtype).toBe('bfloat16');
    for (let row = 0; row < 50; row++) expect(new Set(out.values.slice(row * 4, row * 4 + 4)).size).toBe(1);
    expect(new Set(out.values)).toEqual(new Set([0, 2]));
    expect(take(new Dropout({ rate: 1 }).apply(inputs, { training: true })).values.every((value) => value === 0)).toBe(true);
    expect(() => new Dropout({ rate: 1.5 })).toThrow(/argument 'rate' expected a number in \[0, 1\], received 1.5/);
    const badNoise = new Dropout({ rate: 0.5, noiseShape: [3, 1] });
    expect(() => badNoise.apply(inputs, { training: true })).toThrow(/argument 'noiseShape' expected sizes of 1 or the input's/);
    inputs.dispose();
  });
});

describeBackends('Softmax', (suite) => {
  suite.test('masked entries are exactly 0, a fully masked row is zeros, a float mask means > 0.5', () => {
    const softmax = new Softmax({ dtype: 'float32' });
    const logits = tz.tensor([[1, 2, 3], [1, 1, 1]], undefined, 'bfloat16');
    const mask = tz.tensor([[1, 0.9, 0.2], [0, 0, 0]]);
    const out = take(softmax.apply(logits, { mask }));
    expect(out.dtype).toBe('float32');
    const e = Math.exp(1);
    expectClose(out.values, [1 / (1 + e), e / (1 + e), 0, 0, 0, 0], 1e-6);
    const plain = take(softmax.apply(logits));
    expectClose(plain.values.slice(3), [1 / 3, 1 / 3, 1 / 3], 1e-6);
    tz.dispose([logits, mask]);
  });
});
