// Keras 3 quantization pieces (issue 13): abs-max quantization of activations, the int8 × int8
// product, the int4 product over packed weights, and int4 packing. The specification is Keras
// 3.16's keras/src/quantizers/quantizers.py (abs_max_quantize, pack_int4, unpack_int4) and the
// `_int8_call` / `_int4_call` paths of EinsumDense, Dense and ReversibleEmbedding: these ops are
// their building blocks. Every step is float32, as Keras computes on a float32 model.
//
// Weights stay as stored: the MatMulInt8/MatMulInt4 kernels read the int8 (or packed int4) bytes
// directly (storageInputs), so no dequantized or int32 copy of a kernel is ever made.
import { isFloatDType } from '../dtype.js';
import { argumentError } from '../errors.js';
import { formatShape, normalizeAxes, normalizeAxis, shapesEqual, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { engine } from '../engine.js';
import { activeBackendHas, assertTensor, run, runMany, scoped } from './dispatch.js';
import { abs, add, cast, div, maximum, minimum, mul, round } from './elementwise.js';
import { max } from './reductions.js';
import { reshape, transpose } from './shape-ops.js';

/** Keras's backend.epsilon() (1e-7; used as float32). */
export const kerasEpsilon = 1e-7;

export interface AbsMaxQuantizeOptions {
  /** The axis (or axes) the maximum is taken over; default -1. */
  axis?: number | readonly number[];
  /** [min, max] of the quantized values, integers in [-128, 127]; default [-127, 127]. */
  valueRange?: readonly [number, number];
  /** Added to max|x| before the division; default Keras's epsilon, 1e-7. */
  epsilon?: number;
}

export interface AbsMaxQuantized {
  /** int8, x's shape. */
  quantized: Tensor;
  /** float32, x's shape with the reduced axes kept as size 1. */
  scale: Tensor;
}

function checkFloat(op: string, name: string, value: unknown): Tensor {
  const tensor = assertTensor(op, name, value);
  if (!isFloatDType(tensor.dtype)) argumentError(op, name, 'a float tensor (float32, bfloat16 or float16)', tensor);
  return tensor;
}

function checkInt8(op: string, name: string, value: unknown): Tensor {
  const tensor = assertTensor(op, name, value);
  if (tensor.dtype !== 'int8') argumentError(op, name, 'an int8 tensor', tensor);
  return tensor;
}

function checkPositiveInteger(op: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) argumentError(op, name, 'a positive integer', String(value));
  return value;
}

/**
 * Keras's `abs_max_quantize(x, axis, value_range)`, in float32 steps:
 *   scale = valueRange[1] / (max(|x|, axis, keepdims) + epsilon)
 *   quantized = int8(clip(round_half_to_even(x · scale), valueRange[0], valueRange[1]))
 * Dequantize with quantized / scale. bfloat16/float16 input is computed in float32 (Keras would
 * compute in the input dtype); the scale is float32.
 *
 * With a fused `AbsMaxQuantize` kernel on the active backend and trailing axes, the op dispatches
 * to it; otherwise it composes primitives (that composition is the kernel's naive twin).
 */
export function absMaxQuantize(x: Tensor, options: AbsMaxQuantizeOptions = {}): AbsMaxQuantized {
  const op = 'absMaxQuantize';
  checkFloat(op, 'x', x);
  if (x.rank === 0) argumentError(op, 'x', 'a tensor of rank ≥ 1', x);
  const axes = normalizeAxes(op, options.axis ?? -1, x.rank).sort((left, right) => left - right);
  const valueRange = options.valueRange ?? [-127, 127];
  if (
    !Array.isArray(valueRange) ||
    valueRange.length !== 2 ||
    !valueRange.every((value) => Number.isInteger(value) && value >= -128 && value <= 127) ||
    !(valueRange[0] < valueRange[1])
  )
    argumentError(op, 'valueRange', '[min, max]: integers in [-128, 127] with min < max', valueRange);
  const [low, high] = valueRange;
  const epsilon = options.epsilon ?? kerasEpsilon;
  if (typeof epsilon !== 'number' || !(epsilon >= 0) || !Number.isFinite(epsilon)) argumentError(op, 'epsilon', 'a finite number ≥ 0', String(epsilon));
  const reduced = sizeOf(axes.map((axis) => x.shape[axis]!));
  if (reduced === 0) argumentError(op, 'x', 'a non-empty extent along the quantized axes', `shape ${formatShape(x.shape)} with axes [${axes.join(', ')}]`);
  const scaleShape = x.shape.map((dimension, axis) => (axes.includes(axis) ? 1 : dimension));
  const trailing = axes.every((axis, index) => axis === x.rank - axes.length + index);
  const [quantized, scale] = scoped(() => {
    const input = x.dtype === 'float32' ? x : cast(x, 'float32');
    if (trailing && activeBackendHas('AbsMaxQuantize')) {
      const outer = x.size / reduced;
      const flat = reshape(input, [outer, reduced]);
      const [q, s] = runMany('AbsMaxQuantize', { x: flat }, { epsilon, valueRange: [low, high] }, [[outer, reduced], [outer, 1]]);
      return [reshape(q!, x.shape), reshape(s!, scaleShape)];
    }
    const scaleValues = div(high, add(max(abs(input), axes, true), epsilon));
    const rounded = round(mul(input, scaleValues));
    return [cast(maximum(minimum(rounded, high), low), 'int8'), scaleValues];
  });
  return { quantized: quantized!, scale: scale! };
}

export interface MatMulInt8Options {
  /** b is [N, K] (the tied embedding table of the logits path) instead of [G, K, N]; default false. */
  transposeB?: boolean;
  /** G: independent [K, N] blocks of b side by side in the output (EinsumDense heads); default 1. */
  groups?: number;
}

/**
 * The int8 product of Keras's int8 call paths. a: int8 [..., K] (activations quantized with
 * absMaxQuantize); aScale: float32 [..., 1] or [...] (a's leading shape); b: int8 with G·K·N
 * elements in [G, K, N] memory order (any shape: an EinsumDense kernel [heads, d, head_dim] is
 * G = heads, K = d, N = head_dim; a Dense kernel [K, N] is G = 1), or [N, K] with transposeB;
 * bScale: float32 of G·N elements in output order → float32 [..., G·N]:
 *   out[m, g·N + n] = f32(Σ_k a[m,k]·b[g,k,n]) / f32(aScale[m] · bScale[g·N + n])
 * (exact int32 sums; Keras: `cast(einsum(a, b), float32) / (inputs_scale * kernel_scale)`).
 */
export function matMulInt8(a: Tensor, aScale: Tensor, b: Tensor, bScale: Tensor, options: MatMulInt8Options = {}): Tensor {
  const op = 'matMulInt8';
  checkInt8(op, 'a', a);
  checkFloat(op, 'aScale', aScale);
  checkInt8(op, 'b', b);
  checkFloat(op, 'bScale', bScale);
  const transposeB = options.transposeB ?? false;
  if (typeof transposeB !== 'boolean') argumentError(op, 'transposeB', 'a boolean', String(transposeB));
  const groups = checkPositiveInteger(op, 'groups', options.groups ?? 1);
  if (a.rank === 0) argumentError(op, 'a', 'a tensor of rank ≥ 1', a);
  const K = a.shape[a.rank - 1]!;
  const leading = a.shape.slice(0, -1);
  const M = sizeOf(leading);
  if (!shapesEqual(aScale.shape, [...leading, 1]) && !shapesEqual(aScale.shape, leading))
    argumentError(op, 'aScale', `shape ${formatShape([...leading, 1])} or ${formatShape(leading)} (a's leading shape)`, formatShape(aScale.shape));
  let N: number;
  if (transposeB) {
    if (groups !== 1) argumentError(op, 'groups', '1 with transposeB', String(groups));
    if (b.rank !== 2 || b.shape[1] !== K) argumentError(op, 'b', `shape [N, ${K}] (transposeB; K from a ${formatShape(a.shape)})`, formatShape(b.shape));
    N = b.shape[0]!;
  } else {
    if (groups * K === 0) {
      if (b.size !== 0) argumentError(op, 'b', `no elements (K = 0 from a ${formatShape(a.shape)})`, formatShape(b.shape));
      N = bScale.size / groups;
    }
    else {
      N = b.size / (groups * K);
      if (!Number.isInteger(N))
        argumentError(op, 'b', `a multiple of G·K = ${groups}·${K} elements ([G, K, N] memory order)`, `shape ${formatShape(b.shape)} (${b.size} elements)`);
    }
  }
  if (bScale.size !== groups * N || !Number.isInteger(N))
    argumentError(op, 'bScale', `${groups * N} elements (G·N = ${groups}·${N})`, `shape ${formatShape(bScale.shape)} (${bScale.size} elements)`);
  const outputs = groups * N;
  return scoped(() => {
    const flatA = reshape(a, [M, K]);
    const flatAScale = reshape(aScale, [M]);
    const flatBScale = reshape(bScale, [outputs]);
    const out = run('MatMulInt8', { a: flatA, aScale: flatAScale, b, bScale: flatBScale }, { transposeB, groups }, [M, outputs]);
    return reshape(out, [...leading, outputs]);
  });
}

export type Int4Layout = 'kernel' | 'transposed';

export interface MatMulInt4Options {
  /**
   * 'kernel': the packed EinsumDense/Dense kernel of Keras's int4 mode, packed [K, ceil(G·N/2)];
   * 'transposed': a table [N, K] packed along K, packed [N, ceil(K/2)] (the tied embedding's logits).
   */
  layout: Int4Layout;
  /** G, as in matMulInt8 ('kernel' layout only); default 1. */
  groups?: number;
  /** Rows (of K) per scale/zero group; -1 for per-channel scales without zero points; default 128. */
  blockSize?: number;
}

/**
 * The int4 product of Keras's int4 call paths, over weights that stay packed. a: float [..., K];
 * packed: int8 (two int4 per byte, see kernel-names.ts MatMulInt4 for the element mapping); scale:
 * float32; zero: int8 zero points (grouped) or null (blockSize -1) → float32 [..., outputs]:
 *   out[m, o] = Σ_k a[m,k] · w(o, k),  w = (q − zero) · scale  (per channel: q / scale).
 * layout 'kernel': scale/zero [ceil(K / blockSize), G·N] (per channel: scale [G·N]); outputs G·N.
 * layout 'transposed': packed [N, ceil(K/2)], scale/zero [N, ceil(K / blockSize)] (per channel:
 * [N]); outputs N.
 */
export function matMulInt4(a: Tensor, packed: Tensor, scale: Tensor, zero: Tensor | null | undefined, options: MatMulInt4Options): Tensor {
  const op = 'matMulInt4';
  checkFloat(op, 'a', a);
  checkInt8(op, 'packed', packed);
  checkFloat(op, 'scale', scale);
  if (options === null || typeof options !== 'object') argumentError(op, 'options', "an object with a 'layout'", String(options));
  const layout = options.layout;
  if (layout !== 'kernel' && layout !== 'transposed') argumentError(op, 'layout', "'kernel' or 'transposed'", String(layout));
  const groups = checkPositiveInteger(op, 'groups', options.groups ?? 1);
  const blockSize = options.blockSize ?? 128;
  if (blockSize !== -1) checkPositiveInteger(op, 'blockSize', blockSize);
  const perChannel = blockSize === -1;
  if (a.rank === 0) argumentError(op, 'a', 'a tensor of rank ≥ 1', a);
  const K = a.shape[a.rank - 1]!;
  const leading = a.shape.slice(0, -1);
  const M = sizeOf(leading);
  const nGroups = perChannel ? 1 : Math.ceil(K / blockSize);
  if (packed.rank !== 2) argumentError(op, 'packed', 'a rank-2 int8 tensor', packed);
  let outputs: number;
  let scaleShape: number[];
  if (layout === 'kernel') {
    if (packed.shape[0] !== K) argumentError(op, 'packed', `shape [${K}, ceil(G·N/2)] (K = ${K} from a ${formatShape(a.shape)})`, formatShape(packed.shape));
    // The column count (G·N) comes from the scale: the packed width only gives it to within one.
    const columns = scale.shape[scale.rank - 1] ?? -1;
    if (scale.rank === 0 || Math.ceil(columns / 2) !== packed.shape[1] || columns % groups !== 0)
      argumentError(
        op,
        'scale',
        `a last dimension of G·N columns with ceil(G·N / 2) = ${packed.shape[1]} (packed ${formatShape(packed.shape)}) and G = ${groups} dividing it`,
        formatShape(scale.shape),
      );
    outputs = columns;
    scaleShape = perChannel ? [columns] : [nGroups, columns];
  } else {
    if (groups !== 1) argumentError(op, 'groups', "1 with layout 'transposed'", String(groups));
    if (packed.shape[1] !== Math.ceil(K / 2))
      argumentError(op, 'packed', `shape [N, ${Math.ceil(K / 2)}] (ceil(K / 2), K = ${K} from a ${formatShape(a.shape)})`, formatShape(packed.shape));
    outputs = packed.shape[0]!;
    scaleShape = perChannel ? [outputs] : [outputs, nGroups];
  }
  if (!shapesEqual(scale.shape, scaleShape))
    argumentError(op, 'scale', `shape ${formatShape(scaleShape)}${perChannel ? ' (per channel)' : ` (block size ${blockSize})`}`, formatShape(scale.shape));
  if (perChannel) {
    if (zero !== null && zero !== undefined) argumentError(op, 'zero', 'null (blockSize -1 has no zero points)', zero);
  } else {
    if (zero === null || zero === undefined) argumentError(op, 'zero', `an int8 tensor of zero points (block size ${blockSize})`, String(zero));
    checkInt8(op, 'zero', zero);
    if (!shapesEqual(zero!.shape, scaleShape)) argumentError(op, 'zero', `shape ${formatShape(scaleShape)} (the scale's)`, formatShape(zero!.shape));
  }
  return scoped(() => {
    const input = a.dtype === 'float32' ? a : cast(a, 'float32');
    const flatA = reshape(input, [M, K]);
    const inputs: Record<string, Tensor> = { a: flatA, packed, scale };
    if (!perChannel) inputs.zero = zero!;
    const out = run('MatMulInt4', inputs, { layout, groups, blockSize }, [M, outputs]);
    return reshape(out, [...leading, outputs]);
  });
}

/** A tensor as int8 (a transpose of int8 data may come back as int32 on backends that decode it). */
function asInt8(x: Tensor): Tensor {
  return x.dtype === 'int8' ? x : cast(x, 'int8');
}

/**
 * Keras's `unpack_int4(packed, orig_len, axis)`: packed int8 (two int4 per byte along `axis`) →
 * int8 with `originalLength` values along `axis`, each in [-8, 7] (the low nibble is the even
 * index; nibble v is (v ^ 8) − 8).
 */
export function unpackInt4(packed: Tensor, originalLength: number, axis = -1): Tensor {
  const op = 'unpackInt4';
  checkInt8(op, 'packed', packed);
  if (typeof originalLength !== 'number' || !Number.isInteger(originalLength) || originalLength < 0)
    argumentError(op, 'originalLength', 'a non-negative integer', String(originalLength));
  const position = normalizeAxis(op, axis, packed.rank);
  const packedLength = packed.shape[position]!;
  if (packedLength !== Math.ceil(originalLength / 2))
    argumentError(op, 'originalLength', `${2 * packedLength - 1} or ${2 * packedLength} (axis ${position} of packed ${formatShape(packed.shape)} holds ${packedLength} bytes)`, String(originalLength));
  const outShape = packed.shape.map((dimension, index) => (index === position ? originalLength : dimension));
  return scoped(() => {
    const last = position === packed.rank - 1;
    const perm = [...Array(packed.rank).keys()].filter((index) => index !== position).concat(position);
    const moved = last ? packed : asInt8(transpose(packed, perm));
    const rows = sizeOf(moved.shape.slice(0, -1));
    const movedShape = [...moved.shape.slice(0, -1), originalLength];
    const unpacked = run('UnpackInt4', { packed: reshape(moved, [rows, packedLength]) }, { length: originalLength }, [rows, originalLength]);
    const shaped = reshape(unpacked, movedShape);
    if (last) return shaped;
    const inverse = perm.map((_, index) => perm.indexOf(index));
    const out = asInt8(transpose(shaped, inverse));
    return reshape(out, outShape);
  });
}

/**
 * Keras's `pack_int4(values, axis)`: int8 (or int32) values in [-8, 7] → int8 with ceil(L/2)
 * bytes along `axis` (even index → low nibble, odd → high nibble; an odd length is padded with 0).
 * Runs on the host (quantization time only): it reads the values synchronously.
 */
export function packInt4(values: Tensor, axis = -1): Tensor {
  const op = 'packInt4';
  assertTensor(op, 'values', values);
  if (values.dtype !== 'int8' && values.dtype !== 'int32') argumentError(op, 'values', 'an int8 (or int32) tensor', values);
  const position = normalizeAxis(op, axis, values.rank);
  const length = values.shape[position]!;
  const packedLength = Math.ceil(length / 2);
  const outer = sizeOf(values.shape.slice(0, position));
  const inner = sizeOf(values.shape.slice(position + 1));
  const source = values.dataSync();
  for (let index = 0; index < source.length; index++) {
    const value = source[index]!;
    if (value < -8 || value > 7) argumentError(op, 'values', 'int4 values in [-8, 7]', `${value} at flat index ${index}`);
  }
  const out = new Int8Array(outer * packedLength * inner);
  for (let row = 0; row < outer; row++)
    for (let pair = 0; pair < packedLength; pair++)
      for (let column = 0; column < inner; column++) {
        const low = source[(row * length + 2 * pair) * inner + column]!;
        const high = 2 * pair + 1 < length ? source[(row * length + 2 * pair + 1) * inner + column]! : 0;
        // An Int8Array store keeps the low 8 bits: the byte's two's-complement value.
        out[(row * packedLength + pair) * inner + column] = (low & 0x0f) | ((high & 0x0f) << 4);
      }
  const shape = values.shape.map((dimension, index) => (index === position ? packedLength : dimension));
  return engine.makeTensor(out, shape, 'int8');
}
