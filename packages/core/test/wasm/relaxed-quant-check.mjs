// Run by quantization.test.ts as `node --experimental-wasm-relaxed-simd relaxed-quant-check.mjs`
// (Node 20 validates the relaxed-SIMD build only behind that flag): loads the built package
// (../../dist), runs the quantized kernels on the wasm backend (relaxed build where it validates,
// 1 and 2 threads) and on the reference backend, and prints as JSON the variant, the count of
// MatMulInt8 / AbsMaxQuantize values that differ (must be 0) and MatMulInt4's worst error
// relative to Σ|a·w|.
import * as tz from '../../dist/index.js';
import { setWasmParallelThreshold, setWasmThreads, wasmBackendInfo } from '../../dist/backends/wasm/index.js';

let seed = 11;
const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const host = (dtype, shape, make) => ({ dtype, shape, values: (dtype === 'int8' ? Int8Array : Float32Array).from({ length: shape.reduce((a, b) => a * b, 1) }, make) });
const int8 = (shape, low = -128, high = 127) => host('int8', shape, () => low + Math.floor(random() * (high - low + 1)));
const float = (shape, low, high) => host('float32', shape, () => low + (high - low) * random());

async function runOn(backend, inputs, build) {
  await tz.setBackend(backend);
  const tensors = inputs.map((input) => tz.tensor(input.values.slice(), input.shape, input.dtype));
  const outputs = [build(...tensors)].flat().map((output) => Array.from(output.dataSync()));
  tensors.forEach((tensor) => tensor.dispose());
  return outputs;
}

let exactMismatches = 0;
let int4Worst = 0;
for (const threads of [1, 2]) {
  await tz.setBackend('wasm');
  await setWasmThreads(threads);
  setWasmParallelThreshold(threads > 1 ? 0 : Infinity);
  for (const [M, K, G, N] of [[1, 300, 1, 129], [1, 40, 3, 17], [9, 70, 2, 33], [5, 2100, 1, 70]]) {
    const inputs = [int8([M, K]), float([M, 1], 0.01, 2), int8([G, K, N]), float([G * N], 0.01, 2)];
    const build = (a, s, b, t) => tz.matMulInt8(a, s, b, t, { groups: G });
    const [want] = await runOn('reference', inputs, build);
    const [got] = await runOn('wasm', inputs, build);
    exactMismatches += want.filter((value, index) => value !== got[index]).length;
    const x = float([M, K], -1, 1);
    const build4 = (a, p, sc, z) => tz.matMulInt4(a, p, sc, z, { layout: 'kernel', groups: G, blockSize: 128 });
    const blocks = Math.ceil(K / 128);
    const inputs4 = [x, int8([K, Math.ceil((G * N) / 2)]), float([blocks, G * N], 0.01, 2), int8([blocks, G * N], -8, 7)];
    const [want4] = await runOn('reference', inputs4, build4);
    const [got4] = await runOn('wasm', inputs4, build4);
    // Bound of the sum's magnitude: Σ|a|·max|w| (|q − zero| ≤ 15, scale ≤ 2).
    const bound = x.values.slice(0, K).reduce((total, value) => total + Math.abs(value), 0) * 30;
    want4.forEach((value, index) => (int4Worst = Math.max(int4Worst, Math.abs(value - got4[index]) / bound)));
  }
  const q = float([3, 100], -3, 3);
  const [wantQ, wantS] = await runOn('reference', [q], (t) => Object.values(tz.absMaxQuantize(t)));
  const [gotQ, gotS] = await runOn('wasm', [q], (t) => Object.values(tz.absMaxQuantize(t)));
  exactMismatches += wantQ.filter((value, index) => value !== gotQ[index]).length + wantS.filter((value, index) => value !== gotS[index]).length;
}
await tz.setBackend('wasm');
console.log(JSON.stringify({ variant: (await wasmBackendInfo()).variant, exactMismatches, int4Worst }));
process.exit(0);
