// Shape arithmetic shared by ops and backends.
import { argumentError } from './errors.js';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let size = 1;
  for (const dimension of shape) size *= dimension;
  return size;
}

export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis]!;
  }
  return strides;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((dimension, axis) => dimension === b[axis]);
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** NumPy broadcasting of two shapes; throws naming the op when they are incompatible. */
export function broadcastShapes(op: string, a: Shape, b: Shape, names: [string, string] = ['a', 'b']): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let index = 0; index < rank; index++) {
    const dimA = a[a.length - rank + index] ?? 1;
    const dimB = b[b.length - rank + index] ?? 1;
    if (dimA === dimB || dimB === 1) out[index] = dimA;
    else if (dimA === 1) out[index] = dimB;
    else
      argumentError(op, names[1], `a shape broadcastable with ${names[0]} ${formatShape(a)}`, formatShape(b));
  }
  return out;
}

/** Resolve a possibly negative axis against a rank, naming the op on failure. */
export function normalizeAxis(op: string, axis: number, rank: number, argument = 'axis'): number {
  // A scalar has no axes: reducing, splitting or gathering "along" one is an error, not a no-op.
  if (rank === 0) argumentError(op, argument, 'no axis (the tensor is a scalar of rank 0)', String(axis));
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank)
    argumentError(op, argument, `an integer in [${-rank}, ${rank - 1}]`, String(axis));
  return axis < 0 ? axis + rank : axis;
}

export function normalizeAxes(op: string, axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, axis) => axis);
  const list = typeof axes === 'number' ? [axes] : [...axes];
  const normalized = list.map((axis) => normalizeAxis(op, axis, rank));
  if (new Set(normalized).size !== normalized.length) argumentError(op, 'axis', 'distinct axes', `[${list.join(', ')}]`);
  return normalized;
}

/**
 * For an output index space of shape `outShape`, the flat offsets into an input of shape
 * `inShape` broadcast against it (right-aligned). Used by broadcasting kernels of every backend.
 */
export function broadcastOffsets(inShape: Shape, outShape: Shape): Int32Array {
  const outSize = sizeOf(outShape);
  const offsets = new Int32Array(outSize);
  const rank = outShape.length;
  const inStrides = stridesOf(inShape);
  const effectiveStrides = new Array<number>(rank).fill(0);
  for (let axis = 0; axis < inShape.length; axis++) {
    const outAxis = rank - inShape.length + axis;
    effectiveStrides[outAxis] = inShape[axis] === 1 ? 0 : inStrides[axis]!;
  }
  const counter = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let index = 0; index < outSize; index++) {
    offsets[index] = offset;
    for (let axis = rank - 1; axis >= 0; axis--) {
      counter[axis]!++;
      offset += effectiveStrides[axis]!;
      if (counter[axis]! < outShape[axis]!) break;
      offset -= effectiveStrides[axis]! * counter[axis]!;
      counter[axis] = 0;
    }
  }
  return offsets;
}
