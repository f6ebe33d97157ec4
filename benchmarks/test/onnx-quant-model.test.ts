// The quant suite's hand-encoded ONNX graphs are valid models that onnxruntime-node and
// onnxruntime-web (its wasm build, one thread) run, and
// they compute what they claim: checked against naive products of the same quantized integers
// on small odd-sized problems (no timing here; the suite measures).
import { describe, expect, it } from 'vitest';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { matMulModel } from '../src/peers/onnx-model.js';
import { matMulIntegerModel, matMulNBitsModel } from '../src/peers/onnx-quant-model.js';
import { quantizeInt4, quantizeInt8, seededValues } from '../src/peers/quant-weights.js';

type Runtime = 'ort-node' | 'ort-web';

async function runModel(runtime: Runtime, model: Uint8Array, a: Float32Array, M: number, K: number): Promise<Float32Array> {
  let session: import('onnxruntime-common').InferenceSession;
  let input: import('onnxruntime-common').Tensor;
  if (runtime === 'ort-node') {
    session = await ortNode.InferenceSession.create(model, { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
    input = new ortNode.Tensor('float32', a, [M, K]);
  } else {
    ortWeb.env.wasm.numThreads = 1;
    session = await ortWeb.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    input = new ortWeb.Tensor('float32', a, [M, K]);
  }
  try {
    const outputs = await session.run({ A: input });
    return outputs[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** ONNX DynamicQuantizeLinear (uint8, asymmetric over the whole tensor), in float32 steps. */
function dynamicQuantizeLinear(x: Float32Array): { q: Uint8Array; scale: number; zero: number } {
  const f = Math.fround;
  let min = 0;
  let max = 0;
  for (const value of x) {
    min = Math.min(min, value);
    max = Math.max(max, value);
  }
  const scale = f(f(max - min) / 255);
  const roundEven = (value: number) => {
    const floor = Math.floor(value);
    const diff = value - floor;
    return diff > 0.5 ? floor + 1 : diff < 0.5 ? floor : floor % 2 === 0 ? floor : floor + 1;
  };
  const zero = Math.min(255, Math.max(0, roundEven(f(-min / scale))));
  const q = Uint8Array.from(x, (value) => Math.min(255, Math.max(0, roundEven(f(value / scale)) + zero)));
  return { q, scale, zero };
}

function maxAbsDifference(a: Float32Array, b: ArrayLike<number>): number {
  let max = 0;
  for (let index = 0; index < a.length; index++) max = Math.max(max, Math.abs(a[index]! - b[index]!));
  return max;
}

describe.each<Runtime>(['ort-node', 'ort-web'])('benchmark ONNX graphs on %s', (runtime) => {
  const M = 3;
  const K = 256;
  const N = 7;
  const a = seededValues(M * K, 11);
  const w = seededValues(K * N, 12);

  it('MatMul: A · B', async () => {
    const expected = new Float64Array(M * N);
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) expected[m * N + n]! += a[m * K + k]! * w[k * N + n]!;
    expect(maxAbsDifference(await runModel(runtime, matMulModel(M, K, N, w), a, M, K), expected)).toBeLessThan(1e-4);
  });

  it('DynamicQuantizeLinear + MatMulInteger: exact integer product of the same int8 weights, scaled', async () => {
    const q = quantizeInt8(w, K, N);
    // Keras's int8 quantization of the weights: |q| ≤ 127 and q / kerasScale close to w.
    expect(Math.max(...Array.from(q.quantized, Math.abs))).toBe(127);
    for (let index = 0; index < K * N; index++) expect(Math.abs(q.quantized[index]! / q.kerasScale[index % N]! - w[index]!)).toBeLessThanOrEqual(0.5 / q.kerasScale[index % N]! + 1e-7);
    const { q: aq, scale: aScale, zero: aZero } = dynamicQuantizeLinear(a);
    const expected = new Float64Array(M * N);
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        let sum = 0;
        for (let k = 0; k < K; k++) sum += (aq[m * K + k]! - aZero) * q.quantized[k * N + n]!;
        expected[m * N + n] = sum * Math.fround(aScale * q.onnxScale[n]!);
      }
    const actual = await runModel(runtime, matMulIntegerModel(M, K, N, q.quantized, q.onnxScale), a, M, K);
    expect(maxAbsDifference(actual, expected)).toBeLessThan(1e-4);
    // and close to the float product (activation and weight quantization error only)
    const float = new Float64Array(M * N);
    for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) float[m * N + n]! += a[m * K + k]! * w[k * N + n]!;
    expect(maxAbsDifference(actual, float)).toBeLessThan(0.05);
  });

  it.each([0, 4])('MatMulNBits (4 bits, block 128, accuracy_level %i): A · dequantized Keras int4 weights', async (accuracyLevel) => {
    const Kodd = 384; // three blocks: the zero points' last byte holds one nibble
    const aOdd = seededValues(M * Kodd, 13);
    const wOdd = seededValues(Kodd * N, 14);
    const q = quantizeInt4(wOdd, Kodd, N, 128);
    // Keras's layout: q in [-8, 7], zero in [-8, 7], packed along N with the low nibble first.
    expect(Math.min(...q.values)).toBeGreaterThanOrEqual(-8);
    expect(Math.max(...q.values)).toBeLessThanOrEqual(7);
    for (let k = 0; k < Kodd; k++)
      for (let n = 0; n < N; n++) {
        const byte = q.packed[k * Math.ceil(N / 2) + (n >> 1)]! & 0xff;
        const nibble = n % 2 === 0 ? byte & 0xf : byte >> 4;
        expect((nibble ^ 8) - 8).toBe(q.values[k * N + n]);
      }
    const expected = new Float64Array(M * N);
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++)
        for (let k = 0; k < Kodd; k++) {
          const group = Math.floor(k / 128);
          const dequantized = Math.fround((q.values[k * N + n]! - q.zero[group * N + n]!) * q.scale[group * N + n]!);
          expected[m * N + n]! += aOdd[m * Kodd + k]! * dequantized;
        }
    const model = matMulNBitsModel(M, Kodd, N, { b: q.nbitsB, scales: q.nbitsScales, zeroPoints: q.nbitsZeroPoints }, 128, accuracyLevel);
    const actual = await runModel(runtime, model, aOdd, M, Kodd);
    // accuracy_level 4 quantizes A to int8 per block: that error only.
    expect(maxAbsDifference(actual, expected)).toBeLessThan(accuracyLevel === 0 ? 1e-4 : 0.05);
    // the dequantized weights are close to the float ones (one int4 step per group)
    for (let k = 0; k < Kodd; k++)
      for (let n = 0; n < N; n++) {
        const group = Math.floor(k / 128);
        const dequantized = (q.values[k * N + n]! - q.zero[group * N + n]!) * q.scale[group * N + n]!;
        expect(Math.abs(dequantized - wOdd[k * N + n]!)).toBeLessThanOrEqual(q.scale[group * N + n]! * 0.5 + 1e-6);
      }
  });
});
