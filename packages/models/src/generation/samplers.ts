// Samplers (KerasHub keras_hub/src/samplers, spec §6.5). Each turns one row of logits [V] into a
// token id. probs = softmax(float32(logits) / temperature), computed in float64 on the host:
// vocabularies are small enough that this costs far less than one decoder step.
import { argumentError, RandomGenerator } from '@tensorzoo/core';

export interface Sampler {
  readonly name: string;
  /** Picks the next token from one row of logits. */
  nextToken(logits: Float32Array): number;
  getConfig(): Record<string, unknown>;
}

export interface SamplerOptions {
  temperature?: number;
  seed?: number;
}

function probabilities(logits: Float32Array, temperature: number): Float64Array {
  const scaled = new Float64Array(logits.length);
  let maximum = -Infinity;
  for (let index = 0; index < logits.length; index++) {
    scaled[index] = Math.fround(logits[index]! / temperature);
    if (scaled[index]! > maximum) maximum = scaled[index]!;
  }
  let total = 0;
  for (let index = 0; index < scaled.length; index++) total += scaled[index] = Math.exp(scaled[index]! - maximum);
  for (let index = 0; index < scaled.length; index++) scaled[index]! /= total;
  return scaled;
}

function checkTemperature(name: string, temperature: number): void {
  if (!(temperature > 0) || !Number.isFinite(temperature)) argumentError(name, 'temperature', 'a positive finite number', String(temperature));
}

/** First index of the largest probability (argmax of the logits; temperature cannot change it). */
export class GreedySampler implements Sampler {
  readonly name = 'greedy';
  nextToken(logits: Float32Array): number {
    let best = 0;
    for (let index = 1; index < logits.length; index++) if (logits[index]! > logits[best]!) best = index;
    return best;
  }
  getConfig() {
    return { name: this.name };
  }
}

abstract class StochasticSampler implements Sampler {
  abstract readonly name: string;
  readonly temperature: number;
  readonly seed: number | undefined;
  protected generator: RandomGenerator;

  constructor(options: SamplerOptions) {
    this.temperature = options.temperature ?? 1;
    this.seed = options.seed;
    this.generator = new RandomGenerator(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  }

  abstract nextToken(logits: Float32Array): number;

  /** Draws one of `candidates` with probability proportional to `weights`. */
  protected draw(candidates: ArrayLike<number>, weights: ArrayLike<number>): number {
    let total = 0;
    for (let index = 0; index < weights.length; index++) total += weights[index]!;
    let target = this.generator.nextFloat() * total;
    for (let index = 0; index < weights.length; index++) {
      target -= weights[index]!;
      if (target < 0 && weights[index]! > 0) return candidates[index]!;
    }
    for (let index = weights.length - 1; index >= 0; index--) if (weights[index]! > 0) return candidates[index]!;
    return candidates[0]!;
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, temperature: this.temperature, seed: this.seed ?? null };
  }
}

/** Samples from the whole distribution. */
export class RandomSampler extends StochasticSampler {
  readonly name = 'random';
  constructor(options: SamplerOptions = {}) {
    super(options);
    checkTemperature('RandomSampler', this.temperature);
  }
  nextToken(logits: Float32Array): number {
    const probs = probabilities(logits, this.temperature);
    return this.draw(Array.from({ length: probs.length }, (_, index) => index), probs);
  }
}

/** Samples among the k most probable tokens (default k = 5). */
export class TopKSampler extends StochasticSampler {
  readonly name = 'top_k';
  readonly k: number;
  constructor(options: SamplerOptions & { k?: number } = {}) {
    super(options);
    checkTemperature('TopKSampler', this.temperature);
    this.k = options.k ?? 5;
    if (!Number.isInteger(this.k) || this.k <= 0) argumentError('TopKSampler', 'k', 'a positive integer', String(this.k));
  }
  nextToken(logits: Float32Array): number {
    const probs = probabilities(logits, this.temperature);
    const order = topIndices(probs, Math.min(this.k, probs.length));
    return this.draw(order, order.map((index) => probs[index]!));
  }
  override getConfig() {
    return { ...super.getConfig(), k: this.k };
  }
}

/**
 * Nucleus sampling: keep the smallest prefix of the descending probabilities whose mass exceeds p
 * (position j kept iff j = 0 or cumsum[j-1] ≤ p), optionally only among the top k; default p = 0.1.
 */
export class TopPSampler extends StochasticSampler {
  readonly name = 'top_p';
  readonly p: number;
  readonly k: number | null;
  constructor(options: SamplerOptions & { p?: number; k?: number | null } = {}) {
    super(options);
    checkTemperature('TopPSampler', this.temperature);
    this.p = options.p ?? 0.1;
    this.k = options.k ?? null;
    if (!(this.p > 0 && this.p <= 1)) argumentError('TopPSampler', 'p', 'a number in (0, 1]', String(this.p));
    if (this.k !== null && (!Number.isInteger(this.k) || this.k <= 0)) argumentError('TopPSampler', 'k', 'a positive integer or null', String(this.k));
  }
  nextToken(logits: Float32Array): number {
    const probs = probabilities(logits, this.temperature);
    const order = topIndices(probs, Math.min(this.k ?? probs.length, probs.length));
    const kept: number[] = [];
    let cumulative = 0;
    for (let position = 0; position < order.length; position++) {
      if (position > 0 && Math.fround(cumulative) > this.p) break;
      kept.push(order[position]!);
      cumulative += probs[order[position]!]!;
    }
    return this.draw(kept, kept.map((index) => probs[index]!));
  }
  override getConfig() {
    return { ...super.getConfig(), p: this.p, k: this.k };
  }
}

/** Indices of the `count` largest values, largest first, ties by lower index. */
function topIndices(values: Float64Array, count: number): number[] {
  const order = Array.from({ length: values.length }, (_, index) => index);
  order.sort((a, b) => values[b]! - values[a]! || a - b);
  return order.slice(0, count);
}

export type SamplerName = 'greedy' | 'random' | 'top_k' | 'top_p';
export type SamplerSpec = SamplerName | Sampler | ({ name: SamplerName } & SamplerOptions & { k?: number | null; p?: number });

/** A sampler from a name, a config object or an instance (KerasHub's `samplers.get`). */
export function getSampler(spec: SamplerSpec = 'greedy'): Sampler {
  if (typeof spec === 'object' && spec !== null && 'nextToken' in spec) return spec;
  const config = typeof spec === 'string' ? { name: spec } : spec;
  switch (config.name) {
    case 'greedy':
      return new GreedySampler();
    case 'random':
      return new RandomSampler(config);
    case 'top_k':
      return new TopKSampler({ ...config, k: config.k ?? undefined });
    case 'top_p':
      return new TopPSampler(config);
    default:
      return argumentError('getSampler', 'sampler', "one of 'greedy', 'random', 'top_k', 'top_p' (lower-case)", JSON.stringify(config.name));
  }
}
