// cumsum and topK.
import { argumentError } from '../errors.js';
import { normalizeAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { assertTensor, run, runMany } from './dispatch.js';

export function cumsum(x: Tensor, axis = 0, options: { exclusive?: boolean; reverse?: boolean } = {}): Tensor {
  assertTensor('cumsum', 'x', x);
  const position = normalizeAxis('cumsum', axis, x.rank);
  return run('Cumsum', { x }, { axis: position, exclusive: options.exclusive ?? false, reverse: options.reverse ?? false }, x.shape);
}

/** The k largest entries along the last axis, largest first: { values, indices (int32) }. */
export function topK(x: Tensor, k = 1, sorted = true): { values: Tensor; indices: Tensor } {
  assertTensor('topK', 'x', x);
  if (x.rank === 0) argumentError('topK', 'x', 'a tensor of rank ≥ 1', x);
  const last = x.shape[x.rank - 1]!;
  if (!Number.isInteger(k) || k < 0 || k > last) argumentError('topK', 'k', `an integer in [0, ${last}] (the last dimension)`, String(k));
  const shape = [...x.shape.slice(0, -1), k];
  const [values, indices] = runMany('TopK', { x }, { k, sorted }, [shape, shape]) as [Tensor, Tensor];
  return { values, indices };
}
