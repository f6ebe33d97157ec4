// Keras's AdamW: Adam plus decoupled weight decay (w ← w - w · weightDecay · lr before the Adam
// step, never through the gradient), default weightDecay 0.004.
import { Adam, type AdamOptions } from './adam.js';

export class AdamW extends Adam {
  /** Defaults as Keras: learningRate 0.001, weightDecay 0.004, beta1 0.9, beta2 0.999, epsilon 1e-7. */
  constructor(options: AdamOptions = {}) {
    super({ ...options, weightDecay: options.weightDecay ?? 0.004 }, { learningRate: 0.001, name: 'adamw' });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), className: 'AdamW' };
  }
}
