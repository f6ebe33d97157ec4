// Weight initializers with Keras 3's names, defaults and formulas. Values are drawn in float32 on
// the host (so a seed gives the same numbers on every backend) and cast to the requested dtype.
// A seeded initializer returns the same values on every call, as Keras 3's do; an unseeded one
// draws a fresh seed per call from the package generator (see random.ts).
import * as tz from '@tensorzoo/core';
import { argumentError, type DType, type Tensor } from '@tensorzoo/core';
import { drawSeed } from './random.js';

export type InitializerConfig = Record<string, unknown>;
export interface SerializedInitializer {
  className: string;
  config: InitializerConfig;
}
export type InitializerIdentifier = Initializer | string | SerializedInitializer;

export abstract class Initializer {
  abstract readonly className: string;
  /** A tensor of `shape` in `dtype` (float32 by default). The caller owns it. */
  abstract call(shape: readonly number[], dtype?: DType): Tensor;
  getConfig(): InitializerConfig {
    return {};
  }
}

function checkShape(op: string, shape: readonly number[]): void {
  if (!Array.isArray(shape) || !shape.every((size) => Number.isInteger(size) && size >= 0))
    argumentError(op, 'shape', 'an array of non-negative integers', shape);
}

function finish(values: Tensor, dtype: DType): Tensor {
  if (values.dtype === dtype) return values;
  const cast = tz.cast(values, dtype);
  values.dispose();
  return cast;
}

function checkSeed(op: string, seed: number | null | undefined): number | null {
  if (seed === undefined || seed === null) return null;
  if (!Number.isInteger(seed)) argumentError(op, 'seed', 'an integer or null', seed);
  return seed;
}

/** All zeros. */
export class Zeros extends Initializer {
  readonly className = 'Zeros';
  call(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    checkShape('Zeros', shape);
    return tz.zeros(shape, dtype);
  }
}

/** All ones. */
export class Ones extends Initializer {
  readonly className = 'Ones';
  call(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    checkShape('Ones', shape);
    return tz.ones(shape, dtype);
  }
}

/**
 * Every element equal to `value`.
 * @param config.value the constant (default 0)
 */
export class Constant extends Initializer {
  readonly className = 'Constant';
  readonly value: number;
  constructor(config: { value?: number } = {}) {
    super();
    this.value = config.value ?? 0;
    if (typeof this.value !== 'number') argumentError('Constant', 'value', 'a number', this.value);
  }
  call(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    checkShape('Constant', shape);
    return tz.fill(shape, this.value, dtype);
  }
  override getConfig(): InitializerConfig {
    return { value: this.value };
  }
}

abstract class RandomInitializer extends Initializer {
  readonly seed: number | null;
  constructor(seed: number | null | undefined) {
    super();
    this.seed = checkSeed(new.target.name, seed);
  }
  protected seedForCall(): number {
    return this.seed ?? drawSeed();
  }
  override getConfig(): InitializerConfig {
    return { seed: this.seed };
  }
}

/**
 * Normal values.
 * @param config.mean mean (default 0)
 * @param config.stddev standard deviation (default 0.05)
 * @param config.seed integer seed; the same seed gives the same values on every call
 */
export class RandomNormal extends RandomInitializer {
  readonly className = 'RandomNormal';
  readonly mean: number;
  readonly stddev: number;
  constructor(config: { mean?: number; stddev?: number; seed?: number | null } = {}) {
    super(config.seed);
    this.mean = config.mean ?? 0;
    this.stddev = config.stddev ?? 0.05;
  }
  call(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    checkShape('RandomNormal', shape);
    return finish(tz.randomNormal(shape, { mean: this.mean, stddev: this.stddev, seed: this.seedForCall() }), dtype);
  }
  override getConfig(): InitializerConfig {
    return { mean: this.mean, stddev: this.stddev, ...super.getConfig() };
  }
}

/**
 * Uniform values in [minval, maxval).
 * @param config.minval lower bound (default -0.05)
 * @param config.maxval upper bound (default 0.05)
 * @param config.seed integer seed
 */
export class RandomUniform extends RandomInitializer {
  readonly className = 'RandomUniform';
  readonly minval: number;
  readonly maxval: number;
  constructor(config: { minval?: number; maxval?: number; seed?: number | null } = {}) {
    super(config.seed);
    this.minval = config.minval ?? -0.05;
    this.maxval = config.maxval ?? 0.05;
    if (!(this.maxval >= this.minval)) argumentError('RandomUniform', 'maxval', `a number ≥ minval (${this.minval})`, this.maxval);
  }
  call(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    checkShape('RandomUniform', shape);
    return finish(tz.randomUniform(shape, { minval: this.minval, maxval: this.maxval, seed: this.seedForCall() }), dtype);
  }
  override getConfig(): InitializerConfig {
    return { minval: this.minval, maxval: this.maxval, ...super.getConfig() };
  }
}

/**
 * Normal values redrawn until within two standard deviations of the mean.
 * @param config.mean mean (default 0)
 * @param config.stddev standard deviation before truncation (default 0.05)
 * @param config.seed integer seed
 */
export class TruncatedNormal extends RandomInitializer {
  readonly className = 'TruncatedNormal';
  readonly mean: number;
  readonly stddev: number;
  constructor(config: { mean?: number; stddev?: number; seed?: number | null } = {}) {
    super(config.seed);
    this.mean = config.mean ?? 0;
    this.stddev = config.stddev ?? 0.05;
  }
  call(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    checkShape('TruncatedNormal', shape);
    return finish(tz.truncatedNormal(shape, { mean: this.mean, stddev: this.stddev, seed: this.seedForCall() }), dtype);
  }
  override getConfig(): InitializerConfig {
    return { mean: this.mean, stddev: this.stddev, ...super.getConfig() };
  }
}

export type FanMode = 'fan_in' | 'fan_out' | 'fan_avg';
export type VarianceDistribution = 'truncated_normal' | 'untruncated_normal' | 'uniform';

/**
 * Keras's fans of a weight shape: rank 0 → (1, 1); rank 1 → (n, n); rank 2 → (rows, columns);
 * higher ranks treat the leading axes as a receptive field: fan_in = prod(shape[:-2]) · shape[-2],
 * fan_out = prod(shape[:-2]) · shape[-1]. With explicit axes (EinsumDense's input and output
 * axes), the fans are the products of the sizes over those axes.
 */
export function computeFans(shape: readonly number[], inputAxes?: readonly number[] | null, outputAxes?: readonly number[] | null): { fanIn: number; fanOut: number } {
  const product = (axes: readonly number[]) => axes.reduce((total, axis) => total * shape[axis]!, 1);
  if (inputAxes && outputAxes) return { fanIn: product(inputAxes), fanOut: product(outputAxes) };
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! };
  const receptiveField = shape.slice(0, -2).reduce((total, size) => total * size, 1);
  return { fanIn: shape[shape.length - 2]! * receptiveField, fanOut: shape[shape.length - 1]! * receptiveField };
}

/** The standard deviation of a unit normal truncated to [-2, 2] (Keras's correction constant). */
export const TRUNCATED_NORMAL_STDDEV = 0.87962566103423978;

const fanModes: readonly FanMode[] = ['fan_in', 'fan_out', 'fan_avg'];
const distributions: readonly VarianceDistribution[] = ['truncated_normal', 'untruncated_normal', 'uniform'];

export interface VarianceScalingConfig {
  scale?: number;
  mode?: FanMode;
  distribution?: VarianceDistribution | 'normal';
  seed?: number | null;
  /** Kernel axes that count towards fan_in (EinsumDense supplies them); with outputAxes. */
  inputAxes?: readonly number[] | null;
  /** Kernel axes that count towards fan_out; with inputAxes. */
  outputAxes?: readonly number[] | null;
}

/**
 * Values with variance scale / n, n = fan_in, fan_out or their mean (at least 1):
 * truncated_normal draws N(0, sqrt(scale/n) / 0.8796…) truncated at two standard deviations,
 * untruncated_normal draws N(0, sqrt(scale/n)), uniform draws U(±sqrt(3 · scale/n)).
 * @param config.scale positive scale (default 1)
 * @param config.mode fan_in (default), fan_out or fan_avg
 * @param config.distribution truncated_normal (default; 'normal' is accepted for it), untruncated_normal or uniform
 * @param config.seed integer seed
 * @param config.inputAxes, config.outputAxes explicit fan axes (both or neither)
 */
export class VarianceScaling extends RandomInitializer {
  readonly className: string = 'VarianceScaling';
  readonly scale: number;
  readonly mode: FanMode;
  readonly distribution: VarianceDistribution;
  readonly inputAxes: readonly number[] | null;
  readonly outputAxes: readonly number[] | null;
  constructor(config: VarianceScalingConfig = {}) {
    super(config.seed);
    this.scale = config.scale ?? 1;
    this.mode = config.mode ?? 'fan_in';
    const distribution = config.distribution ?? 'truncated_normal';
    this.distribution = distribution === 'normal' ? 'truncated_normal' : distribution;
    this.inputAxes = config.inputAxes ?? null;
    this.outputAxes = config.outputAxes ?? null;
    if (!(typeof this.scale === 'number' && this.scale > 0)) argumentError('VarianceScaling', 'scale', 'a positive number', this.scale);
    if (!fanModes.includes(this.mode)) argumentError('VarianceScaling', 'mode', `one of ${fanModes.join(', ')}`, this.mode);
    if (!distributions.includes(this.distribution))
      argumentError('VarianceScaling', 'distribution', `one of ${distributions.join(', ')} (or normal)`, distribution);
    if ((this.inputAxes === null) !== (this.outputAxes === null))
      argumentError('VarianceScaling', 'outputAxes', 'both inputAxes and outputAxes, or neither', this.outputAxes);
  }

  /** The n that the variance is divided by, for a weight of `shape`. */
  fanFor(shape: readonly number[]): number {
    const { fanIn, fanOut } = computeFans(shape, this.inputAxes, this.outputAxes);
    const n = this.mode === 'fan_in' ? fanIn : this.mode === 'fan_out' ? fanOut : (fanIn + fanOut) / 2;
    return Math.max(1, n);
  }

  call(shape: readonly number[], dtype: DType = 'float32'): Tensor {
    checkShape(this.className, shape);
    for (const axes of [this.inputAxes, this.outputAxes])
      if (axes && !axes.every((axis) => Number.isInteger(axis) && axis >= 0 && axis < shape.length))
        argumentError(this.className, 'inputAxes/outputAxes', `axes of a rank-${shape.length} weight`, axes);
    const variance = this.scale / this.fanFor(shape);
    const seed = this.seedForCall();
    let values: Tensor;
    if (this.distribution === 'truncated_normal')
      values = tz.truncatedNormal(shape, { stddev: Math.sqrt(variance) / TRUNCATED_NORMAL_STDDEV, seed });
    else if (this.distribution === 'untruncated_normal') values = tz.randomNormal(shape, { stddev: Math.sqrt(variance), seed });
    else {
      const limit = Math.sqrt(3 * variance);
      values = tz.randomUniform(shape, { minval: -limit, maxval: limit, seed });
    }
    return finish(values, dtype);
  }

  /** The same initializer with explicit fan axes (what EinsumDense builds its kernel with). */
  withFanAxes(inputAxes: readonly number[], outputAxes: readonly number[]): VarianceScaling {
    return new VarianceScaling({ scale: this.scale, mode: this.mode, distribution: this.distribution, seed: this.seed, inputAxes, outputAxes });
  }

  override getConfig(): InitializerConfig {
    const config: InitializerConfig = { scale: this.scale, mode: this.mode, distribution: this.distribution, ...super.getConfig() };
    if (this.inputAxes) Object.assign(config, { inputAxes: [...this.inputAxes], outputAxes: [...this.outputAxes!] });
    return config;
  }
}

// The named VarianceScaling variants carry only a seed in their config, as Keras's do.
abstract class NamedVarianceScaling extends VarianceScaling {
  override getConfig(): InitializerConfig {
    return { seed: this.seed };
  }
}

/** U(±sqrt(6 / (fan_in + fan_out))). @param config.seed integer seed */
export class GlorotUniform extends NamedVarianceScaling {
  override readonly className: string = 'GlorotUniform';
  constructor(config: { seed?: number | null } = {}) {
    super({ scale: 1, mode: 'fan_avg', distribution: 'uniform', seed: config.seed });
  }
}

/** Truncated normal with stddev sqrt(2 / (fan_in + fan_out)) before the correction. @param config.seed integer seed */
export class GlorotNormal extends NamedVarianceScaling {
  override readonly className: string = 'GlorotNormal';
  constructor(config: { seed?: number | null } = {}) {
    super({ scale: 1, mode: 'fan_avg', distribution: 'truncated_normal', seed: config.seed });
  }
}

/** U(±sqrt(6 / fan_in)). @param config.seed integer seed */
export class HeUniform extends NamedVarianceScaling {
  override readonly className: string = 'HeUniform';
  constructor(config: { seed?: number | null } = {}) {
    super({ scale: 2, mode: 'fan_in', distribution: 'uniform', seed: config.seed });
  }
}

/** Truncated normal with stddev sqrt(2 / fan_in) before the correction. @param config.seed integer seed */
export class HeNormal extends NamedVarianceScaling {
  override readonly className: string = 'HeNormal';
  constructor(config: { seed?: number | null } = {}) {
    super({ scale: 2, mode: 'fan_in', distribution: 'truncated_normal', seed: config.seed });
  }
}

/** U(±sqrt(3 / fan_in)). @param config.seed integer seed */
export class LecunUniform extends NamedVarianceScaling {
  override readonly className: string = 'LecunUniform';
  constructor(config: { seed?: number | null } = {}) {
    super({ scale: 1, mode: 'fan_in', distribution: 'uniform', seed: config.seed });
  }
}

/** Truncated normal with stddev sqrt(1 / fan_in) before the correction. @param config.seed integer seed */
export class LecunNormal extends NamedVarianceScaling {
  override readonly className: string = 'LecunNormal';
  constructor(config: { seed?: number | null } = {}) {
    super({ scale: 1, mode: 'fan_in', distribution: 'truncated_normal', seed: config.seed });
  }
}

type InitializerClass = new (config?: any) => Initializer;

const classes: Record<string, InitializerClass> = {
  Zeros, Ones, Constant, RandomNormal, RandomUniform, TruncatedNormal, VarianceScaling,
  GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal,
};

// Keras's string aliases: snake_case class names plus 'uniform', 'normal', 'zero', 'one'.
const aliases: Record<string, string> = {
  zeros: 'Zeros', zero: 'Zeros', ones: 'Ones', one: 'Ones', constant: 'Constant',
  random_normal: 'RandomNormal', normal: 'RandomNormal', random_uniform: 'RandomUniform', uniform: 'RandomUniform',
  truncated_normal: 'TruncatedNormal', variance_scaling: 'VarianceScaling',
  glorot_uniform: 'GlorotUniform', glorot_normal: 'GlorotNormal', he_uniform: 'HeUniform', he_normal: 'HeNormal',
  lecun_uniform: 'LecunUniform', lecun_normal: 'LecunNormal',
};

/** Registers a custom initializer class for `get` and deserialization. */
export function registerInitializer(className: string, constructor: InitializerClass): void {
  classes[className] = constructor;
}

/** An initializer from an instance (returned as is), a name ('glorot_uniform', 'GlorotUniform') or `{className, config}`. */
export function get(identifier: InitializerIdentifier): Initializer {
  if (identifier instanceof Initializer) return identifier;
  if (typeof identifier === 'string') {
    const className = classes[identifier] ? identifier : aliases[identifier];
    if (!className) argumentError('initializers.get', 'identifier', `one of ${Object.keys(aliases).join(', ')} or a class name`, identifier);
    return new classes[className]!();
  }
  if (identifier && typeof identifier === 'object' && typeof identifier.className === 'string') {
    const constructor = classes[identifier.className] ?? classes[aliases[identifier.className] ?? ''];
    if (!constructor) argumentError('initializers.get', 'identifier.className', `a registered initializer (${Object.keys(classes).join(', ')})`, identifier.className);
    return new constructor(identifier.config ?? {});
  }
  return argumentError('initializers.get', 'identifier', 'an Initializer, a name or {className, config}', identifier);
}

export function serialize(initializer: Initializer): SerializedInitializer {
  return { className: initializer.className, config: initializer.getConfig() };
}

export const deserialize = (config: SerializedInitializer): Initializer => get(config);
