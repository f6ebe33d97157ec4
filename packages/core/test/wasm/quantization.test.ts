// The wasm quantization kernels against the reference backend (issue 13), on seeded random odd
// shapes with 1 and 2 threads (threshold 0, so even tiny products go through the pool):
// int8 storage (write / read, Cast both ways, Gather of int8 and bfloat16 tables as stored),
// Round (half to even), the fused AbsMaxQuantize against the reference's composed op (bit for
// bit), MatMulInt8 bit for bit (exact int32 sums, the same float32 rescale) on the GEMV and GEMM
// paths in both weight layouts and with groups, MatMulInt4 within float tolerance (summation order
// differs) in both layouts, grouped and per channel, and UnpackInt4 exactly. The relaxed-SIMD build
// (fused multiply-add in the int4 GEMV) runs the same checks in a child Node with the flag Node 20
// needs.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import * as tz from '@tensorzoo/core';
import { DEFAULT_WASM_PARALLEL_THRESHOLD, setWasmParallelThreshold, setWasmThreads, WasmBackend } from '@tensorzoo/core/backends/wasm';
import { expectParity, floats, halves, ints, Seeded, type HostTensor } from './parity.js';

/** Uniform int8 values in [low, high] (−128 included by default: sums must stay exact). */
export function int8s(random: Seeded, shape: number[], low = -128, high = 127): HostTensor {
  const values = new Int8Array(tz.sizeOf(shape));
  for (let i = 0; i < values.length; i++) values[i] = random.int(low, high + 1);
  return { values, shape, dtype: 'int8' };
}

function positive(random: Seeded, shape: number[]): HostTensor {
  return floats(random, shape, 0.01, 2);
}

// [M, K, G, N]: GEMV (M = 1; up to 8 rows one GEMV each) and GEMM; odd sizes, K crossing 8 / 16 steps and the 2048 K slice,
// N crossing the 16-column steps and the 64-column blocks, groups.
const int8Shapes: [number, number, number, number][] = [
  [1, 1, 1, 1], [1, 7, 1, 5], [1, 37, 1, 67], [1, 300, 1, 129], [1, 33, 3, 17], [1, 2050, 1, 40],
  [2, 5, 1, 3], [3, 17, 1, 9], [5, 40, 2, 70], [9, 300, 1, 131], [4, 2100, 1, 66], [10, 2100, 1, 66], [17, 64, 3, 20],
];

// [M, K, G, N, blockSize]: kernel layout (G > 1 with K not a multiple of G, odd G·N: unaligned
// nibble rows) and transposed (G = 1); blocks that do not divide K; per channel (−1).
const int4Shapes: [number, number, number, number, number][] = [
  [1, 1, 1, 1, 128], [1, 40, 1, 33, 128], [1, 300, 1, 129, 128], [1, 300, 1, 70, 7], [1, 64, 3, 16, 128],
  [1, 50, 3, 5, 16], [1, 200, 2, 33, -1], [1, 130, 1, 40, -1],
  [2, 5, 1, 3, 128], [5, 300, 1, 70, 128], [9, 33, 3, 20, 16], [6, 260, 1, 270, -1], [17, 129, 2, 9, 5],
];

for (const threads of [1, 2]) {
  describe(`wasm quantization kernels against the reference backend, ${threads} thread${threads > 1 ? 's' : ''}`, () => {
    beforeAll(async () => {
      await tz.setBackend('wasm');
      await setWasmThreads(threads);
      setWasmParallelThreshold(threads > 1 ? 0 : Infinity);
    });
    afterAll(() => setWasmParallelThreshold(DEFAULT_WASM_PARALLEL_THRESHOLD));

    test('int8 storage: read back as Int8Array, Cast to and from int8 (saturating, NaN → 0)', async () => {
      const random = new Seeded(40 + threads);
      await tz.setBackend('wasm');
      const stored = tz.tensor(new Int8Array([-128, -1, 0, 1, 127]), [5], 'int8');
      expect(stored.dataSync()).toEqual(new Int8Array([-128, -1, 0, 1, 127]));
      stored.dispose();
      for (const shape of [[1], [7], [33, 17], [1031]]) {
        const x = floats(random, shape, -300, 300);
        x.values.set([NaN, Infinity, -Infinity, 127.9, -128.9, -0.7].slice(0, x.values.length));
        await expectParity(`float32 → int8 ${shape}`, [x], (t) => tz.cast(t, 'int8'));
        await expectParity(`int32 → int8 ${shape}`, [ints(random, shape, -1000, 1000)], (t) => tz.cast(t, 'int8'));
        const q = int8s(random, shape);
        await expectParity(`int8 → float32 / int32 / bool / bfloat16 ${shape}`, [q], (t) => [
          tz.cast(t, 'float32'), tz.cast(t, 'int32'), tz.cast(t, 'bool'), tz.cast(t, 'bfloat16'),
        ]);
      }
    });

    test('Gather of int8 and bfloat16 tables reads them as stored and keeps their dtype', async () => {
      const random = new Seeded(43);
      const ids: HostTensor = { values: new Int32Array([3, 0, -1, 4, 4]), shape: [5], dtype: 'int32' };
      for (const table of [int8s(random, [6, 13]), halves(random, [6, 9], 'bfloat16')]) {
        await expectParity(`gather ${table.dtype}`, [table, ids], (x, i) => tz.gather(x, i, 0));
        await expectParity(`gather ${table.dtype} axis 1`, [table, { ...ids, values: new Int32Array([1, 2]), shape: [2] }], (x, i) => tz.gather(x, i, 1));
      }
    });

    test('Round: half to even, float32', async () => {
      const random = new Seeded(44);
      const halfway: HostTensor = { values: new Float32Array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, 1e7 + 1, -0, 0.49999997, NaN, Infinity, 4.5]), shape: [13], dtype: 'float32' };
      await expectParity('round halfway values', [halfway], tz.round, 0, 0);
      for (const shape of [[3], [7, 9], [1031]]) await expectParity(`round ${shape}`, [floats(random, shape, -20, 20)], tz.round, 0, 0);
    });

    test('fused AbsMaxQuantize equals the composed reference bit for bit', async () => {
      const random = new Seeded(45);
      for (const shape of [[1], [5], [3, 7], [4, 33], [2, 3, 100], [1, 2048]]) {
        const x = floats(random, shape, -3, 3);
        if (x.values.length > 4) x.values[1] = 0.5; // a value that lands on a halfway point after scaling is rare; keep the exact ones
        await expectParity(`absMaxQuantize ${shape}`, [x], (t) => {
          const { quantized, scale } = tz.absMaxQuantize(t);
          return [quantized, scale];
        }, 0, 0);
      }
      const zeros: HostTensor = { values: new Float32Array(8), shape: [2, 4], dtype: 'float32' };
      await expectParity('absMaxQuantize of zeros', [zeros], (t) => Object.values(tz.absMaxQuantize(t)), 0, 0);
      const specials: HostTensor = { values: new Float32Array([1, NaN, 2, 3, 4, 5, -Infinity, 0.5, 0, 0, 0, 0, 1e-30, -1e-30, 0, 0, 0, 0, 0, 0]), shape: [4, 5], dtype: 'float32' };
      await expectParity('absMaxQuantize with NaN, infinity, zeros and tiny rows', [specials], (t) => Object.values(tz.absMaxQuantize(t)), 0, 0);
      await expectParity('absMaxQuantize valueRange [-8, 7]', [floats(random, [3, 21])], (t) => Object.values(tz.absMaxQuantize(t, { valueRange: [-8, 7] })), 0, 0);
    });

    test('MatMulInt8 is bit-exact: GEMV and GEMM, [G, K, N] and transposed [N, K] weights', async () => {
      const random = new Seeded(46 + threads);
      for (const [M, K, G, N] of int8Shapes) {
        const a = int8s(random, [M, K]);
        const aScale = positive(random, [M, 1]);
        const bScale = positive(random, [G * N]);
        await expectParity(`int8 ${M}x${K} · [${G}, ${K}, ${N}]`, [a, aScale, int8s(random, [G, K, N]), bScale], (x, xs, w, ws) => tz.matMulInt8(x, xs, w, ws, { groups: G }), 0, 0);
        if (G === 1)
          await expectParity(`int8 ${M}x${K} · [${N}, ${K}]ᵀ`, [a, aScale, int8s(random, [N, K]), bScale], (x, xs, w, ws) => tz.matMulInt8(x, xs, w, ws, { transposeB: true }), 0, 0);
      }
      // Leading batch dims on a, K = 0.
      await expectParity('int8 [2, 3, 9] batch', [int8s(random, [2, 3, 9]), positive(random, [2, 3, 1]), int8s(random, [9, 5]), positive(random, [5])], (x, xs, w, ws) => tz.matMulInt8(x, xs, w, ws), 0, 0);
      await expectParity('int8 K = 0', [int8s(random, [3, 0]), positive(random, [3, 1]), int8s(random, [0]), positive(random, [4])], (x, xs, w, ws) => tz.matMulInt8(x, xs, w, ws, { groups: 2 }), 0, 0);
    });

    test('MatMulInt4 within float tolerance: kernel and transposed layouts, grouped and per channel', async () => {
      const random = new Seeded(48 + threads);
      for (const [M, K, G, N, blockSize] of int4Shapes) {
        const perChannel = blockSize === -1;
        const groups = perChannel ? 1 : Math.ceil(K / blockSize);
        const a = floats(random, [M, K], -1, 1);
        const tolerance = 2e-6 * Math.sqrt(K) * 16;
        const cols = G * N;
        const kernelInputs = [a, int8s(random, [K, Math.ceil(cols / 2)]), positive(random, perChannel ? [cols] : [groups, cols])];
        if (!perChannel) kernelInputs.push(int8s(random, [groups, cols], -8, 7));
        await expectParity(`int4 kernel ${M}x${K} G=${G} N=${N} block ${blockSize}`, kernelInputs, (x, p, s, z) =>
          tz.matMulInt4(x, p!, s!, z ?? null, { layout: 'kernel', groups: G, blockSize }), tolerance, 1e-5);
        if (G === 1) {
          const transposedInputs = [a, int8s(random, [N, Math.ceil(K / 2)]), positive(random, perChannel ? [N] : [N, groups])];
          if (!perChannel) transposedInputs.push(int8s(random, [N, groups], -8, 7));
          await expectParity(`int4 transposed ${M}x${K} N=${N} block ${blockSize}`, transposedInputs, (x, p, s, z) =>
            tz.matMulInt4(x, p!, s!, z ?? null, { layout: 'transposed', blockSize }), tolerance, 1e-5);
        }
      }
    });

    test('the weights are never copied: no allocation during the quantized products is weight-sized', async () => {
      const random = new Seeded(51);
      await tz.setBackend('wasm');
      const backend = tz.engine.backend as WasmBackend;
      const [K, N] = [1024, 2048];
      const weights = tz.tensor(int8s(random, [K, N]).values, [K, N], 'int8');
      const table = tz.tensor(int8s(random, [N, K]).values, [N, K], 'int8');
      const packed = tz.tensor(int8s(random, [K, N / 2]).values, [K, N / 2], 'int8');
      const packedTable = tz.tensor(int8s(random, [N, K / 2]).values, [N, K / 2], 'int8');
      const scale = tz.tensor(positive(random, [K / 128, N]).values, [K / 128, N]);
      const zero = tz.tensor(int8s(random, [K / 128, N], -8, 7).values, [K / 128, N], 'int8');
      const tableScale = tz.tensor(positive(random, [N, K / 128]).values, [N, K / 128]);
      const tableZero = tz.tensor(int8s(random, [N, K / 128], -8, 7).values, [N, K / 128], 'int8');
      const columnScale = tz.tensor(positive(random, [N]).values, [N]);
      const spy = vi.spyOn(backend.allocator, 'allocate');
      try {
        for (const M of [1, 8]) {
          const a = tz.tensor(int8s(random, [M, K]).values, [M, K], 'int8');
          const aScale = tz.tensor(positive(random, [M, 1]).values, [M, 1]);
          const x = tz.tensor(floats(random, [M, K]).values, [M, K]);
          tz.tidy(() => {
            tz.matMulInt8(a, aScale, weights, columnScale).dataSync();
            tz.matMulInt8(a, aScale, table, columnScale, { transposeB: true }).dataSync();
            tz.matMulInt4(x, packed, scale, zero, { layout: 'kernel' }).dataSync();
            tz.matMulInt4(x, packedTable, tableScale, tableZero, { layout: 'transposed' }).dataSync();
          });
          tz.dispose([a, aScale, x]);
        }
        const largest = Math.max(...spy.mock.calls.map(([bytes]) => bytes as number));
        // The outputs (8 × 2048 float32 = 64 KiB) and per-thread scratch (≈ 256 KiB each) only.
        expect(largest).toBeLessThan(K * N / 2);
      } finally {
        spy.mockRestore();
        tz.dispose([weights, table, packed, packedTable, scale, zero, tableScale, tableZero, columnScale]);
      }
    });

    test('UnpackInt4 exactly, odd and even lengths', async () => {
      const random = new Seeded(50);
      for (const [rows, length] of [[1, 1], [3, 7], [2, 32], [5, 65], [4, 200]])
        await expectParity(`unpackInt4 ${rows}x${length}`, [int8s(random, [rows, Math.ceil(length / 2)])], (p) => tz.unpackInt4(p, length));
    });
  });
}

describe('wasm quantization kernels, relaxed-SIMD build', () => {
  test('MatMulInt8 and AbsMaxQuantize bit-exact, MatMulInt4 within tolerance, in a child Node with relaxed SIMD', () => {
    const script = fileURLToPath(new URL('./relaxed-quant-check.mjs', import.meta.url));
    const output = execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', script], { encoding: 'utf8' });
    const result = JSON.parse(output.trim().split('\n').pop()!) as { variant: string; exactMismatches: number; int4Worst: number };
    // Node ≥ 20 with the flag (and later Nodes without it) validate relaxed SIMD.
    expect(result.variant).toBe('relaxed-threads');
    expect(result.exactMismatches).toBe(0);
    expect(result.int4Worst).toBeLessThan(1e-6);
  });
});
