// Quantization helpers: the fused AbsMaxQuantize (Keras abs_max_quantize over the last axis) and
// UnpackInt4. Round is a unary op code (assembly/unary.ts, f32x4.nearest: half to even).

/**
 * Rows [start, end) of x float32 [rows, D] → q int8 [rows, D] and scale float32 [rows]:
 * scale = f32(high / f32(max|x| + epsilon)), q = clip(nearest(f32(x · scale)), low, high), as
 * Keras's float32 steps (nearest = round half to even). NaN inputs give NaN scales and q = 0.
 */
export function absMaxQuantize(x: usize, q: usize, scales: usize, D: i32, epsilon: f32, low: f32, high: f32, start: i32, end: i32, thread: i32): void {
  for (let row = start; row < end; row++) {
    const xr = x + <usize>row * <usize>D * 4;
    const qr = q + <usize>row * <usize>D;
    let maxv = f32x4.splat(0);
    let i = 0;
    // f32x4.max propagates NaN, as the reference's max does.
    for (; i + 4 <= D; i += 4) maxv = f32x4.max(maxv, f32x4.abs(v128.load(xr + (<usize>i << 2))));
    let m = max(max(f32x4.extract_lane(maxv, 0), f32x4.extract_lane(maxv, 1)), max(f32x4.extract_lane(maxv, 2), f32x4.extract_lane(maxv, 3)));
    for (; i < D; i++) m = max(m, abs(load<f32>(xr + (<usize>i << 2))));
    const scale: f32 = high / (m + epsilon);
    store<f32>(scales + (<usize>row << 2), scale);
    const sv = f32x4.splat(scale), lo = f32x4.splat(low), hi = f32x4.splat(high);
    i = 0;
    for (; i + 16 <= D; i += 16) {
      const p = xr + (<usize>i << 2);
      const v0 = i32x4.trunc_sat_f32x4_s(f32x4.max(lo, f32x4.min(hi, f32x4.nearest(f32x4.mul(v128.load(p), sv)))));
      const v1 = i32x4.trunc_sat_f32x4_s(f32x4.max(lo, f32x4.min(hi, f32x4.nearest(f32x4.mul(v128.load(p, 16), sv)))));
      const v2 = i32x4.trunc_sat_f32x4_s(f32x4.max(lo, f32x4.min(hi, f32x4.nearest(f32x4.mul(v128.load(p, 32), sv)))));
      const v3 = i32x4.trunc_sat_f32x4_s(f32x4.max(lo, f32x4.min(hi, f32x4.nearest(f32x4.mul(v128.load(p, 48), sv)))));
      v128.store(qr + <usize>i, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(v0, v1), i16x8.narrow_i32x4_s(v2, v3)));
    }
    for (; i < D; i++) {
      const v = f32x4.extract_lane(f32x4.nearest(f32x4.splat(load<f32>(xr + (<usize>i << 2)) * scale)), 0);
      const clipped = max(low, min(high, v));
      store<i8>(qr + <usize>i, clipped != clipped ? 0 : <i8><i32>clipped);
    }
  }
}

/** Rows [start, end) of packed int8 [rows, ceil(L/2)] → int8 [rows, L]: nibble v → (v ^ 8) − 8, low nibble first. */
export function unpackInt4(packed: usize, out: usize, L: i32, start: i32, end: i32, thread: i32): void {
  const width = <usize>((L + 1) >> 1);
  for (let row = start; row < end; row++) {
    const src = packed + <usize>row * width;
    const dst = out + <usize>row * <usize>L;
    let i = 0;
    for (; i + 32 <= L; i += 32) {
      const v = v128.load(src + <usize>(i >> 1));
      const lo = v128.and(v, i8x16.splat(15));
      const hi = i8x16.shr_u(v, 4);
      const eight = i8x16.splat(8);
      const u0 = i8x16.shuffle(lo, hi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const u1 = i8x16.shuffle(lo, hi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      v128.store(dst + <usize>i, i8x16.sub(v128.xor(u0, eight), eight));
      v128.store(dst + <usize>i, i8x16.sub(v128.xor(u1, eight), eight), 16);
    }
    for (; i < L; i++) {
      const byte = <i32>load<u8>(src + <usize>(i >> 1));
      store<i8>(dst + <usize>i, <i8>((((i & 1) != 0 ? byte >> 4 : byte & 15) ^ 8) - 8));
    }
  }
}
