// onnxruntime-web (wasm, MLAS) and onnxruntime-node (native CPU EP) 1.30, configured as their
// users ship models: a MatMul graph whose B is a constant initializer (so both pre-pack it once).
// onnxruntime-web's thread count (env.wasm.numThreads) is fixed when its wasm module starts, so
// a process measures one ort-web thread count; onnxruntime-node takes intraOpNumThreads per session.
import type { Contender } from '../harness.js';
import { matMulModel } from './onnx-model.js';
import type { Disposable } from './tensorzoo.js';

type Ort = typeof import('onnxruntime-web');
let webThreads: number | null = null;

export async function loadWeb(threads: number): Promise<Ort> {
  const ort = await import('onnxruntime-web');
  if (webThreads === null) {
    ort.env.wasm.numThreads = threads;
    webThreads = threads;
  } else if (webThreads !== threads)
    throw new Error(`ort-web: this process already started onnxruntime-web with ${webThreads} threads; ${threads} needs another process (suite group)`);
  return ort;
}

export async function ortMatMul(
  impl: 'ort-web' | 'ort-node',
  threads: number,
  M: number,
  K: number,
  N: number,
  a: Float32Array,
  b: Float32Array,
): Promise<Contender & Disposable> {
  const model = matMulModel(M, K, N, b);
  let session: import('onnxruntime-common').InferenceSession;
  let input: import('onnxruntime-common').Tensor;
  if (impl === 'ort-web') {
    const ort = await loadWeb(threads);
    session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    input = new ort.Tensor('float32', a, [M, K]);
  } else {
    const ort = await import('onnxruntime-node');
    session = await ort.InferenceSession.create(model, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
    });
    input = new ort.Tensor('float32', a, [M, K]);
  }
  return {
    impl,
    threads,
    async run() {
      const outputs = await session.run({ A: input });
      void outputs.Y!.data;
    },
    async dispose() {
      await session.release();
    },
  };
}
