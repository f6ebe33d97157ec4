// Matrix products. a: [...batchA, M, K], b: [...batchB, K, N] → [...broadcast, M, N]; rank-1
// operands are promoted (and the added axis dropped) as NumPy's matmul does.
import { argumentError } from '../errors.js';
import { broadcastShapes, formatShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { assertTensor, run } from './dispatch.js';
import { cast } from './elementwise.js';
import { reshape } from './shape-ops.js';

export interface MatMulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
}

export function matMul(a: Tensor, b: Tensor, options: MatMulOptions = {}): Tensor {
  assertTensor('matMul', 'a', a);
  assertTensor('matMul', 'b', b);
  // A vector is its own transpose: the flags only apply to operands of rank ≥ 2.
  const transposeA = (options.transposeA ?? false) && a.rank >= 2;
  const transposeB = (options.transposeB ?? false) && b.rank >= 2;
  if (a.rank === 0) argumentError('matMul', 'a', 'a tensor of rank ≥ 1', a);
  if (b.rank === 0) argumentError('matMul', 'b', 'a tensor of rank ≥ 1', b);
  for (const [name, value] of [['a', a], ['b', b]] as const)
    if (value.dtype === 'bool') argumentError('matMul', name, 'a numeric tensor', value);
  // Rank-1 operands are promoted ([K] → [1, K] on the left, [K, 1] on the right). Shapes are
  // checked before any view exists, so an error leaks nothing.
  const leftShape = a.rank === 1 ? [1, a.shape[0]!] : a.shape;
  const rightShape = b.rank === 1 ? [b.shape[0]!, 1] : b.shape;
  const M = leftShape[leftShape.length - (transposeA ? 1 : 2)]!;
  const K = leftShape[leftShape.length - (transposeA ? 2 : 1)]!;
  const KB = rightShape[rightShape.length - (transposeB ? 1 : 2)]!;
  const N = rightShape[rightShape.length - (transposeB ? 2 : 1)]!;
  if (K !== KB)
    argumentError('matMul', 'b', `an inner dimension of ${K} (from a ${formatShape(a.shape)}${transposeA ? ', transposed' : ''})`, `shape ${formatShape(b.shape)}${transposeB ? ' (transposed)' : ''}`);
  const batch = broadcastShapes('matMul', leftShape.slice(0, -2), rightShape.slice(0, -2));
  const left = a.rank === 1 ? reshape(a, leftShape) : a;
  const right = b.rank === 1 ? reshape(b, rightShape) : b;
  const intDType = a.dtype === 'int32' && b.dtype === 'int32';
  const castLeft = intDType || left.dtype === 'float32' ? left : cast(left, 'float32');
  const castRight = intDType || right.dtype === 'float32' || right.dtype === 'bfloat16' || right.dtype === 'float16' ? right : cast(right, 'float32');
  let out = run('BatchMatMul', { a: castLeft, b: castRight }, { transposeA, transposeB }, [...batch, M, N]);
  for (const temporary of [left, right, castLeft, castRight]) if (temporary !== a && temporary !== b && !temporary.isDisposed) temporary.dispose();
  if (a.rank === 1 || b.rank === 1) {
    const shape = [...batch, ...(a.rank === 1 ? [] : [M]), ...(b.rank === 1 ? [] : [N])];
    const squeezed = reshape(out, shape);
    out.dispose();
    out = squeezed;
  }
  return out;
}

/** Batched matmul: the same as matMul, named as Keras/TF name it. */
export const batchMatMul = matMul;
