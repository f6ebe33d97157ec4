// Quantization (issue 13): the int8 storage dtype, round (half to even), absMaxQuantize,
// matMulInt8, matMulInt4, unpackInt4 and packInt4, on every backend, against Keras's definitions
// (test/naive.ts) on seeded random inputs with odd shapes, and against numbers worked out by hand.
import { expect } from 'vitest';
import * as tz from '@tensorzoo/core';
import { describeBackends, expectClose, expectError, expectTensor, readAndDispose, TestRandom } from './harness.js';
import {
  naiveAbsMaxQuantize,
  naiveDequantizeRows,
  naiveMatMulInt8,
  naivePackInt4,
  naiveRoundHalfEven,
  naiveTranspose,
  naiveUnpackInt4,
  size,
  type Plain,
} from './naive.js';

/** Kernels that ran while `fn` did. */
function kernelsRun(fn: () => void): string[] {
  const seen: string[] = [];
  const stop = tz.engine.addKernelListener((record) => seen.push(record.kernelName));
  try {
    fn();
  } finally {
    stop();
  }
  return seen;
}

/** Random int4 weights in the 'kernel' layout: Q [K, G·N] packed along columns, scale/zero per group. */
function int4Kernel(random: TestRandom, K: number, G: number, N: number, blockSize: number) {
  const columns = G * N;
  const q: Plain = { values: random.ints(K * columns, -8, 7), shape: [K, columns] };
  const groups = blockSize === -1 ? 1 : Math.ceil(K / blockSize);
  const scale = random.floats(blockSize === -1 ? columns : groups * columns, 0.01, 0.3);
  const zero = blockSize === -1 ? null : random.ints(groups * columns, -8, 7);
  const packed = naivePackInt4(q, 1);
  // Keras: dequantize [K, G·N] by row groups, then reshape (plainly) to the kernel [G, K, N].
  const w = naiveDequantizeRows(q, scale, zero, blockSize);
  return { q, scale, zero, packed, weight: (g: number, k: number, n: number) => w.values[(g * K + k) * N + n]! };
}

function product(a: Plain, M: number, K: number, outputs: number, weight: (o: number, k: number) => number): number[] {
  const out: number[] = [];
  for (let m = 0; m < M; m++)
    for (let o = 0; o < outputs; o++) {
      let total = 0;
      for (let k = 0; k < K; k++) total += a.values[m * K + k]! * weight(o, k);
      out.push(total);
    }
  return out;
}

describeBackends('quantization', ({ test }) => {
  const random = new TestRandom(1313);

  // === int8 storage ===

  test('int8 tensors: Int8Array storage, dataSync and rawDataSync, saturating construction', async () => {
    const x = tz.tensor([1, -2, 127, -128, 300, -300, 2.9, -2.9, NaN], [9], 'int8');
    expect(x.dtype).toBe('int8');
    expect(tz.bytesPerElement('int8')).toBe(1);
    expect(tz.isStorageDType('int8')).toBe(true);
    expect(tz.isIntegerDType('int8')).toBe(true);
    expect(x.rawDataSync()).toBeInstanceOf(Int8Array);
    expect(Array.from(x.rawDataSync())).toEqual([1, -2, 127, -128, 127, -128, 2, -2, 0]);
    const read = await x.data();
    expect(read).toBeInstanceOf(Int8Array);
    expect(x.dataSync()).toBeInstanceOf(Int8Array);
    x.dispose();
    const fromArray = tz.tensor(new Int8Array([5, -6]));
    expect(fromArray.dtype).toBe('int8');
    await expectTensor(fromArray, [2], 'int8', [5, -6]);
  });

  test('cast to int8 truncates toward zero and saturates; int8 casts back exactly', async () => {
    expect(tz.saturateToInt8(-129.5)).toBe(-128);
    expect(tz.saturateToInt32(1e12)).toBe(2147483647);
    const floats = tz.tensor([NaN, Infinity, -Infinity, 127.9, 128, -128.9, -129, 300, -2.7, 0.5]);
    const q = tz.cast(floats, 'int8');
    expect(q.dtype).toBe('int8');
    expect(Array.from(q.rawDataSync())).toEqual([0, 127, -128, 127, 127, -128, -128, 127, -2, 0]);
    const ints = tz.tensor([1000, -1000, 5], [3], 'int32');
    await expectTensor(tz.cast(ints, 'int8'), [3], 'int8', [127, -128, 5]);
    await expectTensor(tz.cast(q, 'float32'), [10], 'float32', [0, 127, -128, 127, 127, -128, -128, 127, -2, 0]);
    await expectTensor(tz.cast(q, 'int32'), [10], 'int32', [0, 127, -128, 127, 127, -128, -128, 127, -2, 0]);
    await expectTensor(tz.cast(q, 'bfloat16'), [10], 'bfloat16', [0, 127, -128, 127, 127, -128, -128, 127, -2, 0]);
    tz.dispose([floats, q, ints]);
  });

  test('arithmetic on int8 counts in int32 (no wrap), and with floats in float32', async () => {
    expect(tz.upcastDTypes('int8', 'int8')).toBe('int32');
    expect(tz.upcastDTypes('int8', 'float32')).toBe('float32');
    expect(tz.upcastDTypes('int8', 'bool')).toBe('int32');
    const a = tz.tensor([100, -100, 7], [3], 'int8');
    await expectTensor(tz.add(a, a), [3], 'int32', [200, -200, 14]);
    await expectTensor(tz.mul(a, 0.5), [3], 'float32', [50, -50, 3.5]);
    await expectTensor(tz.abs(a), [3], 'int32', [100, 100, 7]);
    await expectTensor(tz.sum(a), [], 'int32', [7]);
    await expectTensor(tz.reshape(a, [3, 1]), [3, 1], 'int8', [100, -100, 7]);
    a.dispose();
  });

  test('gather reads int8 and bfloat16 tables as stored and returns their dtype', async () => {
    const table = tz.tensor(random.ints(5 * 3, -128, 127), [5, 3], 'int8');
    const expected = Array.from(table.rawDataSync());
    const ids = tz.tensor([4, 0, -1], [3], 'int32');
    let rows!: tz.Tensor;
    const ran = kernelsRun(() => (rows = tz.gather(table, ids)));
    expect(ran, 'no decode of the table').toEqual(['Gather']);
    await expectTensor(rows, [3, 3], 'int8', [...expected.slice(12, 15), ...expected.slice(0, 3), ...expected.slice(12, 15)]);
    const floats = random.floats(4 * 2);
    const half = tz.tensor(floats, [4, 2], 'bfloat16');
    const halfIds = tz.tensor([1, 2], [2], 'int32');
    let halfRows!: tz.Tensor;
    const ranHalf = kernelsRun(() => (halfRows = tz.gather(half, halfIds)));
    expect(ranHalf, 'no decode of the table').toEqual(['Gather']);
    expect(halfRows.dtype).toBe('bfloat16');
    expect(Array.from(halfRows.rawDataSync())).toEqual(Array.from(half.rawDataSync()).slice(2, 6));
    tz.dispose([table, ids, half, halfIds, halfRows]);
  });

  // === round ===

  test('round is half to even, on float32, bfloat16 and integer input', async () => {
    const values = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, 0.49999997, -0.49999997, 3.7, -3.7, 8388609, -8388607.5, 1e30, Infinity, -Infinity, NaN, 0];
    const x = tz.tensor(values);
    const rounded = await readAndDispose(tz.round(x));
    expect(rounded.dtype).toBe('float32');
    expectClose(rounded.values, values.map((value) => naiveRoundHalfEven(Math.fround(value))), 0, 0);
    // (Keras gives -0 for -0.5; a GPU may give +0: equal as numbers, and as int8.)
    expectClose(rounded.values.slice(0, 7), [0, 2, 2, -0, -2, -2, 4], 0, 0);
    expect(tz.roundHalfToEven(-2.5)).toBe(-2);
    const half = tz.tensor([2.5, -3.5], [2], 'bfloat16');
    await expectTensor(tz.round(half), [2], 'float32', [2, -4]);
    const ints = tz.tensor([3, -4], [2], 'int32');
    await expectTensor(tz.round(ints), [2], 'int32', [3, -4]);
    const random32 = random.floats(101, -300, 300).map((value) => Math.fround(Math.round(value * 2) / 2));
    const many = tz.tensor(random32);
    await expectTensor(tz.round(many), [101], 'float32', random32.map(naiveRoundHalfEven));
    tz.dispose([x, half, ints, many]);
  });

  // === absMaxQuantize ===

  test("absMaxQuantize gives Keras's numbers on a hand-worked example", async () => {
    // Row 0: max|x| = 1; 1 + f32(1e-7) rounds up to 1 + 2^-23 in float32, so
    //   scale = f32(127 / 1.00000011920929) = 126.99998474121094 (the float32 nearest 126.99998486);
    //   0.5·scale = 63.4999923… → 63; -1·scale → -127; 0.25·scale = 31.7499961… → 32.
    // Row 1: max|x| = 4; 4 + 1e-7 stays 4 (half an ulp of 4 is 2.4e-7), scale = 31.75 exactly;
    //   2·31.75 = 63.5 → 64 (half to even); 3·31.75 = 95.25 → 95; -4·31.75 = -127.
    // Row 2: max|x| = 127, scale = 1: 2.5 → 2, -0.5 → -0, 1.5 → 2 (half to even, both ways).
    const x = tz.tensor([
      [0.5, -1, 0.25],
      [2, 3, -4],
      [2.5, -0.5, 127],
    ]);
    const { quantized, scale } = tz.absMaxQuantize(x);
    await expectTensor(quantized, [3, 3], 'int8', [63, -127, 32, 64, 95, -127, 2, 0, 127]);
    await expectTensor(scale, [3, 1], 'float32', [126.99998474121094, 31.75, 1]);
    expect(tz.kerasEpsilon).toBe(1e-7);
    x.dispose();
  });

  const quantizeCases: { shape: number[]; axis: number | number[]; valueRange?: [number, number] }[] = [
    { shape: [5, 37], axis: -1 },
    { shape: [3, 4, 6], axis: 1 },
    { shape: [2, 3, 5], axis: [1, 2] },
    { shape: [7, 129], axis: -1, valueRange: [-8, 7] },
    { shape: [4, 3], axis: 0, valueRange: [-100, 100] },
  ];
  for (const { shape, axis, valueRange } of quantizeCases)
    test(`absMaxQuantize ${JSON.stringify(shape)} over axis ${JSON.stringify(axis)}${valueRange ? ` in ${JSON.stringify(valueRange)}` : ''} matches Keras's definition`, async () => {
      const values = random.floats(size(shape), -3, 3);
      const x = tz.tensor(values, shape);
      const axes = (typeof axis === 'number' ? [axis] : axis).map((value) => (value < 0 ? value + shape.length : value));
      const expected = naiveAbsMaxQuantize({ values, shape }, axes, valueRange ?? [-127, 127]);
      const { quantized, scale } = tz.absMaxQuantize(x, { axis, ...(valueRange ? { valueRange } : {}) });
      await expectTensor(quantized, shape, 'int8', expected.quantized.values);
      await expectTensor(scale, expected.scale.shape, 'float32', expected.scale.values);
      x.dispose();
    });

  test('absMaxQuantize through a fused AbsMaxQuantize kernel equals the composition', async () => {
    const backend = tz.getBackend();
    const native = tz.getKernel('AbsMaxQuantize', backend);
    // A host stand-in over the storage interface when the backend has no fused kernel.
    if (!native)
      tz.registerKernel({
        kernelName: 'AbsMaxQuantize',
        backendName: backend,
        kernelFunc({ inputs, attrs, backend: storage, outputShapes }) {
          const x = inputs.x!;
          const [outer, inner] = x.shape as [number, number];
          const { quantized, scale } = naiveAbsMaxQuantize({ values: Array.from(storage.readSync(x.dataId)), shape: [outer, inner] }, [1], attrs.valueRange as [number, number], attrs.epsilon as number);
          const q = { dataId: storage.write(Int8Array.from(quantized.values), outputShapes[0]!, 'int8'), shape: outputShapes[0]!, dtype: 'int8' as const };
          const s = { dataId: storage.write(Float32Array.from(scale.values), outputShapes[1]!, 'float32'), shape: outputShapes[1]!, dtype: 'float32' as const };
          return [q, s];
        },
      });
    const values = random.floats(3 * 4 * 19, -5, 5);
    const x = tz.tensor(values, [3, 4, 19]);
    let fused!: tz.AbsMaxQuantized;
    try {
      const ran = kernelsRun(() => (fused = tz.absMaxQuantize(x)));
      expect(ran).toContain('AbsMaxQuantize');
    } finally {
      tz.unregisterKernel('AbsMaxQuantize', backend);
    }
    let composed!: tz.AbsMaxQuantized;
    try {
      const ran = kernelsRun(() => (composed = tz.absMaxQuantize(x)));
      expect(ran).not.toContain('AbsMaxQuantize');
    } finally {
      if (native) tz.registerKernel(native);
    }
    const [fusedQ, fusedScale, composedQ, composedScale] = await Promise.all([fused.quantized, fused.scale, composed.quantized, composed.scale].map(readAndDispose));
    expect(fusedQ!.dtype).toBe('int8');
    expect(fusedScale!.shape).toEqual([3, 4, 1]);
    expect(fusedQ!.values).toEqual(composedQ!.values);
    expect(fusedScale!.values).toEqual(composedScale!.values);
    x.dispose();
  });

  // === matMulInt8 ===

  const int8Cases: { name: string; lead: number[]; K: number; G: number; N: number; transposeB?: boolean; flatScale?: boolean }[] = [
    { name: 'Dense [K, N], K = 37, N odd', lead: [3], K: 37, G: 1, N: 5 },
    { name: 'EinsumDense [G, K, N] with batch dims, K = 130', lead: [2, 3], K: 130, G: 4, N: 7, flatScale: true },
    { name: 'a single row (GEMV), K = 257', lead: [1], K: 257, G: 1, N: 33 },
    { name: 'transposed table [N, K] (logits path)', lead: [2, 2], K: 23, G: 1, N: 9, transposeB: true },
  ];
  for (const { name, lead, K, G, N, transposeB = false, flatScale = false } of int8Cases)
    test(`matMulInt8 is Keras's formula bit for bit: ${name}`, async () => {
      const M = size(lead);
      const aValues = random.ints(M * K, -127, 127);
      const bValues = random.ints(G * K * N, -128, 127);
      const aScale = random.floats(M, 0.5, 200);
      const bScale = random.floats(G * N, 0.5, 200);
      const a = tz.tensor(aValues, [...lead, K], 'int8');
      const b = tz.tensor(bValues, transposeB ? [N, K] : G === 1 ? [K, N] : [G, K, N], 'int8');
      const aScaleTensor = tz.tensor(aScale, flatScale ? lead : [...lead, 1]);
      const bScaleTensor = tz.tensor(bScale, G === 1 ? [N] : [G, 1, N]);
      const weight = transposeB ? (_g: number, k: number, n: number) => bValues[n * K + k]! : (g: number, k: number, n: number) => bValues[(g * K + k) * N + n]!;
      const expected = naiveMatMulInt8(aValues, aScale, M, K, weight, bScale, G, N);
      await expectTensor(tz.matMulInt8(a, aScaleTensor, b, bScaleTensor, { transposeB, groups: G }), [...lead, G * N], 'float32', expected);
      tz.dispose([a, b, aScaleTensor, bScaleTensor]);
    });

  test('matMulInt8 after absMaxQuantize approximates the float product', async () => {
    const x = tz.tensor(random.floats(4 * 40), [4, 40]);
    const w = tz.tensor(random.floats(40 * 6), [40, 6]);
    const { quantized: xq, scale: xs } = tz.absMaxQuantize(x);
    const { quantized: wq, scale: ws } = tz.absMaxQuantize(w, { axis: 0 });
    const approximate = await readAndDispose(tz.matMulInt8(xq, xs, wq, ws));
    const exact = await readAndDispose(tz.matMul(x, w));
    expectClose(approximate.values, exact.values, 0.05, 0.02);
    tz.dispose([x, w, xq, xs, wq, ws]);
  });

  // === matMulInt4 ===

  const int4Cases: { name: string; lead: number[]; K: number; G: number; N: number; blockSize: number }[] = [
    { name: 'grouped, K = 300 in 3 blocks of 128, G = 3, N = 5 (odd columns)', lead: [4], K: 300, G: 3, N: 5, blockSize: 128 },
    { name: 'grouped, block 7 smaller than K = 45', lead: [2, 3], K: 45, G: 1, N: 11, blockSize: 7 },
    { name: 'per channel (block -1), G = 2', lead: [3], K: 33, G: 2, N: 3, blockSize: -1 },
    { name: 'one row, block larger than K', lead: [1], K: 20, G: 1, N: 8, blockSize: 128 },
  ];
  for (const { name, lead, K, G, N, blockSize } of int4Cases)
    test(`matMulInt4 'kernel' layout matches Keras's dequantize-then-einsum: ${name}`, async () => {
      const M = size(lead);
      const a: Plain = { values: random.floats(M * K), shape: [M, K] };
      const weights = int4Kernel(random, K, G, N, blockSize);
      const groups = blockSize === -1 ? 1 : Math.ceil(K / blockSize);
      const aTensor = tz.tensor(a.values, [...lead, K]);
      const packed = tz.tensor(weights.packed.values, weights.packed.shape, 'int8');
      const scale = tz.tensor(weights.scale, blockSize === -1 ? [G * N] : [groups, G * N]);
      const zero = weights.zero ? tz.tensor(weights.zero, [groups, G * N], 'int8') : null;
      const expected = product(a, M, K, G * N, (o, k) => weights.weight(Math.floor(o / N), k, o % N));
      await expectTensor(tz.matMulInt4(aTensor, packed, scale, zero, { layout: 'kernel', groups: G, blockSize }), [...lead, G * N], 'float32', expected, 1e-5, 1e-4);
      tz.dispose([aTensor, packed, scale, zero]);
    });

  for (const blockSize of [16, -1])
    test(`matMulInt4 'transposed' layout (tied embedding logits), ${blockSize === -1 ? 'per channel' : `block ${blockSize}`}, K = 45, N = 7`, async () => {
      const [M, K, N] = [3, 45, 7];
      const groups = blockSize === -1 ? 1 : Math.ceil(K / blockSize);
      const a: Plain = { values: random.floats(M * K), shape: [M, K] };
      const table: Plain = { values: random.ints(N * K, -8, 7), shape: [N, K] };
      const scale = random.floats(blockSize === -1 ? N : N * groups, 0.01, 0.3);
      const zero = blockSize === -1 ? null : random.ints(N * groups, -8, 7);
      // Keras: dequantize the transposed table [K, N] with the transposed scale/zero [groups, N].
      const transposedScale = blockSize === -1 ? scale : naiveTranspose({ values: scale, shape: [N, groups] }, [1, 0]).values;
      const transposedZero = zero && naiveTranspose({ values: zero, shape: [N, groups] }, [1, 0]).values;
      const w = naiveDequantizeRows(naiveTranspose(table, [1, 0]), transposedScale, transposedZero, blockSize);
      const expected = product(a, M, K, N, (n, k) => w.values[k * N + n]!);
      const packedPlain = naivePackInt4(table, 1);
      const aTensor = tz.tensor(a.values, [M, K]);
      const packed = tz.tensor(packedPlain.values, packedPlain.shape, 'int8');
      const scaleTensor = tz.tensor(scale, blockSize === -1 ? [N] : [N, groups]);
      const zeroTensor = zero ? tz.tensor(zero, [N, groups], 'int8') : null;
      await expectTensor(tz.matMulInt4(aTensor, packed, scaleTensor, zeroTensor, { layout: 'transposed', blockSize }), [M, N], 'float32', expected, 1e-5, 1e-4);
      tz.dispose([aTensor, packed, scaleTensor, zeroTensor]);
    });

  // === int4 packing ===

  test("packInt4 and unpackInt4 reproduce Keras's documented examples", async () => {
    const original = tz.tensor([[-3, 7], [2, -8], [1, 0]], [3, 2], 'int8');
    const packed0 = tz.packInt4(original, 0);
    expect(Array.from(packed0.rawDataSync())).toEqual([45, -121, 1, 0]);
    await expectTensor(tz.unpackInt4(packed0, 3, 0), [3, 2], 'int8', [-3, 7, 2, -8, 1, 0]);
    const wide = tz.tensor([[-3, 7, 2], [-8, 1, 0]], [2, 3], 'int8');
    const packed1 = tz.packInt4(wide);
    expect(packed1.shape).toEqual([2, 2]);
    expect(Array.from(packed1.rawDataSync())).toEqual([125, 2, 24, 0]);
    await expectTensor(tz.unpackInt4(packed1, 3), [2, 3], 'int8', [-3, 7, 2, -8, 1, 0]);
    tz.dispose([original, packed0, wide, packed1]);
  });

  for (const [shape, axis] of [[[3, 7, 2], 1], [[5, 9], -1], [[4, 6], 0], [[1, 1], -1]] as const)
    test(`packInt4 / unpackInt4 round-trip ${JSON.stringify(shape)} along axis ${axis}`, async () => {
      const values = random.ints(size(shape), -8, 7);
      const position = axis < 0 ? axis + shape.length : axis;
      const expectedPacked = naivePackInt4({ values, shape: [...shape] }, position);
      const x = tz.tensor(values, [...shape], 'int8');
      const packed = tz.packInt4(x, axis);
      expect(packed.shape).toEqual(expectedPacked.shape);
      expect(Array.from(packed.rawDataSync())).toEqual(expectedPacked.values);
      const unpacked = naiveUnpackInt4(expectedPacked, shape[position]!, position);
      expect(unpacked.values).toEqual(values);
      await expectTensor(tz.unpackInt4(packed, shape[position]!, axis), shape, 'int8', values);
      // Every byte value unpacks as Keras's (v ^ 8) − 8 of each nibble.
      tz.dispose([x, packed]);
    });

  test('unpackInt4 of every byte value', async () => {
    const bytes = Array.from({ length: 256 }, (_, index) => index - 128);
    const packed = tz.tensor(bytes, [256, 1], 'int8');
    const expected = naiveUnpackInt4({ values: bytes, shape: [256, 1] }, 2, 1);
    await expectTensor(tz.unpackInt4(packed, 2), [256, 2], 'int8', expected.values);
    packed.dispose();
  });

  // === bad arguments (each error names op, argument, expected and received; nothing leaks) ===

  test('bad arguments are clear errors', () => {
    const floats = tz.tensor(random.floats(6), [2, 3]);
    const int8 = tz.tensor([1, 2, 3, 4, 5, 6], [2, 3], 'int8');
    const scale2 = tz.tensor([1, 1], [2, 1]);
    const int32 = tz.tensor([1, 2], [2], 'int32');
    const bools = tz.tensor([true]);
    const empty = tz.zeros([2, 0]);
    const four = tz.tensor([1, 2, 3, 4], [4], 'int8');
    const scale3 = tz.tensor([1, 1, 1], [3, 1]);
    const wideA = tz.tensor(random.floats(8), [2, 4]);
    const nine = tz.tensor([9, 0], [2], 'int8');
    expectError(() => tz.round(bools), 'round', "argument 'x'", 'a numeric tensor');
    expectError(() => tz.absMaxQuantize(int8), 'absMaxQuantize', "argument 'x'", 'a float tensor', 'received an int8 tensor of shape [2, 3]');
    expectError(() => tz.absMaxQuantize(floats, { axis: 2 }), 'absMaxQuantize', "argument 'axis'", 'received 2');
    expectError(() => tz.absMaxQuantize(floats, { valueRange: [7, -8] }), 'absMaxQuantize', "argument 'valueRange'", 'min < max', 'received [7, -8]');
    expectError(() => tz.absMaxQuantize(empty), 'absMaxQuantize', "argument 'x'", 'non-empty');
    expectError(() => tz.matMulInt8(floats, scale2, int8, scale2), 'matMulInt8', "argument 'a'", 'an int8 tensor', 'received a float32 tensor');
    expectError(() => tz.matMulInt8(int8, scale3, int8, scale2), 'matMulInt8', "argument 'aScale'", '[2, 1] or [2]', 'received [3, 1]');
    expectError(() => tz.matMulInt8(int8, scale2, four, scale2), 'matMulInt8', "argument 'b'", 'G·K', '[4] (4 elements)');
    expectError(() => tz.matMulInt8(int8, scale2, int8, scale3, { transposeB: true }), 'matMulInt8', "argument 'bScale'", '2 elements', '[3, 1] (3 elements)');
    expectError(() => tz.matMulInt8(int8, scale2, int8, scale2, { transposeB: true, groups: 2 }), 'matMulInt8', "argument 'groups'", '1 with transposeB', 'received 2');
    expectError(() => tz.matMulInt8(int8, scale2, int8, scale2, { groups: 0 }), 'matMulInt8', "argument 'groups'", 'a positive integer', 'received 0');
    const packed = tz.tensor([1, 2, 3, 4, 5, 6], [3, 2], 'int8');
    const scale = tz.tensor(random.floats(3), [1, 3], 'float32');
    const zero = tz.tensor([0, 0, 0], [1, 3], 'int8');
    const a = tz.tensor(random.floats(6), [2, 3]);
    expectError(() => tz.matMulInt4(a, packed, scale, zero, { layout: 'rows' as never }), 'matMulInt4', "argument 'layout'", "'kernel' or 'transposed'", 'received rows');
    expectError(() => tz.matMulInt4(a, packed, scale, null, { layout: 'kernel' }), 'matMulInt4', "argument 'zero'", 'an int8 tensor', 'null');
    expectError(() => tz.matMulInt4(a, packed, scale, zero, { layout: 'kernel', blockSize: -1 }), 'matMulInt4', "argument 'scale'", 'shape [3]', 'received [1, 3]');
    expectError(() => tz.matMulInt4(a, packed, scale, zero, { layout: 'kernel', blockSize: 0 }), 'matMulInt4', "argument 'blockSize'", 'a positive integer', 'received 0');
    expectError(() => tz.matMulInt4(wideA, packed, scale, zero, { layout: 'kernel' }), 'matMulInt4', "argument 'packed'", 'shape [4, ceil(G·N/2)]', 'received [3, 2]');
    expectError(() => tz.matMulInt4(a, packed, scale, int32, { layout: 'kernel' }), 'matMulInt4', "argument 'zero'", 'an int8 tensor', 'received an int32 tensor');
    expectError(() => tz.matMulInt4(a, packed, scale, zero, { layout: 'transposed', groups: 2 }), 'matMulInt4', "argument 'groups'", "1 with layout 'transposed'");
    expectError(() => tz.unpackInt4(packed, 5), 'unpackInt4', "argument 'originalLength'", '3 or 4', 'received 5');
    expectError(() => tz.unpackInt4(floats, 4), 'unpackInt4', "argument 'packed'", 'an int8 tensor');
    expectError(() => tz.packInt4(nine), 'packInt4', "argument 'values'", 'int4 values in [-8, 7]', 'received 9 at flat index 0');
    expectError(() => tz.packInt4(floats), 'packInt4', "argument 'values'", 'an int8 (or int32) tensor');
    expectError(() => tz.cast(floats, 'int4' as never), 'cast', "argument 'dtype'", 'int8');
    expectError(() => tz.randomNormal([2], { dtype: 'int8' }), 'randomNormal', "argument 'dtype'", 'a float dtype', 'int8');
    tz.dispose([floats, int8, scale2, int32, bools, empty, four, scale3, wideA, nine, packed, scale, zero, a]);
  });
});
