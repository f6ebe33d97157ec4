// Framework-neutral tensors as checkpoint files store them: a shape, a dtype name and the raw
// element array. Half-precision types (bfloat16, float16) have no JavaScript typed array, so
// they travel as their raw 16-bit patterns in a Uint16Array; `toFloat32` widens them exactly.

import { CheckpointError } from './errors.js';

/** Every element type the Keras h5, safetensors and LoRA readers can return. */
export type StoredDType =
  | 'float64'
  | 'float32'
  | 'bfloat16'
  | 'float16'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint64'
  | 'uint32'
  | 'uint16'
  | 'uint8'
  | 'bool';

/** The typed array that holds each dtype's elements. */
export interface StoredDataByDType {
  float64: Float64Array;
  float32: Float32Array;
  bfloat16: Uint16Array;
  float16: Uint16Array;
  int64: BigInt64Array;
  int32: Int32Array;
  int16: Int16Array;
  int8: Int8Array;
  uint64: BigUint64Array;
  uint32: Uint32Array;
  uint16: Uint16Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

export type StoredData = StoredDataByDType[StoredDType];

/** A tensor as read from or written to a checkpoint file; `data` is row-major. */
export interface StoredTensor {
  shape: number[];
  dtype: StoredDType;
  data: StoredData;
}

interface DTypeInfo {
  byteSize: number;
  arrayType: { new (buffer: ArrayBuffer, byteOffset: number, length: number): StoredData; name: string };
}

const DTYPE_INFO: Record<StoredDType, DTypeInfo> = {
  float64: { byteSize: 8, arrayType: Float64Array },
  float32: { byteSize: 4, arrayType: Float32Array },
  bfloat16: { byteSize: 2, arrayType: Uint16Array },
  float16: { byteSize: 2, arrayType: Uint16Array },
  int64: { byteSize: 8, arrayType: BigInt64Array },
  int32: { byteSize: 4, arrayType: Int32Array },
  int16: { byteSize: 2, arrayType: Int16Array },
  int8: { byteSize: 1, arrayType: Int8Array },
  uint64: { byteSize: 8, arrayType: BigUint64Array },
  uint32: { byteSize: 4, arrayType: Uint32Array },
  uint16: { byteSize: 2, arrayType: Uint16Array },
  uint8: { byteSize: 1, arrayType: Uint8Array },
  bool: { byteSize: 1, arrayType: Uint8Array },
};

export const STORED_DTYPES = Object.keys(DTYPE_INFO) as StoredDType[];

export function isStoredDType(value: string): value is StoredDType {
  return Object.prototype.hasOwnProperty.call(DTYPE_INFO, value);
}

/** Bytes per element of `dtype`. */
export function dtypeByteSize(dtype: StoredDType): number {
  return DTYPE_INFO[dtype].byteSize;
}

/** Number of elements of a shape (1 for a scalar `[]`). */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dimension of shape) count *= dimension;
  return count;
}

/** Bytes the tensor occupies in a file: elements times element size. */
export function storedByteLength(tensor: Pick<StoredTensor, 'shape' | 'dtype'>): number {
  return elementCount(tensor.shape) * dtypeByteSize(tensor.dtype);
}

/**
 * Views little-endian bytes as the typed array of `dtype` (copying only when the bytes are not
 * aligned for it).
 * Every supported host is little-endian, as are the files, so no byte swapping is needed.
 */
export function storedDataFromBytes(dtype: StoredDType, bytes: Uint8Array): StoredData {
  const { byteSize, arrayType } = DTYPE_INFO[dtype];
  if (bytes.byteLength % byteSize !== 0) {
    throw new CheckpointError(`${bytes.byteLength} bytes are not a whole number of ${dtype} elements`);
  }
  // A typed array view needs an offset that is a multiple of its element size and a plain
  // ArrayBuffer; anything else is copied (slice() always yields a fresh, offset-0 ArrayBuffer).
  const usable = bytes.byteOffset % byteSize === 0 && bytes.buffer instanceof ArrayBuffer ? bytes : bytes.slice();
  return new arrayType(usable.buffer as ArrayBuffer, usable.byteOffset, usable.byteLength / byteSize);
}

/** The raw little-endian bytes of a tensor's data (a view, not a copy). */
export function storedDataBytes(tensor: StoredTensor): Uint8Array {
  const { data } = tensor;
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Checks that a tensor is self-consistent: known dtype, whole non-negative dimensions, the typed
 * array that dtype travels in, and exactly one element per position. `where` names the file and
 * tensor for the error message.
 */
export function checkStoredTensor(tensor: StoredTensor, where: { file?: string; tensor?: string }): void {
  if (!isStoredDType(tensor.dtype)) {
    throw new CheckpointError(`unknown dtype "${String(tensor.dtype)}"`, where);
  }
  if (!Array.isArray(tensor.shape) || tensor.shape.some((dimension) => !Number.isSafeInteger(dimension) || dimension < 0)) {
    throw new CheckpointError(`shape ${JSON.stringify(tensor.shape)} is not a list of non-negative integers`, where);
  }
  const { arrayType } = DTYPE_INFO[tensor.dtype];
  if (!(tensor.data instanceof arrayType)) {
    throw new CheckpointError(
      `${tensor.dtype} data must be a ${arrayType.name}, got ${tensor.data?.constructor?.name ?? typeof tensor.data}`,
      where,
    );
  }
  const expected = elementCount(tensor.shape);
  if (tensor.data.length !== expected) {
    throw new CheckpointError(
      `shape ${JSON.stringify(tensor.shape)} needs ${expected} elements but the data has ${tensor.data.length}`,
      where,
    );
  }
}

/** What a caller expects of a tensor it reads; a mismatch is an error naming file and tensor. */
export interface TensorExpectation {
  shape?: readonly number[];
}

/** Throws a CheckpointError when `shape` differs from the expected one. */
export function checkExpectedShape(shape: readonly number[], expected: TensorExpectation | undefined, where: { file?: string; tensor?: string }): void {
  if (expected?.shape === undefined) return;
  if (shape.length !== expected.shape.length || shape.some((dimension, axis) => dimension !== expected.shape![axis])) {
    throw new CheckpointError(`shape mismatch: expected ${JSON.stringify(expected.shape)}, the file has ${JSON.stringify(shape)}`, where);
  }
}

// bfloat16 is the upper half of an IEEE float32, so widening is a 16-bit shift; this view pair
// reinterprets bits without allocation.
const conversionWords = new Uint32Array(1);
const conversionFloats = new Float32Array(conversionWords.buffer);

/** Exact float32 values of raw bfloat16 bit patterns. */
export function bfloat16BitsToFloat32(bits: Uint16Array): Float32Array {
  const words = new Uint32Array(bits.length);
  for (let index = 0; index < bits.length; index++) words[index] = bits[index]! << 16;
  return new Float32Array(words.buffer);
}

/**
 * Rounds float32 values to bfloat16 bit patterns with round-to-nearest-even, the rounding that
 * ml_dtypes (Keras), PyTorch and JAX use; NaN stays a quiet NaN with its sign.
 */
export function float32ToBfloat16Bits(values: Float32Array): Uint16Array {
  const bits = new Uint16Array(values.length);
  for (let index = 0; index < values.length; index++) {
    conversionFloats[0] = values[index]!;
    const word = conversionWords[0]!;
    if ((word & 0x7f800000) === 0x7f800000 && (word & 0x007fffff) !== 0) {
      bits[index] = (word >>> 16) | 0x0040;
      continue;
    }
    const roundingBias = 0x7fff + ((word >>> 16) & 1);
    bits[index] = ((word + roundingBias) >>> 16) & 0xffff;
  }
  return bits;
}

/** Exact float32 values of raw IEEE binary16 bit patterns (subnormals, infinities, NaN included). */
export function float16BitsToFloat32(bits: Uint16Array): Float32Array {
  const values = new Float32Array(bits.length);
  for (let index = 0; index < bits.length; index++) {
    const half = bits[index]!;
    const sign = half & 0x8000 ? -1 : 1;
    const exponent = (half >>> 10) & 0x1f;
    const mantissa = half & 0x3ff;
    if (exponent === 0) values[index] = sign * mantissa * 2 ** -24;
    else if (exponent === 0x1f) values[index] = mantissa === 0 ? sign * Infinity : NaN;
    else values[index] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  return values;
}

/**
 * Float32 values of any floating tensor (bfloat16 and float16 widen exactly; float64 rounds).
 * Float32 data is returned as is, not copied.
 */
export function toFloat32(tensor: StoredTensor, where: { file?: string; tensor?: string } = {}): Float32Array {
  switch (tensor.dtype) {
    case 'float32':
      return tensor.data as Float32Array;
    case 'bfloat16':
      return bfloat16BitsToFloat32(tensor.data as Uint16Array);
    case 'float16':
      return float16BitsToFloat32(tensor.data as Uint16Array);
    case 'float64':
      return Float32Array.from(tensor.data as Float64Array);
    default:
      throw new CheckpointError(`expected a floating-point tensor, got ${tensor.dtype}`, where);
  }
}
