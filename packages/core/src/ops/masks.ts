// Band and triangular masks, built from index comparisons so they run on any backend.
import { argumentError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { arange } from './creation.js';
import { assertTensor, scoped } from './dispatch.js';
import { greaterEqual, lessEqual, logicalAnd, sub, where } from './elementwise.js';
import { reshape } from './shape-ops.js';

/**
 * A bool [rows, columns] mask: true where −numLower ≤ column − row ≤ numUpper. A negative count
 * means unbounded on that side (tf.linalg.band_part's convention).
 */
function checkMaskArguments(op: string, rows: number, columns: number, offsets: [string, number][]): void {
  for (const [name, value] of [['rows', rows], ['columns', columns]] as const)
    if (!Number.isInteger(value) || value < 0) argumentError(op, name, 'a non-negative integer', String(value));
  for (const [name, value] of offsets) if (!Number.isInteger(value)) argumentError(op, name, 'an integer', String(value));
}

export function bandMask(rows: number, columns: number, numLower: number, numUpper: number): Tensor {
  checkMaskArguments('bandMask', rows, columns, [['numLower', numLower], ['numUpper', numUpper]]);
  return scoped(() => {
    const offset = sub(reshape(arange(columns), [1, columns]), reshape(arange(rows), [rows, 1]));
    const lowerOk = numLower < 0 ? null : greaterEqual(offset, -numLower);
    const upperOk = numUpper < 0 ? null : lessEqual(offset, numUpper);
    if (lowerOk && upperOk) return logicalAnd(lowerOk, upperOk);
    return lowerOk ?? upperOk ?? greaterEqual(offset, -rows - columns);
  });
}

/** x with entries outside the band (over its last two axes) set to zero. */
export function bandPart(x: Tensor, numLower: number, numUpper: number): Tensor {
  assertTensor('bandPart', 'x', x);
  if (x.rank < 2) argumentError('bandPart', 'x', 'a tensor of rank ≥ 2', x);
  return scoped(() => where(bandMask(x.shape[x.rank - 2]!, x.shape[x.rank - 1]!, numLower, numUpper), x, 0));
}

/** Lower-triangular bool mask (including the diagonal shifted by `k`). */
export function lowerTriangularMask(rows: number, columns = rows, k = 0): Tensor {
  checkMaskArguments('lowerTriangularMask', rows, columns, [['k', k]]);
  return scoped(() => {
    const offset = sub(reshape(arange(columns), [1, columns]), reshape(arange(rows), [rows, 1]));
    return lessEqual(offset, k);
  });
}

export function upperTriangularMask(rows: number, columns = rows, k = 0): Tensor {
  checkMaskArguments('upperTriangularMask', rows, columns, [['k', k]]);
  return scoped(() => {
    const offset = sub(reshape(arange(columns), [1, columns]), reshape(arange(rows), [rows, 1]));
    return greaterEqual(offset, k);
  });
}
