// Every wasm kernel against the reference backend on seeded random inputs: odd sizes, 1-sized
// dims, sizes that are not multiples of 4 or 8, broadcasting, every dtype a kernel accepts,
// special values. Runs twice: 1 thread, and 2 threads with the parallel threshold at 0 so that
// even tiny tensors go through the worker pool.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { DEFAULT_WASM_PARALLEL_THRESHOLD, setWasmParallelThreshold, setWasmThreads } from '@tensorzoo/core/backends/wasm';
import { bools, expectParity, floats, halves, ints, Seeded, type HostTensor } from './parity.js';

const oddShapes: number[][] = [[1], [3], [4], [7], [8], [13], [2, 5], [3, 1, 9], [1, 1, 1], [33, 17], [1031]];
const specials = new Float32Array([0, -0, Infinity, -Infinity, NaN, 1e-40, -1e-40, 3.4e38, -3.4e38, 88.8, -104, 1e-30]);

function withSpecials(input: HostTensor): HostTensor {
  const values = input.values.slice() as Float32Array;
  values.set(specials.subarray(0, Math.min(specials.length, values.length)));
  return { ...input, values };
}

for (const threads of [1, 2]) {
  describe(`wasm kernels against the reference backend, ${threads} thread${threads > 1 ? 's' : ''}`, () => {
    beforeAll(async () => {
      await tz.setBackend('wasm');
      await setWasmThreads(threads);
      setWasmParallelThreshold(threads > 1 ? 0 : Infinity);
    });
    afterAll(() => setWasmParallelThreshold(DEFAULT_WASM_PARALLEL_THRESHOLD));

    test('unary float32: neg abs exp log sqrt rsqrt tanh erf, with special values', async () => {
      const random = new Seeded(1 + threads);
      const ops: [string, (x: tz.Tensor) => tz.Tensor, number, number][] = [
        ['neg', tz.neg, -5, 5], ['abs', tz.abs, -5, 5], ['exp', tz.exp, -90, 90], ['log', tz.log, 1e-6, 1e6],
        ['sqrt', tz.sqrt, 0, 100], ['rsqrt', tz.rsqrt, 1e-3, 100], ['tanh', tz.tanh, -12, 12], ['erf', tz.erf, -5, 5],
      ];
      for (const [name, op, low, high] of ops)
        for (const shape of oddShapes) {
          const input = floats(random, shape, low, high);
          await expectParity(`${name} ${shape}`, [input], op, 1e-6, 2e-6);
          if (shape.length === 1 && shape[0]! >= 12) await expectParity(`${name} specials`, [withSpecials(input)], op, 1e-6, 2e-6);
        }
    });

    test('unary int32 neg / abs and bool logicalNot', async () => {
      const random = new Seeded(3);
      for (const shape of oddShapes) {
        await expectParity(`neg int32 ${shape}`, [ints(random, shape)], tz.neg);
        await expectParity(`abs int32 ${shape}`, [ints(random, shape)], tz.abs);
        await expectParity(`logicalNot ${shape}`, [bools(random, shape)], (x) => tz.logicalNot(x));
      }
    });

    const broadcastPairs: [number[], number[]][] = [
      [[5, 7], [5, 7]], [[5, 7], [7]], [[5, 7], [5, 1]], [[1], [3, 4]], [[2, 1, 3], [1, 4, 1]], [[13], []],
      [[], [6]], [[1, 1], [1, 1]], [[257, 33], [33]], [[3, 1, 5, 1], [1, 4, 1, 6]], [[1031], [1031]], [[2, 3, 4], [2, 1, 4]],
    ];

    test('binary float32 arithmetic and comparisons with broadcasting', async () => {
      const random = new Seeded(4);
      const ops: [string, (a: tz.Tensor, b: tz.Tensor) => tz.Tensor][] = [
        ['add', tz.add], ['sub', tz.sub], ['mul', tz.mul], ['div', tz.div], ['maximum', tz.maximum], ['minimum', tz.minimum],
        ['equal', tz.equal], ['less', tz.less], ['greater', tz.greater],
      ];
      for (const [name, op] of ops)
        for (const [shapeA, shapeB] of broadcastPairs) {
          const a = floats(random, shapeA, -3, 3);
          const b = floats(random, shapeB, -3, 3);
          // Give comparisons some equal pairs.
          if (name === 'equal' && a.values.length === b.values.length) for (let i = 0; i < a.values.length; i += 3) a.values[i] = b.values[i]!;
          await expectParity(`${name} ${shapeA} ${shapeB}`, [a, b], op, 0, 0);
        }
      await expectParity('maximum/minimum with NaN and signed zeros', [withSpecials(floats(random, [16])), floats(random, [16])], (a, b) => [tz.maximum(a, b), tz.minimum(a, b), tz.div(a, b)], 0, 0);
    });

    test('pow: negative bases, integral exponents, 0^0, broadcasting', async () => {
      const random = new Seeded(5);
      const base = floats(random, [6, 7], -3, 3);
      const exponent: HostTensor = { values: new Float32Array(Array.from({ length: 7 }, (_, i) => [0, 1, 2, -1, 0.5, 3, -2.5][i]!)), shape: [7], dtype: 'float32' };
      base.values[0] = 0;
      await expectParity('pow', [base, exponent], tz.pow, 1e-6, 1e-6);
    });

    test('binary int32 and bool (wrapping arithmetic, comparisons, logic)', async () => {
      const random = new Seeded(6);
      for (const [shapeA, shapeB] of broadcastPairs) {
        const a = ints(random, shapeA);
        const b = ints(random, shapeB);
        for (const op of [tz.add, tz.sub, tz.mul, tz.maximum, tz.minimum, tz.equal, tz.less, tz.greater])
          await expectParity(`int32 ${op.name} ${shapeA} ${shapeB}`, [a, b], op);
        const p = bools(random, shapeA);
        const q = bools(random, shapeB);
        for (const op of [tz.logicalAnd, tz.logicalOr, tz.add, tz.mul, tz.equal, tz.greater])
          await expectParity(`bool ${op.name} ${shapeA} ${shapeB}`, [p, q], op);
      }
    });

    test('where with broadcasting over float32, int32 and bool', async () => {
      const random = new Seeded(7);
      const cases: [number[], number[], number[]][] = [[[9], [9], [9]], [[4, 1], [1, 5], [4, 5]], [[2, 3, 4], [4], []], [[1031], [1031], [1]]];
      for (const [c, a, b] of cases) {
        await expectParity(`where f32 ${c}`, [bools(random, c), floats(random, a), floats(random, b)], (x, y, z) => tz.where(x, y, z));
        await expectParity(`where i32 ${c}`, [bools(random, c), ints(random, a), ints(random, b)], (x, y, z) => tz.where(x, y, z));
        await expectParity(`where bool ${c}`, [bools(random, c), bools(random, a), bools(random, b)], (x, y, z) => tz.where(x, y, z));
      }
    });

    test('reductions: sum, max, min, argmax over every axis; int32 and bool', async () => {
      const random = new Seeded(8);
      for (const shape of [[1], [7], [3, 5], [4, 1, 9], [2, 33, 17], [1, 1031]]) {
        for (let axis = -1; axis < shape.length; axis++) {
          const ax = axis === -1 ? undefined : axis;
          const x = floats(random, shape);
          await expectParity(`sum ${shape} ${ax}`, [x], (t) => tz.sum(t, ax), 1e-6, 1e-6);
          await expectParity(`max/min ${shape} ${ax}`, [x], (t) => [tz.max(t, ax), tz.min(t, ax)], 0, 0);
          if (ax !== undefined) await expectParity(`argmax ${shape} ${ax}`, [x], (t) => tz.argmax(t, ax));
          await expectParity(`int32 ${shape} ${ax}`, [ints(random, shape)], (t) => [tz.sum(t, ax), tz.max(t, ax), tz.min(t, ax)]);
          await expectParity(`bool sum ${shape} ${ax}`, [bools(random, shape)], (t) => tz.sum(t, ax));
        }
      }
      // Ties (first index wins) and NaN (counts as the maximum; max/min propagate it).
      const ties: HostTensor = { values: new Float32Array([1, 3, 3, 2, NaN, 5, NaN, 0, 7, 7, 7, 7]), shape: [3, 4], dtype: 'float32' };
      await expectParity('argmax ties and NaN', [ties], (t) => [tz.argmax(t, 1), tz.max(t, 1), tz.min(t, 1), tz.sum(t, 1)]);
    });

    test('cast between every pair of float32, int32, bool, bfloat16, float16', async () => {
      const random = new Seeded(9);
      const dtypes: tz.DType[] = ['float32', 'int32', 'bool', 'bfloat16', 'float16'];
      for (const shape of [[5], [3, 7], [1031]]) {
        const sources: HostTensor[] = [
          withSpecials(floats(random, shape, -70000, 70000)), ints(random, shape, -3000, 3000), bools(random, shape),
          halves(random, shape, 'bfloat16', -100, 100), halves(random, shape, 'float16', -100, 100),
        ];
        for (const source of sources)
          for (const target of dtypes) {
            // Float → int32 of ±inf/NaN/huge is implementation-defined (the reference wraps, wasm saturates).
            const input = source.dtype === 'float32' && target === 'int32' ? floats(random, shape, -70000, 70000) : source;
            await expectParity(`cast ${source.dtype} → ${target} ${shape}`, [input], (x) => tz.cast(x, target), 0, 0);
          }
      }
      // float16 subnormals, rounding ties and overflow.
      const edge: HostTensor = { values: new Float32Array([6e-8, 2.98e-8, 9e-8, 65504, 65520, 1e5, -1e-9, 0.1, 1 / 3, 1 + 2 ** -11, 1 + 3 * 2 ** -11]), shape: [11], dtype: 'float32' };
      await expectParity('cast float16 edge cases', [edge], (x) => [tz.cast(x, 'float16'), tz.cast(x, 'bfloat16')], 0, 0);
    });

    test('transpose, slice, concat over float32, int32 and bool', async () => {
      const random = new Seeded(10);
      for (const make of [(s: number[]) => floats(random, s), (s: number[]) => ints(random, s), (s: number[]) => bools(random, s)]) {
        await expectParity('transpose 2d', [make([7, 9])], (x) => tz.transpose(x));
        await expectParity('transpose 4d', [make([2, 3, 5, 4])], (x) => tz.transpose(x, [2, 0, 3, 1]));
        await expectParity('transpose with 1-dims', [make([1, 5, 1, 3])], (x) => tz.transpose(x, [3, 1, 2, 0]));
        await expectParity('transpose heads', [make([2, 7, 3, 8])], (x) => tz.transpose(x, [0, 2, 1, 3]));
        await expectParity('slice', [make([6, 7, 5])], (x) => [tz.slice(x, [1, 2, 0], [4, 3, 5]), tz.slice(x, [0, 6, 1], [6, 1, 3])]);
        await expectParity('concat axis 0/1/2', [make([2, 3, 4]), make([2, 3, 4])], (a, b) => [tz.concat([a, b], 0), tz.concat([a, b, a], 1), tz.concat([b, a], 2)]);
      }
    });

    test('gather (negative ids, several axes) and its out-of-range error', async () => {
      const random = new Seeded(11);
      const ids: HostTensor = { values: new Int32Array([0, 4, -1, 2, 2, -5]), shape: [2, 3], dtype: 'int32' };
      for (const axis of [0, 1, 2]) await expectParity(`gather axis ${axis}`, [floats(random, [5, 5, 5]), ids], (x, i) => tz.gather(x, i, axis));
      await expectParity('gather int32 rows', [ints(random, [5, 3]), ids], (x, i) => tz.gather(x, i, 0));
      await tz.setBackend('wasm');
      const before = tz.memory().numDataIds;
      const x = tz.tensor([[1, 2], [3, 4]]);
      const bad = tz.tensor([0, 2], undefined, 'int32');
      expect(() => tz.gather(x, bad, 0)).toThrow(/expected ids in \[-2, 1\].*received 2 at position 1/);
      x.dispose();
      bad.dispose();
      expect(tz.memory().numDataIds).toBe(before);
    });

    test('cumsum (exclusive, reverse) and topK (ties, NaN, k = n)', async () => {
      const random = new Seeded(12);
      for (const [exclusive, reverse] of [[false, false], [true, false], [false, true], [true, true]])
        for (const axis of [0, 1, 2]) {
          await expectParity(`cumsum f32 ${axis}`, [floats(random, [3, 5, 4])], (x) => tz.cumsum(x, axis, { exclusive, reverse }), 1e-6, 1e-6);
          await expectParity(`cumsum i32 ${axis}`, [ints(random, [3, 5, 4])], (x) => tz.cumsum(x, axis, { exclusive, reverse }));
          await expectParity(`cumsum bool ${axis}`, [bools(random, [3, 5, 4])], (x) => tz.cumsum(x, axis, { exclusive, reverse }));
        }
      const tied: HostTensor = { values: new Float32Array([3, 1, 3, NaN, 2, 3, NaN, 0, -1, 2]), shape: [2, 5], dtype: 'float32' };
      for (const k of [1, 3, 5]) {
        await expectParity(`topK ties k=${k}`, [tied], (x) => { const r = tz.topK(x, k); return [r.values, r.indices]; });
        await expectParity(`topK int32 k=${k}`, [ints(random, [4, 9], -3, 3)], (x) => { const r = tz.topK(x, k); return [r.values, r.indices]; });
      }
      await expectParity('topK large row', [floats(random, [2, 3001])], (x) => { const r = tz.topK(x, 50); return [r.values, r.indices]; });
    });

    test('fused softmax (masks: none, random, fully masked rows), on every axis', async () => {
      const random = new Seeded(13);
      for (const shape of [[1], [7], [3, 9], [2, 4, 33], [2, 1031]]) {
        for (let axis = 0; axis < shape.length; axis++) await expectParity(`softmax ${shape} ${axis}`, [floats(random, shape, -20, 20)], (x) => tz.softmax(x, axis), 1e-7, 2e-6);
        const mask = bools(random, shape, 0.7);
        const last = shape[shape.length - 1]!;
        mask.values.fill(0, 0, last); // a fully masked row
        await expectParity(`masked softmax ${shape}`, [floats(random, shape, -20, 20), mask], (x, m) => tz.softmax(x, -1, m), 1e-7, 2e-6);
      }
    });

    test('fused rmsNorm, gelu (exact and tanh) and rotary embedding', async () => {
      const random = new Seeded(14);
      for (const shape of [[1], [5], [3, 8], [2, 3, 37], [4, 256]]) {
        const depth = shape[shape.length - 1]!;
        for (const epsilon of [1e-6, 1e-2])
          await expectParity(`rmsNorm ${shape}`, [floats(random, shape, -3, 3), floats(random, [depth], -1, 1)], (x, s) => tz.rmsNorm(x, s, epsilon), 1e-6, 2e-6);
        await expectParity(`gelu ${shape}`, [floats(random, shape, -6, 6)], (x) => [tz.gelu(x), tz.gelu(x, true)], 1e-6, 2e-6);
      }
      for (const [B, T, N, H] of [[1, 1, 1, 2], [2, 5, 3, 8], [1, 7, 2, 6], [2, 3, 4, 256]])
        for (const startIndex of [0, 17])
          await expectParity(`rope ${[B, T, N, H]}`, [floats(random, [B, T, N, H])], (x) => tz.rotaryEmbedding(x, { startIndex }), 1e-6, 1e-5);
    });
  });
}
