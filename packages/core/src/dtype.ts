// Data types. `bfloat16`, `float16` and `int8` are storage dtypes: bfloat16/float16 bits live in a
// Uint16Array and every compute kernel sees them decoded to float32; int8 (quantized weights and
// activations, issue 13) lives in an Int8Array and compute kernels see it decoded to int32. A
// kernel that lists an input in `storageInputs` reads it as stored instead (the wasm matmul reads
// bfloat16 weights, the quantized matmuls and Gather read int8 tables).

export type DType = 'float32' | 'int32' | 'bool' | 'bfloat16' | 'float16' | 'int8';
export type ComputeDType = 'float32' | 'int32' | 'bool';
export type StorageDType = 'bfloat16' | 'float16' | 'int8';
export type StorageValues = Float32Array | Int32Array | Uint8Array | Uint16Array | Int8Array;
/** What `data()`/`dataSync()` return: compute values (an int8 tensor's are its Int8Array). */
export type TypedArray = Float32Array | Int32Array | Uint8Array | Int8Array;

export const allDTypes: readonly DType[] = ['float32', 'int32', 'bool', 'bfloat16', 'float16', 'int8'];

export function isStorageDType(dtype: DType): dtype is StorageDType {
  return dtype === 'bfloat16' || dtype === 'float16' || dtype === 'int8';
}

/** The dtype compute kernels see a dtype as: int8 → int32, bfloat16/float16 → float32. */
export function computeDTypeOf(dtype: DType): ComputeDType {
  if (dtype === 'int8') return 'int32';
  if (dtype === 'bfloat16' || dtype === 'float16') return 'float32';
  return dtype;
}

/** Integer dtypes (int32, int8): what quantized kernels and index ops accept. */
export function isIntegerDType(dtype: DType): boolean {
  return dtype === 'int32' || dtype === 'int8';
}

export function isFloatDType(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'bfloat16' || dtype === 'float16';
}

export function bytesPerElement(dtype: DType): number {
  switch (dtype) {
    case 'float32':
    case 'int32':
      return 4;
    case 'bfloat16':
    case 'float16':
      return 2;
    case 'bool':
    case 'int8':
      return 1;
  }
}

export function allocate(dtype: DType, size: number): StorageValues {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
    case 'bfloat16':
    case 'float16':
      return new Uint16Array(size);
    case 'int8':
      return new Int8Array(size);
  }
}

const conversionBuffer = new ArrayBuffer(4);
const conversionFloat = new Float32Array(conversionBuffer);
const conversionBits = new Uint32Array(conversionBuffer);

/** float32 → bfloat16 bits, round to nearest even (NaN stays NaN), as numpy/ml_dtypes do. */
export function float32ToBfloat16Bits(value: number): number {
  conversionFloat[0] = value;
  const bits = conversionBits[0]!;
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x007fffff) !== 0) return (bits >>> 16) | 0x0040;
  const rounding = 0x7fff + ((bits >>> 16) & 1);
  return ((bits + rounding) >>> 16) & 0xffff;
}

export function bfloat16BitsToFloat32(bits: number): number {
  conversionBits[0] = bits << 16;
  return conversionFloat[0]!;
}

/** IEEE half → float32. */
export function float16BitsToFloat32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** float32 → IEEE half bits, round to nearest even, overflow to infinity. */
export function float32ToFloat16Bits(value: number): number {
  conversionFloat[0] = value;
  const bits = conversionBits[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  let halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - halfExponent;
    let half = mantissa >> shift;
    const remainder = mantissa & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (remainder > halfway || (remainder === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (halfExponent << 10) | (mantissa >> 13);
  const remainder = mantissa & 0x1fff;
  if (remainder > 0x1000 || (remainder === 0x1000 && half & 1)) half++;
  return sign | half;
}

/**
 * float → int8 as the Cast kernel does: truncate toward zero, saturate to [-128, 127], NaN → 0
 * (a plain Int8Array store would wrap modulo 2⁸).
 */
export function saturateToInt8(value: number): number {
  if (value !== value) return 0;
  return Math.max(-128, Math.min(127, Math.trunc(value)));
}

/** float → int32: truncate toward zero, saturate to the int32 range, NaN → 0. */
export function saturateToInt32(value: number): number {
  if (value !== value) return 0;
  return Math.max(-2147483648, Math.min(2147483647, Math.trunc(value)));
}

/** Round half to even (numpy.round, Keras ops.round): 0.5 → 0, 1.5 → 2, 2.5 → 2, -0.5 → -0. */
export function roundHalfToEven(value: number): number {
  const rounded = Math.round(value);
  return rounded - value === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded;
}

/**
 * Decode a storage array (any dtype) into its compute representation. int8 stays an Int8Array
 * (its values are already the integers; kernels that need int32 get it through the Cast kernel).
 */
export function decodeToCompute(values: StorageValues, dtype: DType): TypedArray {
  if (dtype === 'bfloat16') {
    const out = new Float32Array(values.length);
    const words = new Uint32Array(out.buffer);
    for (let i = 0; i < values.length; i++) words[i] = values[i]! << 16;
    return out;
  }
  if (dtype === 'float16') {
    const out = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) out[i] = float16BitsToFloat32(values[i]!);
    return out;
  }
  return values as TypedArray;
}

/** Encode float32 values into bfloat16 or float16 bits. */
export function encodeStorage(values: ArrayLike<number>, dtype: 'bfloat16' | 'float16'): Uint16Array {
  const out = new Uint16Array(values.length);
  const encode = dtype === 'bfloat16' ? float32ToBfloat16Bits : float32ToFloat16Bits;
  for (let i = 0; i < values.length; i++) out[i] = encode(values[i]!);
  return out;
}

/**
 * The result dtype of a binary arithmetic op, following NumPy's rules for our dtypes, except that
 * integer arithmetic on int8 counts in int32 (NumPy would stay in int8 and wrap): a float on either
 * side gives float32, an int32 or int8 on either side gives int32.
 */
export function upcastDTypes(a: DType, b: DType): ComputeDType {
  if (isFloatDType(a) || isFloatDType(b)) return 'float32';
  if (isIntegerDType(a) || isIntegerDType(b)) return 'int32';
  return 'bool';
}
