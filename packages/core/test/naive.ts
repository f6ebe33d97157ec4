// Brute-force definitions in plain JavaScript, written from the mathematical definitions and
// sharing no code with the library: multi-index loops over every output element. The op tests
// compare each backend against these on seeded random inputs. Accumulation is in float64.

export interface Plain {
  values: number[];
  shape: number[];
}

export function size(shape: readonly number[]): number {
  return shape.reduce((total, dimension) => total * dimension, 1);
}

/** Flat index → multi-index (row-major). */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length).fill(0);
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    index[axis] = flat % shape[axis]!;
    flat = Math.floor(flat / shape[axis]!);
  }
  return index;
}

/** Multi-index → flat index (row-major). */
export function ravel(index: readonly number[], shape: readonly number[]): number {
  let flat = 0;
  for (let axis = 0; axis < shape.length; axis++) flat = flat * shape[axis]! + index[axis]!;
  return flat;
}

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let axis = 0; axis < rank; axis++) {
    const x = a[axis - rank + a.length] ?? 1;
    const y = b[axis - rank + b.length] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`naive: shapes [${a}] and [${b}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** The element of `input` that broadcasting maps to the output multi-index `index`. */
export function broadcastRead(input: Plain, index: readonly number[]): number {
  const offset = index.length - input.shape.length;
  const own = input.shape.map((dimension, axis) => (dimension === 1 ? 0 : index[axis + offset]!));
  return input.values[ravel(own, input.shape)]!;
}

export function naiveBinary(a: Plain, b: Plain, fn: (x: number, y: number) => number): Plain {
  const shape = broadcastShape(a.shape, b.shape);
  const values = Array.from({ length: size(shape) }, (_, flat) => {
    const index = unravel(flat, shape);
    return fn(broadcastRead(a, index), broadcastRead(b, index));
  });
  return { values, shape };
}

/** Reduces `axes` (non-negative, any order) with fn over the list of values in each group. */
export function naiveReduce(x: Plain, axes: readonly number[], keepDims: boolean, fn: (group: number[]) => number): Plain {
  const keptShape = x.shape.map((dimension, axis) => (axes.includes(axis) ? 1 : dimension));
  const groups: number[][] = Array.from({ length: size(keptShape) }, () => []);
  for (let flat = 0; flat < x.values.length; flat++) {
    const index = unravel(flat, x.shape).map((value, axis) => (axes.includes(axis) ? 0 : value));
    groups[ravel(index, keptShape)]!.push(x.values[flat]!);
  }
  const shape = keepDims ? keptShape : x.shape.filter((_, axis) => !axes.includes(axis));
  return { values: groups.map(fn), shape };
}

export function naiveTranspose(x: Plain, perm: readonly number[]): Plain {
  const shape = perm.map((axis) => x.shape[axis]!);
  const values = Array.from({ length: size(shape) }, (_, flat) => {
    const outIndex = unravel(flat, shape);
    const inIndex = new Array<number>(perm.length);
    perm.forEach((axis, position) => (inIndex[axis] = outIndex[position]!));
    return x.values[ravel(inIndex, x.shape)]!;
  });
  return { values, shape };
}

/** NumPy matmul semantics, including rank-1 promotion and broadcast batch dims. */
export function naiveMatMul(a: Plain, b: Plain, transposeA = false, transposeB = false): Plain {
  const swapLast = (x: Plain): Plain => naiveTranspose(x, [...x.shape.keys()].map((axis) => (axis < x.shape.length - 2 ? axis : axis === x.shape.length - 2 ? axis + 1 : axis - 1)));
  const left = a.shape.length === 1 ? { values: a.values, shape: [1, a.shape[0]!] } : transposeA ? swapLast(a) : a;
  const right = b.shape.length === 1 ? { values: b.values, shape: [b.shape[0]!, 1] } : transposeB ? swapLast(b) : b;
  const M = left.shape[left.shape.length - 2]!;
  const K = left.shape[left.shape.length - 1]!;
  const N = right.shape[right.shape.length - 1]!;
  const batch = broadcastShape(left.shape.slice(0, -2), right.shape.slice(0, -2));
  const shape = [...batch, M, N];
  const values = Array.from({ length: size(shape) }, (_, flat) => {
    const index = unravel(flat, shape);
    const batchIndex = index.slice(0, -2);
    const [row, column] = index.slice(-2) as [number, number];
    let total = 0;
    for (let k = 0; k < K; k++) {
      total += broadcastRead(left, [...batchIndex, row, k]) * broadcastRead(right, [...batchIndex, k, column]);
    }
    return total;
  });
  const finalShape = [...batch, ...(a.shape.length === 1 ? [] : [M]), ...(b.shape.length === 1 ? [] : [N])];
  return { values, shape: finalShape };
}

/**
 * einsum as its definition: an explicit loop over every combination of every index letter.
 * Size-1 dims broadcast; `...` stands for right-aligned broadcast dims; the implicit output
 * (no "->") is the ellipsis dims then the letters used exactly once, in code-point order.
 */
export function naiveEinsum(equation: string, operands: readonly Plain[]): Plain {
  const [inputText, outputText] = equation.replace(/\s+/g, '').split('->') as [string, string | undefined];
  const inputTexts = inputText.split(',');
  const ellipsisRank = Math.max(0, ...inputTexts.map((text, index) => (text.includes('...') ? operands[index]!.shape.length - text.replace('...', '').length : 0)));
  // Ellipsis dims are named by the digits '0', '1', … (right-aligned across operands).
  const ellipsisNames = Array.from({ length: ellipsisRank }, (_, position) => String(position));
  const expand = (text: string, rank: number): string[] => {
    if (!text.includes('...')) return [...text];
    const [before, after] = text.split('...') as [string, string];
    const own = rank - before.length - after.length;
    return [...before, ...ellipsisNames.slice(ellipsisRank - own), ...after];
  };
  const inputs = inputTexts.map((text, index) => expand(text, operands[index]!.shape.length));
  let output: string[];
  if (outputText !== undefined) output = outputText.includes('...') ? expand(outputText, outputText.length - 3 + ellipsisRank) : [...outputText];
  else {
    const counts = new Map<string, number>();
    for (const letter of inputs.flat()) counts.set(letter, (counts.get(letter) ?? 0) + 1);
    const once = [...counts].filter(([letter, count]) => count === 1 && !ellipsisNames.includes(letter)).map(([letter]) => letter).sort();
    output = [...ellipsisNames.filter((name) => counts.has(name)), ...once];
  }
  const sizes = new Map<string, number>();
  inputs.forEach((letters, operand) =>
    letters.forEach((letter, axis) => sizes.set(letter, Math.max(sizes.get(letter) ?? 1, operands[operand]!.shape[axis]!))),
  );
  // A size-0 dim wins over 1 (0 broadcasts like any other size against 1).
  inputs.forEach((letters, operand) =>
    letters.forEach((letter, axis) => {
      if (operands[operand]!.shape[axis] === 0) sizes.set(letter, 0);
    }),
  );
  const summed = [...sizes.keys()].filter((letter) => !output.includes(letter));
  const outShape = output.map((letter) => sizes.get(letter)!);
  const summedShape = summed.map((letter) => sizes.get(letter)!);
  const values = new Array<number>(size(outShape)).fill(0);
  for (let flat = 0; flat < values.length; flat++) {
    const assignment = new Map<string, number>();
    unravel(flat, outShape).forEach((value, axis) => assignment.set(output[axis]!, value));
    let total = 0;
    for (let inner = 0; inner < size(summedShape); inner++) {
      unravel(inner, summedShape).forEach((value, axis) => assignment.set(summed[axis]!, value));
      let product = 1;
      inputs.forEach((letters, operand) => {
        const shape = operands[operand]!.shape;
        const index = letters.map((letter, axis) => (shape[axis] === 1 ? 0 : assignment.get(letter)!));
        product *= operands[operand]!.values[ravel(index, shape)]!;
      });
      total += product;
    }
    values[flat] = total;
  }
  return { values, shape: outShape };
}

// === Quantization (issue 13): Keras 3.16 quantizers.py, written from its definitions ===

/** numpy.round: ties go to the even neighbour. */
export function naiveRoundHalfEven(value: number): number {
  if (!Number.isFinite(value)) return value;
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction < 0.5) return floor;
  if (fraction > 0.5) return floor + 1;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * keras.quantizers.abs_max_quantize in float32 (one Math.fround per float32 op):
 * scale = hi / (max|x| over axes + eps); q = clip(round(x · scale), lo, hi).
 */
export function naiveAbsMaxQuantize(x: Plain, axes: readonly number[], valueRange: readonly [number, number] = [-127, 127], epsilon = 1e-7): { quantized: Plain; scale: Plain } {
  const scaleShape = x.shape.map((dimension, axis) => (axes.includes(axis) ? 1 : dimension));
  const peaks = new Array<number>(size(scaleShape)).fill(0);
  for (let flat = 0; flat < x.values.length; flat++) {
    const index = unravel(flat, x.shape).map((value, axis) => (axes.includes(axis) ? 0 : value));
    const target = ravel(index, scaleShape);
    peaks[target] = Math.max(peaks[target]!, Math.abs(x.values[flat]!));
  }
  const scales = peaks.map((peak) => Math.fround(valueRange[1] / Math.fround(peak + Math.fround(epsilon))));
  const quantized = x.values.map((value, flat) => {
    const index = unravel(flat, x.shape).map((position, axis) => (axes.includes(axis) ? 0 : position));
    const scaled = Math.fround(value * scales[ravel(index, scaleShape)]!);
    return Math.min(valueRange[1], Math.max(valueRange[0], naiveRoundHalfEven(scaled)));
  });
  return { quantized: { values: quantized, shape: [...x.shape] }, scale: { values: scales, shape: scaleShape } };
}

/**
 * Keras's int8 einsum/matmul then `x / (inputs_scale * kernel_scale)`: a [M, K] int8 values,
 * aScale [M], kernel as W[g][k][n] (a function), kernelScale [G·N] → [M, G·N], float32 steps.
 */
export function naiveMatMulInt8(a: number[], aScale: number[], M: number, K: number, weight: (g: number, k: number, n: number) => number, kernelScale: number[], G: number, N: number): number[] {
  const out: number[] = [];
  for (let m = 0; m < M; m++)
    for (let g = 0; g < G; g++)
      for (let n = 0; n < N; n++) {
        let total = 0; // exact: |Σ| < 2^53
        for (let k = 0; k < K; k++) total += a[m * K + k]! * weight(g, k, n);
        out.push(Math.fround(Math.fround(total) / Math.fround(aScale[m]! * kernelScale[g * N + n]!)));
      }
  return out;
}

/** keras.quantizers.pack_int4 along `axis`: move it first, pad to even, low | high << 4, as int8. */
export function naivePackInt4(x: Plain, axis: number): Plain {
  const length = x.shape[axis]!;
  const shape = x.shape.map((dimension, at) => (at === axis ? Math.ceil(length / 2) : dimension));
  const values = new Array<number>(size(shape)).fill(0);
  for (let flat = 0; flat < values.length; flat++) {
    const index = unravel(flat, shape);
    const pair = index[axis]!;
    const read = (position: number) => (position < length ? x.values[ravel(index.map((value, at) => (at === axis ? position : value)), x.shape)]! : 0);
    const byte = (read(2 * pair) & 0x0f) | ((read(2 * pair + 1) & 0x0f) << 4);
    values[flat] = byte >= 128 ? byte - 256 : byte;
  }
  return { values, shape };
}

/** keras.quantizers.unpack_int4 along `axis`: low nibble first, each nibble v → (v ^ 8) − 8. */
export function naiveUnpackInt4(packed: Plain, originalLength: number, axis: number): Plain {
  const shape = packed.shape.map((dimension, at) => (at === axis ? originalLength : dimension));
  const values = new Array<number>(size(shape)).fill(0);
  for (let flat = 0; flat < values.length; flat++) {
    const index = unravel(flat, shape);
    const position = index[axis]!;
    const byte = packed.values[ravel(index.map((value, at) => (at === axis ? Math.floor(position / 2) : value)), packed.shape)]!;
    const unsigned = byte < 0 ? byte + 256 : byte;
    const nibble = position % 2 === 0 ? unsigned % 16 : Math.floor(unsigned / 16);
    values[flat] = (nibble ^ 8) - 8;
  }
  return { values, shape };
}

/**
 * keras.quantizers.dequantize_with_sz_map over a [rows, columns] int4 matrix, group_axis 0:
 * w[r, c] = (q[r, c] − zero[g_idx[r], c]) · scale[g_idx[r], c] with g_idx[r] = floor(r / blockSize)
 * (float32), or q / scale[c] per channel (no zero).
 */
export function naiveDequantizeRows(q: Plain, scale: number[], zero: number[] | null, blockSize: number): Plain {
  const [rows, columns] = q.shape as [number, number];
  const values: number[] = [];
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < columns; c++) {
      const value = q.values[r * columns + c]!;
      if (zero === null) values.push(Math.fround(value / scale[c]!));
      else {
        const group = Math.floor(r / blockSize);
        values.push(Math.fround((value - zero[group * columns + c]!) * scale[group * columns + c]!));
      }
    }
  return { values, shape: [rows, columns] };
}
