// The fused Attention kernel (assembly/attention.ts) against its naive twin, the composition of
// einsum, tanh, masked softmax and einsum that the reference backend runs (ops/attention.ts), on
// odd shapes: head dimensions not a multiple of 4, key lengths across several 64-key blocks,
// grouped heads, shared and per-head masks with fully masked rows, with and without a soft cap.
// 1 thread, and 2 threads with the parallel threshold at 0 (even tiny calls use the pool).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { DEFAULT_WASM_PARALLEL_THRESHOLD, setWasmParallelThreshold, setWasmThreads } from '@tensorzoo/core/backends/wasm';
import { bools, expectParity, floats, Seeded } from './parity.js';

// [B, T, N, K, H, S]
const shapes: [number, number, number, number, number, number][] = [
  [1, 1, 1, 1, 1, 1], [2, 3, 4, 2, 7, 5], [1, 1, 4, 1, 64, 131], [1, 5, 6, 3, 13, 70], [2, 17, 2, 2, 9, 200], [1, 2, 3, 3, 4, 64],
];

for (const threads of [1, 2]) {
  describe(`wasm Attention against the composed twin, ${threads} thread${threads > 1 ? 's' : ''}`, () => {
    beforeAll(async () => {
      await tz.setBackend('wasm');
      await setWasmThreads(threads);
      setWasmParallelThreshold(threads > 1 ? 0 : Infinity);
    });
    afterAll(() => setWasmParallelThreshold(DEFAULT_WASM_PARALLEL_THRESHOLD));

    test('the wasm backend registers the fused kernel', () => {
      expect(tz.getKernel('Attention', 'wasm')).toBeTruthy();
      expect(tz.getKernel('Attention', 'reference')).toBeFalsy();
    });

    for (const softCap of [null, 50, 0.7])
      test(`dotProductAttention, soft cap ${softCap}`, async () => {
        const random = new Seeded(7 + threads + (softCap ?? 0));
        for (const [B, T, N, K, H, S] of shapes) {
          const query = floats(random, [B, T, N, H], -1.5, 1.5);
          const key = floats(random, [B, S, K, H], -1.5, 1.5);
          const value = floats(random, [B, S, K, H], -3, 3);
          const label = `[B ${B}, T ${T}, N ${N}, K ${K}, H ${H}, S ${S}] cap ${softCap}`;
          await expectParity(`${label} no mask`, [query, key, value], (q, k, v) => tz.dotProductAttention(q!, k!, v!, { logitSoftCap: softCap }), 2e-6, 2e-5);
          // Sparse masks leave some rows fully masked (zeros on both sides).
          const shared = bools(random, [B, T, S], 0.3);
          await expectParity(`${label} shared mask`, [query, key, value, shared], (q, k, v, m) => tz.dotProductAttention(q!, k!, v!, { mask: m!, logitSoftCap: softCap }), 2e-6, 2e-5);
          const perHead = bools(random, [B, N, T, S], 0.6);
          await expectParity(`${label} per-head mask`, [query, key, value, perHead], (q, k, v, m) => tz.dotProductAttention(q!, k!, v!, { mask: m!, logitSoftCap: softCap }), 2e-6, 2e-5);
        }
      });

    test('large logits: the running maximum rises across blocks without overflow', async () => {
      const random = new Seeded(31);
      const query = floats(random, [1, 3, 2, 8], -6, 6);
      const key = floats(random, [1, 300, 1, 8], -6, 6);
      // Later keys are larger, so each block raises the maximum and rescales the accumulator.
      const values = key.values as Float32Array;
      for (let s = 0; s < 300; s++) for (let h = 0; h < 8; h++) values[s * 8 + h] *= 1 + s / 30;
      const value = floats(random, [1, 300, 1, 8], -1, 1);
      await expectParity('rising maxima', [query, key, value], (q, k, v) => tz.dotProductAttention(q!, k!, v!), 2e-6, 5e-5);
    });

    test('bad arguments name the argument', () => {
      const q = tz.zeros([1, 2, 4, 8]);
      const k = tz.zeros([1, 3, 3, 8]);
      expect(() => tz.dotProductAttention(q, k, k)).toThrow(/key/);
      const k2 = tz.zeros([1, 3, 2, 8]);
      expect(() => tz.dotProductAttention(q, k2, tz.zeros([1, 4, 2, 8]))).toThrow(/value/);
      expect(() => tz.dotProductAttention(q, k2, k2, { mask: tz.zeros([1, 2, 3]) })).toThrow(/mask/);
      expect(() => tz.dotProductAttention(q, k2, k2, { logitSoftCap: -1 })).toThrow(/logitSoftCap/);
    });
  });
}
