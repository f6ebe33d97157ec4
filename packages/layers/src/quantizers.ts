// Host-side quantizers: Keras 3.16's NumPy paths (`to_numpy=True` in quantizers.py), which is how
// `quantize()` turns float weights into int8 / packed int4 tensors. They run over typed arrays in
// float32 arithmetic: every step below is one NumPy float32 operation, emulated as Math.fround of
// the double result (exact for +, −, ×, ÷ of float32 operands), and np.round is round half to even.
// Quantizing a fixture's float weights therefore gives Keras's integer tensors bit for bit.
import { argumentError } from '@tensorzoo/core';

/** Keras's backend.epsilon() (1e-7) as NumPy meets it: a Python float turned float32 next to a float32 array. */
export const KERAS_EPSILON = Math.fround(1e-7);

/** NumPy's np.round: round half to even (banker's rounding). */
export function roundHalfToEven(value: number): number {
  const floor = Math.floor(value);
  const difference = value - floor;
  if (difference < 0.5) return floor;
  if (difference > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

const clip = (value: number, low: number, high: number) => (value < low ? low : value > high ? high : value);

function checkShape(op: string, values: ArrayLike<number>, shape: readonly number[]): number {
  if (!Array.isArray(shape) || !shape.every((size) => Number.isInteger(size) && size >= 0)) argumentError(op, 'shape', 'an array of non-negative integers', shape);
  const size = shape.reduce((total, dim) => total * dim, 1);
  if (!values || values.length !== size) argumentError(op, 'values', `${size} values (shape [${shape.join(', ')}])`, `${values?.length} values`);
  return size;
}

function normalizeAxes(op: string, axes: number | readonly number[], rank: number): number[] {
  const list = (typeof axes === 'number' ? [axes] : [...axes]).map((axis) => (axis < 0 ? axis + rank : axis));
  if (list.some((axis) => !Number.isInteger(axis) || axis < 0 || axis >= rank) || new Set(list).size !== list.length)
    argumentError(op, 'axis', `distinct axes in [-${rank}, ${rank})`, axes);
  return list.sort((a, b) => a - b);
}

export interface HostAbsMaxQuantized {
  /** int8 values, in the input's shape. */
  quantized: Int8Array;
  /** float32 scales, in the input's shape with the reduced axes kept as size 1 (keepdims). */
  scale: Float32Array;
  scaleShape: number[];
}

/**
 * Keras's `abs_max_quantize(x, axis, value_range, to_numpy=True)`:
 * scale = range_max / (max|x| over `axis` + ε); q = clip(round_half_even(x · scale), range) as int8.
 * @param values float values, row-major in `shape`
 * @param axis one axis or several (negative counts from the end)
 * @param valueRange default [-127, 127]; int4 per-channel uses [-8, 7]
 */
export function absMaxQuantizeHost(
  values: ArrayLike<number>,
  shape: readonly number[],
  axis: number | readonly number[],
  valueRange: readonly [number, number] = [-127, 127],
): HostAbsMaxQuantized {
  const op = 'absMaxQuantizeHost';
  const size = checkShape(op, values, shape);
  const reduced = normalizeAxes(op, axis, shape.length);
  const scaleShape = shape.map((dim, index) => (reduced.includes(index) ? 1 : dim));
  const scaleSize = scaleShape.reduce((total, dim) => total * dim, 1);
  // The scale index of each element: its coordinates with the reduced ones dropped.
  const scaleStrides = new Array<number>(shape.length).fill(0);
  for (let index = shape.length - 1, stride = 1; index >= 0; index--) {
    scaleStrides[index] = reduced.includes(index) ? 0 : stride;
    stride *= scaleShape[index]!;
  }
  const coordinates = new Array<number>(shape.length).fill(0);
  const scaleIndexOf = new Int32Array(size);
  for (let flat = 0, scaleIndex = 0; flat < size; flat++) {
    scaleIndexOf[flat] = scaleIndex;
    for (let dim = shape.length - 1; dim >= 0; dim--) {
      coordinates[dim]!++;
      scaleIndex += scaleStrides[dim]!;
      if (coordinates[dim]! < shape[dim]!) break;
      scaleIndex -= scaleStrides[dim]! * shape[dim]!;
      coordinates[dim] = 0;
    }
  }
  const maxAbs = new Float32Array(scaleSize);
  for (let flat = 0; flat < size; flat++) {
    const magnitude = Math.abs(values[flat]!);
    const target = scaleIndexOf[flat]!;
    if (magnitude > maxAbs[target]! || magnitude !== magnitude) maxAbs[target] = magnitude;
  }
  const [low, high] = valueRange;
  const scale = new Float32Array(scaleSize);
  for (let index = 0; index < scaleSize; index++) scale[index] = Math.fround(high / Math.fround(maxAbs[index]! + KERAS_EPSILON));
  const quantized = new Int8Array(size);
  for (let flat = 0; flat < size; flat++)
    quantized[flat] = clip(roundHalfToEven(Math.fround(Math.fround(values[flat]!) * scale[scaleIndexOf[flat]!]!)), low, high);
  return { quantized, scale, scaleShape };
}

/** Where a matrix view's elements live: element (row, column) at row·rowStride + column·columnStride. */
export interface MatrixLayout {
  rows: number;
  columns: number;
  rowStride: number;
  columnStride: number;
}

export interface HostGroupedQuantized {
  /** int8 values in [-8, 7], laid out as the input. */
  quantized: Int8Array;
  /** float32 [nGroups, columns] in `scaleLayout`. */
  scale: Float32Array;
  /** int8 zero points, same layout as `scale`. */
  zero: Int8Array;
  groups: number;
}

/**
 * Keras's `abs_max_quantize_grouped_with_zero_point(x, block_size, to_numpy=True)` for a 2D
 * [rows, columns] matrix: groups of `blockSize` rows (the last one zero-padded, so its min/max
 * include 0, as Keras pads); per group and column scale = (max − min + ε) / 15,
 * zero = clip(round(−min / scale) − 8, −8, 7), q = clip(round(x / scale) + zero, −8, 7).
 * `layout` says where (row, column) lives in `values` (and in the returned `quantized`);
 * `scaleLayout` where (group, column) lives in the returned scale/zero (default row-major
 * [nGroups, columns]). Keras's Embedding quantizes its transposed table: pass a transposed view.
 */
export function absMaxQuantizeGroupedHost(
  values: ArrayLike<number>,
  layout: MatrixLayout,
  blockSize: number,
  options: { valueRange?: readonly [number, number]; scaleLayout?: { groupStride: number; columnStride: number } } = {},
): HostGroupedQuantized {
  const op = 'absMaxQuantizeGroupedHost';
  const { rows, columns, rowStride, columnStride } = layout;
  if (!Number.isInteger(blockSize) || blockSize <= 0) argumentError(op, 'blockSize', 'a positive integer', blockSize);
  if (!values || values.length !== rows * columns) argumentError(op, 'values', `${rows * columns} values`, `${values?.length} values`);
  const [low, high] = options.valueRange ?? [-8, 7];
  const groups = Math.ceil(rows / blockSize);
  const scaleLayout = options.scaleLayout ?? { groupStride: columns, columnStride: 1 };
  const scale = new Float32Array(groups * columns);
  const zero = new Int8Array(groups * columns);
  const quantized = new Int8Array(rows * columns);
  const span = Math.fround(high - low);
  for (let group = 0; group < groups; group++) {
    const first = group * blockSize;
    const last = Math.min(rows, first + blockSize);
    const padded = first + blockSize > rows; // zero rows join the group
    for (let column = 0; column < columns; column++) {
      let minimum = padded ? 0 : Infinity;
      let maximum = padded ? 0 : -Infinity;
      for (let row = first; row < last; row++) {
        const value = Math.fround(values[row * rowStride + column * columnStride]!);
        if (value < minimum) minimum = value;
        if (value > maximum) maximum = value;
      }
      const groupScale = Math.fround(Math.fround(Math.fround(maximum - minimum) + KERAS_EPSILON) / span);
      const groupZero = clip(roundHalfToEven(Math.fround(-minimum / groupScale)) + low, low, high);
      const target = group * scaleLayout.groupStride + column * scaleLayout.columnStride;
      scale[target] = groupScale;
      zero[target] = groupZero;
      for (let row = first; row < last; row++) {
        const position = row * rowStride + column * columnStride;
        quantized[position] = clip(roundHalfToEven(Math.fround(Math.fround(values[position]!) / groupScale)) + groupZero, low, high);
      }
    }
  }
  return { quantized, scale, zero, groups };
}

function splitAxis(op: string, shape: readonly number[], axis: number): { outer: number; length: number; inner: number; axis: number } {
  const position = axis < 0 ? axis + shape.length : axis;
  if (!Number.isInteger(position) || position < 0 || position >= shape.length) argumentError(op, 'axis', `an axis in [-${shape.length}, ${shape.length})`, axis);
  const outer = shape.slice(0, position).reduce((total, dim) => total * dim, 1);
  const inner = shape.slice(position + 1).reduce((total, dim) => total * dim, 1);
  return { outer, length: shape[position]!, inner, axis: position };
}

/**
 * Keras's `pack_int4(values, axis)`: along `axis`, pairs (even index → low nibble, odd index →
 * high nibble) become one int8; an odd length is padded with 0. Returns the packed values and shape.
 */
export function packInt4Host(values: ArrayLike<number>, shape: readonly number[], axis = 0): { packed: Int8Array; shape: number[] } {
  const op = 'packInt4Host';
  checkShape(op, values, shape);
  const { outer, length, inner, axis: position } = splitAxis(op, shape, axis);
  const packedLength = Math.ceil(length / 2);
  const packed = new Int8Array(outer * packedLength * inner);
  for (let o = 0; o < outer; o++)
    for (let pair = 0; pair < packedLength; pair++)
      for (let i = 0; i < inner; i++) {
        const low = values[(o * length + 2 * pair) * inner + i]! & 0x0f;
        const high = 2 * pair + 1 < length ? values[(o * length + 2 * pair + 1) * inner + i]! & 0x0f : 0;
        packed[(o * packedLength + pair) * inner + i] = low | (high << 4); // Int8Array wraps to the same bits
      }
  const packedShape = [...shape];
  packedShape[position] = packedLength;
  return { packed, shape: packedShape };
}

/** Keras's `unpack_int4(packed, originalLength, axis)`: nibble n → (n ^ 8) − 8, in [-8, 7]. */
export function unpackInt4Host(packed: ArrayLike<number>, shape: readonly number[], originalLength: number, axis = 0): { values: Int8Array; shape: number[] } {
  const op = 'unpackInt4Host';
  checkShape(op, packed, shape);
  const { outer, length: packedLength, inner, axis: position } = splitAxis(op, shape, axis);
  if (!Number.isInteger(originalLength) || Math.ceil(originalLength / 2) !== packedLength)
    argumentError(op, 'originalLength', `a length that packs to ${packedLength}`, originalLength);
  const values = new Int8Array(outer * originalLength * inner);
  for (let o = 0; o < outer; o++)
    for (let index = 0; index < originalLength; index++)
      for (let i = 0; i < inner; i++) {
        const byte = packed[(o * packedLength + (index >> 1)) * inner + i]! & 0xff;
        const nibble = index & 1 ? byte >> 4 : byte & 0x0f;
        values[(o * originalLength + index) * inner + i] = (nibble ^ 8) - 8;
      }
  const unpackedShape = [...shape];
  unpackedShape[position] = originalLength;
  return { values, shape: unpackedShape };
}
