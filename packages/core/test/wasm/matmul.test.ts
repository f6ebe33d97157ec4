// BatchMatMul on the wasm backend against the reference backend: the GEMM path (packed B, 4x8
// micro-kernel, edge tiles for M % 4 and N % 8, K blocks of 256, row x 256-column task blocks), the GEMV
// path (M = 1, B as [K, N] and as [N, K]), broadcast batch dims, transposeA/B, bfloat16 and
// float16 weights read directly, int32, and K = 0. With 1 and 2 threads (threshold 0).
import { afterAll, beforeAll, describe, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { DEFAULT_WASM_PARALLEL_THRESHOLD, setWasmParallelThreshold, setWasmThreads } from '@tensorzoo/core/backends/wasm';
import { expectParity, floats, halves, ints, Seeded } from './parity.js';

// [M, K, N]: 1-sized, odd, not multiples of 4 or 8, crossing the row-block (2 threads) / 256-column / 256-K blocks, large K.
const gemmShapes: [number, number, number][] = [
  [2, 1, 1], [3, 5, 7], [4, 8, 8], [5, 9, 17], [8, 16, 24], [17, 33, 9], [2, 3, 300], [64, 300, 65], [130, 257, 260],
  [3, 3001, 5], [129, 70, 513],
];
const gemvShapes: [number, number][] = [[1, 1], [5, 7], [8, 64], [33, 65], [300, 129], [4100, 70], [257, 1000]];

for (const threads of [1, 2]) {
  describe(`wasm BatchMatMul against the reference backend, ${threads} thread${threads > 1 ? 's' : ''}`, () => {
    beforeAll(async () => {
      await tz.setBackend('wasm');
      await setWasmThreads(threads);
      setWasmParallelThreshold(threads > 1 ? 0 : Infinity);
    });
    afterAll(() => setWasmParallelThreshold(DEFAULT_WASM_PARALLEL_THRESHOLD));

    test('GEMM float32 over odd shapes, with transposeA / transposeB', async () => {
      const random = new Seeded(20 + threads);
      for (const [M, K, N] of gemmShapes)
        for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          const a = floats(random, transposeA ? [K, M] : [M, K], -1, 1);
          const b = floats(random, transposeB ? [N, K] : [K, N], -1, 1);
          await expectParity(`${M}x${K}x${N} tA=${transposeA} tB=${transposeB}`, [a, b], (x, y) => tz.matMul(x, y, { transposeA, transposeB }), 1e-5 * Math.sqrt(K), 1e-5);
        }
    });

    test('GEMV (M = 1) float32, B as [K, N] and as [N, K]', async () => {
      const random = new Seeded(30);
      for (const [K, N] of gemvShapes)
        for (const transposeB of [false, true]) {
          const b = floats(random, transposeB ? [N, K] : [K, N], -1, 1);
          await expectParity(`gemv ${K}x${N} tB=${transposeB}`, [floats(random, [1, K], -1, 1), b], (x, y) => tz.matMul(x, y, { transposeB }), 1e-5 * Math.sqrt(K), 1e-5);
          await expectParity(`vector-matrix ${K}x${N}`, [floats(random, [K], -1, 1), b], (x, y) => tz.matMul(x, y, { transposeB }), 1e-5 * Math.sqrt(K), 1e-5);
        }
    });

    test('batched: broadcast batch dims for GEMM and GEMV', async () => {
      const random = new Seeded(31);
      const cases: [number[], number[]][] = [
        [[2, 1, 5, 7], [3, 7, 9]], [[4, 6, 10], [10, 3]], [[3, 1, 33], [3, 33, 20]], [[2, 3, 1, 64], [1, 3, 64, 70]], [[1, 130, 9], [5, 9, 260]],
      ];
      for (const [shapeA, shapeB] of cases)
        await expectParity(`batched ${shapeA} x ${shapeB}`, [floats(random, shapeA, -1, 1), floats(random, shapeB, -1, 1)], (x, y) => tz.matMul(x, y), 1e-5, 1e-5);
    });

    test('bfloat16 and float16 weights (read as stored, widened in registers)', async () => {
      const random = new Seeded(32);
      for (const dtype of ['bfloat16', 'float16'] as const) {
        for (const [M, K, N] of [[1, 300, 129], [1, 64, 8], [3, 5, 7], [17, 260, 33], [130, 70, 257]] as const)
          for (const transposeB of [false, true]) {
            const b = halves(random, transposeB ? [N, K] : [K, N], dtype, -1, 1);
            await expectParity(`${dtype} ${M}x${K}x${N} tB=${transposeB}`, [floats(random, [M, K], -1, 1), b], (x, y) => tz.matMul(x, y, { transposeB }), 1e-5 * Math.sqrt(K), 1e-5);
          }
        // float16 specials: subnormal weights and infinities.
        const special = halves(random, [4, 3], 'float16');
        special.values.set([0x0001, 0x03ff, 0x8001, 0x7c00, 0xfc00, 0x3c00]);
        await expectParity('float16 subnormal/inf weights', [floats(random, [2, 4], 0.5, 1), special], (x, y) => tz.matMul(x, y), 0, 1e-6);
      }
    });

    test('int32 × int32 and K = 0', async () => {
      const random = new Seeded(33);
      for (const [M, K, N] of [[1, 1, 1], [3, 5, 7], [9, 17, 4], [1, 40, 3]] as const)
        await expectParity(`int32 ${M}x${K}x${N}`, [ints(random, [2, M, K], -9, 9), ints(random, [K, N], -9, 9)], (x, y) => tz.matMul(x, y));
      await expectParity('K = 0', [floats(random, [3, 0]), floats(random, [0, 5])], (x, y) => tz.matMul(x, y));
    });
  });
}
