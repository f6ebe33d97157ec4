// Reductions over any set of axes (negative allowed), with keepDims. The kernels reduce the last
// axis of a [outer, inner] view; these ops move the reduced axes last first.
import { argumentError } from '../errors.js';
import type { KernelName } from '../kernel-names.js';
import { normalizeAxes, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { assertTensor, run } from './dispatch.js';
import { cast, div } from './elementwise.js';
import { reshape, transpose } from './shape-ops.js';

export interface ReduceOptions {
  keepDims?: boolean;
}

function reduce(kernelName: KernelName, op: string, x: Tensor, axis: number | readonly number[] | undefined, keepDims: boolean): Tensor {
  assertTensor(op, 'x', x);
  const axes = normalizeAxes(op, axis, x.rank);
  const kept = x.shape.map((_, index) => index).filter((index) => !axes.includes(index));
  const outer = sizeOf(kept.map((index) => x.shape[index]!));
  const inner = sizeOf(axes.map((index) => x.shape[index]!));
  if (inner === 0 && (kernelName === 'Max' || kernelName === 'Min' || kernelName === 'ArgMax'))
    argumentError(op, 'x', 'a non-empty reduction', `shape [${x.shape.join(', ')}] reduced over axes [${axes.join(', ')}]`);
  const isTrailing = axes.every((value, index) => value === x.rank - axes.length + index) || axes.length === 0;
  const sortedAxes = [...axes].sort((a, b) => a - b);
  const moved = isTrailing ? x : transpose(x, [...kept, ...sortedAxes]);
  const flat = reshape(moved, [outer, inner]);
  const reduced = run(kernelName, { x: flat }, {}, [outer]);
  flat.dispose();
  if (moved !== x) moved.dispose();
  const outShape = keepDims ? x.shape.map((dimension, index) => (axes.includes(index) ? 1 : dimension)) : kept.map((index) => x.shape[index]!);
  const out = reshape(reduced, outShape);
  reduced.dispose();
  return out;
}

export function sum(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  return reduce('Sum', 'sum', x, axis, keepDims);
}

export function max(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  return reduce('Max', 'max', x, axis, keepDims);
}

export function min(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  return reduce('Min', 'min', x, axis, keepDims);
}

/** The index of the first maximum along one axis (int32). */
export function argmax(x: Tensor, axis = -1, keepDims = false): Tensor {
  if (typeof axis !== 'number') argumentError('argmax', 'axis', 'a single axis', axis);
  return reduce('ArgMax', 'argmax', x, axis, keepDims);
}

export function mean(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  assertTensor('mean', 'x', x);
  const axes = normalizeAxes('mean', axis, x.rank);
  const count = sizeOf(axes.map((index) => x.shape[index]!));
  const input = x.dtype === 'float32' ? x : cast(x, 'float32');
  const total = sum(input, axes, keepDims);
  if (input !== x) input.dispose();
  const out = div(total, count);
  total.dispose();
  return out;
}
