// MatMulInt8: int8 activations a [M, K] × int8 weights → exact int32 sums → float32
//   out[m, g·N + n] = f32(Σ_k a[m,k]·b[g,k,n]) / f32(aScale[m] · bScale[g·N + n])
// (Keras's `x / (inputs_scale * kernel_scale)`: float32 product of the scales, float32 division).
// b is [G, K, N] (transB = 0: EinsumDense / Dense kernels) or [N, K] (transB = 1, G = 1: the
// tied embedding table on the logits path). Weights are read as stored, never widened in memory.
// Products use i32x4.dot_i16x8_s (int8 sign-extended to int16 pairs; every int32 sum is exact for
// K < 2^17). Relaxed SIMD's i8 dot products need a 7-bit unsigned operand, which neither int8
// operand is, so both builds run the same integer code.
// - GEMV (M = 1), b [K, N]: the int32 sums live in the output block (reinterpreted, then
//   rescaled in place); eight weight rows per pass, rows k, k+1 interleaved byte-wise so that one
//   dot_i16x8_s gives a[k]·b[k,n] + a[k+1]·b[k+1,n] for four columns. Split over K on several
//   threads (int32 partials, summed exactly).
// - GEMV, b [N, K]: four dot products at once over contiguous rows.
// - GEMM: tasks (g, row block, NC-column block); b [K, N] slices are transposed per K slice into a
//   per-thread scratch panel (KC × NC bytes, never a full copy); a 4 × 2 dot-product micro-kernel
//   over K (load8x8_s widens in the load).
import { param } from './matmul';

// Parameter block slots (i32), written by src/backends/wasm/kernels/MatMulInt8.ts.
// @ts-ignore: decorator
@inline export const Q_A = 0;
// @ts-ignore: decorator
@inline export const Q_ASCALE = 1;
// @ts-ignore: decorator
@inline export const Q_B = 2;
// @ts-ignore: decorator
@inline export const Q_BSCALE = 3;
// @ts-ignore: decorator
@inline export const Q_C = 4;
// @ts-ignore: decorator
@inline export const Q_M = 5;
// @ts-ignore: decorator
@inline export const Q_N = 6;
// @ts-ignore: decorator
@inline export const Q_K = 7;
// @ts-ignore: decorator
@inline export const Q_G = 8;
// @ts-ignore: decorator
@inline export const Q_TRANSB = 9;
// @ts-ignore: decorator
@inline export const Q_MBLOCKS = 10;
// @ts-ignore: decorator
@inline export const Q_NBLOCKS = 11;
// @ts-ignore: decorator
@inline export const Q_SCRATCH = 12;
// @ts-ignore: decorator
@inline export const Q_SCRATCH_STRIDE = 13;
// @ts-ignore: decorator
@inline export const Q_MC = 14;
// @ts-ignore: decorator
@inline export const Q_CHUNK = 15; // split-K GEMV: rows per task
// @ts-ignore: decorator
@inline export const Q_PARTIALS = 16; // split-K GEMV: address of the int32 partial sums

// @ts-ignore: decorator
@inline const NB = 64; // GEMV columns per task
// @ts-ignore: decorator
@inline const NC = 64; // GEMM columns per task block
// @ts-ignore: decorator
@inline const KC = 2048; // GEMM K slice (panel: NC × KC bytes)
export const INT8_GEMV_NB: i32 = NB;
export const INT8_GEMM_NC: i32 = NC;

/** int16 lanes (x0, x1, x0, x1, …) from two int8 values. */
// @ts-ignore: decorator
@inline function pairSplat(p: usize): v128 {
  return i16x8.extend_low_i8x16_s(v128.load16_splat(p));
}

/** Eight rows at once: the int32 sums of rows 0–3 and 4–7 are added in registers before one accumulator update. */
// @ts-ignore: decorator
@inline function eightRows(x: usize, w: usize, ldw: usize, acc: usize, j: i32): void {
  const x01 = pairSplat(x), x23 = pairSplat(x + 2), x45 = pairSplat(x + 4), x67 = pairSplat(x + 6);
  let lo = i32x4.splat(0), lo2 = i32x4.splat(0), hi = i32x4.splat(0), hi2 = i32x4.splat(0);
  for (let half = 0; half < 2; half++) {
    const base = w + <usize>(half * 4) * ldw + <usize>j;
    const xa = half == 0 ? x01 : x45, xb = half == 0 ? x23 : x67;
    const r0 = v128.load(base), r1 = v128.load(base + ldw), r2 = v128.load(base + 2 * ldw), r3 = v128.load(base + 3 * ldw);
    const l01 = i8x16.shuffle(r0, r1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const h01 = i8x16.shuffle(r0, r1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const l23 = i8x16.shuffle(r2, r3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const h23 = i8x16.shuffle(r2, r3, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    lo = i32x4.add(lo, i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(l01), xa), i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(l23), xb)));
    lo2 = i32x4.add(lo2, i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(l01), xa), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(l23), xb)));
    hi = i32x4.add(hi, i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(h01), xa), i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(h23), xb)));
    hi2 = i32x4.add(hi2, i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(h01), xa), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(h23), xb)));
  }
  const a = acc + (<usize>j << 2);
  v128.store(a, i32x4.add(v128.load(a), lo));
  v128.store(a, i32x4.add(v128.load(a, 16), lo2), 16);
  v128.store(a, i32x4.add(v128.load(a, 32), hi), 32);
  v128.store(a, i32x4.add(v128.load(a, 48), hi2), 48);
}

/** acc[c0:c1] += x[0:K] · w[0:K, c0:c1] in int32 (w rows of ldw bytes): eight rows per pass, then four, then one. */
function rowsI8(x: usize, w: usize, ldw: usize, acc: usize, K: i32, c0: i32, c1: i32): void {
  let k = 0;
  const vectorEnd = c0 + ((c1 - c0) & ~15);
  for (; k + 8 <= K; k += 8) {
    const wk = w + <usize>k * ldw;
    for (let j = c0; j < vectorEnd; j += 16) eightRows(x + <usize>k, wk, ldw, acc, j);
    for (let r = 0; r < 8; r++) {
      const s = <i32>load<i8>(x + <usize>(k + r));
      const wr = wk + <usize>r * ldw;
      for (let j = vectorEnd; j < c1; j++) {
        const a = acc + (<usize>j << 2);
        store<i32>(a, load<i32>(a) + s * <i32>load<i8>(wr + <usize>j));
      }
    }
  }
  for (; k < K; k++) {
    const s = <i32>load<i8>(x + <usize>k);
    const wk = w + <usize>k * ldw;
    for (let j = c0; j < c1; j++) {
      const a = acc + (<usize>j << 2);
      store<i32>(a, load<i32>(a) + s * <i32>load<i8>(wk + <usize>j));
    }
  }
}

/** c[j] = f32(int32 c[j]) / (aScale · bScale[j]) for j in [c0, c1), in place. */
function rescale(c: usize, aScale: f32, bScale: usize, c0: i32, c1: i32): void {
  const sa = f32x4.splat(aScale);
  let j = c0;
  for (; j + 4 <= c1; j += 4) {
    const o = <usize>j << 2;
    v128.store(c + o, f32x4.div(f32x4.convert_i32x4_s(v128.load(c + o)), f32x4.mul(sa, v128.load(bScale + o))));
  }
  for (; j < c1; j++) {
    const o = <usize>j << 2;
    store<f32>(c + o, <f32>load<i32>(c + o) / (aScale * load<f32>(bScale + o)));
  }
}

/** Σ_k x[k]·y[k] over int8 vectors of length K (dot_i16x8_s, 8 at a time). */
// @ts-ignore: decorator
@inline function dotI8(x: usize, y: usize, K: i32): i32 {
  let acc = i32x4.splat(0);
  let k = 0;
  for (; k + 8 <= K; k += 8) acc = i32x4.add(acc, i32x4.dot_i16x8_s(v128.load8x8_s(x + <usize>k), v128.load8x8_s(y + <usize>k)));
  let total = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  for (; k < K; k++) total += <i32>load<i8>(x + <usize>k) * <i32>load<i8>(y + <usize>k);
  return total;
}

// @ts-ignore: decorator
@inline function hsumI32(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

/** y[n] for n in [c0, c1): rows of w [N, K] dotted with x, four rows at once, then rescaled. */
function dotRowsI8(x: usize, w: usize, K: i32, y: usize, aScale: f32, bScale: usize, c0: i32, c1: i32): void {
  const ldw = <usize>K;
  let n = c0;
  for (; n + 4 <= c1; n += 4) {
    const w0 = w + <usize>n * ldw;
    const w1 = w0 + ldw, w2 = w1 + ldw, w3 = w2 + ldw;
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
    let k = 0;
    for (; k + 8 <= K; k += 8) {
      const xv = v128.load8x8_s(x + <usize>k);
      const o = <usize>k;
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(xv, v128.load8x8_s(w0 + o)));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(xv, v128.load8x8_s(w1 + o)));
      a2 = i32x4.add(a2, i32x4.dot_i16x8_s(xv, v128.load8x8_s(w2 + o)));
      a3 = i32x4.add(a3, i32x4.dot_i16x8_s(xv, v128.load8x8_s(w3 + o)));
    }
    let t0 = hsumI32(a0), t1 = hsumI32(a1), t2 = hsumI32(a2), t3 = hsumI32(a3);
    for (; k < K; k++) {
      const s = <i32>load<i8>(x + <usize>k);
      const o = <usize>k;
      t0 += s * <i32>load<i8>(w0 + o);
      t1 += s * <i32>load<i8>(w1 + o);
      t2 += s * <i32>load<i8>(w2 + o);
      t3 += s * <i32>load<i8>(w3 + o);
    }
    const yo = y + (<usize>n << 2);
    store<i32>(yo, t0);
    store<i32>(yo, t1, 4);
    store<i32>(yo, t2, 8);
    store<i32>(yo, t3, 12);
  }
  for (; n < c1; n++) store<i32>(y + (<usize>n << 2), dotI8(x, w + <usize>n * ldw, K));
  rescale(y, aScale, bScale, c0, c1);
}

/**
 * GEMV tasks [start, end) of G × nBlocks (NB columns each; consecutive blocks of one group are one
 * range, so a thread streams whole row segments). M = 1.
 */
export function int8Gemv(p: usize, start: i32, end: i32, thread: i32): void {
  const N = param(p, Q_N), K = param(p, Q_K);
  const transB = param(p, Q_TRANSB) != 0;
  const nBlocks = param(p, Q_NBLOCKS);
  const x = <usize>param(p, Q_A);
  const aScale = load<f32>(<usize>param(p, Q_ASCALE));
  let task = start;
  while (task < end) {
    const g = task / nBlocks;
    const firstBlock = task % nBlocks;
    const lastBlock = min(nBlocks, firstBlock + (end - task));
    const c0 = firstBlock * NB, c1 = min(N, lastBlock * NB);
    const y = <usize>param(p, Q_C) + <usize>g * <usize>N * 4;
    const bScale = <usize>param(p, Q_BSCALE) + <usize>g * <usize>N * 4;
    const w = <usize>param(p, Q_B) + <usize>g * <usize>K * <usize>N;
    if (transB) {
      dotRowsI8(x, w, K, y, aScale, bScale, c0, c1);
    } else {
      memory.fill(y + (<usize>c0 << 2), 0, <usize>(c1 - c0) << 2);
      rowsI8(x, w, <usize>N, y, K, c0, c1);
      rescale(y, aScale, bScale, c0, c1);
    }
    task += lastBlock - firstBlock;
  }
}

/**
 * GEMV for G = 1, b [K, N], split over K (tasks of `chunk` rows): task t sums its rows into the
 * output (t = 0, as int32) or partial t − 1; `int8SumRescale` then adds the partials and rescales.
 */
export function int8GemvSplitK(p: usize, start: i32, end: i32, thread: i32): void {
  const N = param(p, Q_N), K = param(p, Q_K);
  const chunk = param(p, Q_CHUNK);
  const partials = <usize>param(p, Q_PARTIALS);
  const x = <usize>param(p, Q_A);
  const w = <usize>param(p, Q_B);
  for (let task = start; task < end; task++) {
    const k0 = task * chunk;
    const k1 = min(K, k0 + chunk);
    const y = task == 0 ? <usize>param(p, Q_C) : partials + <usize>(task - 1) * <usize>N * 4;
    memory.fill(y, 0, <usize>N << 2);
    rowsI8(x + <usize>k0, w + <usize>k0 * <usize>N, <usize>N, y, k1 - k0, 0, N);
  }
}

/** Columns [start, end): y += Σ partials (int32, exact), then y = f32(y) / (aScale · bScale). */
export function int8SumRescale(p: usize, count: i32, start: i32, end: i32, thread: i32): void {
  const N = param(p, Q_N);
  const y = <usize>param(p, Q_C);
  const partials = <usize>param(p, Q_PARTIALS);
  for (let i = 0; i < count; i++) {
    const part = partials + <usize>i * <usize>N * 4;
    let j = start;
    for (; j + 4 <= end; j += 4) {
      const o = <usize>j << 2;
      v128.store(y + o, i32x4.add(v128.load(y + o), v128.load(part + o)));
    }
    for (; j < end; j++) {
      const o = <usize>j << 2;
      store<i32>(y + o, load<i32>(y + o) + load<i32>(part + o));
    }
  }
  rescale(y, load<f32>(<usize>param(p, Q_ASCALE)), <usize>param(p, Q_BSCALE), start, end);
}

/**
 * 4 rows of a (pointers a0..a3) × 2 columns (pointers b0, b1), each contiguous over k, summed over
 * [0, kc) into int32 c (row stride ldc bytes): c[r, j] (+)= Σ_k a_r[k]·b_j[k].
 */
function kernel4x2(a0: usize, a1: usize, a2: usize, a3: usize, b0: usize, b1: usize, kc: i32, c: usize, ldc: usize, accumulate: bool, rows: i32, cols: i32): void {
  let c00 = i32x4.splat(0), c01 = i32x4.splat(0), c10 = i32x4.splat(0), c11 = i32x4.splat(0);
  let c20 = i32x4.splat(0), c21 = i32x4.splat(0), c30 = i32x4.splat(0), c31 = i32x4.splat(0);
  let k = 0;
  for (; k + 8 <= kc; k += 8) {
    const o = <usize>k;
    const v0 = v128.load8x8_s(b0 + o), v1 = v128.load8x8_s(b1 + o);
    let x = v128.load8x8_s(a0 + o);
    c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x, v0));
    c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x, v1));
    x = v128.load8x8_s(a1 + o);
    c10 = i32x4.add(c10, i32x4.dot_i16x8_s(x, v0));
    c11 = i32x4.add(c11, i32x4.dot_i16x8_s(x, v1));
    x = v128.load8x8_s(a2 + o);
    c20 = i32x4.add(c20, i32x4.dot_i16x8_s(x, v0));
    c21 = i32x4.add(c21, i32x4.dot_i16x8_s(x, v1));
    x = v128.load8x8_s(a3 + o);
    c30 = i32x4.add(c30, i32x4.dot_i16x8_s(x, v0));
    c31 = i32x4.add(c31, i32x4.dot_i16x8_s(x, v1));
  }
  let t00 = hsumI32(c00), t01 = hsumI32(c01), t10 = hsumI32(c10), t11 = hsumI32(c11);
  let t20 = hsumI32(c20), t21 = hsumI32(c21), t30 = hsumI32(c30), t31 = hsumI32(c31);
  for (; k < kc; k++) {
    const o = <usize>k;
    const v0 = <i32>load<i8>(b0 + o), v1 = <i32>load<i8>(b1 + o);
    const x0 = <i32>load<i8>(a0 + o), x1 = <i32>load<i8>(a1 + o), x2 = <i32>load<i8>(a2 + o), x3 = <i32>load<i8>(a3 + o);
    t00 += x0 * v0; t01 += x0 * v1;
    t10 += x1 * v0; t11 += x1 * v1;
    t20 += x2 * v0; t21 += x2 * v1;
    t30 += x3 * v0; t31 += x3 * v1;
  }
  // Only the rows / columns that exist are written (missing ones repeat the last real pointer).
  storeSum(c, t00, accumulate);
  if (cols > 1) storeSum(c + 4, t01, accumulate);
  if (rows > 1) {
    storeSum(c + ldc, t10, accumulate);
    if (cols > 1) storeSum(c + ldc + 4, t11, accumulate);
  }
  if (rows > 2) {
    storeSum(c + 2 * ldc, t20, accumulate);
    if (cols > 1) storeSum(c + 2 * ldc + 4, t21, accumulate);
  }
  if (rows > 3) {
    storeSum(c + 3 * ldc, t30, accumulate);
    if (cols > 1) storeSum(c + 3 * ldc + 4, t31, accumulate);
  }
}

// @ts-ignore: decorator
@inline function storeSum(c: usize, value: i32, accumulate: bool): void {
  store<i32>(c, accumulate ? load<i32>(c) + value : value);
}

/** Transposes b[k0:k0+kc, n0:n1] (rows of ldb bytes) into panel[n − n0][0:kc] (rows of kc bytes). */
function packTransposed(b: usize, ldb: usize, k0: i32, kc: i32, n0: i32, n1: i32, panel: usize): void {
  const width = n1 - n0;
  for (let k = 0; k < kc; k++) {
    const src = b + <usize>(k0 + k) * ldb + <usize>n0;
    let dst = panel + <usize>k;
    for (let j = 0; j < width; j++, dst += <usize>kc) store<i8>(dst, load<i8>(src + <usize>j));
  }
}

/** GEMM tasks [start, end) of G × mBlocks × nBlocks (MC rows, NC columns each). */
export function int8Gemm(p: usize, start: i32, end: i32, thread: i32): void {
  const M = param(p, Q_M), N = param(p, Q_N), K = param(p, Q_K), G = param(p, Q_G);
  const transB = param(p, Q_TRANSB) != 0;
  const mBlocks = param(p, Q_MBLOCKS), nBlocks = param(p, Q_NBLOCKS);
  const MC = param(p, Q_MC);
  const panel = <usize>param(p, Q_SCRATCH) + <usize>thread * <usize>param(p, Q_SCRATCH_STRIDE);
  const a = <usize>param(p, Q_A);
  const aScales = <usize>param(p, Q_ASCALE);
  const lda = <usize>K;
  const ldc = <usize>(G * N) << 2;
  const perGroup = mBlocks * nBlocks;
  for (let task = start; task < end; task++) {
    const g = task / perGroup;
    const within = task % perGroup;
    const m0 = (within / nBlocks) * MC;
    const n0 = (within % nBlocks) * NC;
    const m1 = min(M, m0 + MC), n1 = min(N, n0 + NC);
    const b = <usize>param(p, Q_B) + <usize>g * <usize>K * <usize>N;
    const c = <usize>param(p, Q_C) + (<usize>(g * N) << 2);
    // K = 0: empty sums (the rescale below still gives 0 / scale, as the reference does).
    if (K == 0) for (let m = m0; m < m1; m++) memory.fill(c + <usize>m * ldc + (<usize>n0 << 2), 0, <usize>(n1 - n0) << 2);
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = min(KC, K - k0);
      if (!transB) packTransposed(b, <usize>N, k0, kc, n0, n1, panel);
      const first = k0 == 0;
      for (let n = n0; n < n1; n += 2) {
        const cols = min(2, n1 - n);
        const b0 = transB ? b + <usize>n * <usize>K + <usize>k0 : panel + <usize>(n - n0) * <usize>kc;
        const b1 = cols > 1 ? b0 + (transB ? <usize>K : <usize>kc) : b0;
        for (let m = m0; m < m1; m += 4) {
          const rows = min(4, m1 - m);
          const last = <usize>(rows - 1);
          const a0 = a + <usize>m * lda + <usize>k0;
          kernel4x2(a0, a0 + min<usize>(1, last) * lda, a0 + min<usize>(2, last) * lda, a0 + last * lda, b0, b1, kc,
            c + <usize>m * ldc + (<usize>n << 2), ldc, !first, rows, cols);
        }
      }
    }
    const bScale = <usize>param(p, Q_BSCALE) + (<usize>(g * N) << 2);
    for (let m = m0; m < m1; m++) rescale(c + <usize>m * ldc, load<f32>(aScales + (<usize>m << 2)), bScale, n0, n1);
  }
}
