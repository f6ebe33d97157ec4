// Independent float64 references of Keras's quantization formulas for the tests (quantizers.py,
// einsum_dense.py): written from the formulas, with Math.fround where Keras's float32 steps
// decide an integer, and no code shared with src/.

/** np.round: half to even. */
export function roundEven(value: number): number {
  const rounded = Math.round(value);
  return Math.abs(value % 1) === 0.5 && rounded % 2 !== 0 ? rounded - 1 : rounded;
}

/** abs_max over contiguous rows of `length` (the last axis): {q, scale} with scale per row. */
export function naiveAbsMax(values: ArrayLike<number>, length: number, range = 127): { q: number[]; scale: number[] } {
  const q: number[] = [];
  const scale: number[] = [];
  for (let start = 0; start < values.length; start += length) {
    let maximum = 0;
    for (let index = 0; index < length; index++) maximum = Math.max(maximum, Math.abs(values[start + index]!));
    const s = Math.fround(range / Math.fround(maximum + Math.fround(1e-7)));
    scale.push(s);
    for (let index = 0; index < length; index++) q.push(Math.max(-range, Math.min(range, roundEven(Math.fround(values[start + index]! * s)))));
  }
  return { q, scale };
}

/** Grouped int4 dequantized values of an unpacked [rows, columns] matrix: (q − zero[g]) · scale[g]. */
export function naiveGrouped(q: ArrayLike<number>, scale: ArrayLike<number>, zero: ArrayLike<number>, rows: number, columns: number, blockSize: number): number[] {
  const out: number[] = [];
  for (let row = 0; row < rows; row++)
    for (let column = 0; column < columns; column++) {
      const group = Math.floor(row / blockSize);
      out.push((q[row * columns + column]! - zero[group * columns + column]!) * scale[group * columns + column]!);
    }
  return out;
}

/** unpack_int4 along the last axis of [rows, ceil(length/2)]. */
export function naiveUnpack(packed: ArrayLike<number>, rows: number, length: number): number[] {
  const bytesPerRow = Math.ceil(length / 2);
  const out: number[] = [];
  for (let row = 0; row < rows; row++)
    for (let index = 0; index < length; index++) {
      const byte = packed[row * bytesPerRow + (index >> 1)]! & 0xff;
      const nibble = index % 2 === 0 ? byte & 15 : byte >> 4;
      out.push(nibble >= 8 ? nibble - 16 : nibble);
    }
  return out;
}
