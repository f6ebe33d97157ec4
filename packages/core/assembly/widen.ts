// Widening of stored half-precision weights to float32 lanes, in registers.
// kind: 0 = float32, 1 = bfloat16 (upper half of a float32), 2 = float16 (IEEE binary16).

// @ts-ignore: decorator
@inline export const KIND_F32 = 0;
// @ts-ignore: decorator
@inline export const KIND_BF16 = 1;
// @ts-ignore: decorator
@inline export const KIND_F16 = 2;

/** Four float16 values held as u32 lanes (0..0xffff) → four float32 lanes, exact for every input. */
// @ts-ignore: decorator
@inline export function halfToFloat(h: v128): v128 {
  const sign = i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16);
  const magnitude = v128.and(h, i32x4.splat(0x7fff));
  const shifted = i32x4.shl(magnitude, 13);
  // Rebias the exponent by multiplying by 2^112; subnormal halves become normal floats exactly.
  const scaled = f32x4.mul(shifted, f32x4.splat(5.192296858534828e33));
  // Infinity / NaN halves (exponent 31) keep their payload under an all-ones float exponent.
  const special = i32x4.ge_s(magnitude, i32x4.splat(0x7c00));
  return v128.or(v128.bitselect(v128.or(shifted, i32x4.splat(0x7f800000)), scaled, special), sign);
}

/** Four weights of `kind` at `ptr` → four float32 lanes. */
// @ts-ignore: decorator
@inline export function load4(kind: i32, ptr: usize): v128 {
  if (kind == KIND_F32) return v128.load(ptr);
  const wide = v128.load16x4_u(ptr);
  if (kind == KIND_BF16) return i32x4.shl(wide, 16);
  return halfToFloat(wide);
}

/** One weight of `kind` at `ptr` → float32. */
// @ts-ignore: decorator
@inline export function load1(kind: i32, ptr: usize): f32 {
  if (kind == KIND_F32) return load<f32>(ptr);
  const bits = <u32>load<u16>(ptr);
  if (kind == KIND_BF16) return reinterpret<f32>(bits << 16);
  return f32x4.extract_lane(halfToFloat(i32x4.splat(bits)), 0);
}

/** Bytes per element of `kind`. */
// @ts-ignore: decorator
@inline export function kindSize(kind: i32): usize {
  return kind == KIND_F32 ? 4 : 2;
}
