// tfjs-backend-wasm 4.22 (XNNPACK) as its users run it: tf.setBackend('wasm'), tf.matMul, dataSync.
// Under Node tfjs-backend-wasm is single-threaded (it disables threads when IS_NODE).
import type { Contender } from '../harness.js';
import type { Disposable } from './tensorzoo.js';

type Tf = typeof import('@tensorflow/tfjs-core');
let tfPromise: Promise<Tf> | null = null;

async function loadTf(): Promise<Tf> {
  tfPromise ??= (async () => {
    const tf = await import('@tensorflow/tfjs-core');
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
    await tf.ready();
    return tf;
  })();
  return tfPromise;
}

export async function tfjsMatMul(shapeA: [number, number], a: Float32Array, shapeB: [number, number], b: Float32Array): Promise<Contender & Disposable> {
  const tf = await loadTf();
  const left = tf.tensor2d(a, shapeA);
  const right = tf.tensor2d(b, shapeB);
  return {
    impl: 'tfjs-wasm',
    threads: 1,
    run() {
      const product = tf.matMul(left, right);
      product.dataSync();
      product.dispose();
    },
    dispose() {
      left.dispose();
      right.dispose();
    },
  };
}
