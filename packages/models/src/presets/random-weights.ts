// Seeded random GemmaBackbone weights produced slab by slab (io StreamedTensor), for random
// presets of real architectures: a 27B preset is written without ever holding more than a slab.
//
// Distributions are those of a freshly built GemmaBackbone (KerasHub's, and ours):
//   token_embedding/embeddings  VarianceScaling(scale 1, fan_in, untruncated normal):
//                               normal(0, sqrt(1 / fan_in)), fan_in = vocabulary size
//   every kernel                glorot_uniform: U(±sqrt(6 / (fan_in + fan_out))), with Keras's fans
//                               (rank > 2: the leading axes are a receptive field)
//   every RMSNorm scale         zeros (the layer computes x · (1 + scale))
// The numbers come from a counter-free xoshiro128** stream per variable, seeded from (seed,
// variable path), so each tensor is reproducible on its own and independent of slab sizes and of
// the order tensors are written in. They are not the numbers `new GemmaBackbone()` draws for the
// same seed (that generator works on whole tensors).

import { float32ToBfloat16Bits, type StoredData } from '../io/stored-tensor.js';
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

/** xoshiro128** (Blackman and Vigna), state filled by splitmix32 from one 32-bit seed. */
export class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    let state = seed >>> 0;
    const splitmix = () => {
      state = (state + 0x9e3779b9) >>> 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = splitmix();
  }
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.b << 9) >>> 0;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c = (this.c ^ t) >>> 0;
    this.d = rotl(this.d, 11);
    this.a >>>= 0;
    this.b >>>= 0;
    return result;
  }
  /** Uniform in [0, 1) with 24 random bits. */
  nextFloat(): number {
    return (this.nextUint32() >>> 8) * (1 / 16777216);
  }
}

function rotl(value: number, shift: number): number {
  return ((value << shift) | (value >>> (32 - shift))) >>> 0;
}

/** The stream for one variable: seeded from the preset seed and the variable path. */
export function variableStream(seed: number, path: string): Xoshiro128 {
  return new Xoshiro128((fnv1a(path) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0);
}

/** Fills `out` with the next values of `distribution` from `stream` (Box–Muller for normals). */
function fill(out: Float32Array, distribution: RandomDistribution, stream: Xoshiro128, spare: { value: number | null }): void {
  if (distribution.kind === 'zeros') {
    out.fill(0);
    return;
  }
  if (distribution.kind === 'uniform') {
    const { limit } = distribution;
    for (let index = 0; index < out.length; index++) out[index] = (stream.nextFloat() * 2 - 1) * limit;
    return;
  }
  const { stddev } = distribution;
  let index = 0;
  if (spare.value !== null && out.length > 0) {
    out[index++] = spare.value;
    spare.value = null;
  }
  while (index < out.length) {
    // 1 - u keeps the logarithm finite (u is in [0, 1)).
    const radius = Math.sqrt(-2 * Math.log(1 - stream.nextFloat())) * stddev;
    const angle = 2 * Math.PI * stream.nextFloat();
    out[index++] = radius * Math.cos(angle);
    if (index < out.length) out[index++] = radius * Math.sin(angle);
    else spare.value = radius * Math.sin(angle);
  }
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
      const stream = variableStream(seed, path);
      const spare = { value: null as number | null };
      const slabRows = Math.min(maxSlabRows, Math.max(1, rows));
      const values = new Float32Array(slabRows * rowElements);
      for (let first = 0; first < rows; first += slabRows) {
        const count = Math.min(slabRows, rows - first);
        const slab = values.subarray(0, count * rowElements);
        fill(slab, distribution, stream, spare);
        write((dtype === 'float32' ? slab : float32ToBfloat16Bits(slab)) as StoredData, first, count);
      }
    },
  };
}
