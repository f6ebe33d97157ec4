// Sparse categorical cross-entropy (Keras's SparseCategoricalCrossentropy): integer targets
// [...], predictions [..., C] as logits (fromLogits) or probabilities. Per entry
// ℓ = logsumexp(z) - z[target] from logits, or -ln(clip(p[target], ε, 1 - ε)) from probabilities
// (ε = 1e-7, as Keras). Computed in float32 with differentiable ops (a one-hot product picks the
// target, so the gradient is softmax(z) - onehot), then weighted and reduced:
//   'weighted_mean' (default): Σ ℓ·w / Σ w — the mean over weighted (unpadded) tokens; 0 when Σ w = 0;
//   'sum_over_batch_size': Σ ℓ·w / (number of entries) — Keras's default reduction;
//   'sum': Σ ℓ·w;  'none': ℓ·w per entry.
import * as tz from '@tensorzoo/core';
import { argumentError, type Tensor } from '@tensorzoo/core';

export type LossReduction = 'weighted_mean' | 'sum_over_batch_size' | 'sum' | 'none';
const reductions: readonly LossReduction[] = ['weighted_mean', 'sum_over_batch_size', 'sum', 'none'];

export interface SparseCategoricalCrossentropyOptions {
  /** Whether predictions are logits (default true: what a causal LM produces). */
  fromLogits?: boolean;
  reduction?: LossReduction;
  /** Targets equal to this class get weight 0 (Keras's ignore_class). */
  ignoreClass?: number | null;
}

type Targets = Tensor | number[] | number[][];

function targetTensor(op: string, yTrue: Targets): Tensor {
  if (yTrue instanceof tz.Tensor) {
    if (yTrue.dtype !== 'int32') argumentError(op, 'yTrue', 'int32 class ids', yTrue.dtype);
    return yTrue;
  }
  if (!Array.isArray(yTrue)) argumentError(op, 'yTrue', 'an int32 tensor or a nested array of class ids', yTrue);
  return tz.tensor(yTrue as number[][], undefined, 'int32');
}

/**
 * The loss of `yPred` [..., C] against `yTrue` [...] (int32 ids in [0, C)), with optional
 * `sampleWeight` broadcastable to yTrue's shape (a padding mask). A scalar unless reduction is 'none'.
 */
export function sparseCategoricalCrossentropy(yTrue: Targets, yPred: Tensor, options: SparseCategoricalCrossentropyOptions & { sampleWeight?: Tensor | number[][] | null } = {}): Tensor {
  const op = 'sparseCategoricalCrossentropy';
  const fromLogits = options.fromLogits ?? true;
  const reduction = options.reduction ?? 'weighted_mean';
  if (!reductions.includes(reduction)) argumentError(op, 'reduction', `one of ${reductions.join(', ')}`, reduction);
  if (!(yPred instanceof tz.Tensor)) argumentError(op, 'yPred', 'a float tensor [..., classes]', yPred);
  if (!tz.isFloatDType(yPred.dtype) || yPred.rank < 1) argumentError(op, 'yPred', 'a float tensor [..., classes]', yPred);
  const targets = targetTensor(op, yTrue);
  const classes = yPred.shape[yPred.rank - 1]!;
  const expectedShape = yPred.shape.slice(0, -1);
  try {
    if (targets.shape.length !== expectedShape.length || targets.shape.some((size, axis) => size !== expectedShape[axis]))
      argumentError(op, 'yTrue', `shape [${expectedShape.join(', ')}] (yPred without its class axis)`, `[${targets.shape.join(', ')}]`);
    const ids = targets.dataSync();
    for (let index = 0; index < ids.length; index++)
      if (ids[index]! < 0 || ids[index]! >= classes) {
        if (options.ignoreClass !== undefined && options.ignoreClass !== null && ids[index] === options.ignoreClass) continue;
        argumentError(op, 'yTrue', `class ids in [0, ${classes - 1}]`, `${ids[index]} at flat position ${index}`);
      }
    return tz.tidy(() => {
      const predictions = tz.cast(yPred, 'float32');
      const oneHot = tz.cast(tz.equal(tz.expandDims(targets, -1), tz.arange(0, classes, 1, 'int32')), 'float32');
      let perEntry: Tensor;
      if (fromLogits) perEntry = tz.neg(tz.sum(tz.mul(tz.logSoftmax(predictions, -1), oneHot), -1));
      else perEntry = tz.neg(tz.log(tz.minimum(tz.maximum(tz.sum(tz.mul(predictions, oneHot), -1), 1e-7), 1 - 1e-7)));
      let weights: Tensor | null = null;
      if (options.sampleWeight !== undefined && options.sampleWeight !== null) {
        const given = options.sampleWeight instanceof tz.Tensor ? options.sampleWeight : tz.tensor(options.sampleWeight);
        tz.broadcastShapes(op, perEntry.shape, given.shape, ['yTrue', 'sampleWeight']);
        weights = tz.mul(tz.cast(given, 'float32'), tz.onesLike(perEntry));
      }
      if (options.ignoreClass !== undefined && options.ignoreClass !== null) {
        const keep = tz.cast(tz.notEqual(targets, options.ignoreClass), 'float32');
        weights = weights ? tz.mul(weights, keep) : keep;
      }
      const weighted = weights ? tz.mul(perEntry, weights) : perEntry;
      if (reduction === 'none') return weighted;
      const total = tz.sum(weighted);
      if (reduction === 'sum') return total;
      if (reduction === 'sum_over_batch_size') return tz.div(total, Math.max(perEntry.size, 1));
      const weightTotal = weights ? tz.sum(weights).dataSync()[0]! : perEntry.size;
      return weightTotal > 0 ? tz.div(total, weightTotal) : tz.mul(total, 0);
    });
  } finally {
    if (targets !== yTrue) targets.dispose();
  }
}

/** The loss as an object, Keras style: call(yTrue, yPred, sampleWeight?) and getConfig(). */
export class SparseCategoricalCrossentropy {
  readonly fromLogits: boolean;
  readonly reduction: LossReduction;
  readonly ignoreClass: number | null;
  readonly name: string;

  constructor(options: SparseCategoricalCrossentropyOptions & { name?: string } = {}) {
    this.fromLogits = options.fromLogits ?? true;
    this.reduction = options.reduction ?? 'weighted_mean';
    if (!reductions.includes(this.reduction)) argumentError('SparseCategoricalCrossentropy', 'reduction', `one of ${reductions.join(', ')}`, this.reduction);
    this.ignoreClass = options.ignoreClass ?? null;
    this.name = options.name ?? 'sparse_categorical_crossentropy';
  }

  call(yTrue: Targets, yPred: Tensor, sampleWeight?: Tensor | number[][] | null): Tensor {
    return sparseCategoricalCrossentropy(yTrue, yPred, { fromLogits: this.fromLogits, reduction: this.reduction, ignoreClass: this.ignoreClass, sampleWeight });
  }

  getConfig(): Record<string, unknown> {
    return { name: this.name, fromLogits: this.fromLogits, reduction: this.reduction, ignoreClass: this.ignoreClass };
  }
}
