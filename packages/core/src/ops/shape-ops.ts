// Ops that move data without arithmetic: reshape (a view), transpose, expandDims, squeeze,
// concat, stack, split, slice, gather/take.
import { engine } from '../engine.js';
import { argumentError } from '../errors.js';
import { formatShape, normalizeAxis, sizeOf, type Shape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { assertTensor, run } from './dispatch.js';

/** Same data, new shape; one dimension may be -1 (inferred). Shares data: no copy. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  assertTensor('reshape', 'x', x);
  if (!Array.isArray(shape)) argumentError('reshape', 'shape', 'an array of integers', shape);
  const inferredAt = shape.indexOf(-1);
  if (shape.filter((dimension) => dimension === -1).length > 1) argumentError('reshape', 'shape', 'at most one -1', formatShape(shape));
  if (!shape.every((dimension) => dimension === -1 || (Number.isInteger(dimension) && dimension >= 0)))
    argumentError('reshape', 'shape', 'non-negative integers or -1', formatShape(shape));
  const resolved = [...shape];
  if (inferredAt >= 0) {
    const known = sizeOf(shape.filter((dimension) => dimension !== -1));
    if (known === 0 || x.size % known !== 0)
      argumentError('reshape', 'shape', `a shape compatible with ${x.size} elements (input ${formatShape(x.shape)})`, formatShape(shape));
    resolved[inferredAt] = x.size / known;
  }
  if (sizeOf(resolved) !== x.size)
    argumentError('reshape', 'shape', `a shape with ${x.size} elements (input ${formatShape(x.shape)})`, formatShape(shape));
  return engine.makeView(x, resolved);
}

export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  assertTensor('transpose', 'x', x);
  const rank = x.rank;
  if (perm !== undefined && !Array.isArray(perm)) argumentError('transpose', 'perm', `a permutation of [0..${rank - 1}]`, perm);
  const permutation = perm ? perm.map((axis) => normalizeAxis('transpose', axis, rank, 'perm')) : [...Array(rank).keys()].reverse();
  if (permutation.length !== rank || new Set(permutation).size !== rank)
    argumentError('transpose', 'perm', `a permutation of [0..${rank - 1}]`, perm);
  if (permutation.every((axis, index) => axis === index)) return engine.makeView(x, x.shape);
  const outShape = permutation.map((axis) => x.shape[axis]!);
  // Moving only size-1 axes keeps the memory order (e.g. a [1, D, H] kernel to [D, 1, H]): a view.
  const moved = permutation.filter((axis) => x.shape[axis] !== 1);
  if (moved.every((axis, index) => index === 0 || axis > moved[index - 1]!)) return engine.makeView(x, outShape);
  return run('Transpose', { x }, { perm: permutation }, permutation.map((axis) => x.shape[axis]!));
}

export function expandDims(x: Tensor, axis = 0): Tensor {
  assertTensor('expandDims', 'x', x);
  const position = normalizeAxis('expandDims', axis, x.rank + 1);
  const shape = [...x.shape];
  shape.splice(position, 0, 1);
  return reshape(x, shape);
}

export function squeeze(x: Tensor, axis?: number | readonly number[]): Tensor {
  assertTensor('squeeze', 'x', x);
  let axes: number[];
  if (axis === undefined) axes = x.shape.flatMap((dimension, index) => (dimension === 1 ? [index] : []));
  else axes = (typeof axis === 'number' ? [axis] : [...axis]).map((value) => normalizeAxis('squeeze', value, x.rank));
  for (const value of axes)
    if (x.shape[value] !== 1) argumentError('squeeze', 'axis', `axes of size 1 (shape ${formatShape(x.shape)})`, String(value));
  return reshape(x, x.shape.filter((_, index) => !axes.includes(index)));
}

export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors as unknown) || tensors.length === 0) argumentError('concat', 'tensors', 'a non-empty array of tensors', tensors);
  tensors.forEach((value, index) => assertTensor('concat', `tensors[${index}]`, value));
  const first = tensors[0]!;
  const position = normalizeAxis('concat', axis, first.rank);
  let total = 0;
  tensors.forEach((value, index) => {
    if (value.dtype !== first.dtype) argumentError('concat', `tensors[${index}]`, `dtype ${first.dtype}`, value.dtype);
    if (value.rank !== first.rank || value.shape.some((dimension, at) => at !== position && dimension !== first.shape[at]))
      argumentError('concat', `tensors[${index}]`, `shape ${formatShape(first.shape)} except along axis ${position}`, formatShape(value.shape));
    total += value.shape[position]!;
  });
  const shape = [...first.shape];
  shape[position] = total;
  if (tensors.length === 1) return engine.makeView(first, first.shape);
  const inputs: Record<string, Tensor> = {};
  tensors.forEach((value, index) => (inputs[`x${index}`] = value));
  return run('Concat', inputs, { axis: position }, shape);
}

export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors as unknown) || tensors.length === 0) argumentError('stack', 'tensors', 'a non-empty array of tensors', tensors);
  const first = assertTensor('stack', 'tensors[0]', tensors[0]);
  tensors.forEach((value, index) => {
    assertTensor('stack', `tensors[${index}]`, value);
    if (value.rank !== first.rank || value.shape.some((dimension, at) => dimension !== first.shape[at]))
      argumentError('stack', `tensors[${index}]`, `shape ${formatShape(first.shape)}`, formatShape(value.shape));
    // Checked here (not left to concat) so that the error names stack and no expanded view leaks.
    if (value.dtype !== first.dtype) argumentError('stack', `tensors[${index}]`, `dtype ${first.dtype}`, value.dtype);
  });
  const position = normalizeAxis('stack', axis, first.rank + 1);
  const expanded = tensors.map((value) => expandDims(value, position));
  const out = concat(expanded, position);
  for (const value of expanded) value.dispose();
  return out;
}

/** Splits into equal parts (a number) or parts of the given sizes (one may be -1). */
export function split(x: Tensor, sizesOrCount: number | readonly number[], axis = 0): Tensor[] {
  assertTensor('split', 'x', x);
  const position = normalizeAxis('split', axis, x.rank);
  const length = x.shape[position]!;
  let sizes: number[];
  if (typeof sizesOrCount === 'number') {
    if (!Number.isInteger(sizesOrCount) || sizesOrCount <= 0 || length % sizesOrCount !== 0)
      argumentError('split', 'sizesOrCount', `a positive divisor of ${length} (axis ${position})`, String(sizesOrCount));
    sizes = new Array<number>(sizesOrCount).fill(length / sizesOrCount);
  } else {
    sizes = [...sizesOrCount];
    const inferred = sizes.indexOf(-1);
    if (inferred >= 0) sizes[inferred] = length - sizes.reduce((total, size) => total + (size === -1 ? 0 : size), 0);
    if (sizes.some((size) => !Number.isInteger(size) || size < 0) || sizes.reduce((total, size) => total + size, 0) !== length)
      argumentError('split', 'sizesOrCount', `sizes summing to ${length} (axis ${position})`, sizesOrCount);
  }
  let start = 0;
  return sizes.map((size) => {
    const begin = x.shape.map((_, index) => (index === position ? start : 0));
    const extent = x.shape.map((dimension, index) => (index === position ? size : dimension));
    start += size;
    return slice(x, begin, extent);
  });
}

/** x[begin : begin + size] per axis; a size of -1 runs to the end; negative begins count from the end. */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  assertTensor('slice', 'x', x);
  if (!Array.isArray(begin)) argumentError('slice', 'begin', 'an array of integers', begin);
  if (size !== undefined && !Array.isArray(size)) argumentError('slice', 'size', 'an array of integers', size);
  if (begin.length > x.rank) argumentError('slice', 'begin', `at most ${x.rank} entries`, begin);
  if (size && size.length > x.rank) argumentError('slice', 'size', `at most ${x.rank} entries`, size);
  const start = x.shape.map((dimension, axis) => {
    const value = begin[axis] ?? 0;
    const resolved = value < 0 ? value + dimension : value;
    if (!Number.isInteger(value) || resolved < 0 || resolved > dimension)
      argumentError('slice', 'begin', `begin[${axis}] in [${-dimension}, ${dimension}] (shape ${formatShape(x.shape)})`, begin);
    return resolved;
  });
  const extent = x.shape.map((dimension, axis) => {
    const value = size?.[axis] ?? -1;
    const resolved = value === -1 ? dimension - start[axis]! : value;
    if (!Number.isInteger(resolved) || resolved < 0 || start[axis]! + resolved > dimension)
      argumentError('slice', 'size', `size[${axis}] ≤ ${dimension - start[axis]!} (shape ${formatShape(x.shape)}, begin ${formatShape(start)})`, size);
    return resolved;
  });
  return run('Slice', { x }, { begin: start, size: extent }, extent);
}

/** Picks entries of x along `axis` by int32 `indices` (any shape): like NumPy's take. */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  assertTensor('gather', 'x', x);
  assertTensor('gather', 'indices', indices);
  if (indices.dtype !== 'int32') argumentError('gather', 'indices', 'an int32 tensor', indices);
  const position = normalizeAxis('gather', axis, x.rank);
  const shape = [...x.shape.slice(0, position), ...indices.shape, ...x.shape.slice(position + 1)];
  return run('Gather', { x, indices }, { axis: position }, shape);
}

export const take = gather;
