// Every gpujs kernel against the reference backend on seeded random inputs, run for real on GL:
// in Node that is headless-gl on an X display (a private Xvfb with Mesa when DISPLAY is unset),
// in the mode TENSORZOO_GPUJS_MODE names (default headlessgl). CI must run these, so where no
// display can be had they fail under CI=true and are skipped, with the reason, elsewhere.
//
// Tolerances (measured on Mesa llvmpipe): float32 elementwise results match to a few ulps (rtol
// 2e-6); shader exp/log/pow/tanh are the GPU's float32 functions (rtol 1e-5, atol 1e-6); erf is
// Abramowitz–Stegun 7.1.26, its 1.5e-7 bound plus float32 rounding (4.5e-7 measured, atol 1e-6);
// sums and matmuls accumulate in float32 where the reference accumulates in float64 (atol
// 4e-6·√K for inputs in [-1, 1]).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as tz from '@tensorzoo/core';
import { gpujsBackendInfo, gpujsMode, requestedGpujsMode, setGpujsMode, type GpujsBackend } from '@tensorzoo/core/backends/gpujs';
import { ensureDisplay, type Display } from './display.js';
import { bools, expectParity, floats, ints, Seeded } from './parity.js';

const mode = requestedGpujsMode();
const needsDisplay = mode === 'headlessgl';
let display: Display | null = null;
let unavailable: string | null = null;

beforeAll(async () => {
  if (needsDisplay) display = await ensureDisplay();
  setGpujsMode(mode);
  try {
    await tz.setBackend('gpujs');
  } catch (error) {
    // Not thrown here: a throwing beforeAll makes vitest report the tests as skipped. Each test
    // fails under CI=true instead (below).
    unavailable = (error as Error).message;
  }
});

afterAll(() => {
  tz.engine.removeBackend('gpujs');
  display?.stop();
});

const shapes: number[][] = [[1], [7], [33], [2, 5], [3, 1, 9], [2, 3, 4, 5], [129, 17]];

describe(`gpujs kernels against the reference backend (mode ${mode})`, () => {
  const check = (name: string, body: () => Promise<void>) =>
    test(name, async (context) => {
      if (unavailable && process.env.CI) throw new Error(`gpujs mode '${mode}' is not available: ${unavailable} (under CI=true this is a failure)`);
      if (unavailable) context.skip(`gpujs mode '${mode}' is not available here: ${unavailable}`);
      expect(gpujsMode(), 'the mode that runs').toBe(mode);
      const before = tz.memory();
      await body();
      const after = tz.memory();
      expect(after.numTensors, 'live tensors').toBe(before.numTensors);
      expect(after.numDataIds, 'live data').toBe(before.numDataIds);
    });

  check('unary float32', async () => {
    const random = new Seeded(1);
    const ops: [string, (x: tz.Tensor) => tz.Tensor, number, number, number, number][] = [
      ['neg', tz.neg, -5, 5, 0, 0], ['abs', tz.abs, -5, 5, 0, 0], ['sqrt', tz.sqrt, 0, 100, 0, 2e-6], ['rsqrt', tz.rsqrt, 1e-3, 100, 0, 4e-6],
      ['exp', tz.exp, -20, 20, 1e-6, 1e-5], ['log', tz.log, 1e-4, 1e4, 1e-6, 1e-5], ['tanh', tz.tanh, -9, 9, 1e-6, 1e-5], ['erf', tz.erf, -4, 4, 1e-6, 0],
    ];
    for (const [name, op, low, high, atol, rtol] of ops)
      for (const shape of shapes) await expectParity(`${name} ${shape}`, [floats(random, shape, low, high)], op, atol, rtol);
  });

  check('binary float32 with broadcasting, comparisons to bool', async () => {
    const random = new Seeded(2);
    const pairs: [number[], number[]][] = [[[5, 7], [5, 7]], [[5, 7], [7]], [[5, 7], [5, 1]], [[1], [3, 4]], [[2, 1, 3], [1, 4, 1]], [[13], []], [[3, 1, 5, 1], [1, 4, 1, 6]], [[2, 3, 4, 5], [4, 1]]];
    const ops: [string, (a: tz.Tensor, b: tz.Tensor) => tz.Tensor][] = [
      ['add', tz.add], ['sub', tz.sub], ['mul', tz.mul], ['div', tz.div], ['maximum', tz.maximum], ['minimum', tz.minimum],
      ['equal', tz.equal], ['less', tz.less], ['greater', tz.greater],
    ];
    for (const [name, op] of ops)
      for (const [left, right] of pairs) {
        const a = floats(random, left);
        const b = floats(random, right);
        // Exact ties for the comparisons.
        if (name === 'equal' && a.values.length === b.values.length) (b.values as Float32Array).set(a.values.subarray(0, 2));
        await expectParity(`${name} ${left} ${right}`, [a, b], op, 0, name === 'div' ? 2e-7 : 0);
      }
  });

  check('pow: positive bases, negative bases with integer exponents, zero exponent', async () => {
    const random = new Seeded(3);
    await expectParity('pow positive', [floats(random, [6, 9], 0.01, 4), floats(random, [9], -3, 3)], tz.pow, 1e-6, 2e-5);
    const exponents = { values: new Float32Array([0, 1, 2, 3, -1, -2, 4, 5]), shape: [8], dtype: 'float32' as const };
    await expectParity('pow negative base', [floats(random, [3, 8], -3, -0.5), exponents], tz.pow, 1e-6, 2e-5);
  });

  check('logical ops and where on bool, float32 where', async () => {
    const random = new Seeded(4);
    for (const shape of shapes) {
      await expectParity(`logicalNot ${shape}`, [bools(random, shape)], (t) => tz.logicalNot(t));
      await expectParity(`logicalAnd ${shape}`, [bools(random, shape), bools(random, shape)], tz.logicalAnd);
      await expectParity(`logicalOr ${shape}`, [bools(random, shape), bools(random, [shape[shape.length - 1]!])], tz.logicalOr);
      await expectParity(`where ${shape}`, [bools(random, shape), floats(random, shape), floats(random, [1])], tz.where);
    }
  });

  check('int32 kernels run on the host and match exactly', async () => {
    const random = new Seeded(5);
    const big = ints(random, [4, 9], -2_000_000_000, 2_000_000_000);
    await expectParity('add int32 (wrapping)', [big, ints(random, [9], -2_000_000_000, 2_000_000_000)], tz.add);
    await expectParity('neg int32', [big], tz.neg);
    await expectParity('less int32', [big, ints(random, [4, 9], -2_000_000_000, 2_000_000_000)], tz.less);
    const before = gpujsBackendInfo().stats.hostRuns;
    await expectParity('cumsum', [floats(random, [3, 11])], (x) => tz.cumsum(x, 1));
    await expectParity('argMax', [floats(random, [5, 13])], (x) => tz.argmax(x, -1));
    await expectParity('topK', [floats(random, [4, 10])], (x) => tz.topK(x, 3).values);
    expect(gpujsBackendInfo().stats.hostRuns, 'host runs are counted').toBeGreaterThan(before);
  });

  check('reductions sum / max / min over every axis set', async () => {
    const random = new Seeded(6);
    for (const shape of [[7], [3, 5], [2, 3, 4], [4, 1000]]) {
      const input = floats(random, shape);
      for (const axis of [...shape.keys(), undefined]) {
        const inner = axis === undefined ? tz.sizeOf(shape) : shape[axis]!;
        await expectParity(`sum ${shape} ${axis}`, [input], (x) => tz.sum(x, axis), 2e-6 * Math.sqrt(inner) * 2, 1e-6);
        await expectParity(`max ${shape} ${axis}`, [input], (x) => tz.max(x, axis));
        await expectParity(`min ${shape} ${axis}`, [input], (x) => tz.min(x, axis));
      }
    }
  });

  check('matMul: odd sizes, transposes, broadcast batches', async () => {
    const random = new Seeded(7);
    const cases: [number[], number[], boolean, boolean][] = [
      [[1, 1], [1, 1], false, false], [[3, 5], [5, 7], false, false], [[17, 33], [33, 9], false, false],
      [[5, 3], [5, 7], true, false], [[3, 5], [7, 5], false, true], [[5, 3], [7, 5], true, true],
      [[2, 3, 4, 5], [5, 6], false, false], [[4, 5], [3, 5, 2], false, false], [[2, 1, 3, 4], [1, 3, 4, 2], false, false],
      [[1, 64], [64, 5000], false, false], [[3, 64], [64, 5000], false, false], [[128, 256], [256, 128], false, false],
      // Large enough that B given as [N, K] is transposed on the device first.
      [[128, 256], [64, 256], false, true], [[2, 64, 128], [2, 96, 128], false, true],
    ];
    for (const [aShape, bShape, transposeA, transposeB] of cases) {
      const K = aShape[aShape.length - (transposeA ? 2 : 1)]!;
      await expectParity(`matMul ${aShape} ${bShape} ${transposeA} ${transposeB}`, [floats(random, aShape, -1, 1), floats(random, bShape, -1, 1)], (a, b) => tz.matMul(a, b, { transposeA, transposeB }), 2e-6 * Math.sqrt(K) * 2, 1e-6);
    }
  });

  check('transpose, slice, concat, gather, cast', async () => {
    const random = new Seeded(8);
    const x = floats(random, [2, 3, 4, 5]);
    for (const perm of [[0, 1, 2, 3], [3, 2, 1, 0], [0, 2, 1, 3], [1, 0, 3, 2]]) await expectParity(`transpose ${perm}`, [x], (t) => tz.transpose(t, perm));
    await expectParity('transpose bool', [bools(random, [3, 7])], (t) => tz.transpose(t, [1, 0]));
    await expectParity('slice', [x], (t) => tz.slice(t, [1, 0, 1, 2], [1, 3, 2, 3]));
    await expectParity('slice 1d', [floats(random, [40])], (t) => tz.slice(t, [5], [30]));
    await expectParity('concat axis 1', [floats(random, [2, 3, 4]), floats(random, [2, 1, 4]), floats(random, [2, 5, 4])], (a, b, c) => tz.concat([a, b, c], 1));
    await expectParity('concat axis 2', [floats(random, [2, 3, 4]), floats(random, [2, 3, 1])], (a, b) => tz.concat([a, b], 2));
    await expectParity('concat axis 0', [floats(random, [1, 6]), floats(random, [3, 6])], (a, b) => tz.concat([a, b], 0));
    const table = floats(random, [11, 6]);
    await expectParity('gather rows', [table, ints(random, [2, 5], -11, 11)], (t, ids) => tz.gather(t, ids, 0));
    await expectParity('gather columns', [table, ints(random, [4], 0, 6)], (t, ids) => tz.gather(t, ids, 1));
    await expectParity('cast float32→bool, bool→float32, float32→int32', [floats(random, [3, 5], -3, 3)], (t) => [tz.cast(tz.cast(t, 'bool'), 'float32'), tz.cast(t, 'int32')]);
    await expectParity('cast bfloat16→float32', [{ values: tz.encodeStorage(floats(random, [9]).values, 'bfloat16'), shape: [9], dtype: 'bfloat16' }], (t) => tz.cast(t, 'float32'));
  });

  check('fused softmax (masked too), rmsNorm, gelu, rope against the reference compositions', async () => {
    const random = new Seeded(9);
    const x = floats(random, [2, 5, 4, 8], -3, 3);
    const before = gpujsBackendInfo().stats;
    await expectParity('softmax', [x], (t) => tz.softmax(t, -1), 1e-6, 1e-5);
    await expectParity('softmax masked', [x, bools(random, [5, 4, 8])], (t, mask) => tz.softmax(t, -1, mask), 1e-6, 1e-5);
    await expectParity('rmsNorm', [x, floats(random, [8])], (t, scale) => tz.rmsNorm(t, scale), 1e-6, 1e-5);
    await expectParity('gelu', [x], (t) => tz.gelu(t), 1e-6, 1e-5);
    await expectParity('gelu approximate', [x], (t) => tz.gelu(t, true), 1e-6, 1e-5);
    await expectParity('rope', [x], (t) => tz.rotaryEmbedding(t), 1e-6, 1e-5);
    const after = gpujsBackendInfo().stats;
    expect(after.deviceRuns - before.deviceRuns, 'device runs').toBeGreaterThanOrEqual(12);
  });

  check('quantized kernels (issue 13) run on the device and match the reference', async () => {
    const random = new Seeded(13);
    const int8 = (shape: number[], low = -128, high = 127) => ({ values: Int8Array.from({ length: tz.sizeOf(shape) }, () => random.int(low, high)), shape, dtype: 'int8' as const });
    const before = gpujsBackendInfo().stats;
    await expectParity('round', [floats(random, [7, 33], -50, 50)], (x) => tz.round(tz.mul(x, 2)));
    // Sums beyond 2^24 (K = 2048, every product 127·127) must still be exact before the one rounding.
    const full = { values: new Int8Array(3 * 2048).fill(127), shape: [3, 2048], dtype: 'int8' as const };
    await expectParity('matMulInt8 beyond 2^24', [full, floats(random, [3, 1], 0.5, 2), int8([2048, 5]), floats(random, [5], 0.5, 2)], tz.matMulInt8);
    await expectParity('matMulInt8 grouped', [int8([4, 130]), floats(random, [4, 1], 0.5, 9), int8([3, 130, 7]), floats(random, [21], 0.5, 9)], (a, s, b, t) => tz.matMulInt8(a, s, b, t, { groups: 3 }));
    await expectParity('matMulInt8 transposeB', [int8([2, 45]), floats(random, [2], 0.5, 9), int8([11, 45]), floats(random, [11], 0.5, 9)], (a, s, b, t) => tz.matMulInt8(a, s, b, t, { transposeB: true }));
    const a = floats(random, [3, 300], -1, 1);
    await expectParity('matMulInt4 kernel grouped', [a, int8([300, 8]), floats(random, [3, 15], 0.01, 0.3), int8([3, 15], -8, 7)], (x, p, s, z) => tz.matMulInt4(x, p, s, z, { layout: 'kernel', groups: 3 }), 2e-6 * Math.sqrt(300) * 8, 1e-5);
    await expectParity('matMulInt4 kernel per channel', [a, int8([300, 4]), floats(random, [7], 5, 50)], (x, p, s) => tz.matMulInt4(x, p, s, null, { layout: 'kernel', blockSize: -1 }), 2e-6 * Math.sqrt(300) * 2, 1e-5);
    await expectParity('matMulInt4 transposed', [a, int8([9, 150]), floats(random, [9, 3], 0.01, 0.3), int8([9, 3], -8, 7)], (x, p, s, z) => tz.matMulInt4(x, p, s, z, { layout: 'transposed' }), 2e-6 * Math.sqrt(300) * 8, 1e-5);
    const after = gpujsBackendInfo().stats;
    expect(after.deviceRuns - before.deviceRuns, 'device runs').toBeGreaterThanOrEqual(7);
    await expectParity('unpackInt4 (host)', [int8([5, 4])], (p) => tz.unpackInt4(p, 7));
    const quantizeThenMultiply = (x: tz.Tensor, b: tz.Tensor, s: tz.Tensor) => {
      const { quantized, scale } = tz.absMaxQuantize(x);
      return [quantized, scale, tz.matMulInt8(quantized, scale, b, s)];
    };
    await expectParity('absMaxQuantize then matMulInt8', [floats(random, [5, 70], -3, 3), int8([70, 9]), floats(random, [9], 0.5, 9)], quantizeThenMultiply);
    // Activations quantized on the device stay there (the cast to int8 included) until read.
    const backend = tz.engine.findBackend('gpujs') as GpujsBackend;
    const x = tz.tensor(floats(random, [3, 40]).values as Float32Array, [3, 40]);
    const b = tz.tensor(int8([40, 6]).values as Int8Array, [40, 6], 'int8');
    const s = tz.tensor(floats(random, [6], 0.5, 2).values as Float32Array, [6]);
    const start = backend.stats.readbacks;
    const out = tz.tidy(() => quantizeThenMultiply(tz.exp(x), b, s)[2]!);
    expect(backend.stats.readbacks, 'no readback between device kernels').toBe(start);
    tz.dispose([x, b, s, out]);
    await expectParity('gather int8 rows (host, as stored)', [int8([6, 4]), ints(random, [3], 0, 6)], (t, ids) => tz.gather(t, ids));
  });

  check('results stay on the device between ops and are read back only when read', async () => {
    const backend = tz.engine.findBackend('gpujs') as GpujsBackend;
    const start = { ...backend.stats };
    const x = tz.tensor(new Float32Array(64).map((_, index) => index / 64), [8, 8]);
    const y = tz.tidy(() => tz.add(tz.matMul(tz.exp(x), x), 1));
    expect(backend.stats.readbacks, 'no readback while chaining').toBe(start.readbacks);
    expect(backend.stats.uploads - start.uploads, 'x and the scalar 1 uploaded once each').toBe(2);
    expect(backend.isOnDevice(y.dataId), 'y on the device').toBe(true);
    const values = await y.data();
    expect(backend.stats.readbacks - start.readbacks, 'one readback, when read').toBe(1);
    await y.data();
    expect(backend.stats.readbacks - start.readbacks, 'read once, then kept on the host').toBe(1);
    // y[0][0] = 1 + Σ_k exp(x[0][k]) · x[k][0] with x[i][j] = (8i + j) / 64.
    expect(values[0]).toBeCloseTo(1 + Array.from({ length: 8 }, (_, k) => Math.exp(k / 64) * ((8 * k) / 64)).reduce((a, b) => a + b, 0), 4);
    tz.dispose([x, y]);
  });
});
