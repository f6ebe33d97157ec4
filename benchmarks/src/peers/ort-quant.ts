// ONNX Runtime running one of its quantized graphs (onnx-quant-model.ts) on a float32 input
// A[M, K], configured as ort.ts configures the float MatMul: onnxruntime-web on its wasm EP
// (thread count fixed per process), onnxruntime-node on its CPU EP, graph optimizations 'all'
// (the quantized chains are fused and the constant weights pre-packed once, at session creation).
import type { Contender } from '../harness.js';
import { loadWeb } from './ort.js';
import type { Disposable } from './tensorzoo.js';

export async function ortSession(
  impl: 'ort-web' | 'ort-node',
  threads: number,
  model: Uint8Array,
  M: number,
  K: number,
  a: Float32Array,
): Promise<Contender & Disposable & { output(): Promise<Float32Array> }> {
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
  const outputName = session.outputNames[0]!;
  return {
    impl,
    threads,
    async run() {
      const outputs = await session.run({ A: input });
      void outputs[outputName]!.data;
    },
    async output() {
      const outputs = await session.run({ A: input });
      return outputs[outputName]!.data as Float32Array;
    },
    async dispose() {
      await session.release();
    },
  };
}
