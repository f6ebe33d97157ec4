// The optimizer base (Keras 3's BaseOptimizer, as far as training a LoRA needs): a learning rate
// or schedule read at the current iteration, optional clipping (per variable: clipnorm, clipvalue;
// over all gradients: globalClipnorm), decoupled weight decay (w ← w - w·decay·lr before the
// step), and per-variable slots (float32 tensors such as Adam's moments). Updates are computed in
// float32 with tensor ops (so on the active backend) and written with Variable.assign.
import * as tz from '@tensorzoo/core';
import { argumentError, TensorzooError, type Tensor } from '@tensorzoo/core';
import type { Variable } from '../variable.js';
import { clipByGlobalNorm } from './clipping.js';
import { ConstantLearningRate, LearningRateSchedule } from './schedules.js';
import { variableGrads } from './variable-grads.js';

export interface OptimizerOptions {
  /** A number or a schedule of the iteration count. */
  learningRate?: number | LearningRateSchedule;
  /** Decoupled weight decay: before each step, w ← w - w · weightDecay · lr (none by default). */
  weightDecay?: number | null;
  /** Each gradient is rescaled to an L2 norm of at most this. */
  clipnorm?: number | null;
  /** Each gradient entry is clipped to [-clipvalue, clipvalue]. */
  clipvalue?: number | null;
  /** All gradients together are rescaled to a global L2 norm of at most this. */
  globalClipnorm?: number | null;
  name?: string;
}

function optionalPositive(op: string, argument: string, value: number | null | undefined): number | null {
  if (value === undefined || value === null) return null;
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) argumentError(op, argument, 'a positive finite number or null', value);
  return value;
}

export abstract class Optimizer {
  readonly name: string;
  readonly learningRate: LearningRateSchedule;
  readonly weightDecay: number | null;
  readonly clipnorm: number | null;
  readonly clipvalue: number | null;
  readonly globalClipnorm: number | null;
  /** Completed steps (applyGradients calls); the schedule is read at this value. */
  iterations = 0;
  /** The global norm of the last step's gradients, before clipping (computed when globalClipnorm is set). */
  lastGlobalNorm: number | null = null;
  private readonly slots = new Map<Variable, Map<string, Tensor>>();

  constructor(options: OptimizerOptions, defaultLearningRate: number, defaultName: string) {
    const op = this.constructor.name;
    if (options === null || typeof options !== 'object') argumentError(op, 'options', 'an object', options);
    const rate = options.learningRate ?? defaultLearningRate;
    if (rate instanceof LearningRateSchedule) this.learningRate = rate;
    else if (typeof rate === 'number' && Number.isFinite(rate) && rate >= 0) this.learningRate = new ConstantLearningRate(rate);
    else argumentError(op, 'learningRate', 'a non-negative number or a LearningRateSchedule', rate);
    if (options.weightDecay !== undefined && options.weightDecay !== null && !(typeof options.weightDecay === 'number' && options.weightDecay >= 0))
      argumentError(op, 'weightDecay', 'a non-negative number or null', options.weightDecay);
    this.weightDecay = options.weightDecay ?? null;
    this.clipnorm = optionalPositive(op, 'clipnorm', options.clipnorm);
    this.clipvalue = optionalPositive(op, 'clipvalue', options.clipvalue);
    this.globalClipnorm = optionalPositive(op, 'globalClipnorm', options.globalClipnorm);
    if ([this.clipnorm, this.clipvalue, this.globalClipnorm].filter((value) => value !== null).length > 1)
      throw new TensorzooError(`${op}: only one of clipnorm, clipvalue and globalClipnorm can be set (as in Keras)`);
    this.name = options.name ?? defaultName;
  }

  /** The learning rate the next step will use. */
  get currentLearningRate(): number {
    return this.learningRate.call(this.iterations);
  }

  /**
   * One step: gradients[i] updates variables[i] (shapes must match; gradients are not disposed).
   * Clipping, then weight decay, then the optimizer's own update; `iterations` then increments.
   */
  applyGradients(gradients: readonly Tensor[], variables: readonly Variable[]): void {
    const op = `${this.constructor.name}.applyGradients`;
    if (!Array.isArray(gradients)) argumentError(op, 'gradients', 'an array of tensors', gradients);
    if (!Array.isArray(variables)) argumentError(op, 'variables', 'an array of Variables', variables);
    if (gradients.length !== variables.length) argumentError(op, 'gradients', `${variables.length} tensors (one per variable)`, `${gradients.length}`);
    variables.forEach((variable, index) => {
      const gradient = gradients[index]!;
      if (!(gradient instanceof tz.Tensor)) argumentError(op, `gradients[${index}]`, 'a Tensor', gradient);
      if (gradient.shape.length !== variable.shape.length || gradient.shape.some((size, axis) => size !== variable.shape[axis]))
        argumentError(op, `gradients[${index}]`, `shape [${variable.shape.join(', ')}] (variable '${variable.path}')`, `[${gradient.shape.join(', ')}]`);
      if (variable.dtype === 'int32') argumentError(op, `variables[${index}]`, 'a float variable', `'${variable.path}' (int32)`);
    });
    const learningRate = this.currentLearningRate;
    let processed: Tensor[] = gradients.map((gradient) => tz.cast(gradient, 'float32'));
    if (this.globalClipnorm !== null) {
      const clipped = clipByGlobalNorm(processed, this.globalClipnorm);
      tz.dispose(processed);
      processed = clipped.gradients;
      this.lastGlobalNorm = clipped.globalNorm;
    } else if (this.clipnorm !== null || this.clipvalue !== null) {
      processed = processed.map((gradient) => {
        const out = tz.tidy(() => (this.clipvalue !== null ? tz.minimum(tz.maximum(gradient, -this.clipvalue), this.clipvalue) : clipNorm(gradient, this.clipnorm!)));
        gradient.dispose();
        return out;
      });
    }
    try {
      variables.forEach((variable, index) => {
        tz.tidy(() => {
          if (this.weightDecay) {
            const weight = tz.cast(variable.value, 'float32');
            variable.assign(tz.sub(weight, tz.mul(weight, this.weightDecay * learningRate)));
          }
          this.updateStep(processed[index]!, variable, learningRate);
        });
      });
    } finally {
      tz.dispose(processed);
    }
    this.iterations++;
  }

  /**
   * Evaluates `loss` on a gradient tape, applies the gradients to `variables` (default: every
   * variable `loss` is differentiated for must be passed), and returns the loss value.
   */
  minimize(loss: () => Tensor, variables: readonly Variable[]): number {
    const { value, grads } = variableGrads(loss, variables);
    try {
      this.applyGradients(grads, variables);
      return value.dataSync()[0]!;
    } finally {
      tz.dispose([value, ...grads]);
    }
  }

  /** The optimizer's update of one variable with a float32 gradient, inside a tidy scope. */
  protected abstract updateStep(gradient: Tensor, variable: Variable, learningRate: number): void;

  /** A float32 slot of `variable` (zeros on first use), owned by the optimizer. */
  protected slot(variable: Variable, name: string): Tensor {
    let perVariable = this.slots.get(variable);
    if (!perVariable) this.slots.set(variable, (perVariable = new Map()));
    let value = perVariable.get(name);
    if (!value) perVariable.set(name, (value = tz.keep(tz.zeros(variable.shape))));
    return value;
  }

  /** Replaces a slot (keeps the new tensor, disposes the old one). */
  protected setSlot(variable: Variable, name: string, value: Tensor): void {
    const perVariable = this.slots.get(variable)!;
    perVariable.get(name)?.dispose();
    perVariable.set(name, tz.keep(value));
  }

  /** The slot tensors of a variable by name (read-only view for inspection and tests). */
  slotsOf(variable: Variable): ReadonlyMap<string, Tensor> {
    return this.slots.get(variable) ?? new Map();
  }

  getConfig(): Record<string, unknown> {
    return {
      name: this.name,
      learningRate: this.learningRate instanceof ConstantLearningRate ? this.learningRate.learningRate : this.learningRate.getConfig(),
      weightDecay: this.weightDecay,
      clipnorm: this.clipnorm,
      clipvalue: this.clipvalue,
      globalClipnorm: this.globalClipnorm,
    };
  }

  /** Frees every slot; the optimizer can keep going (slots restart from zeros). */
  dispose(): void {
    for (const perVariable of this.slots.values()) for (const value of perVariable.values()) value.dispose();
    this.slots.clear();
  }
}

function clipNorm(gradient: Tensor, limit: number): Tensor {
  const norm = Math.sqrt(tz.sum(tz.square(gradient)).dataSync()[0]!);
  return norm > limit ? tz.mul(gradient, limit / norm) : tz.mul(gradient, 1);
}
