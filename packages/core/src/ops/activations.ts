// gelu, softmax (with an optional mask), logSoftmax, sigmoid. Each uses the active backend's fused
// kernel when it has one and composes primitives otherwise; the composition is the naive twin.
import { argumentError } from '../errors.js';
import { formatShape, normalizeAxis, shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { zeros } from './creation.js';
import { activeBackendHas, assertTensor, run, scoped } from './dispatch.js';
import { add, cast, div, erf, exp, greater, log, mul, sub, tanh, where } from './elementwise.js';
import { max, sum } from './reductions.js';
import { transpose } from './shape-ops.js';

function asFloat(op: string, x: Tensor): Tensor {
  assertTensor(op, 'x', x);
  if (x.dtype === 'bool' || x.dtype === 'int32') argumentError(op, 'x', 'a float tensor', x);
  return x;
}

/** gelu(x) = x Φ(x); `approximate` uses 0.5 x (1 + tanh(√(2/π)(x + 0.044715 x³))) as Keras does. */
export function gelu(x: Tensor, approximate = false): Tensor {
  asFloat('gelu', x);
  if (activeBackendHas('Gelu')) return run('Gelu', { x }, { approximate }, x.shape);
  return scoped(() => {
    if (approximate) {
      const cube = mul(mul(x, x), x);
      const inner = mul(add(x, mul(cube, 0.044715)), Math.sqrt(2 / Math.PI));
      return mul(mul(x, 0.5), add(tanh(inner), 1));
    }
    return mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));
  });
}

export function sigmoid(x: Tensor): Tensor {
  asFloat('sigmoid', x);
  return scoped(() => div(1, add(exp(mul(x, -1)), 1)));
}

function moveAxisLast(x: Tensor, axis: number): [Tensor, number[] | null] {
  if (axis === x.rank - 1) return [x, null];
  const perm = [...Array(x.rank).keys()].filter((index) => index !== axis).concat(axis);
  const inverse = perm.map((_, index) => perm.indexOf(index));
  return [transpose(x, perm), inverse];
}

/**
 * Numerically stable softmax along `axis`. With a bool `mask` (broadcastable to x), masked
 * entries are exactly 0 and a fully masked row is all zeros (Keras's Softmax with a mask).
 */
export function softmax(x: Tensor, axis = -1, mask?: Tensor): Tensor {
  asFloat('softmax', x);
  const position = normalizeAxis('softmax', axis, x.rank);
  if (mask !== undefined) {
    assertTensor('softmax', 'mask', mask);
    if (mask.dtype !== 'bool') argumentError('softmax', 'mask', 'a bool tensor', mask);
    // The mask broadcasts to x's shape (never widens it): right-aligned, each dim 1 or equal.
    const offset = x.rank - mask.rank;
    if (offset < 0 || mask.shape.some((dimension, axis) => dimension !== 1 && dimension !== x.shape[axis + offset]))
      argumentError('softmax', 'mask', `a shape broadcastable to ${formatShape(x.shape)}`, formatShape(mask.shape));
  }
  return scoped(() => {
    const input = x.dtype === 'float32' ? x : cast(x, 'float32');
    // Nothing to normalise over an empty axis (and max over it would be an error).
    if (x.size === 0) return zeros(x.shape);
    if (activeBackendHas('Softmax') && (mask === undefined || shapesEqual(mask.shape, x.shape))) {
      const [moved, inverse] = moveAxisLast(input, position);
      const [movedMask] = mask ? moveAxisLast(mask, position) : [undefined];
      const out = run('Softmax', movedMask ? { x: moved, mask: movedMask } : { x: moved }, {}, moved.shape);
      return inverse ? transpose(out, inverse) : out;
    }
    // Masked entries become -inf, so exp gives exactly 0 whatever the other logits are (a finite
    // filler such as -1e9 wins the max when every kept logit is below it). A fully masked row has
    // max -inf and sum 0: it is shifted by 0 and divided by 1 instead, so it computes zeros, not
    // NaN (which a gradient tape would carry back, as 0 · NaN), and other rows are untouched.
    if (!mask) {
      const exponent = exp(sub(input, max(input, position, true)));
      return div(exponent, sum(exponent, position, true));
    }
    const filled = where(mask, input, -Infinity);
    const rowMax = max(filled, position, true);
    const exponent = exp(sub(filled, where(greater(rowMax, -Infinity), rowMax, 0)));
    const total = sum(exponent, position, true);
    return where(mask, div(exponent, where(greater(total, 0), total, 1)), 0);
  });
}

export function logSoftmax(x: Tensor, axis = -1): Tensor {
  asFloat('logSoftmax', x);
  const position = normalizeAxis('logSoftmax', axis, x.rank);
  if (x.size === 0) return zeros(x.shape);
  return scoped(() => {
    const shifted = sub(x, max(x, position, true));
    return sub(shifted, log(sum(exp(shifted), position, true)));
  });
}
