// Every optional fused kernel (Softmax, RMSNorm, Gelu, Rope) against its composed twin.
//
// When the active backend registers the fused kernel, the op runs once through it and once with
// it unregistered (the composition of primitives), and the two must agree. When it does not (the
// reference backend registers none), the test registers a host-side stand-in written here in
// plain JS over the storage interface (readSync/write, so it works on any backend), checks that
// the op really dispatched to it, and compares: this covers each op's fused-path plumbing (axis
// moves, mask hand-off, dtype decoding) before a fast backend ships its kernel.
import { expect } from 'vitest';
import * as tz from '@tensorzoo/core';
import { describeBackends, expectClose, randomFloatTensor, readAndDispose, TestRandom } from './harness.js';

type HostKernel = (inputs: Record<string, { values: Float32Array | Uint8Array; shape: readonly number[] }>, attrs: Record<string, unknown>) => Float32Array;

const hostKernels: Record<'Softmax' | 'RMSNorm' | 'Gelu' | 'Rope' | 'Attention', HostKernel> = {
  // x: [..., n], mask (optional, bool, same shape) → softmax over the last axis; masked → 0.
  Softmax({ x, mask }) {
    const n = x!.shape[x!.shape.length - 1]!;
    const out = new Float32Array(x!.values.length);
    for (let start = 0; start < out.length; start += n) {
      const keep = (index: number) => !mask || mask.values[start + index] !== 0;
      let peak = -Infinity;
      for (let index = 0; index < n; index++) if (keep(index)) peak = Math.max(peak, x!.values[start + index]!);
      let total = 0;
      for (let index = 0; index < n; index++) total += keep(index) ? Math.exp(x!.values[start + index]! - peak) : 0;
      for (let index = 0; index < n; index++) out[start + index] = keep(index) ? Math.exp(x!.values[start + index]! - peak) / total : 0;
    }
    return out;
  },
  // x: [..., D], scale: [D] → x · rsqrt(mean(x²) + epsilon) · (1 + scale).
  RMSNorm({ x, scale }, attrs) {
    const depth = scale!.shape[0]!;
    const out = new Float32Array(x!.values.length);
    for (let start = 0; start < out.length; start += depth) {
      let squares = 0;
      for (let index = 0; index < depth; index++) squares += x!.values[start + index]! ** 2;
      const inverse = 1 / Math.sqrt(squares / depth + (attrs.epsilon as number));
      for (let index = 0; index < depth; index++) out[start + index] = x!.values[start + index]! * inverse * (1 + scale!.values[index]!);
    }
    return out;
  },
  Gelu({ x }, attrs) {
    return x!.values.map((value) =>
      attrs.approximate
        ? 0.5 * value * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (value + 0.044715 * value ** 3)))
        : 0.5 * value * (1 + erfSeries(value / Math.SQRT2)),
    ) as Float32Array;
  },
  // x: [B, T, N, H], cos/sin: [T, H] → x·cos + rotateHalf(x)·sin.
  Rope({ x, cos, sin }) {
    const [, T, N, H] = x!.shape as [number, number, number, number];
    const half = H / 2;
    const out = new Float32Array(x!.values.length);
    for (let flat = 0; flat < out.length; flat++) {
      const h = flat % H;
      const t = Math.floor(flat / (N * H)) % T;
      const partner = x!.values[flat + (h < half ? half : -half)]!;
      out[flat] = x!.values[flat]! * cos!.values[t * H + h]! + (h < half ? -partner : partner) * sin!.values[t * H + h]!;
    }
    return out;
  },
  // query [B, T, N, H], key/value [B, S, K, H], mask (optional) [B, T, S] or [B, N, T, S] →
  // softmax(cap(q·k)) · v per (b, t, n) over the unmasked keys; a fully masked row is zeros.
  Attention({ query, key, value, mask }, attrs) {
    const [B, T, N, H] = query!.shape as [number, number, number, number];
    const [, S, K] = key!.shape as [number, number, number, number];
    const cap = attrs.logitSoftCap as number;
    const out = new Float32Array(query!.values.length);
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++)
        for (let n = 0; n < N; n++) {
          const kv = Math.floor(n / (N / K));
          const keep = (s: number) => !mask || mask.values[mask.shape.length === 4 ? ((b * N + n) * T + t) * S + s : (b * T + t) * S + s] !== 0;
          const logits = new Float64Array(S).fill(-Infinity);
          for (let s = 0; s < S; s++) {
            if (!keep(s)) continue;
            let dot = 0;
            for (let h = 0; h < H; h++) dot += query!.values[((b * T + t) * N + n) * H + h]! * key!.values[((b * S + s) * K + kv) * H + h]!;
            logits[s] = cap > 0 ? cap * Math.tanh(dot / cap) : dot;
          }
          const peak = Math.max(...logits);
          if (peak === -Infinity) continue;
          const weights = logits.map((logit) => Math.exp(logit - peak));
          const total = weights.reduce((a, c) => a + c, 0);
          for (let h = 0; h < H; h++) {
            let acc = 0;
            for (let s = 0; s < S; s++) acc += weights[s]! * value!.values[((b * S + s) * K + kv) * H + h]!;
            out[((b * T + t) * N + n) * H + h] = acc / total;
          }
        }
    return out;
  },
};

function erfSeries(x: number): number {
  if (Math.abs(x) > 5) return Math.sign(x);
  let term = x;
  let total = x;
  for (let n = 1; n < 120; n++) {
    term *= (-x * x) / n;
    total += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * total;
}

function hostConfig(kernelName: keyof typeof hostKernels, backendName: string): tz.KernelConfig {
  return {
    kernelName,
    backendName,
    kernelFunc({ inputs, attrs, backend, outputShapes }) {
      const read: Parameters<HostKernel>[0] = {};
      for (const [name, info] of Object.entries(inputs)) read[name] = { values: backend.readSync(info.dataId) as Float32Array | Uint8Array, shape: info.shape };
      const values = hostKernels[kernelName](read, attrs);
      const shape = outputShapes[0]!;
      return { dataId: backend.write(Float32Array.from(values), shape, 'float32'), shape, dtype: 'float32' };
    },
  };
}

/** Runs `op` through the fused kernel and through the composition; returns both results. */
async function fusedAndComposed(kernelName: keyof typeof hostKernels, backend: string, op: () => tz.Tensor): Promise<[number[], number[]]> {
  const native = tz.getKernel(kernelName, backend);
  if (!native) tz.registerKernel(hostConfig(kernelName, backend));
  const seen: string[] = [];
  const stopListening = tz.engine.addKernelListener((record) => seen.push(record.kernelName));
  let fused: number[];
  try {
    fused = (await readAndDispose(op())).values;
  } finally {
    stopListening();
    tz.unregisterKernel(kernelName, backend);
  }
  let composed: number[];
  try {
    composed = (await readAndDispose(op())).values;
  } finally {
    if (native) tz.registerKernel(native);
  }
  expect(seen, `the op dispatched to the fused ${kernelName} kernel`).toContain(kernelName);
  return [fused, composed];
}

describeBackends('fused kernels and their composed twins', ({ test, backend }) => {
  const random = new TestRandom(99);

  test('Softmax over a middle axis, with and without a full-shape mask', async () => {
    const x = randomFloatTensor(random, [2, 5, 3], -4, 4);
    const mask = tz.tensor(random.ints(30, 0, 1), [2, 5, 3], 'bool');
    for (const withMask of [false, true]) {
      const [fused, composed] = await fusedAndComposed('Softmax', backend, () => tz.softmax(x.tensor, 1, withMask ? mask : undefined));
      expectClose(fused, composed, 1e-7, 1e-6);
    }
    tz.dispose([x.tensor, mask]);
  });

  test('RMSNorm on bfloat16 input', async () => {
    const x = randomFloatTensor(random, [3, 16], -2, 2);
    const scale = randomFloatTensor(random, [16], -0.5, 0.5);
    const half = tz.cast(x.tensor, 'bfloat16');
    const [fused, composed] = await fusedAndComposed('RMSNorm', backend, () => tz.rmsNorm(half, scale.tensor, 1e-6));
    expectClose(fused, composed, 1e-6, 1e-5);
    tz.dispose([x.tensor, scale.tensor, half]);
  });

  for (const approximate of [false, true])
    test(`Gelu ${approximate ? 'tanh approximation' : 'exact'}`, async () => {
      const x = randomFloatTensor(random, [4, 25], -6, 6);
      const [fused, composed] = await fusedAndComposed('Gelu', backend, () => tz.gelu(x.tensor, approximate));
      expectClose(fused, composed, 2e-7, 2e-6);
      x.tensor.dispose();
    });

  test('Rope on [B, T, N, H] with a start index', async () => {
    const x = randomFloatTensor(random, [2, 4, 3, 8]);
    const [fused, composed] = await fusedAndComposed('Rope', backend, () => tz.rotaryEmbedding(x.tensor, { startIndex: 5 }));
    expectClose(fused, composed, 1e-6, 1e-5);
    x.tensor.dispose();
  });

  test('Attention with grouped heads, a per-head mask and a soft cap', async () => {
    const q = randomFloatTensor(random, [2, 3, 4, 5], -1, 1);
    const k = randomFloatTensor(random, [2, 7, 2, 5], -1, 1);
    const v = randomFloatTensor(random, [2, 7, 2, 5], -2, 2);
    const mask = tz.tensor(random.ints(2 * 4 * 3 * 7, 0, 1), [2, 4, 3, 7], 'bool');
    for (const logitSoftCap of [null, 2]) {
      const [fused, composed] = await fusedAndComposed('Attention', backend, () => tz.dotProductAttention(q.tensor, k.tensor, v.tensor, { mask, logitSoftCap }));
      expectClose(fused, composed, 1e-6, 1e-5);
    }
    tz.dispose([q.tensor, k.tensor, v.tensor, mask]);
  });

  test('fusedKernelNames lists exactly the optional kernels these tests cover', () => {
    // AbsMaxQuantize (two outputs, int8 and float32) has its stand-in in quantization.test.ts.
    expect([...tz.fusedKernelNames].sort()).toEqual([...Object.keys(hostKernels), 'AbsMaxQuantize'].sort());
  });
});
