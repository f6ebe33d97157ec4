// MatMulInt4: float32 activations a [M, K] × packed int4 weights → float32, the weights unpacked
// in registers (GEMV) or per tile into scratch (GEMM), never into a full copy. Two layouts (see
// the quantization contract in docs and src/ops): with cols = G·N,
// - kernel (layout 0): the unpacked kernel W [G, K, N] reshaped to [K, cols] and packed along
//   cols: packed [K, ceil(cols/2)]. Element (g, k, n): r = g·K + k, raw row R = ⌊r / G⌋, raw
//   column rc = (r mod G)·N + n; scale / zero [nGroups, cols], group ⌊R / blockSize⌋.
// - transposed (layout 1): packed [N, ceil(K/2)]; scale / zero [N, nGroups], group ⌊k / blockSize⌋.
// Nibble n (low nibble = even index) → q = (n ^ 8) − 8; w = (q − zero)·scale (grouped) or
// q / scale (blockSize −1: per-channel, no zero).
// GEMV sums a·q per (scale group, column) in float32 and applies the group's scale and zero once:
// y += scale·(Σ a·q − zero·Σ a) (per-channel: y += Σ a·q / scale); float summation order differs
// from the reference's Σ a·w (within float tolerance). GEMM dequantizes exactly (w as above) into
// the float GEMM's 8-column panels per K slice and runs its 4x8 micro-kernel.
import { kernel4x8, madd, param } from './matmul';
import { hsum } from './simd-math';

// Parameter block slots (i32), written by src/backends/wasm/kernels/MatMulInt4.ts.
// @ts-ignore: decorator
@inline const F_A = 0;
// @ts-ignore: decorator
@inline const F_PACKED = 1;
// @ts-ignore: decorator
@inline const F_SCALE = 2;
// @ts-ignore: decorator
@inline const F_ZERO = 3;
// @ts-ignore: decorator
@inline const F_C = 4;
// @ts-ignore: decorator
@inline const F_M = 5;
// @ts-ignore: decorator
@inline const F_N = 6;
// @ts-ignore: decorator
@inline const F_K = 7;
// @ts-ignore: decorator
@inline const F_G = 8;
// @ts-ignore: decorator
@inline const F_LAYOUT = 9;
// @ts-ignore: decorator
@inline const F_BLOCK = 10;
// @ts-ignore: decorator
@inline const F_MBLOCKS = 11;
// @ts-ignore: decorator
@inline const F_NBLOCKS = 12;
// @ts-ignore: decorator
@inline const F_SCRATCH = 13;
// @ts-ignore: decorator
@inline const F_SCRATCH_STRIDE = 14;
// @ts-ignore: decorator
@inline const F_MC = 15;
// @ts-ignore: decorator
@inline const F_WIDTH = 16; // GEMV (kernel layout): most columns summed at once (scratch floats)

// @ts-ignore: decorator
@inline const NB = 64; // GEMV columns per task
// @ts-ignore: decorator
@inline const NC = 256; // GEMM columns per task block
// @ts-ignore: decorator
@inline const KC = 256; // GEMM K slice
export const INT4_GEMV_NB: i32 = NB;
export const INT4_GEMM_NC: i32 = NC;

/** The signed value of nibble `index` of a packed row. */
// @ts-ignore: decorator
@inline function nibble(row: usize, index: i32): i32 {
  const byte = <i32>load<u8>(row + <usize>(index >> 1));
  return (((index & 1) != 0 ? byte >> 4 : byte & 15) ^ 8) - 8;
}

// GEMV decoding: 16 nibbles (8 bytes) → four f32x4 of u = q + 8 ∈ [0, 15] (the −8 is applied
// once per block through Σa), in a permuted column order that needs no interleave: per 16
// columns, slots 0–3 hold columns 0, 2, 4, 6 (low nibbles of bytes 0–3), 4–7 columns 1, 3, 5, 7
// (high nibbles), 8–11 columns 8, 10, 12, 14 and 12–15 columns 9, 11, 13, 15.
/** Bytes 0–3 (part 0) or 4–7 (part 1) of 8 packed bytes at p, XOR 0x88 (u = q + 8 per nibble), one per i32 lane. */
// @ts-ignore: decorator
@inline function bytes0(v: v128): v128 {
  return i8x16.swizzle(v, i8x16(0, -1, -1, -1, 1, -1, -1, -1, 2, -1, -1, -1, 3, -1, -1, -1));
}
// @ts-ignore: decorator
@inline function bytes1(v: v128): v128 {
  return i8x16.swizzle(v, i8x16(4, -1, -1, -1, 5, -1, -1, -1, 6, -1, -1, -1, 7, -1, -1, -1));
}
// @ts-ignore: decorator
@inline function packed8(p: usize): v128 {
  return v128.xor(v128.load64_zero(p), i8x16.splat(<i8>0x88));
}
/** Low / high nibbles of i32 lanes holding one byte each, as float32. */
// @ts-ignore: decorator
@inline function lowF(x: v128): v128 {
  return f32x4.convert_i32x4_s(v128.and(x, i32x4.splat(15)));
}
// @ts-ignore: decorator
@inline function highF(x: v128): v128 {
  return f32x4.convert_i32x4_s(i32x4.shr_u(x, 4));
}

/** The slot of column j in an accumulator whose first `vectorized` columns are permuted (see above). */
// @ts-ignore: decorator
@inline function slotOf(j: i32, vectorized: i32): i32 {
  if (j >= vectorized) return j;
  const t = j & 7;
  return (j & ~7) + ((t & 1) << 2) + (t >> 1);
}

/** u = q + 8 of nibble `index` of a packed row. */
// @ts-ignore: decorator
@inline function nibbleU(row: usize, index: i32): f32 {
  const byte = <i32>load<u8>(row + <usize>(index >> 1));
  return <f32>((((index & 1) != 0 ? byte >> 4 : byte & 15) ^ 8));
}

/** acc[slots of 0:W] += Σ_i s_i·u(row_i)[first + j] over four rows (byte-aligned: first even). */
function rows4(s0: f32, s1: f32, s2: f32, s3: f32, r0: usize, r1: usize, r2: usize, r3: usize, first: i32, acc: usize, W: i32): void {
  const v0 = f32x4.splat(s0), v1 = f32x4.splat(s1), v2 = f32x4.splat(s2), v3 = f32x4.splat(s3);
  const o = <usize>(first >> 1);
  let j = 0;
  for (; j + 16 <= W; j += 16) {
    const b = o + <usize>(j >> 1);
    const p0 = packed8(r0 + b), p1 = packed8(r1 + b), p2 = packed8(r2 + b), p3 = packed8(r3 + b);
    const a = acc + (<usize>j << 2);
    let x0 = bytes0(p0), x1 = bytes0(p1), x2 = bytes0(p2), x3 = bytes0(p3);
    v128.store(a, madd(v3, lowF(x3), madd(v2, lowF(x2), madd(v1, lowF(x1), madd(v0, lowF(x0), v128.load(a))))));
    v128.store(a, madd(v3, highF(x3), madd(v2, highF(x2), madd(v1, highF(x1), madd(v0, highF(x0), v128.load(a, 16))))), 16);
    x0 = bytes1(p0); x1 = bytes1(p1); x2 = bytes1(p2); x3 = bytes1(p3);
    v128.store(a, madd(v3, lowF(x3), madd(v2, lowF(x2), madd(v1, lowF(x1), madd(v0, lowF(x0), v128.load(a, 32))))), 32);
    v128.store(a, madd(v3, highF(x3), madd(v2, highF(x2), madd(v1, highF(x1), madd(v0, highF(x0), v128.load(a, 48))))), 48);
  }
  for (; j < W; j++) {
    const a = acc + (<usize>j << 2);
    store<f32>(a, load<f32>(a) + s0 * nibbleU(r0, first + j) + s1 * nibbleU(r1, first + j) + s2 * nibbleU(r2, first + j) + s3 * nibbleU(r3, first + j));
  }
}

/** acc[slots of 0:W] += s·u(row)[first + j]; any start (odd: all scalar, natural order). */
function rows1(s: f32, row: usize, first: i32, acc: usize, W: i32): void {
  let j = 0;
  if ((first & 1) == 0) {
    const v = f32x4.splat(s);
    const o = <usize>(first >> 1);
    for (; j + 16 <= W; j += 16) {
      const q = packed8(row + o + <usize>(j >> 1));
      const x0 = bytes0(q), x1 = bytes1(q);
      const a = acc + (<usize>j << 2);
      v128.store(a, madd(v, lowF(x0), v128.load(a)));
      v128.store(a, madd(v, highF(x0), v128.load(a, 16)), 16);
      v128.store(a, madd(v, lowF(x1), v128.load(a, 32)), 32);
      v128.store(a, madd(v, highF(x1), v128.load(a, 48)), 48);
    }
  }
  for (; j < W; j++) {
    const a = acc + (<usize>j << 2);
    store<f32>(a, load<f32>(a) + s * nibbleU(row, first + j));
  }
}

/** Kernel layout GEMV for group g, output columns [n0, n0 + W) (W ≤ the scratch width). */
function kernelColumns(p: usize, g: i32, n0: i32, W: i32, acc: usize): void {
  const N = param(p, F_N), K = param(p, F_K), G = param(p, F_G);
  const block = param(p, F_BLOCK);
  const cols = G * N;
  const rowBytes = <usize>((cols + 1) >> 1);
  const a = <usize>param(p, F_A);
  const packed = <usize>param(p, F_PACKED);
  const scale = <usize>param(p, F_SCALE), zero = <usize>param(p, F_ZERO);
  const y = <usize>param(p, F_C) + (<usize>(g * N + n0) << 2);
  const bs = block > 0 ? block : K;
  memory.fill(y, 0, <usize>W << 2);
  for (let c = 0; c < G; c++) {
    // Raw rows R whose chunk c belongs to group g: g·K ≤ R·G + c < (g + 1)·K.
    const first = max(0, g * K - c + G - 1) / G;
    const last = (g * K + K - 1 - c) / G; // inclusive
    const rc = c * N + n0;
    // Odd starts run scalar in natural order (no permuted slots).
    const vectorized = (rc & 1) == 0 ? W & ~15 : 0;
    let R = first;
    while (R <= last) {
      const segmentEnd = min(last + 1, (R / bs + 1) * bs);
      const blk = R / bs;
      memory.fill(acc, 0, <usize>W << 2);
      let sumA: f32 = 0;
      // k of raw row R: R·G + c − g·K.
      for (; R + 4 <= segmentEnd && (rc & 1) == 0; R += 4) {
        const k = R * G + c - g * K;
        const s0 = load<f32>(a + (<usize>k << 2)), s1 = load<f32>(a + (<usize>(k + G) << 2));
        const s2 = load<f32>(a + (<usize>(k + 2 * G) << 2)), s3 = load<f32>(a + (<usize>(k + 3 * G) << 2));
        sumA += s0 + s1 + s2 + s3;
        const r0 = packed + <usize>R * rowBytes;
        rows4(s0, s1, s2, s3, r0, r0 + rowBytes, r0 + 2 * rowBytes, r0 + 3 * rowBytes, rc, acc, W);
      }
      for (; R < segmentEnd; R++) {
        const s = load<f32>(a + (<usize>(R * G + c - g * K) << 2));
        sumA += s;
        rows1(s, packed + <usize>R * rowBytes, rc, acc, W);
      }
      // Σ a·q = Σ a·u − 8·Σ a: y += scale·(Σ a·u − (zero + 8)·Σ a), per channel (Σ a·u − 8·Σ a) / scale.
      if (block > 0) {
        const sc = scale + (<usize>(blk * cols + rc) << 2);
        const zp = zero + <usize>(blk * cols + rc);
        for (let j = 0; j < W; j++) {
          const o = <usize>j << 2;
          const z = <f32>(<i32>load<i8>(zp + <usize>j) + 8);
          store<f32>(y + o, load<f32>(y + o) + load<f32>(sc + o) * (load<f32>(acc + (<usize>slotOf(j, vectorized) << 2)) - z * sumA));
        }
      } else {
        const sc = scale + (<usize>rc << 2);
        for (let j = 0; j < W; j++) {
          const o = <usize>j << 2;
          store<f32>(y + o, load<f32>(y + o) + (load<f32>(acc + (<usize>slotOf(j, vectorized) << 2)) - 8 * sumA) / load<f32>(sc + o));
        }
      }
    }
  }
}

/** Σ_{k in [k0, k1)} a[k]·u(row)[k]; whole 16-chunks from `permuted` (a in slot order). */
// @ts-ignore: decorator
@inline function dotNibbles(a: usize, permuted: usize, row: usize, k0: i32, k1: i32): f32 {
  let k = k0;
  let total: f32 = 0;
  for (; k < k1 && (k & 15) != 0; k++) total += load<f32>(a + (<usize>k << 2)) * nibbleU(row, k);
  let acc = f32x4.splat(0);
  for (; k + 16 <= k1; k += 16) {
    const q = packed8(row + <usize>(k >> 1));
    const x0 = bytes0(q), x1 = bytes1(q);
    const ak = permuted + (<usize>k << 2);
    acc = madd(v128.load(ak), lowF(x0), acc);
    acc = madd(v128.load(ak, 16), highF(x0), acc);
    acc = madd(v128.load(ak, 32), lowF(x1), acc);
    acc = madd(v128.load(ak, 48), highF(x1), acc);
  }
  total += hsum(acc);
  for (; k < k1; k++) total += load<f32>(a + (<usize>k << 2)) * nibbleU(row, k);
  return total;
}

/**
 * Transposed layout GEMV, rows n in [c0, c1): y[n] = Σ_groups scale·(Σ a·q − zero·Σ a). Scratch:
 * the groups' Σ a, then a in slot order (K floats).
 */
function transposedRows(p: usize, c0: i32, c1: i32, scratch: usize): void {
  const K = param(p, F_K);
  const block = param(p, F_BLOCK);
  const a = <usize>param(p, F_A);
  const packed = <usize>param(p, F_PACKED);
  const scale = <usize>param(p, F_SCALE), zero = <usize>param(p, F_ZERO);
  const y = <usize>param(p, F_C);
  const rowBytes = <usize>((K + 1) >> 1);
  const bs = block > 0 ? block : K;
  const groups = (K + bs - 1) / bs;
  const sums = scratch;
  const permuted = scratch + ((<usize>groups * 4 + 63) & ~63);
  for (let b = 0; b < groups; b++) {
    let total: f32 = 0;
    for (let k = b * bs; k < min(K, b * bs + bs); k++) total += load<f32>(a + (<usize>k << 2));
    store<f32>(sums + (<usize>b << 2), total);
  }
  const vectorized = K & ~15;
  for (let k = 0; k < vectorized; k++) store<f32>(permuted + (<usize>slotOf(k, vectorized) << 2), load<f32>(a + (<usize>k << 2)));
  for (let n = c0; n < c1; n++) {
    const row = packed + <usize>n * rowBytes;
    let out: f32 = 0;
    if (block > 0) {
      for (let b = 0; b < groups; b++) {
        const partial = dotNibbles(a, permuted, row, b * bs, min(K, b * bs + bs));
        const at = <usize>(n * groups + b);
        out += load<f32>(scale + (at << 2)) * (partial - <f32>(<i32>load<i8>(zero + at) + 8) * load<f32>(sums + (<usize>b << 2)));
      }
    } else {
      out = (dotNibbles(a, permuted, row, 0, K) - 8 * load<f32>(sums)) / load<f32>(scale + (<usize>n << 2));
    }
    store<f32>(y + (<usize>n << 2), out);
  }
}

/** GEMV (M = 1) tasks [start, end) of G × nBlocks (NB output columns each), either layout. */
export function int4Gemv(p: usize, start: i32, end: i32, thread: i32): void {
  const N = param(p, F_N);
  const nBlocks = param(p, F_NBLOCKS);
  const width = param(p, F_WIDTH);
  const scratch = <usize>param(p, F_SCRATCH) + <usize>thread * <usize>param(p, F_SCRATCH_STRIDE);
  const transposed = param(p, F_LAYOUT) != 0;
  let task = start;
  while (task < end) {
    const g = task / nBlocks;
    const firstBlock = task % nBlocks;
    const lastBlock = min(nBlocks, firstBlock + (end - task));
    const c0 = firstBlock * NB, c1 = min(N, lastBlock * NB);
    if (transposed) transposedRows(p, c0, c1, scratch);
    else for (let n = c0; n < c1; n += width) kernelColumns(p, g, n, min(width, c1 - n), scratch);
    task += lastBlock - firstBlock;
  }
}

/** Kernel layout: B_g[k0:k0+kc, n0:n1] dequantized into 8-column float panels (matmul.ts's packB format). */
function packKernelPanel(p: usize, g: i32, k0: i32, kc: i32, n0: i32, n1: i32, panel: usize): void {
  const N = param(p, F_N), K = param(p, F_K), G = param(p, F_G);
  const block = param(p, F_BLOCK);
  const cols = G * N;
  const rowBytes = <usize>((cols + 1) >> 1);
  const packed = <usize>param(p, F_PACKED);
  const scale = <usize>param(p, F_SCALE), zero = <usize>param(p, F_ZERO);
  for (let k = 0; k < kc; k++) {
    const r = g * K + k0 + k;
    const R = r / G;
    const base = (r % G) * N;
    const row = packed + <usize>R * rowBytes;
    // Grouped: scale / zero row of R's block; per channel: the one scale row.
    const at = block > 0 ? (R / block) * cols : 0;
    const sc = scale + (<usize>at << 2), zp = zero + <usize>at;
    for (let n = n0; n < n1; n += 8) {
      const dst = panel + <usize>((n - n0) >> 3) * <usize>kc * 32 + <usize>k * 32;
      const rc = base + n;
      if (n + 8 <= n1 && (rc & 1) == 0) {
        const v = v128.load32_zero(row + <usize>(rc >> 1));
        const lo = v128.and(v, i8x16.splat(15));
        const hi = v128.and(i16x8.shr_u(v, 4), i8x16.splat(15));
        const u = i8x16.shuffle(lo, hi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
        let q = i16x8.extend_low_i8x16_s(i8x16.sub(v128.xor(u, i8x16.splat(8)), i8x16.splat(8)));
        const s = sc + (<usize>rc << 2);
        if (block > 0) {
          q = i16x8.sub(q, v128.load8x8_s(zp + <usize>rc));
          v128.store(dst, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(q)), v128.load(s)));
          v128.store(dst, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(q)), v128.load(s, 16)), 16);
        } else {
          v128.store(dst, f32x4.div(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(q)), v128.load(s)));
          v128.store(dst, f32x4.div(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(q)), v128.load(s, 16)), 16);
        }
      } else {
        for (let j = 0; j < 8; j++) {
          let w: f32 = 0;
          if (n + j < n1) {
            const column = rc + j;
            const q = nibble(row, column);
            w = block > 0 ? <f32>(q - <i32>load<i8>(zp + <usize>column)) * load<f32>(sc + (<usize>column << 2)) : <f32>q / load<f32>(sc + (<usize>column << 2));
          }
          store<f32>(dst + (<usize>j << 2), w);
        }
      }
    }
  }
}

/** Transposed layout: B[k0:k0+kc, n0:n1] = W[n, k] dequantized into 8-column float panels. */
function packTransposedPanel(p: usize, k0: i32, kc: i32, n0: i32, n1: i32, panel: usize): void {
  const K = param(p, F_K);
  const block = param(p, F_BLOCK);
  const packed = <usize>param(p, F_PACKED);
  const scale = <usize>param(p, F_SCALE), zero = <usize>param(p, F_ZERO);
  const rowBytes = <usize>((K + 1) >> 1);
  const groups = block > 0 ? (K + block - 1) / block : 1;
  for (let n = n0; n < n1; n += 8) {
    const dst = panel + <usize>((n - n0) >> 3) * <usize>kc * 32;
    for (let j = 0; j < 8; j++) {
      let out = dst + (<usize>j << 2);
      if (n + j >= n1) {
        for (let k = 0; k < kc; k++, out += 32) store<f32>(out, 0);
        continue;
      }
      const row = packed + <usize>(n + j) * rowBytes;
      const at = <usize>((n + j) * groups);
      let k = k0;
      // One scale / zero per block segment of k.
      while (k < k0 + kc) {
        const blk = block > 0 ? k / block : 0;
        const segmentEnd = block > 0 ? min(k0 + kc, (blk + 1) * block) : k0 + kc;
        const s = load<f32>(scale + ((at + <usize>blk) << 2));
        if (block > 0) {
          const z = <i32>load<i8>(zero + at + <usize>blk);
          for (; k < segmentEnd; k++, out += 32) store<f32>(out, <f32>(nibble(row, k) - z) * s);
        } else {
          for (; k < segmentEnd; k++, out += 32) store<f32>(out, <f32>nibble(row, k) / s);
        }
      }
    }
  }
}

/** GEMM tasks [start, end) of G × mBlocks × nBlocks (MC rows, NC columns); `thread` picks the scratch. */
export function int4Gemm(p: usize, start: i32, end: i32, thread: i32): void {
  const M = param(p, F_M), N = param(p, F_N), K = param(p, F_K), G = param(p, F_G);
  const transposed = param(p, F_LAYOUT) != 0;
  const mBlocks = param(p, F_MBLOCKS), nBlocks = param(p, F_NBLOCKS);
  const MC = param(p, F_MC);
  const scratch = <usize>param(p, F_SCRATCH) + <usize>thread * <usize>param(p, F_SCRATCH_STRIDE);
  const tile = scratch;
  const panel = scratch + 256;
  const a = <usize>param(p, F_A);
  const lda = <usize>K << 2;
  const ldc = <usize>(G * N) << 2;
  const perGroup = mBlocks * nBlocks;
  for (let task = start; task < end; task++) {
    const g = task / perGroup;
    const within = task % perGroup;
    const m0 = (within / nBlocks) * MC;
    const n0 = (within % nBlocks) * NC;
    const m1 = min(M, m0 + MC), n1 = min(N, n0 + NC);
    const c = <usize>param(p, F_C) + (<usize>(g * N) << 2);
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = min(KC, K - k0);
      if (transposed) packTransposedPanel(p, k0, kc, n0, n1, panel);
      else packKernelPanel(p, g, k0, kc, n0, n1, panel);
      const first = k0 == 0;
      for (let n = n0; n < n1; n += 8) {
        const width = min(8, n1 - n);
        const bp = panel + <usize>((n - n0) >> 3) * <usize>kc * 32;
        for (let m = m0; m < m1; m += 4) {
          const rows = min(4, m1 - m);
          const a0 = a + <usize>m * lda + (<usize>k0 << 2);
          const cp = c + <usize>m * ldc + (<usize>n << 2);
          if (rows == 4 && width == 8) {
            kernel4x8(a0, a0 + lda, a0 + 2 * lda, a0 + 3 * lda, bp, kc, cp, ldc, !first);
          } else {
            const last = <usize>(rows - 1);
            kernel4x8(a0, a0 + min<usize>(1, last) * lda, a0 + min<usize>(2, last) * lda, a0 + last * lda, bp, kc, tile, 32, false);
            for (let r = 0; r < rows; r++)
              for (let j = 0; j < width; j++) {
                const target = cp + <usize>r * ldc + (<usize>j << 2);
                const value = load<f32>(tile + (<usize>(r * 8 + j) << 2));
                store<f32>(target, first ? value : load<f32>(target) + value);
              }
          }
        }
      }
    }
  }
}
