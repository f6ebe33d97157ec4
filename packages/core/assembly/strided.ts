// Broadcast / strided index helpers. A loop descriptor is `rank` i32 dims followed by one block
// of `rank` i32 element strides per operand (stride 0 = broadcast). The caller (TypeScript) has
// already merged adjacent dims, so the last dim is the contiguous "row" and the others are walked
// by decomposing the row index: stateless, so any thread can start at any row.

/** Element offset of `row` (an index over dims[0..rank-1)) in the operand whose strides start at block `operand`. */
// @ts-ignore: decorator
@inline export function rowOffset(desc: usize, rank: i32, operand: i32, row: i32): i32 {
  let rest = row;
  let offset = 0;
  const strides = desc + (<usize>(operand * rank) << 2);
  for (let d = rank - 2; d >= 0; d--) {
    const dim = load<i32>(desc + (<usize>d << 2));
    const index = rest % dim;
    rest = rest / dim;
    offset += index * load<i32>(strides + (<usize>d << 2));
  }
  return offset;
}

// @ts-ignore: decorator
@inline export function innerDim(desc: usize, rank: i32): i32 {
  return load<i32>(desc + (<usize>(rank - 1) << 2));
}

// @ts-ignore: decorator
@inline export function innerStride(desc: usize, rank: i32, operand: i32): i32 {
  return load<i32>(desc + (<usize>(operand * rank + rank - 1) << 2));
}

/**
 * out (contiguous) = x viewed through the descriptor's operand-1 strides (operand 0 = dims),
 * rows [start, end). Serves Transpose and Slice for element sizes 1, 2 and 4.
 */
export function stridedCopy(elementSize: i32, x: usize, out: usize, desc: usize, rank: i32, start: i32, end: i32, thread: i32): void {
  const inner = innerDim(desc, rank);
  const stride = innerStride(desc, rank, 1);
  for (let row = start; row < end; row++) {
    const src = rowOffset(desc, rank, 1, row);
    const dst = out + <usize>row * <usize>inner * <usize>elementSize;
    if (stride == 1) {
      memory.copy(dst, x + <usize>src * <usize>elementSize, <usize>inner * <usize>elementSize);
    } else if (elementSize == 4) {
      for (let i = 0; i < inner; i++) store<u32>(dst + (<usize>i << 2), load<u32>(x + (<usize>(src + i * stride) << 2)));
    } else if (elementSize == 2) {
      for (let i = 0; i < inner; i++) store<u16>(dst + (<usize>i << 1), load<u16>(x + (<usize>(src + i * stride) << 1)));
    } else {
      for (let i = 0; i < inner; i++) store<u8>(dst + <usize>i, load<u8>(x + <usize>(src + i * stride)));
    }
  }
}

/** Rows of `rowBytes` bytes from `x` placed at column `columnBytes` of an output row of `outRowBytes`: Concat. */
export function copyRows(x: usize, out: usize, rowBytes: i32, outRowBytes: i32, columnBytes: i32, start: i32, end: i32, thread: i32): void {
  for (let row = start; row < end; row++)
    memory.copy(out + <usize>row * <usize>outRowBytes + <usize>columnBytes, x + <usize>row * <usize>rowBytes, <usize>rowBytes);
}

/**
 * Gather: x [outer, count, inner] (elementSize bytes each), ids int32 [n] → [outer, n, inner].
 * Returns -1 on success, else the position of the first id outside [-count, count).
 */
export function gather(elementSize: i32, x: usize, ids: usize, n: i32, outer: i32, count: i32, inner: i32, out: usize): i32 {
  for (let item = 0; item < n; item++) {
    const id = load<i32>(ids + (<usize>item << 2));
    if (id < -count || id >= count) return item;
  }
  const rowBytes = <usize>inner * <usize>elementSize;
  let dst = out;
  for (let row = 0; row < outer; row++) {
    const base = x + <usize>row * <usize>count * rowBytes;
    for (let item = 0; item < n; item++) {
      let id = load<i32>(ids + (<usize>item << 2));
      if (id < 0) id += count;
      memory.copy(dst, base + <usize>id * rowBytes, rowBytes);
      dst += rowBytes;
    }
  }
  return -1;
}

/** out[i] = x[i] for 16-byte vectors i in [start, end): a plain copy loop, the memory-bandwidth yardstick (timing.ts). */
export function copyVectors(x: usize, out: usize, start: i32, end: i32, thread: i32): void {
  let i = <usize>start << 4;
  const stop = <usize>end << 4;
  for (; i + 64 <= stop; i += 64) {
    v128.store(out + i, v128.load(x + i));
    v128.store(out + i, v128.load(x + i, 16), 16);
    v128.store(out + i, v128.load(x + i, 32), 32);
    v128.store(out + i, v128.load(x + i, 48), 48);
  }
  for (; i < stop; i += 16) v128.store(out + i, v128.load(x + i));
}
