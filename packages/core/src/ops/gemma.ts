// The Gemma pieces: RMS normalization in Gemma's (1 + scale) form, computed in float32, and the
// rotary position embedding in KerasHub's half-split ("rotate half") convention.
import { engine } from '../engine.js';
import { argumentError } from '../errors.js';
import { formatShape, normalizeAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { activeBackendHas, assertTensor, run, scoped } from './dispatch.js';
import { add, cast, mul, neg, rsqrt } from './elementwise.js';
import { mean } from './reductions.js';
import { concat, reshape, split, stack } from './shape-ops.js';

/** x: [..., D], scale: [D] → x · rsqrt(mean(x², -1) + epsilon) · (1 + scale), in float32. */
export function rmsNorm(x: Tensor, scale: Tensor, epsilon = 1e-6): Tensor {
  assertTensor('rmsNorm', 'x', x);
  assertTensor('rmsNorm', 'scale', scale);
  const depth = x.shape[x.rank - 1];
  if (x.rank === 0) argumentError('rmsNorm', 'x', 'a tensor of rank ≥ 1', x);
  if (scale.rank !== 1 || scale.shape[0] !== depth) argumentError('rmsNorm', 'scale', `shape [${depth}] (the last axis of x)`, formatShape(scale.shape));
  if (!(epsilon >= 0)) argumentError('rmsNorm', 'epsilon', 'a non-negative number', String(epsilon));
  return scoped(() => {
    const input = x.dtype === 'float32' ? x : cast(x, 'float32');
    const weight = scale.dtype === 'float32' ? scale : cast(scale, 'float32');
    if (activeBackendHas('RMSNorm')) return run('RMSNorm', { x: input, scale: weight }, { epsilon }, x.shape);
    const variance = mean(mul(input, input), -1, true);
    return mul(mul(input, rsqrt(add(variance, epsilon))), add(weight, 1));
  });
}

export interface RotaryOptions {
  /** Position of the first element along the sequence axis (the cache index). */
  startIndex?: number;
  maxWavelength?: number;
  scalingFactor?: number;
  sequenceAxis?: number;
  featureAxis?: number;
}

/**
 * cos and sin tables [T, H] for positions startIndex..startIndex+T-1, in float32 arithmetic as
 * KerasHub's RotaryEmbedding computes them: inv_j = 1 / (maxWavelength^(2j/H)) / scalingFactor,
 * angle = position · inv_j, and the half-vector repeated: [θ_0..θ_{H/2-1}, θ_0..θ_{H/2-1}].
 */
export function rotaryTables(length: number, headDim: number, startIndex = 0, maxWavelength = 10000, scalingFactor = 1): { cos: Float32Array; sin: Float32Array } {
  const half = headDim / 2;
  const inverse = new Float32Array(half);
  for (let j = 0; j < half; j++) inverse[j] = Math.fround(Math.fround(1 / Math.fround(Math.pow(maxWavelength, Math.fround((2 * j) / headDim)))) / scalingFactor);
  const cos = new Float32Array(length * headDim);
  const sin = new Float32Array(length * headDim);
  for (let t = 0; t < length; t++) {
    const position = Math.fround(t + startIndex);
    for (let j = 0; j < half; j++) {
      const angle = Math.fround(position * inverse[j]!);
      cos[t * headDim + j] = cos[t * headDim + half + j] = Math.cos(angle);
      sin[t * headDim + j] = sin[t * headDim + half + j] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

/** Rotary position embedding: y = x·cos + rotateHalf(x)·sin with rotateHalf(x) = [-x2, x1]. */
export function rotaryEmbedding(x: Tensor, options: RotaryOptions = {}): Tensor {
  assertTensor('rotaryEmbedding', 'x', x);
  if (x.rank < 2) argumentError('rotaryEmbedding', 'x', 'a tensor of rank ≥ 2', x);
  const sequenceAxis = normalizeAxis('rotaryEmbedding', options.sequenceAxis ?? 1, x.rank, 'sequenceAxis');
  const featureAxis = normalizeAxis('rotaryEmbedding', options.featureAxis ?? -1, x.rank, 'featureAxis');
  if (sequenceAxis === featureAxis) argumentError('rotaryEmbedding', 'sequenceAxis', `an axis that differs from featureAxis (${featureAxis})`, String(options.sequenceAxis ?? 1));
  // The [T, H] tables are viewed with T before H, so the sequence axis must come first.
  if (sequenceAxis > featureAxis) argumentError('rotaryEmbedding', 'sequenceAxis', `an axis before featureAxis (${featureAxis})`, String(sequenceAxis));
  const startIndex = options.startIndex ?? 0;
  if (!Number.isInteger(startIndex) || startIndex < 0) argumentError('rotaryEmbedding', 'startIndex', 'a non-negative integer', String(startIndex));
  const headDim = x.shape[featureAxis]!;
  if (headDim % 2 !== 0) argumentError('rotaryEmbedding', 'x', `an even feature dimension (axis ${featureAxis})`, formatShape(x.shape));
  const length = x.shape[sequenceAxis]!;
  const { cos, sin } = rotaryTables(length, headDim, startIndex, options.maxWavelength ?? 10000, options.scalingFactor ?? 1);
  return scoped(() => {
    const input = x.dtype === 'float32' ? x : cast(x, 'float32');
    const cosTable = engine.makeTensor(cos, [length, headDim], 'float32');
    const sinTable = engine.makeTensor(sin, [length, headDim], 'float32');
    if (activeBackendHas('Rope') && x.rank === 4 && sequenceAxis === 1 && featureAxis === 3)
      return run('Rope', { x: input, cos: cosTable, sin: sinTable }, {}, x.shape);
    const tableShape = x.shape.map((_, axis) => (axis === sequenceAxis ? length : axis === featureAxis ? headDim : 1));
    const cosView = reshape(cosTable, tableShape);
    const sinView = reshape(sinTable, tableShape);
    const [first, second] = split(input, 2, featureAxis) as [Tensor, Tensor];
    const rotated = concat([neg(second), first], featureAxis);
    return add(mul(input, cosView), mul(rotated, sinView));
  });
}

/** KerasHub Gemma's post-rotation permutation: output 2j ← y[j], 2j+1 ← y[H/2 + j] (last axis). */
export function interleaveHalves(x: Tensor): Tensor {
  assertTensor('interleaveHalves', 'x', x);
  if (x.rank === 0) argumentError('interleaveHalves', 'x', 'a tensor of rank ≥ 1', x);
  const headDim = x.shape[x.rank - 1]!;
  if (headDim % 2 !== 0) argumentError('interleaveHalves', 'x', 'an even last dimension', formatShape(x.shape));
  return scoped(() => {
    const [first, second] = split(x, 2, -1) as [Tensor, Tensor];
    return reshape(stack([first, second], -1), [...x.shape.slice(0, -1), headDim]);
  });
}
