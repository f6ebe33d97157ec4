// Gradients of the ops Gemma is made of (softmax with a mask, logSoftmax, RMS norm, gelu, RoPE)
// against finite differences on every backend: the reference backend composes them from
// primitives, the wasm backend runs its fused kernels, so both gradients are covered. The fused
// gradient formulas are also compared with the composition's on any backend, directly.
import { expect } from 'vitest';
import * as tz from '@tensorzoo/core';
import { describeBackends } from '../harness.js';
import { checkGradients, seededValues } from './finite-differences.js';

describeBackends('gradients: Gemma ops', (suite) => {
  suite.test('softmax (last axis and a middle axis)', () => {
    checkGradients((x) => tz.softmax(x), [{ shape: [2, 5], low: -2, high: 2 }]);
    checkGradients((x) => tz.softmax(x, 1), [{ shape: [2, 3, 2], low: -2, high: 2 }]);
  });

  suite.test('softmax with a causal mask (full shape and broadcast)', () => {
    const full = tz.tensor([[true, false, false], [true, true, false], [true, true, true]], undefined, 'bool');
    const broadcast = tz.reshape(full, [1, 3, 3]);
    try {
      checkGradients((x) => tz.softmax(x, -1, full), [{ shape: [3, 3], low: -2, high: 2 }]);
      checkGradients((x) => tz.softmax(x, -1, broadcast), [{ shape: [2, 3, 3], low: -2, high: 2 }]);
    } finally {
      tz.dispose([full, broadcast]);
    }
  });

  suite.test('softmax with a fully masked row: its gradient is zeros, never NaN (full and broadcast masks)', async () => {
    const full = tz.tensor([[true, true, false], [false, false, false]], undefined, 'bool');
    const broadcast = tz.reshape(full, [1, 2, 3]);
    for (const [mask, shape] of [[full, [2, 3]], [broadcast, [2, 2, 3]]] as const) {
      const x = tz.tensor(seededValues(shape.reduce((a, b) => a * b, 1), 3), [...shape]);
      const dy = tz.tensor(seededValues(x.size, 4), x.shape);
      const gradient = tz.grad((input) => tz.softmax(input, -1, mask))(x, dy);
      const values = Array.from(await gradient.data());
      expect(values.every(Number.isFinite)).toBe(true);
      for (let row = 0; row < x.size / 3; row++) if (row % 2 === 1) expect(values.slice(row * 3, row * 3 + 3).every((value) => value === 0)).toBe(true);
      tz.dispose([x, dy, gradient]);
    }
    checkGradients((x) => tz.softmax(x, -1, full), [{ shape: [2, 3] }]);
    tz.dispose([full, broadcast]);
  });

  suite.test('logSoftmax', () => checkGradients((x) => tz.logSoftmax(x), [{ shape: [3, 4], low: -2, high: 2 }]));

  suite.test('rmsNorm (x and scale)', () => checkGradients((x, scale) => tz.rmsNorm(x, scale, 1e-6), [{ shape: [2, 3, 4] }, { shape: [4] }]));

  suite.test('gelu, exact and approximate', () => {
    checkGradients((x) => tz.gelu(x), [{ shape: [2, 4], low: -3, high: 3 }]);
    checkGradients((x) => tz.gelu(x, true), [{ shape: [2, 4], low: -3, high: 3 }]);
  });

  suite.test('rotaryEmbedding [B, T, heads, H], from a start index', () =>
    checkGradients((x) => tz.rotaryEmbedding(x, { startIndex: 3 }), [{ shape: [1, 3, 2, 4] }]));
});

describeBackends('gradients: fused formulas equal the composition', (suite) => {
  /** dL/dinputs through the tape (whatever path the backend takes) vs the fused gradient applied directly. */
  async function compare(kernelName: tz.DifferentiableName, run: (...xs: tz.Tensor[]) => tz.Tensor, shapes: number[][], attrs: Record<string, unknown>, extra: Record<string, tz.Tensor> = {}) {
    const inputs = shapes.map((shape, index) => tz.tensor(seededValues(shape.reduce((a, b) => a * b, 1), 11 + index), shape));
    const output = run(...inputs);
    const dy = tz.tensor(seededValues(output.size, 5), output.shape);
    const viaTape = tz.grads(run)(inputs, dy);
    const names = kernelName === 'RMSNorm' ? ['x', 'scale'] : ['x'];
    const saved: tz.SavedKernel = { inputs: { ...Object.fromEntries(names.map((name, index) => [name, inputs[index]!])), ...extra }, attrs, output };
    const thunks = tz.getGradient(kernelName)!.gradient(dy, saved);
    for (const [index, name] of names.entries()) {
      const direct = tz.tidy(() => thunks[name]!());
      const expected = Array.from(await viaTape[index]!.data());
      Array.from(await direct.data()).forEach((value, at) => expect(value).toBeCloseTo(expected[at]!, 4));
      direct.dispose();
    }
    tz.dispose([...inputs, output, dy, ...viaTape]);
  }

  suite.test('Softmax', () => compare('Softmax', (x) => tz.softmax(x), [[3, 5]], {}));
  suite.test('RMSNorm', () => compare('RMSNorm', (x, scale) => tz.rmsNorm(x, scale, 1e-6), [[2, 6], [6]], { epsilon: 1e-6 }));
  suite.test('Gelu exact', () => compare('Gelu', (x) => tz.gelu(x), [[2, 5]], { approximate: false }));
  suite.test('Gelu approximate', () => compare('Gelu', (x) => tz.gelu(x, true), [[2, 5]], { approximate: true }));
  suite.test('Rope', async () => {
    const { cos, sin } = tz.rotaryTables(3, 4);
    const cosTable = tz.tensor(cos, [3, 4]);
    const sinTable = tz.tensor(sin, [3, 4]);
    await compare('Rope', (x) => tz.rotaryEmbedding(x), [[2, 3, 2, 4]], {}, { cos: cosTable, sin: sinTable });
    tz.dispose([cosTable, sinTable]);
  });
});
