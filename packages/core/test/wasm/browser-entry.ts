// Bundled for Chromium by browser.test.ts: runs the wasm backend in the page (or a worker) and
// compares a few kernels with the reference backend there.
import * as tz from '@tensorzoo/core';
import { setWasmThreads, setWasmParallelThreshold, wasmBackendInfo } from '@tensorzoo/core/backends/wasm';

function values(length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 32 - 0.5;
  }
  return out;
}

function compute(backend: string): Promise<Float32Array[]> {
  return tz.setBackend(backend).then(() =>
    tz.tidy(() => {
      const a = tz.tensor(values(70 * 130, 1), [70, 130]);
      const b = tz.tensor(values(130 * 65, 2), [130, 65]);
      const x = tz.tensor(values(1 * 300, 3), [1, 300]);
      const w = tz.cast(tz.tensor(values(300 * 129, 4), [300, 129]), 'bfloat16');
      return [tz.matMul(a, b), tz.softmax(tz.matMul(a, b)), tz.matMul(x, w), tz.gelu(a)];
    }),
  ).then((outputs) => outputs.map((output) => {
    const data = output.dataSync() as Float32Array;
    output.dispose();
    return data;
  }));
}

export async function runChecks(threads: number): Promise<Record<string, unknown>> {
  await setWasmThreads(threads);
  setWasmParallelThreshold(0);
  const want = await compute('reference');
  const got = await compute('wasm');
  let maxDiff = 0;
  want.forEach((expected, index) => expected.forEach((value, i) => (maxDiff = Math.max(maxDiff, Math.abs(value - got[index]![i]!)))));
  const info = await wasmBackendInfo();
  return { maxDiff, variant: info.variant, threads: info.threads, simd: info.features.simd, relaxedSimd: info.features.relaxedSimd, crossOriginIsolated: globalThis.crossOriginIsolated ?? null };
}
