// Cumsum and TopK: sequential by nature, so scalar loops (Cumsum accumulates float32 in f64 as
// the reference does; TopK keeps a sorted list of the k best per row, inserting stably).

/** kind 0 = float32 → float32; 1 = int32 → int32; 2 = bool → int32. x: [outer, count, inner]. */
export function cumsum(kind: i32, x: usize, out: usize, outer: i32, count: i32, inner: i32, exclusive: bool, reverse: bool): void {
  const inSize: usize = kind == 2 ? 1 : 4;
  for (let row = 0; row < outer; row++)
    for (let column = 0; column < inner; column++) {
      let total: f64 = 0;
      let itotal: i32 = 0;
      for (let step = 0; step < count; step++) {
        const position = reverse ? count - 1 - step : step;
        const index = <usize>((row * count + position) * inner + column);
        const o = out + (index << 2);
        if (kind == 0) {
          const v = <f64>load<f32>(x + index * inSize);
          if (exclusive) { store<f32>(o, <f32>total); total += v; }
          else { total += v; store<f32>(o, <f32>total); }
        } else {
          const v = kind == 1 ? load<i32>(x + index * inSize) : <i32>load<u8>(x + index);
          if (exclusive) { store<i32>(o, itotal); itotal += v; }
          else { itotal += v; store<i32>(o, itotal); }
        }
      }
    }
}

// a ranks above b: NaN is the largest value.
// @ts-ignore: decorator
@inline function above(a: f64, b: f64): bool {
  if (a != a) return b == b;
  if (b != b) return false;
  return a > b;
}

/**
 * kind 0 = float32, 1 = int32. x: [rows, count] → values [rows, k] (same dtype), indices [rows, k]
 * (int32), largest first; equal values keep the lower index first.
 */
export function topK(kind: i32, x: usize, values: usize, indices: usize, rows: i32, count: i32, k: i32): void {
  for (let row = 0; row < rows; row++) {
    const base = x + <usize>row * <usize>count * 4;
    const outIndices = indices + <usize>row * <usize>k * 4;
    let filled = 0;
    for (let i = 0; i < count; i++) {
      const v: f64 = kind == 0 ? <f64>load<f32>(base + (<usize>i << 2)) : <f64>load<i32>(base + (<usize>i << 2));
      // Find where v goes: after every kept entry it does not rank above.
      let position = filled;
      while (position > 0) {
        const j = load<i32>(outIndices + (<usize>(position - 1) << 2));
        const w: f64 = kind == 0 ? <f64>load<f32>(base + (<usize>j << 2)) : <f64>load<i32>(base + (<usize>j << 2));
        if (!above(v, w)) break;
        position--;
      }
      if (position >= k) continue;
      const last = min(filled, k - 1);
      for (let p = last; p > position; p--)
        store<i32>(outIndices + (<usize>p << 2), load<i32>(outIndices + (<usize>(p - 1) << 2)));
      store<i32>(outIndices + (<usize>position << 2), i);
      if (filled < k) filled++;
    }
    const outValues = values + <usize>row * <usize>k * 4;
    for (let p = 0; p < k; p++)
      store<u32>(outValues + (<usize>p << 2), load<u32>(base + (<usize>load<i32>(outIndices + (<usize>p << 2)) << 2)));
  }
}
