// The GGUF file format (version 3) as llama.cpp defines it (ggml/include/gguf.h, ggml's
// docs/gguf.md, gguf-py/gguf/constants.py), and the element encodings this package writes:
// F32, F16, BF16 and Q8_0.
//
// Layout: "GGUF", version u32, tensor count u64, metadata count u64, the metadata (key string,
// value type u32, value), the tensor infos (name string, n_dims u32, dims u64 × n_dims with the
// fastest-varying dimension first, ggml type u32, data offset u64 relative to the data section),
// zero padding to `general.alignment` (32 by default), then each tensor's data at its offset
// (every offset a multiple of the alignment). Strings are u64 byte length + UTF-8 bytes. All
// little-endian.

/** gguf_type: the metadata value types. */
export const GGUF_VALUE_TYPE = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
} as const;
export type GgufScalarType = Exclude<keyof typeof GGUF_VALUE_TYPE, 'array'>;

export type GgufValue =
  | { type: Exclude<GgufScalarType, 'string' | 'bool' | 'uint64' | 'int64'>; value: number }
  | { type: 'uint64' | 'int64'; value: bigint | number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'array'; itemType: 'string'; values: readonly string[] }
  | { type: 'array'; itemType: 'float32' | 'int32' | 'uint32'; values: ArrayLike<number> };

/** ggml_type values of the tensor types written here. */
export const GGML_TYPE = { F32: 0, F16: 1, Q8_0: 8, BF16: 30 } as const;
export type GgmlTypeName = keyof typeof GGML_TYPE;

/** llama_ftype (`general.file_type`) of a file whose matrices are all of one type. */
export const LLAMA_FILE_TYPE: Record<GgmlTypeName, number> = { F32: 0, F16: 1, Q8_0: 7, BF16: 32 };

/** GGML_QUANT_VERSION, written as `general.quantization_version`. */
export const GGML_QUANT_VERSION = 2;
export const GGUF_MAGIC = 'GGUF';
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Q8_0: blocks of 32 values, each an f16 scale then 32 int8 quants (34 bytes). */
export const Q8_0_BLOCK = 32;
export const Q8_0_BLOCK_BYTES = 2 + Q8_0_BLOCK;

/** Bytes of `elements` values of `type` (`elements` a multiple of the block size for Q8_0). */
export function ggmlByteLength(type: GgmlTypeName, elements: number): number {
  switch (type) {
    case 'F32':
      return elements * 4;
    case 'F16':
    case 'BF16':
      return elements * 2;
    case 'Q8_0':
      return (elements / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES;
  }
}

const words = new Uint32Array(1);
const floats = new Float32Array(words.buffer);

/**
 * IEEE binary16 bits of float32 values, rounded to nearest even (numpy's astype(float16) and
 * ggml's GGML_FP32_TO_FP16): overflow gives ±inf, tiny values subnormals or ±0, NaN stays NaN.
 */
export function float32ToFloat16Bits(values: Float32Array, out = new Uint16Array(values.length)): Uint16Array {
  for (let index = 0; index < values.length; index++) out[index] = float32ToFloat16(values[index]!);
  return out;
}

export function float32ToFloat16(value: number): number {
  floats[0] = value;
  const word = words[0]!;
  const sign = (word >>> 16) & 0x8000;
  const exponent = (word >>> 23) & 0xff;
  const mantissa = word & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 | (mantissa >>> 13) : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal (or zero): the implicit bit joins the mantissa, shifted right by 14 - halfExponent.
    if (halfExponent < -10) return sign;
    const full = mantissa | 0x800000;
    const shift = 14 - halfExponent;
    const halfMantissa = full >>> shift;
    const remainder = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    const rounded = remainder > halfway || (remainder === halfway && (halfMantissa & 1) === 1) ? halfMantissa + 1 : halfMantissa;
    return sign | rounded;
  }
  const halfMantissa = mantissa >>> 13;
  const remainder = mantissa & 0x1fff;
  let result = (halfExponent << 10) | halfMantissa;
  // Round to nearest even; a carry into the exponent is correct (up to infinity).
  if (remainder > 0x1000 || (remainder === 0x1000 && (halfMantissa & 1) === 1)) result += 1;
  return sign | result;
}

/** round-half-away-from-zero, C's roundf (llama.cpp's quantize_row_q8_0_ref). */
function roundAway(value: number): number {
  return value < 0 ? -Math.floor(-value + 0.5) : Math.floor(value + 0.5);
}

/**
 * Q8_0 blocks of float32 values (length a multiple of 32), exactly as llama.cpp's
 * quantize_row_q8_0_ref and gguf-py's Q8_0 quantizer compute them in float32: d = max|x| / 127,
 * id = d ? 1/d : 0, q = roundf(x · id); d is stored as f16 (the quants use the float32 d).
 */
export function quantizeQ8_0(values: Float32Array, out = new Uint8Array(ggmlByteLength('Q8_0', values.length))): Uint8Array {
  if (values.length % Q8_0_BLOCK !== 0) throw new RangeError(`Q8_0 needs a multiple of ${Q8_0_BLOCK} values, got ${values.length}`);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (let block = 0; block < values.length / Q8_0_BLOCK; block++) {
    const base = block * Q8_0_BLOCK;
    let amax = 0;
    for (let index = 0; index < Q8_0_BLOCK; index++) amax = Math.max(amax, Math.abs(values[base + index]!));
    const d = Math.fround(amax / 127);
    const id = d !== 0 ? Math.fround(1 / d) : 0;
    const at = block * Q8_0_BLOCK_BYTES;
    view.setUint16(at, float32ToFloat16(d), true);
    for (let index = 0; index < Q8_0_BLOCK; index++) view.setInt8(at + 2 + index, roundAway(Math.fround(values[base + index]! * id)));
  }
  return out;
}

/** Growable little-endian byte writer for the header. */
export class ByteWriter {
  private bytes = new Uint8Array(1 << 16);
  private view = new DataView(this.bytes.buffer);
  length = 0;
  private reserve(extra: number): void {
    if (this.length + extra <= this.bytes.length) return;
    let size = this.bytes.length;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }
  u8(value: number): void {
    this.reserve(1);
    this.view.setUint8(this.length, value);
    this.length += 1;
  }
  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
  }
  i32(value: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, value, true);
    this.length += 4;
  }
  u64(value: number | bigint): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(value), true);
    this.length += 8;
  }
  i64(value: number | bigint): void {
    this.reserve(8);
    this.view.setBigInt64(this.length, BigInt(value), true);
    this.length += 8;
  }
  f32(value: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, value, true);
    this.length += 4;
  }
  f64(value: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
  }
  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }
  string(value: string): void {
    const encoded = new TextEncoder().encode(value);
    this.u64(encoded.length);
    this.raw(encoded);
  }
  pad(alignment: number): void {
    const padding = (alignment - (this.length % alignment)) % alignment;
    this.reserve(padding);
    this.bytes.fill(0, this.length, this.length + padding);
    this.length += padding;
  }
  result(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

function writeScalar(writer: ByteWriter, type: GgufScalarType, value: number | bigint | boolean | string): void {
  switch (type) {
    case 'uint8':
      return writer.u8(value as number);
    case 'int8':
      return writer.u8((value as number) & 0xff);
    case 'uint16':
    case 'int16': {
      writer.u8((value as number) & 0xff);
      return writer.u8(((value as number) >> 8) & 0xff);
    }
    case 'uint32':
      return writer.u32(value as number);
    case 'int32':
      return writer.i32(value as number);
    case 'float32':
      return writer.f32(value as number);
    case 'bool':
      return writer.u8(value ? 1 : 0);
    case 'string':
      return writer.string(value as string);
    case 'uint64':
      return writer.u64(value as number | bigint);
    case 'int64':
      return writer.i64(value as number | bigint);
    case 'float64':
      return writer.f64(value as number);
  }
}

/** Appends one metadata key/value pair. */
export function writeMetadataEntry(writer: ByteWriter, key: string, value: GgufValue): void {
  writer.string(key);
  writer.u32(GGUF_VALUE_TYPE[value.type]);
  if (value.type !== 'array') return writeScalar(writer, value.type, value.value);
  writer.u32(GGUF_VALUE_TYPE[value.itemType]);
  writer.u64(value.values.length);
  for (let index = 0; index < value.values.length; index++) writeScalar(writer, value.itemType, value.values[index]!);
}
