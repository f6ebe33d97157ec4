// Seeded random GemmaBackbone weights produced slab by slab (io StreamedTensor), for random
// presets of real architectures: a 27B preset is written without ever holding more than a slab.
//
// Distributions are those of a freshly built GemmaBackbone (KerasHub's, and ours):
//   token_embedding/embeddings  VarianceScaling(scale 1, fan_in, untruncated normal):
//                               normal(0, sqrt(1 / fan_in)), fan_in = vocabulary size
//   every kernel                glorot_uniform: U(±sqrt(6 / (fan_in + fan_out))), with Keras's fans
//                               (rank > 2: the leading axes are a receptive field)
//   every RMSNorm scale         zeros (the layer computes x · (1 + scale))
// The numbers come from a xoshiro128** stream per variable, seeded from (seed,
// variable path), so each tensor is reproducible on its own and independent of slab sizes and of
// the order tensors are written in. They are not the numbers `new GemmaBackbone()` draws for the
// same seed (that generator works on whole tensors).

import type { StoredData } from '../io/stored-tensor.js';
import type { StreamedTensor } from '../io/streamed-tensor.js';

export type RandomWeightsDType = 'float32' | 'bfloat16';

export type RandomDistribution = { kind: 'normal'; stddev: number } | { kind: 'uniform'; limit: number } | { kind: 'zeros' };

/** Keras's compute_fans. */
export function kerasFans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! };
  const receptiveField = shape.slice(0, -2).reduce((total, size) => total * size, 1);
  return { fanIn: shape[shape.length - 2]! * receptiveField, fanOut: shape[shape.length - 1]! * receptiveField };
}

/** The initializer distribution of a GemmaBackbone variable (by its path and shape). */
export function gemmaInitializer(path: string, shape: readonly number[]): RandomDistribution {
  const { fanIn, fanOut } = kerasFans(shape);
  if (path === 'token_embedding/embeddings') return { kind: 'normal', stddev: Math.sqrt(1 / fanIn) };
  if (path.endsWith('/scale')) return { kind: 'zeros' };
  return { kind: 'uniform', limit: Math.sqrt(6 / (fanIn + fanOut)) };
}

/** 32-bit FNV-1a of a string's UTF-16 code units. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * xoshiro128** (Blackman and Vigna), state filled by splitmix32 from one 32-bit seed. The state
 * lives in an Int32Array so that the hot loops below keep it in int32 locals (uint32 values in
 * object fields would be boxed as doubles by V8).
 */
export class Xoshiro128 {
  readonly state = new Int32Array(4);
  constructor(seed: number) {
    let mix = seed >>> 0;
    for (let index = 0; index < 4; index++) {
      mix = (mix + 0x9e3779b9) >>> 0;
      let z = mix;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.state[index] = z ^ (z >>> 16);
    }
  }
  nextUint32(): number {
    const bits = new Uint32Array(1);
    fillUniformBits(this.state, bits, 1);
    return bits[0]!;
  }
  /** Uniform in [0, 1) with 24 random bits. */
  nextFloat(): number {
    return (this.nextUint32() >>> 8) * (1 / 16777216);
  }
}

/** `count` raw outputs of the generator into `out` (uint32), advancing `state`. */
function fillUniformBits(state: Int32Array, out: Uint32Array, count: number): void {
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  for (let index = 0; index < count; index++) {
    const scrambled = Math.imul(b, 5);
    const rotated = (scrambled << 7) | (scrambled >>> 25);
    out[index] = Math.imul(rotated, 9);
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
  }
  state[0] = a;
  state[1] = b;
  state[2] = c;
  state[3] = d;
}

/** The stream for one variable: seeded from the preset seed and the variable path. */
export function variableStream(seed: number, path: string): Xoshiro128 {
  return new Xoshiro128((fnv1a(path) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0);
}

/**
 * Fills `out` with the next values of `distribution` from `stream`: uniform from the top 24 bits
 * of each output; normals by the Marsaglia polar method (pairs from two uniforms in (-1, 1),
 * rejected outside the unit circle; the second of a pair is kept for the next call).
 */
/** Per-variable drawing state kept across slabs, so values do not depend on slab sizes. */
interface DrawState {
  stream: Xoshiro128;
  /** Raw outputs drawn ahead for the normal sampler, and how many of them are used. */
  pool: Uint32Array;
  used: number;
  /** The second value of a normal pair that did not fit in the previous slab. */
  spare: number | null;
}

function fill(out: Float32Array, distribution: RandomDistribution, draw: DrawState): void {
  if (distribution.kind === 'zeros') {
    out.fill(0);
    return;
  }
  if (distribution.kind === 'uniform') {
    const scale = (2 / 16777216) * distribution.limit;
    const { limit } = distribution;
    const scratch = draw.pool;
    for (let start = 0; start < out.length; start += scratch.length) {
      const count = Math.min(scratch.length, out.length - start);
      fillUniformBits(draw.stream.state, scratch, count);
      for (let index = 0; index < count; index++) out[start + index] = (scratch[index]! >>> 8) * scale - limit;
    }
    return;
  }
  const { stddev } = distribution;
  let index = 0;
  if (draw.spare !== null && out.length > 0) {
    out[index++] = draw.spare;
    draw.spare = null;
  }
  const unit = 2 / 16777216;
  const pool = draw.pool;
  let cursor = draw.used;
  while (index < out.length) {
    if (cursor + 2 > pool.length) {
      fillUniformBits(draw.stream.state, pool, pool.length);
      cursor = 0;
    }
    const u = (pool[cursor]! >>> 8) * unit - 1;
    const v = (pool[cursor + 1]! >>> 8) * unit - 1;
    cursor += 2;
    const s = u * u + v * v;
    if (s >= 1 || s === 0) continue;
    const factor = Math.sqrt((-2 * Math.log(s)) / s) * stddev;
    out[index++] = u * factor;
    if (index < out.length) out[index++] = v * factor;
    else draw.spare = v * factor;
  }
  draw.used = cursor;
}

/** bfloat16 bits of float32 values, round to nearest even (finite values only, as drawn here). */
function toBfloat16(values: Float32Array, out: Uint16Array): Uint16Array {
  const words = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let index = 0; index < words.length; index++) {
    const word = words[index]!;
    out[index] = (word + 0x7fff + ((word >>> 16) & 1)) >>> 16;
  }
  return out;
}

/**
 * One variable's random values as a StreamedTensor: each `produce` call restarts the variable's
 * stream, so writing it twice gives the same bytes.
 */
export function randomVariable(path: string, shape: number[], dtype: RandomWeightsDType, seed: number, distribution: RandomDistribution = gemmaInitializer(path, shape)): StreamedTensor {
  return {
    shape,
    dtype,
    produce(maxSlabRows, write) {
      const rows = shape.length === 0 ? 1 : shape[0]!;
      const rowElements = shape.length === 0 ? 1 : shape.slice(1).reduce((total, size) => total * size, 1);
      // The pool starts exhausted: the first normal pair draws a fresh block.
      const draw: DrawState = { stream: variableStream(seed, path), pool: new Uint32Array(4096), used: 4096, spare: null };
      const slabRows = Math.min(maxSlabRows, Math.max(1, rows));
      const values = new Float32Array(slabRows * rowElements);
      const bits = dtype === 'bfloat16' ? new Uint16Array(slabRows * rowElements) : null;
      for (let first = 0; first < rows; first += slabRows) {
        const count = Math.min(slabRows, rows - first);
        const slab = values.subarray(0, count * rowElements);
        fill(slab, distribution, draw);
        write((bits === null ? slab : toBfloat16(slab, bits.subarray(0, count * rowElements))) as StoredData, first, count);
      }
    },
  };
}
