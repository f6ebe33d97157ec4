// Checks on a float weight as read from a checkpoint, before it becomes a tensor (issue 19):
// - its dtype is a floating one: an I32 or U32 tensor where a kernel belongs used to be cast to
//   float32 without a word (all-zero or garbage output);
// - its values are finite: NaN or ±Inf in a weight used to flow through to JSON `null` outputs.
// The scan reads the stored bits once (no decoded copy): float32 words, or the exponent field
// of bfloat16 / float16 patterns. Deviation from KerasHub, which loads both silently
// (docs/differences-from-kerashub.md).

import { CheckpointError, type CheckpointErrorLocation } from './errors.js';
import type { StoredTensor } from './stored-tensor.js';

const FLOAT_DTYPES = new Set(['float32', 'bfloat16', 'float16', 'float64']);

/** Index of the first non-finite element and how many there are (-1 and 0 when none). */
export function findNonFinite(tensor: StoredTensor): { first: number; count: number } {
  let first = -1;
  let count = 0;
  const note = (index: number) => {
    if (first < 0) first = index;
    count++;
  };
  const { data } = tensor;
  switch (tensor.dtype) {
    case 'float32':
    case 'float64': {
      const values = data as Float32Array | Float64Array;
      for (let index = 0; index < values.length; index++) {
        // `x - x` is 0 for finite x and NaN for NaN and ±Inf: one test for both.
        const value = values[index]!;
        if (value - value !== 0) note(index);
      }
      break;
    }
    case 'bfloat16':
    case 'float16': {
      // All-ones exponent: bfloat16 bits 7..14 (0x7f80), float16 bits 10..14 (0x7c00).
      const exponentMask = tensor.dtype === 'bfloat16' ? 0x7f80 : 0x7c00;
      const bits = data as Uint16Array;
      for (let index = 0; index < bits.length; index++) if ((bits[index]! & exponentMask) === exponentMask) note(index);
      break;
    }
    default:
      break;
  }
  return { first, count };
}

/** Row-major coordinates of a flat element index, for messages: `[2, 17]`. */
function coordinates(shape: readonly number[], index: number): string {
  const result: number[] = [];
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    result.unshift(index % shape[axis]!);
    index = Math.floor(index / shape[axis]!);
  }
  return `[${result.join(', ')}]`;
}

/**
 * Throws a CheckpointError at `where` when `tensor` is not a floating-point tensor or holds NaN
 * or ±Inf (giving how many and where the first one is).
 */
export function checkFloatWeight(tensor: StoredTensor, where: CheckpointErrorLocation): void {
  if (!FLOAT_DTYPES.has(tensor.dtype)) {
    throw new CheckpointError(`stores ${tensor.dtype} values where a floating-point weight belongs (float32, bfloat16 or float16); a wrong dtype is not cast`, where);
  }
  const { first, count } = findNonFinite(tensor);
  if (count > 0) {
    throw new CheckpointError(
      `holds ${count} non-finite value${count === 1 ? '' : 's'} (NaN or ±Inf), the first at element ${first} ${coordinates(tensor.shape, first)} of shape [${tensor.shape.join(', ')}]`,
      where,
    );
  }
}
