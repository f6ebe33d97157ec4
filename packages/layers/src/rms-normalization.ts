// RMSNormalization in Gemma's form (KerasHub's gemma/rms_normalization.py, gemma.md §1.4):
// y = x · rsqrt(mean(x², last axis) + epsilon) · (1 + scale), computed in float32 and cast to the
// compute dtype. `scale` starts at zeros, so a fresh layer only normalizes.
import * as tz from '@tensorzoo/core';
import { argumentError, TensorzooError, type Tensor } from '@tensorzoo/core';
import { knownDimension, Layer, type CallOptions, type InputShape, type LayerConfig, type Shape } from './layer.js';
import { castTo } from './lora.js';
import type { Variable } from './variable.js';

export interface RMSNormalizationConfig extends LayerConfig {
  epsilon?: number;
}

/**
 * Gemma's RMS normalization over the last axis.
 * @param config.epsilon added to the mean square (default 1e-6). KerasHub does not serialize it; this port does.
 * @param config.name, config.trainable, config.dtype as for every layer
 */
export class RMSNormalization extends Layer<Tensor, Tensor> {
  readonly epsilon: number;
  private scaleWeight: Variable | null = null;

  constructor(config: RMSNormalizationConfig = {}) {
    super(config);
    this.epsilon = config.epsilon ?? 1e-6;
    if (!(typeof this.epsilon === 'number' && this.epsilon >= 0)) argumentError(`RMSNormalization '${this.name}'`, 'epsilon', 'a non-negative number', this.epsilon);
  }

  override build(inputShape: InputShape): void {
    const shape = inputShape as Shape;
    if (!Array.isArray(shape) || shape.length === 0 || shape.some((size) => Array.isArray(size)))
      argumentError(`RMSNormalization '${this.name}'.build`, 'inputShape', 'one shape of rank ≥ 1', inputShape);
    this.scaleWeight = this.addWeight('scale', [knownDimension(`RMSNormalization '${this.name}'.build`, shape, -1)], { initializer: 'zeros' });
  }

  /** The input shape: this layer keeps shapes. */
  computeOutputShape(inputShape: Shape): (number | null)[] {
    return [...inputShape];
  }

  get scaleVariable(): Variable {
    if (!this.scaleWeight) throw new TensorzooError(`RMSNormalization '${this.name}'.scaleVariable: the layer is not built yet`);
    return this.scaleWeight;
  }

  call(inputs: Tensor, _options: CallOptions = {}): Tensor {
    const scale = this.scaleVariable;
    if (!(inputs instanceof tz.Tensor) || inputs.rank === 0 || inputs.shape[inputs.rank - 1] !== scale.shape[0])
      argumentError(`RMSNormalization '${this.name}'`, 'inputs', `a tensor whose last axis is ${scale.shape[0]}`, inputs);
    return castTo(tz.rmsNorm(inputs, scale.value, this.epsilon), this.computeDtype);
  }

  /** A new RMSNormalization from getConfig() output (without weights). */
  static fromConfig(config: RMSNormalizationConfig | Record<string, unknown>): RMSNormalization {
    return new RMSNormalization({ ...(config as RMSNormalizationConfig) });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
