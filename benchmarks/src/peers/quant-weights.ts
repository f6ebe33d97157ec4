// The quant suite's weights: one float32 kernel W[K, N] (row-major, as a Dense kernel is stored)
// quantized once the Keras way (spec/keras-quantization, quantizers.py), then laid out for each
// contender, so that tensorzoo and ONNX Runtime multiply exactly the same integers:
//   int8  per output channel, abs_max_quantize over K: kerasScale[n] = 127 / (max_k |W[k,n]| + eps),
//         q = clip(round_half_even(W · kerasScale), -127, 127). Keras dequantizes q / kerasScale;
//         ONNX's MatMulInteger convention multiplies, so its scale is 1 / kerasScale.
//   int4  grouped with zero point, groups of 128 rows (Keras's default block size): per group g
//         and column n, scale = (max − min + eps) / 15, zero = clip(round(−min / scale) − 8, −8, 7),
//         q = clip(round(W / scale) + zero, −8, 7); W ≈ (q − zero) · scale. tensorzoo keeps Keras's
//         layout (q packed along N, two per byte, low nibble first); MatMulNBits wants unsigned
//         nibbles q + 8 and zero + 8 packed along K per column: B[N, K/128, 64].
// Every float32 step is rounded with Math.fround, as the contract asks.

const f = Math.fround;
const EPSILON = f(1e-7);

/** Round half to even of a double (numpy.round / Keras's ops.round). */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

const clip = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));

export interface Int8Weights {
  /** q[K, N], row-major (the Keras int8 kernel). */
  quantized: Int8Array;
  /** Keras's kernel_scale [N]: dequantize as q / scale. */
  kerasScale: Float32Array;
  /** 1 / kerasScale [N]: ONNX's multiplicative scale. */
  onnxScale: Float32Array;
}

export function quantizeInt8(weights: Float32Array, K: number, N: number): Int8Weights {
  const quantized = new Int8Array(K * N);
  const kerasScale = new Float32Array(N);
  const onnxScale = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let absMax = 0;
    for (let k = 0; k < K; k++) absMax = Math.max(absMax, Math.abs(weights[k * N + n]!));
    const scale = f(127 / f(absMax + EPSILON));
    kerasScale[n] = scale;
    onnxScale[n] = f(1 / scale);
    for (let k = 0; k < K; k++) quantized[k * N + n] = clip(roundHalfEven(f(weights[k * N + n]! * scale)), -127, 127);
  }
  return { quantized, kerasScale, onnxScale };
}

export interface Int4Weights {
  blockSize: number;
  groups: number;
  /** Unpacked q[K, N] in [-8, 7] (for checks). */
  values: Int8Array;
  /** Keras / tensorzoo 'kernel' layout: int8 [K, ceil(N/2)], pairs along N, even n in the low nibble. */
  packed: Int8Array;
  /** [groups, N] float32: dequantize as (q − zero) · scale. */
  scale: Float32Array;
  /** [groups, N] int8 in [-8, 7]. */
  zero: Int8Array;
  /** MatMulNBits B: uint8 [N, groups, blockSize / 2], nibbles q + 8 along K, even k low. */
  nbitsB: Uint8Array;
  /** MatMulNBits scales: float32 [N, groups]. */
  nbitsScales: Float32Array;
  /** MatMulNBits zero_points: uint8 [N, ceil(groups / 2)], nibbles zero + 8, even group low. */
  nbitsZeroPoints: Uint8Array;
}

export function quantizeInt4(weights: Float32Array, K: number, N: number, blockSize = 128): Int4Weights {
  if (K % blockSize !== 0) throw new Error(`quantizeInt4: K = ${K} must be a multiple of the block size ${blockSize} (MatMulNBits packs whole blocks)`);
  const groups = K / blockSize;
  const values = new Int8Array(K * N);
  const scale = new Float32Array(groups * N);
  const zero = new Int8Array(groups * N);
  for (let group = 0; group < groups; group++) {
    for (let n = 0; n < N; n++) {
      let min = Infinity;
      let max = -Infinity;
      for (let k = group * blockSize; k < (group + 1) * blockSize; k++) {
        const value = weights[k * N + n]!;
        min = Math.min(min, value);
        max = Math.max(max, value);
      }
      const s = f(f(f(max - min) + EPSILON) / 15);
      const z = clip(roundHalfEven(f(-min / s)) - 8, -8, 7);
      scale[group * N + n] = s;
      zero[group * N + n] = z;
      for (let k = group * blockSize; k < (group + 1) * blockSize; k++)
        values[k * N + n] = clip(roundHalfEven(f(weights[k * N + n]! / s)) + z, -8, 7);
    }
  }
  const half = Math.ceil(N / 2);
  const packed = new Int8Array(K * half);
  for (let k = 0; k < K; k++)
    for (let n = 0; n < N; n += 2) {
      const low = values[k * N + n]! & 0xf;
      const high = n + 1 < N ? values[k * N + n + 1]! & 0xf : 0;
      packed[k * half + (n >> 1)] = (high << 4) | low; // stored as int8: wraps like Keras's pack_int4
    }
  const blockBytes = blockSize / 2;
  const nbitsB = new Uint8Array(N * groups * blockBytes);
  const nbitsScales = new Float32Array(N * groups);
  const zeroBytes = Math.ceil(groups / 2);
  const nbitsZeroPoints = new Uint8Array(N * zeroBytes);
  for (let n = 0; n < N; n++) {
    for (let group = 0; group < groups; group++) {
      nbitsScales[n * groups + group] = scale[group * N + n]!;
      const zeroNibble = zero[group * N + n]! + 8;
      nbitsZeroPoints[n * zeroBytes + (group >> 1)] |= group % 2 === 0 ? zeroNibble : zeroNibble << 4;
      for (let j = 0; j < blockBytes; j++) {
        const k = group * blockSize + 2 * j;
        nbitsB[(n * groups + group) * blockBytes + j] = (values[k * N + n]! + 8) | ((values[(k + 1) * N + n]! + 8) << 4);
      }
    }
  }
  return { blockSize, groups, values, packed, scale, zero, nbitsB, nbitsScales, nbitsZeroPoints };
}

/** Seeded uniform values in [-0.5, 0.5) (the matmul suite's generator). */
export function seededValues(length: number, seed: number): Float32Array {
  const values = new Float32Array(length);
  let state = seed >>> 0;
  for (let index = 0; index < length; index++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[index] = state / 2 ** 32 - 0.5;
  }
  return values;
}
