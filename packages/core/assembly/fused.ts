// Fused kernels the ops use when the backend has them: Softmax (with an optional bool mask),
// RMSNorm in Gemma's (1 + scale) form and the rotate-half rotary embedding. Rows [start, end).
import { hmax, hsum, vexp } from './simd-math';

// Lane masks (all ones where the bool byte is nonzero) for mask bytes i..i+3.
// @ts-ignore: decorator
@inline function maskLanes(mask: usize): v128 {
  const bytes = v128.load32_zero(mask);
  return i32x4.ne(i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(bytes)), i32x4.splat(0));
}

/**
 * x: [rows, n] → softmax over n. With a mask (pointer ≠ 0, bool [rows, n]) masked entries are 0
 * and the others are normalised among themselves; a fully masked row is all zeros.
 */
export function softmax(x: usize, mask: usize, out: usize, n: i32, start: i32, end: i32, thread: i32): void {
  const negInf = f32x4.splat(-Infinity);
  for (let row = start; row < end; row++) {
    const px = x + <usize>row * <usize>n * 4;
    const po = out + <usize>row * <usize>n * 4;
    const pm = mask + <usize>row * <usize>n;
    // Pass 1: the maximum over unmasked entries, and whether any is unmasked.
    let best = negInf;
    let any = mask == 0;
    let i = 0;
    if (mask == 0) {
      for (; i + 4 <= n; i += 4) best = f32x4.max(best, v128.load(px + (<usize>i << 2)));
    } else {
      for (; i + 4 <= n; i += 4) {
        const keep = maskLanes(pm + <usize>i);
        any = any || v128.any_true(keep);
        best = f32x4.max(best, v128.bitselect(v128.load(px + (<usize>i << 2)), negInf, keep));
      }
    }
    let m = hmax(best);
    for (; i < n; i++) {
      if (mask != 0 && load<u8>(pm + <usize>i) == 0) continue;
      any = true;
      m = max<f32>(m, load<f32>(px + (<usize>i << 2)));
    }
    if (!any) {
      memory.fill(po, 0, <usize>n << 2);
      continue;
    }
    // Pass 2: e^(x - m) (0 where masked) and its sum.
    const shift = f32x4.splat(m);
    let total = f32x4.splat(0);
    i = 0;
    for (; i + 4 <= n; i += 4) {
      let e = vexp(f32x4.sub(v128.load(px + (<usize>i << 2)), shift));
      if (mask != 0) e = v128.and(e, maskLanes(pm + <usize>i));
      total = f32x4.add(total, e);
      v128.store(po + (<usize>i << 2), e);
    }
    let sum = hsum(total);
    for (; i < n; i++) {
      let e = f32x4.extract_lane(vexp(f32x4.splat(load<f32>(px + (<usize>i << 2)) - m)), 0);
      if (mask != 0 && load<u8>(pm + <usize>i) == 0) e = 0;
      sum += e;
      store<f32>(po + (<usize>i << 2), e);
    }
    // Pass 3: normalise.
    const divisor = f32x4.splat(sum);
    i = 0;
    for (; i + 4 <= n; i += 4) v128.store(po + (<usize>i << 2), f32x4.div(v128.load(po + (<usize>i << 2)), divisor));
    for (; i < n; i++) store<f32>(po + (<usize>i << 2), load<f32>(po + (<usize>i << 2)) / sum);
  }
}

/** x: [rows, n], scale: [n] → x · rsqrt(mean(x²) + epsilon) · (1 + scale); the mean accumulates in f64. */
export function rmsNorm(x: usize, scale: usize, out: usize, n: i32, epsilon: f32, start: i32, end: i32, thread: i32): void {
  const one = f32x4.splat(1.0);
  for (let row = start; row < end; row++) {
    const px = x + <usize>row * <usize>n * 4;
    const po = out + <usize>row * <usize>n * 4;
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(px + (<usize>i << 2));
      const sq = f32x4.mul(v, v);
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(sq));
      hi = f64x2.add(hi, f64x2.promote_low_f32x4(v128.shuffle<f32>(sq, sq, 2, 3, 0, 1)));
    }
    const both = f64x2.add(lo, hi);
    let total = f64x2.extract_lane(both, 0) + f64x2.extract_lane(both, 1);
    for (; i < n; i++) {
      const v = load<f32>(px + (<usize>i << 2));
      total += <f64>(v * v);
    }
    // The reference's rounding steps: mean in float32, + epsilon in float32, rsqrt rounded once.
    const mean = <f32>total / <f32>n;
    const r = <f32>(1.0 / Math.sqrt(<f64>(mean + epsilon)));
    const rv = f32x4.splat(r);
    i = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(po + o, f32x4.mul(f32x4.mul(v128.load(px + o), rv), f32x4.add(v128.load(scale + o), one)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(po + o, load<f32>(px + o) * r * (load<f32>(scale + o) + 1));
    }
  }
}

/**
 * x: [B, T, heads, H], cos/sin: [T, H] → y = x·cos + rotateHalf(x)·sin, rotateHalf(x) = [-x2, x1]
 * (x1, x2 the halves of the last axis). Rows are (b, t, head) triples.
 */
export function rope(x: usize, cos: usize, sin: usize, out: usize, T: i32, heads: i32, H: i32, start: i32, end: i32, thread: i32): void {
  const half = H >> 1;
  const halfBytes = <usize>half << 2;
  for (let row = start; row < end; row++) {
    const t = (row / heads) % T;
    const px = x + <usize>row * <usize>H * 4;
    const po = out + <usize>row * <usize>H * 4;
    const pc = cos + <usize>t * <usize>H * 4;
    const ps = sin + <usize>t * <usize>H * 4;
    let j = 0;
    for (; j + 4 <= half; j += 4) {
      const o = <usize>j << 2;
      const x1 = v128.load(px + o), x2 = v128.load(px + o + halfBytes);
      v128.store(po + o, f32x4.sub(f32x4.mul(x1, v128.load(pc + o)), f32x4.mul(x2, v128.load(ps + o))));
      v128.store(po + o + halfBytes, f32x4.add(f32x4.mul(x2, v128.load(pc + o + halfBytes)), f32x4.mul(x1, v128.load(ps + o + halfBytes))));
    }
    for (; j < half; j++) {
      const o = <usize>j << 2;
      const x1 = load<f32>(px + o), x2 = load<f32>(px + o + halfBytes);
      store<f32>(po + o, x1 * load<f32>(pc + o) - x2 * load<f32>(ps + o));
      store<f32>(po + o + halfBytes, x2 * load<f32>(pc + o + halfBytes) + x1 * load<f32>(ps + o + halfBytes));
    }
  }
}
