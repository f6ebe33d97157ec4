// GEMV: y[N] = x[K] · B for one row of A per batch (M = 1: decoding), reading B once at memory
// bandwidth, float32 / bfloat16 / float16 weights widened in registers.
// - B [K, N] (row-major weights, x @ W): four rows of B are streamed together, sequentially;
//   y[c0:c1] (L1/L2 resident) gets x[k]·B[k] + … + x[k+3]·B[k+3] per pass, so each y vector is
//   loaded and stored once per four weight vectors.
// - B [N, K] (transB, W as rows): four dot products at once over contiguous rows.
// Tasks are (batch, 64-column block); consecutive blocks of one batch are merged into one range,
// so a thread streams whole row segments.
import { madd, param, P_A, P_B, P_C, P_K, P_N, P_BKIND, P_TRANSB, P_OFFSETS, P_NBLOCKS } from './matmul';
import { KIND_F32, KIND_BF16, kindSize, load1, load4 } from './widen';
import { hsum } from './simd-math';

// @ts-ignore: decorator
@inline const NB = 64;
export const GEMV_NB: i32 = NB;

// @ts-ignore: decorator
@inline function rowsRange(kind: i32, x: usize, w: usize, y: usize, N: i32, K: i32, c0: i32, c1: i32): void {
  const size = kindSize(kind);
  const ldw = <usize>N * size;
  for (let j = c0; j < c1; j++) store<f32>(y + (<usize>j << 2), 0);
  let k = 0;
  for (; k + 4 <= K; k += 4) {
    const x0 = v128.load32_splat(x + (<usize>k << 2));
    const x1 = v128.load32_splat(x + (<usize>k << 2), 4);
    const x2 = v128.load32_splat(x + (<usize>k << 2), 8);
    const x3 = v128.load32_splat(x + (<usize>k << 2), 12);
    const w0 = w + <usize>k * ldw;
    const w1 = w0 + ldw, w2 = w1 + ldw, w3 = w2 + ldw;
    let j = c0;
    for (; j + 4 <= c1; j += 4) {
      const wo = <usize>j * size;
      const yo = y + (<usize>j << 2);
      let acc = v128.load(yo);
      acc = madd(x0, load4(kind, w0 + wo), acc);
      acc = madd(x1, load4(kind, w1 + wo), acc);
      acc = madd(x2, load4(kind, w2 + wo), acc);
      acc = madd(x3, load4(kind, w3 + wo), acc);
      v128.store(yo, acc);
    }
    for (; j < c1; j++) {
      const wo = <usize>j * size;
      const yo = y + (<usize>j << 2);
      let total = load<f32>(yo);
      total += f32x4.extract_lane(x0, 0) * load1(kind, w0 + wo);
      total += f32x4.extract_lane(x1, 0) * load1(kind, w1 + wo);
      total += f32x4.extract_lane(x2, 0) * load1(kind, w2 + wo);
      total += f32x4.extract_lane(x3, 0) * load1(kind, w3 + wo);
      store<f32>(yo, total);
    }
  }
  for (; k < K; k++) {
    const xs = v128.load32_splat(x + (<usize>k << 2));
    const wk = w + <usize>k * ldw;
    let j = c0;
    for (; j + 4 <= c1; j += 4) {
      const yo = y + (<usize>j << 2);
      v128.store(yo, madd(xs, load4(kind, wk + <usize>j * size), v128.load(yo)));
    }
    for (; j < c1; j++) {
      const yo = y + (<usize>j << 2);
      store<f32>(yo, load<f32>(yo) + f32x4.extract_lane(xs, 0) * load1(kind, wk + <usize>j * size));
    }
  }
}

// @ts-ignore: decorator
@inline function dotRows(kind: i32, x: usize, w: usize, y: usize, K: i32, c0: i32, c1: i32): void {
  const size = kindSize(kind);
  const ldw = <usize>K * size;
  let n = c0;
  for (; n + 4 <= c1; n += 4) {
    const w0 = w + <usize>n * ldw;
    const w1 = w0 + ldw, w2 = w1 + ldw, w3 = w2 + ldw;
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
    let k = 0;
    for (; k + 4 <= K; k += 4) {
      const xv = v128.load(x + (<usize>k << 2));
      const wo = <usize>k * size;
      a0 = madd(xv, load4(kind, w0 + wo), a0);
      a1 = madd(xv, load4(kind, w1 + wo), a1);
      a2 = madd(xv, load4(kind, w2 + wo), a2);
      a3 = madd(xv, load4(kind, w3 + wo), a3);
    }
    let t0 = hsum(a0), t1 = hsum(a1), t2 = hsum(a2), t3 = hsum(a3);
    for (; k < K; k++) {
      const xs = load<f32>(x + (<usize>k << 2));
      const wo = <usize>k * size;
      t0 += xs * load1(kind, w0 + wo);
      t1 += xs * load1(kind, w1 + wo);
      t2 += xs * load1(kind, w2 + wo);
      t3 += xs * load1(kind, w3 + wo);
    }
    const yo = y + (<usize>n << 2);
    store<f32>(yo, t0);
    store<f32>(yo, t1, 4);
    store<f32>(yo, t2, 8);
    store<f32>(yo, t3, 12);
  }
  for (; n < c1; n++) {
    const wn = w + <usize>n * ldw;
    let acc = i32x4.splat(0);
    let k = 0;
    for (; k + 4 <= K; k += 4) acc = madd(v128.load(x + (<usize>k << 2)), load4(kind, wn + <usize>k * size), acc);
    let total = hsum(acc);
    for (; k < K; k++) total += load<f32>(x + (<usize>k << 2)) * load1(kind, wn + <usize>k * size);
    store<f32>(y + (<usize>n << 2), total);
  }
}

function gemvRange(kind: i32, transB: bool, x: usize, w: usize, y: usize, N: i32, K: i32, c0: i32, c1: i32): void {
  // One specialised loop per weight kind (the kind is a constant inside each).
  if (transB) {
    if (kind == KIND_F32) dotRows(KIND_F32, x, w, y, K, c0, c1);
    else if (kind == KIND_BF16) dotRows(KIND_BF16, x, w, y, K, c0, c1);
    else dotRows(2, x, w, y, K, c0, c1);
  } else {
    if (kind == KIND_F32) rowsRange(KIND_F32, x, w, y, N, K, c0, c1);
    else if (kind == KIND_BF16) rowsRange(KIND_BF16, x, w, y, N, K, c0, c1);
    else rowsRange(2, x, w, y, N, K, c0, c1);
  }
}

/** GEMV tasks [start, end) of batch x nBlocks (NB columns each). Parameter block as gemm's (M = 1). */
export function gemv(p: usize, start: i32, end: i32, thread: i32): void {
  const N = param(p, P_N), K = param(p, P_K);
  const kind = param(p, P_BKIND);
  const transB = param(p, P_TRANSB) != 0;
  const nBlocks = param(p, P_NBLOCKS);
  const offsets = <usize>param(p, P_OFFSETS);
  let task = start;
  while (task < end) {
    const batch = task / nBlocks;
    const firstBlock = task % nBlocks;
    const lastBlock = min(nBlocks, firstBlock + (end - task));
    const x = <usize>param(p, P_A) + (<usize>load<i32>(offsets + (<usize>batch << 3)) << 2);
    const w = <usize>param(p, P_B) + <usize>load<i32>(offsets + (<usize>batch << 3), 4) * kindSize(kind);
    const y = <usize>param(p, P_C) + <usize>batch * <usize>N * 4;
    gemvRange(kind, transB, x, w, y, N, K, firstBlock * NB, min(N, lastBlock * NB));
    task += lastBlock - firstBlock;
  }
}

/**
 * GEMV for one batch with W [K, N], split over K instead of columns (tasks [start, end) of
 * ceil(K / chunk)): every thread streams whole rows, which reads W ~20 % faster than half rows.
 * Task t writes x[k0:k1] · W[k0:k1, :] into y (t = 0) or partial t − 1; `sumPartials` adds them.
 * Slots: 14 = chunk (rows per task, a multiple of 4), 15 = the partials' address.
 */
export function gemvSplitK(p: usize, start: i32, end: i32, thread: i32): void {
  const N = param(p, P_N), K = param(p, P_K);
  const kind = param(p, P_BKIND);
  const offsets = <usize>param(p, P_OFFSETS);
  const chunk = param(p, 14);
  const partials = <usize>param(p, 15);
  const size = kindSize(kind);
  const x = <usize>param(p, P_A) + (<usize>load<i32>(offsets) << 2);
  const w = <usize>param(p, P_B) + <usize>load<i32>(offsets, 4) * size;
  for (let task = start; task < end; task++) {
    const k0 = task * chunk;
    const k1 = min(K, k0 + chunk);
    const y = task == 0 ? <usize>param(p, P_C) : partials + <usize>(task - 1) * <usize>N * 4;
    const xk = x + (<usize>k0 << 2);
    const wk = w + <usize>k0 * <usize>N * size;
    if (kind == KIND_F32) rowsRange(KIND_F32, xk, wk, y, N, k1 - k0, 0, N);
    else if (kind == KIND_BF16) rowsRange(KIND_BF16, xk, wk, y, N, k1 - k0, 0, N);
    else rowsRange(2, xk, wk, y, N, k1 - k0, 0, N);
  }
}

/** y[j] += Σ_{i < count} partials[i·N + j] for j in [start, end): the reduction after gemvSplitK. */
export function sumPartials(y: usize, partials: usize, count: i32, N: i32, start: i32, end: i32, thread: i32): void {
  for (let i = 0; i < count; i++) {
    const part = partials + <usize>i * <usize>N * 4;
    let j = start;
    for (; j + 4 <= end; j += 4) {
      const o = <usize>j << 2;
      v128.store(y + o, f32x4.add(v128.load(y + o), v128.load(part + o)));
    }
    for (; j < end; j++) {
      const o = <usize>j << 2;
      store<f32>(y + o, load<f32>(y + o) + load<f32>(part + o));
    }
  }
}
