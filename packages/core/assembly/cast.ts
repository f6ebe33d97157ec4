// Cast between float32 (0), int32 (1), bool (2), bfloat16 (3), float16 (4) and int8 (5), elements
// [start, end). Float → int truncates toward zero (saturating at the int32 range; → int8, from
// int32 too, saturating at [-128, 127]; NaN → 0); → bool is
// x ≠ 0 (NaN is true); float32 → bfloat16 / float16 round to nearest even. The common pairs run
// f32x4 loops; the others go element by element through float32.
import { halfToFloat } from './widen';

// @ts-ignore: decorator
@inline const F32 = 0;
// @ts-ignore: decorator
@inline const I32 = 1;
// @ts-ignore: decorator
@inline const BOOL = 2;
// @ts-ignore: decorator
@inline const BF16 = 3;
// @ts-ignore: decorator
@inline const F16 = 4;
// @ts-ignore: decorator
@inline const I8 = 5;

// @ts-ignore: decorator
@inline function sizeOfKind(kind: i32): usize {
  return kind == BOOL || kind == I8 ? 1 : kind >= BF16 ? 2 : 4;
}

/** float32 → bfloat16 bits: round to nearest even; NaN stays a (quiet) NaN. */
// @ts-ignore: decorator
@inline function toBfloat16(value: f32): u16 {
  const bits = reinterpret<u32>(value);
  if ((bits & 0x7f800000) == 0x7f800000 && (bits & 0x007fffff) != 0) return <u16>((bits >> 16) | 0x0040);
  return <u16>((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
}

/** float32 → IEEE half bits: round to nearest even, overflow to infinity, NaN stays NaN. */
function toFloat16(value: f32): u16 {
  const bits = reinterpret<u32>(value);
  const sign = (bits >> 16) & 0x8000;
  const exponent = <i32>((bits >> 23) & 0xff);
  let mantissa = bits & 0x7fffff;
  if (exponent == 0xff) return <u16>(sign | 0x7c00 | (mantissa != 0 ? 0x200 : 0));
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return <u16>(sign | 0x7c00);
  if (halfExponent <= 0) {
    if (halfExponent < -10) return <u16>sign;
    mantissa |= 0x800000;
    const shift = <u32>(14 - halfExponent);
    let half = mantissa >> shift;
    const remainder = mantissa & ((1 << shift) - 1);
    const halfway = <u32>1 << (shift - 1);
    if (remainder > halfway || (remainder == halfway && (half & 1) != 0)) half++;
    return <u16>(sign | half);
  }
  let half = (<u32>halfExponent << 10) | (mantissa >> 13);
  const remainder = mantissa & 0x1fff;
  if (remainder > 0x1000 || (remainder == 0x1000 && (half & 1) != 0)) half++;
  return <u16>(sign | half);
}

// @ts-ignore: decorator
@inline function readAsFloat(kind: i32, p: usize): f32 {
  if (kind == F32) return load<f32>(p);
  if (kind == I32) return <f32>load<i32>(p);
  if (kind == BOOL) return <f32>load<u8>(p);
  if (kind == I8) return <f32>load<i8>(p);
  if (kind == BF16) return reinterpret<f32>(<u32>load<u16>(p) << 16);
  return f32x4.extract_lane(halfToFloat(i32x4.splat(<i32>load<u16>(p))), 0);
}

export function cast(from: i32, to: i32, x: usize, out: usize, start: i32, end: i32, thread: i32): void {
  const si = sizeOfKind(from), so = sizeOfKind(to);
  let i = start;
  if (from == to) {
    memory.copy(out + <usize>i * so, x + <usize>i * si, <usize>(end - start) * so);
    return;
  }
  if (from == F32 && to == I32) {
    for (; i + 4 <= end; i += 4) v128.store(out + (<usize>i << 2), i32x4.trunc_sat_f32x4_s(v128.load(x + (<usize>i << 2))));
  } else if (from == I32 && to == F32) {
    for (; i + 4 <= end; i += 4) v128.store(out + (<usize>i << 2), f32x4.convert_i32x4_s(v128.load(x + (<usize>i << 2))));
  } else if (from == BF16 && to == F32) {
    for (; i + 4 <= end; i += 4) v128.store(out + (<usize>i << 2), i32x4.shl(v128.load16x4_u(x + (<usize>i << 1)), 16));
  } else if (from == I8 && to == F32) {
    for (; i + 4 <= end; i += 4) v128.store(out + (<usize>i << 2), f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(v128.load8x8_s(x + <usize>i))));
  } else if (from == I8 && to == I32) {
    for (; i + 4 <= end; i += 4) v128.store(out + (<usize>i << 2), i32x4.extend_low_i16x8_s(v128.load8x8_s(x + <usize>i)));
  } else if (from == F16 && to == F32) {
    for (; i + 4 <= end; i += 4) v128.store(out + (<usize>i << 2), halfToFloat(v128.load16x4_u(x + (<usize>i << 1))));
  }
  for (; i < end; i++) {
    const pi = x + <usize>i * si, po = out + <usize>i * so;
    if (to == I8) {
      if (from == BOOL) store<i8>(po, <i8>load<u8>(pi));
      else if (from == I32) store<i8>(po, <i8>min(127, max(-128, load<i32>(pi))));
      else {
        const value = readAsFloat(from, pi); // NaN → 0 (both comparisons false)
        store<i8>(po, <i8>(value >= 127 ? 127 : value <= -128 ? -128 : value != value ? 0 : <i32>value));
      }
    } else if (to == I32) {
      if (from == BOOL) store<i32>(po, <i32>load<u8>(pi));
      else if (from == I8) store<i32>(po, <i32>load<i8>(pi));
      else store<i32>(po, <i32>readAsFloat(from, pi));
    } else if (to == BOOL) {
      const nonzero = from == I32 ? load<i32>(pi) != 0 : from == BOOL || from == I8 ? load<u8>(pi) != 0 : readAsFloat(from, pi) != 0;
      store<u8>(po, nonzero ? 1 : 0);
    } else {
      // int32 → float rounds to float32 first, as the reference's Float32Array store does.
      const value = readAsFloat(from, pi);
      if (to == F32) store<f32>(po, value);
      else if (to == BF16) store<u16>(po, toBfloat16(value));
      else store<u16>(po, toFloat16(value));
    }
  }
}
