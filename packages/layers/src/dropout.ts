// Dropout (Keras 3): identity unless training and rate > 0; then each element is kept with
// probability 1 - rate and scaled by 1 / (1 - rate); rate 1 gives zeros. Seeded: the same seed
// gives the same sequence of masks (Keras's SeedGenerator), one new mask per training call.
import * as tz from '@tensorzoo/core';
import { argumentError, type Tensor } from '@tensorzoo/core';
import { Layer, type CallOptions, type LayerConfig, type Shape } from './layer.js';
import { castTo } from './lora.js';
import { SeedStream } from './random.js';

export interface DropoutConfig extends LayerConfig {
  rate: number;
  noiseShape?: Shape | null;
  seed?: number | null;
}

/**
 * Randomly zeroes inputs during training.
 * @param config.rate fraction to drop, in [0, 1]
 * @param config.noiseShape shape of the keep mask, broadcast over the input; null entries take the input's size (default: the input's shape)
 * @param config.seed integer seed (default null: drawn from the package generator)
 * @param config.name, config.trainable, config.dtype as for every layer
 */
export class Dropout extends Layer<Tensor, Tensor> {
  readonly rate: number;
  readonly noiseShape: Shape | null;
  readonly seed: number | null;
  private readonly seeds: SeedStream;

  constructor(config: DropoutConfig) {
    super(config);
    const op = `Dropout '${this.name}'`;
    if (!config || !(typeof config.rate === 'number' && config.rate >= 0 && config.rate <= 1)) argumentError(op, 'rate', 'a number in [0, 1]', config?.rate);
    if (config.seed !== undefined && config.seed !== null && !Number.isInteger(config.seed)) argumentError(op, 'seed', 'an integer or null', config.seed);
    if (config.noiseShape && !(Array.isArray(config.noiseShape) && config.noiseShape.every((size) => size === null || (Number.isInteger(size) && size >= 0))))
      argumentError(op, 'noiseShape', 'an array of non-negative integers and nulls', config.noiseShape);
    this.rate = config.rate;
    this.noiseShape = config.noiseShape ? Object.freeze([...config.noiseShape]) : null;
    this.seed = config.seed ?? null;
    this.seeds = new SeedStream(this.seed);
  }

  /** The input shape: this layer keeps shapes. */
  computeOutputShape(inputShape: Shape): (number | null)[] {
    return [...inputShape];
  }

  /** Returns `inputs` itself unless `options.training` and rate > 0. */
  call(inputs: Tensor, options: CallOptions = {}): Tensor {
    if (!(inputs instanceof tz.Tensor)) argumentError(`Dropout '${this.name}'`, 'inputs', 'a Tensor', inputs);
    if (!options.training || this.rate === 0) return inputs;
    if (this.rate === 1) return tz.zeros(inputs.shape, inputs.dtype);
    const maskShape = this.resolveNoiseShape(inputs.shape);
    const keep = tz.greaterEqual(tz.randomUniform(maskShape, { seed: this.seeds.next() }), this.rate);
    return castTo(tz.where(keep, tz.div(inputs, 1 - this.rate), 0), inputs.dtype);
  }

  private resolveNoiseShape(shape: readonly number[]): number[] {
    if (!this.noiseShape) return [...shape];
    const op = `Dropout '${this.name}'`;
    if (this.noiseShape.length !== shape.length) argumentError(op, 'noiseShape', `rank ${shape.length} (the input's)`, this.noiseShape);
    return this.noiseShape.map((size, axis) => {
      const resolved = size ?? shape[axis]!;
      if (resolved !== 1 && resolved !== shape[axis]) argumentError(op, 'noiseShape', `sizes of 1 or the input's (input [${shape.join(', ')}])`, this.noiseShape);
      return resolved;
    });
  }

  /** A new Dropout from getConfig() output (without weights). */
  static fromConfig(config: DropoutConfig | Record<string, unknown>): Dropout {
    return new Dropout({ ...(config as DropoutConfig) });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate, noiseShape: this.noiseShape ? [...this.noiseShape] : null, seed: this.seed };
  }
}
