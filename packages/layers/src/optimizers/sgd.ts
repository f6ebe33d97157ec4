// Keras's SGD: without momentum w ← w - lr·g; with momentum m ← momentum·m - lr·g, then
// w ← w + m, or with nesterov w ← w + momentum·m - lr·g.
import * as tz from '@tensorzoo/core';
import { argumentError, type Tensor } from '@tensorzoo/core';
import type { Variable } from '../variable.js';
import { Optimizer, type OptimizerOptions } from './optimizer.js';

export interface SGDOptions extends OptimizerOptions {
  /** In [0, 1); default 0 (plain gradient descent). */
  momentum?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;

  /** Defaults as Keras: learningRate 0.01, momentum 0, nesterov false. */
  constructor(options: SGDOptions = {}) {
    super(options, 0.01, 'SGD');
    this.momentum = options.momentum ?? 0;
    if (!(typeof this.momentum === 'number' && this.momentum >= 0 && this.momentum < 1)) argumentError('SGD', 'momentum', 'a number in [0, 1)', options.momentum);
    this.nesterov = options.nesterov ?? false;
  }

  protected updateStep(gradient: Tensor, variable: Variable, learningRate: number): void {
    const weight = tz.cast(variable.value, 'float32');
    if (this.momentum === 0) {
      variable.assign(tz.sub(weight, tz.mul(gradient, learningRate)));
      return;
    }
    const step = tz.mul(gradient, learningRate);
    const velocity = tz.sub(tz.mul(this.slot(variable, 'momentum'), this.momentum), step);
    this.setSlot(variable, 'momentum', velocity);
    variable.assign(this.nesterov ? tz.sub(tz.add(weight, tz.mul(velocity, this.momentum)), step) : tz.add(weight, velocity));
  }

  override getConfig(): Record<string, unknown> {
    return { className: 'SGD', ...super.getConfig(), momentum: this.momentum, nesterov: this.nesterov };
  }
}
