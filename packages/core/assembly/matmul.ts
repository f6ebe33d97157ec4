// float32 GEMM: C[M, N] = A[M, K] · B, B stored [K, N] (or [N, K] with transB) as float32,
// bfloat16 or float16, batched with per-batch element offsets. BLIS-style blocking: a task is
// one (batch, MC-row block, NC-column block) — MC as large as the thread count allows, so B is
// packed as few times as possible; for each KC slice of K it packs B into 8-column
// panels (widening half-precision weights as it goes), then runs a 4x8 register-blocked
// micro-kernel (8 v128 accumulators + 2 B vectors + 1 A splat = 11 of V8's 15 usable xmm) with
// no bounds checks. Edge tiles (M % 4, N % 8) run the same kernel into a scratch tile.
import { KIND_F32, KIND_BF16, halfToFloat, kindSize, load1, load4 } from './widen';

// Parameter block (i32 slots), written by src/backends/wasm/kernels/matmul-plan.ts.
// @ts-ignore: decorator
@inline export const P_A = 0;
// @ts-ignore: decorator
@inline export const P_B = 1;
// @ts-ignore: decorator
@inline export const P_C = 2;
// @ts-ignore: decorator
@inline export const P_M = 3;
// @ts-ignore: decorator
@inline export const P_N = 4;
// @ts-ignore: decorator
@inline export const P_K = 5;
// @ts-ignore: decorator
@inline export const P_BKIND = 6;
// @ts-ignore: decorator
@inline export const P_TRANSB = 7;
// @ts-ignore: decorator
@inline export const P_OFFSETS = 8; // pointer to [aOffset, bOffset] i32 pairs (elements), one per batch
// @ts-ignore: decorator
@inline export const P_MBLOCKS = 9;
// @ts-ignore: decorator
@inline export const P_NBLOCKS = 10;
// @ts-ignore: decorator
@inline export const P_SCRATCH = 11;
// @ts-ignore: decorator
@inline export const P_SCRATCH_STRIDE = 12;
// @ts-ignore: decorator
@inline export const P_MC = 13; // rows per task block (a multiple of 4), chosen by the caller

// @ts-ignore: decorator
@inline const NC = 256;
// @ts-ignore: decorator
@inline const KC = 256;
/** Bytes of per-thread scratch GEMM needs: a 4x8 tile, then a KC x NC packed B block. */
export const GEMM_SCRATCH_BYTES: i32 = 256 + KC * NC * 4;
export const GEMM_NC: i32 = NC;

// @ts-ignore: decorator
@inline export function param(p: usize, slot: i32): i32 {
  return load<i32>(p + (<usize>slot << 2));
}

/** c + a·b: a fused multiply-add where the runtime has relaxed SIMD (the relaxed build), else mul + add. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** 4 rows (pointers a0..a3, stepping 4 bytes per k) x one packed 8-wide panel over kc → C (ldc bytes). */
export function kernel4x8(a0: usize, a1: usize, a2: usize, a3: usize, bp: usize, kc: i32, c: usize, ldc: usize, accumulate: bool): void {
  let c00 = i32x4.splat(0), c01 = i32x4.splat(0);
  let c10 = i32x4.splat(0), c11 = i32x4.splat(0);
  let c20 = i32x4.splat(0), c21 = i32x4.splat(0);
  let c30 = i32x4.splat(0), c31 = i32x4.splat(0);
  const end = a0 + (<usize>kc << 2);
  while (a0 < end) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let x = v128.load32_splat(a0);
    c00 = madd(x, b0, c00);
    c01 = madd(x, b1, c01);
    x = v128.load32_splat(a1);
    c10 = madd(x, b0, c10);
    c11 = madd(x, b1, c11);
    x = v128.load32_splat(a2);
    c20 = madd(x, b0, c20);
    c21 = madd(x, b1, c21);
    x = v128.load32_splat(a3);
    c30 = madd(x, b0, c30);
    c31 = madd(x, b1, c31);
    a0 += 4;
    a1 += 4;
    a2 += 4;
    a3 += 4;
    bp += 32;
  }
  if (accumulate) {
    c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(c + ldc)); c11 = f32x4.add(c11, v128.load(c + ldc, 16));
    c20 = f32x4.add(c20, v128.load(c + 2 * ldc)); c21 = f32x4.add(c21, v128.load(c + 2 * ldc, 16));
    c30 = f32x4.add(c30, v128.load(c + 3 * ldc)); c31 = f32x4.add(c31, v128.load(c + 3 * ldc, 16));
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + ldc, c10); v128.store(c + ldc, c11, 16);
  v128.store(c + 2 * ldc, c20); v128.store(c + 2 * ldc, c21, 16);
  v128.store(c + 3 * ldc, c30); v128.store(c + 3 * ldc, c31, 16);
}

/** Rows r0..r3 (four k each) → four k-rows of four columns at dst, dst+32, dst+64, dst+96. */
// @ts-ignore: decorator
@inline function transpose4(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t1, 0, 1, 4, 5));
  v128.store(dst, v128.shuffle<f32>(t0, t1, 2, 3, 6, 7), 32);
  v128.store(dst, v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), 64);
  v128.store(dst, v128.shuffle<f32>(t2, t3, 2, 3, 6, 7), 96);
}

/** Packs B[k0:k0+kc, n0:n1] (logical [K, N]) into 8-column panels of float32: panel j at packed + j·kc·32. */
function packB(b: usize, kind: i32, transB: bool, N: i32, K: i32, k0: i32, kc: i32, n0: i32, n1: i32, packed: usize): void {
  const size = kindSize(kind);
  for (let n = n0; n < n1; n += 8) {
    const width = min(8, n1 - n);
    let dst = packed + <usize>((n - n0) >> 3) * <usize>kc * 32;
    if (!transB && width == 8) {
      let src = b + (<usize>k0 * <usize>N + <usize>n) * size;
      const ldb = <usize>N * size;
      if (kind == KIND_F32) {
        for (let k = 0; k < kc; k++, src += ldb, dst += 32) {
          v128.store(dst, v128.load(src));
          v128.store(dst, v128.load(src, 16), 16);
        }
      } else if (kind == KIND_BF16) {
        for (let k = 0; k < kc; k++, src += ldb, dst += 32) {
          const v = v128.load(src);
          v128.store(dst, i32x4.shl(i32x4.extend_low_i16x8_u(v), 16));
          v128.store(dst, i32x4.shl(i32x4.extend_high_i16x8_u(v), 16), 16);
        }
      } else {
        for (let k = 0; k < kc; k++, src += ldb, dst += 32) {
          const v = v128.load(src);
          v128.store(dst, halfToFloat(i32x4.extend_low_i16x8_u(v)));
          v128.store(dst, halfToFloat(i32x4.extend_high_i16x8_u(v)), 16);
        }
      }
    } else if (transB && width == 8) {
      // B stored [N, K]: eight rows of B give the panel's eight columns; 4x4 blocks are
      // transposed in registers (k..k+3 of rows j..j+3 → four packed k-rows).
      const ldb = <usize>K * size;
      const r0 = b + (<usize>n * <usize>K + <usize>k0) * size;
      let k = 0;
      for (; k + 4 <= kc; k += 4, dst += 128) {
        const o = <usize>k * size;
        transpose4(load4(kind, r0 + o), load4(kind, r0 + ldb + o), load4(kind, r0 + 2 * ldb + o), load4(kind, r0 + 3 * ldb + o), dst);
        const r4 = r0 + 4 * ldb;
        transpose4(load4(kind, r4 + o), load4(kind, r4 + ldb + o), load4(kind, r4 + 2 * ldb + o), load4(kind, r4 + 3 * ldb + o), dst + 16);
      }
      for (; k < kc; k++, dst += 32)
        for (let j = 0; j < 8; j++) store<f32>(dst + (<usize>j << 2), load1(kind, r0 + <usize>j * ldb + <usize>k * size));
    } else {
      // The last, narrower panel: element by element, zero-padded to 8 columns.
      for (let j = 0; j < 8; j++) {
        const column = n + j;
        let out = dst + (<usize>j << 2);
        if (j >= width) {
          for (let k = 0; k < kc; k++, out += 32) store<f32>(out, 0);
        } else if (transB) {
          let src = b + (<usize>column * <usize>K + <usize>k0) * size;
          for (let k = 0; k < kc; k++, out += 32, src += size) store<f32>(out, load1(kind, src));
        } else {
          let src = b + (<usize>k0 * <usize>N + <usize>column) * size;
          const ldb = <usize>N * size;
          for (let k = 0; k < kc; k++, out += 32, src += ldb) store<f32>(out, load1(kind, src));
        }
      }
    }
  }
}

/** GEMM tasks [start, end) of batch x mBlocks x nBlocks; `thread` selects the scratch slice. */
export function gemm(p: usize, start: i32, end: i32, thread: i32): void {
  const M = param(p, P_M), N = param(p, P_N), K = param(p, P_K);
  const kind = param(p, P_BKIND);
  const transB = param(p, P_TRANSB) != 0;
  const mBlocks = param(p, P_MBLOCKS), nBlocks = param(p, P_NBLOCKS);
  const MC = param(p, P_MC);
  const offsets = <usize>param(p, P_OFFSETS);
  const scratch = <usize>param(p, P_SCRATCH) + <usize>thread * <usize>param(p, P_SCRATCH_STRIDE);
  const tile = scratch;
  const packed = scratch + 256;
  const lda = <usize>K << 2;
  const ldc = <usize>N << 2;
  const perBatch = mBlocks * nBlocks;
  for (let task = start; task < end; task++) {
    const batch = task / perBatch;
    const within = task % perBatch;
    const m0 = (within / nBlocks) * MC;
    const n0 = (within % nBlocks) * NC;
    const m1 = min(M, m0 + MC), n1 = min(N, n0 + NC);
    const a = <usize>param(p, P_A) + (<usize>load<i32>(offsets + (<usize>batch << 3)) << 2);
    const b = <usize>param(p, P_B) + <usize>load<i32>(offsets + (<usize>batch << 3), 4) * kindSize(kind);
    const c = <usize>param(p, P_C) + <usize>batch * <usize>M * ldc;
    for (let k0 = 0; k0 < K; k0 += KC) {
      const kc = min(KC, K - k0);
      packB(b, kind, transB, N, K, k0, kc, n0, n1, packed);
      const first = k0 == 0;
      for (let n = n0; n < n1; n += 8) {
        const width = min(8, n1 - n);
        const bp = packed + <usize>((n - n0) >> 3) * <usize>kc * 32;
        for (let m = m0; m < m1; m += 4) {
          const rows = min(4, m1 - m);
          const a0 = a + <usize>m * lda + (<usize>k0 << 2);
          const cp = c + <usize>m * ldc + (<usize>n << 2);
          if (rows == 4 && width == 8) {
            kernel4x8(a0, a0 + lda, a0 + 2 * lda, a0 + 3 * lda, bp, kc, cp, ldc, !first);
          } else {
            // Missing rows repeat the last real one; the tile keeps only what exists.
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

/** int32 matmul (wrapping), the plain triple loop: batches [start, end). */
export function gemmI32(p: usize, start: i32, end: i32, thread: i32): void {
  const M = param(p, P_M), N = param(p, P_N), K = param(p, P_K);
  const transB = param(p, P_TRANSB) != 0;
  const offsets = <usize>param(p, P_OFFSETS);
  const strideK: usize = transB ? 4 : <usize>N << 2;
  const strideN: usize = transB ? <usize>K << 2 : 4;
  for (let batch = start; batch < end; batch++) {
    const a = <usize>param(p, P_A) + (<usize>load<i32>(offsets + (<usize>batch << 3)) << 2);
    const b = <usize>param(p, P_B) + (<usize>load<i32>(offsets + (<usize>batch << 3), 4) << 2);
    const c = <usize>param(p, P_C) + <usize>batch * <usize>M * <usize>N * 4;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let total: i32 = 0;
        let pa = a + <usize>i * <usize>K * 4;
        let pb = b + <usize>j * strideN;
        for (let k = 0; k < K; k++, pa += 4, pb += strideK) total += load<i32>(pa) * load<i32>(pb);
        store<i32>(c + (<usize>(i * N + j) << 2), total);
      }
  }
}
