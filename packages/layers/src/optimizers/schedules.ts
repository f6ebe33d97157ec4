// Learning-rate schedules: step (the optimizer's iteration count before the update, from 0) →
// learning rate. Keras's LearningRateSchedule API: call(step) and getConfig().
import { argumentError } from '@tensorzoo/core';

export abstract class LearningRateSchedule {
  abstract call(step: number): number;
  abstract getConfig(): Record<string, unknown>;
}

function checkNumber(op: string, argument: string, value: unknown, { positive = false, integer = false } = {}): number {
  const ok = typeof value === 'number' && Number.isFinite(value) && (positive ? value > 0 : value >= 0) && (!integer || Number.isInteger(value));
  if (!ok) argumentError(op, argument, `a ${positive ? 'positive' : 'non-negative'} ${integer ? 'integer' : 'finite number'}`, value);
  return value as number;
}

/** The same rate at every step. */
export class ConstantLearningRate extends LearningRateSchedule {
  readonly learningRate: number;

  constructor(learningRate: number) {
    super();
    this.learningRate = checkNumber('ConstantLearningRate', 'learningRate', learningRate);
  }

  call(): number {
    return this.learningRate;
  }

  getConfig(): Record<string, unknown> {
    return { className: 'ConstantLearningRate', learningRate: this.learningRate };
  }
}

export interface CosineDecayOptions {
  /** The rate at step 0 (where warmup starts, or where decay starts without warmup). */
  initialLearningRate: number;
  /** Steps of the cosine decay, counted after the warmup. */
  decaySteps: number;
  /** The floor, as a fraction of the decay's starting rate (default 0). */
  alpha?: number;
  /** The rate reached at the end of the warmup; null (default) means no warmup. */
  warmupTarget?: number | null;
  /** Steps of linear warmup from initialLearningRate to warmupTarget (default 0). */
  warmupSteps?: number;
}

/**
 * Keras's CosineDecay, with its optional linear warmup: for step < warmupSteps the rate goes
 * linearly from initialLearningRate to warmupTarget; then, with s = min(step - warmupSteps,
 * decaySteps), rate = peak · ((1 - alpha) · ½(1 + cos(π s / decaySteps)) + alpha), peak being
 * warmupTarget (or initialLearningRate without warmup).
 */
export class CosineDecay extends LearningRateSchedule {
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly alpha: number;
  readonly warmupTarget: number | null;
  readonly warmupSteps: number;

  constructor(options: CosineDecayOptions) {
    super();
    const op = 'CosineDecay';
    if (!options || typeof options !== 'object') argumentError(op, 'options', 'an object with initialLearningRate and decaySteps', options);
    this.initialLearningRate = checkNumber(op, 'initialLearningRate', options.initialLearningRate);
    this.decaySteps = checkNumber(op, 'decaySteps', options.decaySteps, { positive: true, integer: true });
    this.alpha = checkNumber(op, 'alpha', options.alpha ?? 0);
    if (this.alpha > 1) argumentError(op, 'alpha', 'a fraction in [0, 1]', this.alpha);
    this.warmupTarget = options.warmupTarget === undefined || options.warmupTarget === null ? null : checkNumber(op, 'warmupTarget', options.warmupTarget);
    this.warmupSteps = checkNumber(op, 'warmupSteps', options.warmupSteps ?? 0, { integer: true });
  }

  call(step: number): number {
    if (this.warmupTarget !== null && step < this.warmupSteps)
      return this.initialLearningRate + (this.warmupTarget - this.initialLearningRate) * (step / this.warmupSteps);
    const peak = this.warmupTarget ?? this.initialLearningRate;
    const decayStep = Math.min(Math.max(step - (this.warmupTarget !== null ? this.warmupSteps : 0), 0), this.decaySteps);
    const cosine = 0.5 * (1 + Math.cos((Math.PI * decayStep) / this.decaySteps));
    return peak * ((1 - this.alpha) * cosine + this.alpha);
  }

  getConfig(): Record<string, unknown> {
    return {
      className: 'CosineDecay',
      initialLearningRate: this.initialLearningRate,
      decaySteps: this.decaySteps,
      alpha: this.alpha,
      warmupTarget: this.warmupTarget,
      warmupSteps: this.warmupSteps,
    };
  }
}

/** Linear warmup from 0 to `peak` over `warmupSteps`, then cosine decay to 0 over `decaySteps`. */
export function warmupCosineDecay(peak: number, warmupSteps: number, decaySteps: number, alpha = 0): CosineDecay {
  return new CosineDecay({ initialLearningRate: 0, warmupTarget: peak, warmupSteps, decaySteps, alpha });
}

export function scheduleFromConfig(config: Record<string, unknown>): LearningRateSchedule {
  if (config?.className === 'ConstantLearningRate') return new ConstantLearningRate(config.learningRate as number);
  if (config?.className === 'CosineDecay') return new CosineDecay(config as unknown as CosineDecayOptions);
  return argumentError('scheduleFromConfig', 'config', "a getConfig() of ConstantLearningRate or CosineDecay", config);
}
