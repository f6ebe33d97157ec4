// tensorzoo as its users run it: `setBackend('wasm')` (or 'reference'), tensors made once, each
// operation read back with dataSync(). One wasm pool serves both thread counts: the 1-thread
// contender raises the parallel threshold so every kernel stays on the calling thread.
import * as tz from '@tensorzoo/core';
import { DEFAULT_WASM_PARALLEL_THRESHOLD, setWasmParallelThreshold, setWasmThreads } from '@tensorzoo/core/backends/wasm';
import type { Contender, Impl } from '../harness.js';

export interface Disposable {
  dispose(): void | Promise<void>;
}

/** Makes the wasm pool as large as the largest thread count the group measures. */
export async function prepareTensorzoo(maxThreads: number): Promise<void> {
  await tz.setBackend('wasm');
  await setWasmThreads(maxThreads);
}

export async function tensorzooMatMul(
  impl: Extract<Impl, 'tensorzoo-wasm' | 'tensorzoo-reference'>,
  threads: number,
  shapeA: [number, number],
  a: Float32Array,
  shapeB: [number, number],
  b: Float32Array,
): Promise<Contender & Disposable> {
  const backend = impl === 'tensorzoo-wasm' ? 'wasm' : 'reference';
  const activate = async () => {
    await tz.setBackend(backend);
    if (backend === 'wasm') setWasmParallelThreshold(threads > 1 ? DEFAULT_WASM_PARALLEL_THRESHOLD : Infinity);
  };
  await activate();
  const left = tz.keep(tz.tensor(a, shapeA));
  const right = tz.keep(tz.tensor(b, shapeB));
  return {
    impl,
    threads,
    activate,
    run() {
      const product = tz.matMul(left, right);
      product.dataSync();
      product.dispose();
    },
    dispose() {
      left.dispose();
      right.dispose();
    },
  };
}
