// Softmax as a layer (Keras's activations/softmax.py): softmax over `axis` with an optional mask;
// a non-bool mask means mask > 0.5; masked entries are exactly 0 and a fully masked row is zeros.
// Gemma's attention builds it with dtype float32, so its inputs are cast to float32.
import * as tz from '@tensorzoo/core';
import { argumentError, type Tensor } from '@tensorzoo/core';
import { Layer, type CallOptions, type LayerConfig, type Shape } from './layer.js';
import { castTo } from './lora.js';

export interface SoftmaxConfig extends LayerConfig {
  axis?: number;
}

export interface SoftmaxCallOptions extends CallOptions {
  /** Where false (or ≤ 0.5), the output is 0; broadcastable to the inputs. */
  mask?: Tensor | null;
}

/**
 * Softmax over an axis.
 * @param config.axis the axis (default -1)
 * @param config.name, config.trainable, config.dtype as for every layer
 */
export class Softmax extends Layer<Tensor, Tensor> {
  readonly axis: number;

  constructor(config: SoftmaxConfig = {}) {
    super(config);
    this.axis = config.axis ?? -1;
    if (!Number.isInteger(this.axis)) argumentError(`Softmax '${this.name}'`, 'axis', 'an integer', this.axis);
  }

  /** The input shape: this layer keeps shapes. */
  computeOutputShape(inputShape: Shape): (number | null)[] {
    return [...inputShape];
  }

  call(inputs: Tensor, options: SoftmaxCallOptions = {}): Tensor {
    if (!(inputs instanceof tz.Tensor)) argumentError(`Softmax '${this.name}'`, 'inputs', 'a Tensor', inputs);
    let mask = options.mask ?? undefined;
    if (mask && mask.dtype !== 'bool') mask = tz.greater(mask, 0.5);
    return castTo(tz.softmax(inputs, this.axis, mask), this.computeDtype);
  }

  /** A new Softmax from getConfig() output (without weights). */
  static fromConfig(config: SoftmaxConfig | Record<string, unknown>): Softmax {
    return new Softmax({ ...(config as SoftmaxConfig) });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }
}
