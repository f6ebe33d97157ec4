// Keras's Adam: with t = iterations + 1,
//   m ← m + (g - m)(1 - β₁),  v ← v + (g² - v)(1 - β₂),
//   w ← w - α · m / (√v + ε),  α = lr · √(1 - β₂ᵗ) / (1 - β₁ᵗ).
import * as tz from '@tensorzoo/core';
import { argumentError, type Tensor } from '@tensorzoo/core';
import type { Variable } from '../variable.js';
import { Optimizer, type OptimizerOptions } from './optimizer.js';

export interface AdamOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  /** Defaults as Keras: learningRate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-7. */
  constructor(options: AdamOptions = {}, defaults: { learningRate: number; name: string } = { learningRate: 0.001, name: 'adam' }) {
    super(options, defaults.learningRate, defaults.name);
    const op = this.constructor.name;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
    for (const [name, value] of [['beta1', this.beta1], ['beta2', this.beta2]] as const)
      if (!(typeof value === 'number' && value >= 0 && value < 1)) argumentError(op, name, 'a number in [0, 1)', value);
    if (!(typeof this.epsilon === 'number' && this.epsilon > 0)) argumentError(op, 'epsilon', 'a positive number', this.epsilon);
  }

  protected updateStep(gradient: Tensor, variable: Variable, learningRate: number): void {
    const t = this.iterations + 1;
    const alpha = (learningRate * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t);
    const previousM = this.slot(variable, 'm');
    const previousV = this.slot(variable, 'v');
    const m = tz.add(previousM, tz.mul(tz.sub(gradient, previousM), 1 - this.beta1));
    const v = tz.add(previousV, tz.mul(tz.sub(tz.square(gradient), previousV), 1 - this.beta2));
    this.setSlot(variable, 'm', m);
    this.setSlot(variable, 'v', v);
    const weight = tz.cast(variable.value, 'float32');
    variable.assign(tz.sub(weight, tz.div(tz.mul(m, alpha), tz.add(tz.sqrt(v), this.epsilon))));
  }

  override getConfig(): Record<string, unknown> {
    return { className: 'Adam', ...super.getConfig(), beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}
