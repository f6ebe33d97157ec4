// Reductions over the last axis of x: [outer, inner] → [outer], rows [start, end).
// float32 Sum accumulates in f64x2 lanes (the reference accumulates in float64, so the two agree
// to the last bit in most rows); Max/Min use f32x4.max/min, which propagate NaN; ArgMax finds the
// maximum, then its first index (the first NaN if there is one). int32 / bool: scalar loops, bool
// results are int32 (as the reference's).
import { hmax } from './simd-math';

// @ts-ignore: decorator
@inline const SUM = 0;
// @ts-ignore: decorator
@inline const MAX = 1;
// @ts-ignore: decorator
@inline const MIN = 2;
// @ts-ignore: decorator
@inline const ARGMAX = 3;

// @ts-ignore: decorator
@inline function sumRow(x: usize, n: i32): f32 {
  let lo = f64x2.splat(0), hi = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
    hi = f64x2.add(hi, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
  }
  const both = f64x2.add(lo, hi);
  let total = f64x2.extract_lane(both, 0) + f64x2.extract_lane(both, 1);
  for (; i < n; i++) total += <f64>load<f32>(x + (<usize>i << 2));
  return <f32>total;
}

// @ts-ignore: decorator
@inline function maxRow(x: usize, n: i32): f32 {
  let best = f32x4.splat(-Infinity);
  let i = 0;
  for (; i + 4 <= n; i += 4) best = f32x4.max(best, v128.load(x + (<usize>i << 2)));
  let result = hmax(best);
  for (; i < n; i++) result = max<f32>(result, load<f32>(x + (<usize>i << 2)));
  return result;
}

// @ts-ignore: decorator
@inline function minRow(x: usize, n: i32): f32 {
  let best = f32x4.splat(Infinity);
  let i = 0;
  for (; i + 4 <= n; i += 4) best = f32x4.min(best, v128.load(x + (<usize>i << 2)));
  const pair = f32x4.min(best, v128.shuffle<f32>(best, best, 2, 3, 0, 1));
  let result = min<f32>(f32x4.extract_lane(pair, 0), f32x4.extract_lane(pair, 1));
  for (; i < n; i++) result = min<f32>(result, load<f32>(x + (<usize>i << 2)));
  return result;
}

// @ts-ignore: decorator
@inline function argMaxRow(x: usize, n: i32): i32 {
  const best = maxRow(x, n);
  const isNaN = best != best;
  const target = f32x4.splat(best);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    const hit = isNaN ? f32x4.ne(v, v) : f32x4.eq(v, target);
    const bits = i32x4.bitmask(hit);
    if (bits != 0) return i + ctz(bits);
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (isNaN ? v != v : v == best) return i;
  }
  return 0;
}

/** float32 rows; Sum/Max/Min write float32, ArgMax writes int32. */
export function reduceF32(op: i32, x: usize, out: usize, inner: i32, start: i32, end: i32, thread: i32): void {
  for (let row = start; row < end; row++) {
    const p = x + <usize>row * <usize>inner * 4;
    const o = out + (<usize>row << 2);
    if (op == SUM) store<f32>(o, sumRow(p, inner));
    else if (op == MAX) store<f32>(o, maxRow(p, inner));
    else if (op == MIN) store<f32>(o, minRow(p, inner));
    else store<i32>(o, argMaxRow(p, inner));
  }
}

// @ts-ignore: decorator
@inline function reduceInt<T>(op: i32, x: usize, out: usize, inner: i32, start: i32, end: i32): void {
  for (let row = start; row < end; row++) {
    const p = x + <usize>row * <usize>inner * sizeof<T>();
    let result: i32 = op == MAX ? i32.MIN_VALUE : op == MIN ? i32.MAX_VALUE : 0;
    let best: i32 = 0;
    for (let i = 0; i < inner; i++) {
      const v = <i32>load<T>(p + <usize>i * sizeof<T>());
      if (op == SUM) result += v;
      else if (op == MAX) result = max(result, v);
      else if (op == MIN) result = min(result, v);
      else if (i == 0 || v > result) {
        result = v;
        best = i;
      }
    }
    store<i32>(out + (<usize>row << 2), op == ARGMAX ? best : result);
  }
}

/** int32 rows (wrapping sum); every result is int32. */
export function reduceI32(op: i32, x: usize, out: usize, inner: i32, start: i32, end: i32, thread: i32): void {
  reduceInt<i32>(op, x, out, inner, start, end);
}

/** bool rows; every result is int32. */
export function reduceU8(op: i32, x: usize, out: usize, inner: i32, start: i32, end: i32, thread: i32): void {
  reduceInt<u8>(op, x, out, inner, start, end);
}
