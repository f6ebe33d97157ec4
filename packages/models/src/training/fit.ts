// Training a causal LM (KerasHub's CausalLM.fit with its compiled defaults: the loss is sparse
// categorical cross-entropy from logits weighted by the next-token padding mask). Each step runs
// the backbone on a gradient tape, differentiates the loss with respect to the trainable weights
// only (after enableLora: the LoRA factors; frozen weights are never written), and applies the
// optimizer. Everything a step creates is disposed before the next one.
import * as tz from '@tensorzoo/core';
import { argumentError, TensorzooError } from '@tensorzoo/core';
import { Adam, sparseCategoricalCrossentropy, variableGrads, type Optimizer } from '@tensorzoo/layers';
import type { GemmaBackbone } from '../gemma/gemma-backbone.js';
import type { GemmaCausalLMPreprocessor, TrainingBatch } from '../generation/gemma-causal-lm-preprocessor.js';
import { selectRows, shuffledOrder, trainingRows, type FitData } from './training-data.js';

export interface FitStep {
  /** 1-based step count over the whole fit. */
  step: number;
  epoch: number;
  /** The batch's loss before this step's update (mean over weighted tokens). */
  loss: number;
  learningRate: number;
  /** Tokens the loss was computed over (Σ sample weights). */
  tokens: number;
}

export interface FitOptions {
  /** Passes over the data (default 1); ignored when `steps` is given. */
  epochs?: number;
  /** Total optimizer steps; the data is cycled (an epoch per pass) until they are done. */
  steps?: number;
  /** Rows per step (default 1; the last batch of an epoch may be smaller). */
  batchSize?: number;
  /** Packing length for texts (default: the preprocessor's). */
  sequenceLength?: number;
  /** Default: Adam with learning rate 2e-5 (KerasHub's "auto"). */
  optimizer?: Optimizer;
  /** Shuffle rows every epoch (default true), with `seed` (default 0). */
  shuffle?: boolean;
  seed?: number;
  /** Fit stops after the current step once this is aborted (early stopping, Ctrl-C). */
  signal?: AbortSignal;
  /** Called after every step; may return a promise (awaited before the next step). */
  onStep?: (step: FitStep) => void | Promise<void>;
}

export interface FitHistory {
  /** The loss of every step, in order. */
  loss: number[];
  steps: number;
  epochs: number;
}

function positiveInteger(argument: string, value: number | undefined, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) argumentError('fit', argument, 'a positive integer', value);
  return value;
}

/** The loss of one batch as a scalar tensor, through logits and the weighted cross-entropy. */
export function causalLMLoss(backbone: GemmaBackbone, batch: TrainingBatch, training = true): tz.Tensor {
  return tz.tidy(() => {
    const tokenIds = tz.tensor(batch.x.tokenIds, undefined, 'int32');
    const paddingMask = tz.tensor(batch.x.paddingMask, undefined, 'int32');
    const logits = backbone.logits(backbone.call({ tokenIds, paddingMask }, { training }));
    return sparseCategoricalCrossentropy(tz.tensor(batch.y, undefined, 'int32'), logits, { sampleWeight: tz.tensor(batch.sampleWeight) });
  });
}

export async function fitCausalLM(backbone: GemmaBackbone, preprocessor: GemmaCausalLMPreprocessor | null, data: FitData, options: FitOptions = {}): Promise<FitHistory> {
  if (options === null || typeof options !== 'object') argumentError('fit', 'options', 'an object', options);
  const batchSize = positiveInteger('batchSize', options.batchSize, 1)!;
  const steps = positiveInteger('steps', options.steps, undefined);
  const epochs = positiveInteger('epochs', options.epochs, 1)!;
  positiveInteger('sequenceLength', options.sequenceLength, undefined);
  if (options.onStep !== undefined && typeof options.onStep !== 'function') argumentError('fit', 'onStep', 'a function', options.onStep);
  const variables = backbone.trainableWeights;
  if (variables.length === 0)
    throw new TensorzooError('fit: the backbone has no trainable weights (call backbone.enableLora(rank) to train LoRA factors, or set backbone.trainable = true)');
  const rows = trainingRows(data, preprocessor, options.sequenceLength);
  const rowCount = rows.y.length;
  const optimizer = options.optimizer ?? new Adam({ learningRate: 2e-5 });
  const ownsOptimizer = options.optimizer === undefined;
  const history: FitHistory = { loss: [], steps: 0, epochs: 0 };
  const totalSteps = steps ?? epochs * Math.ceil(rowCount / batchSize);
  try {
    let epoch = 0;
    const stopped = () => options.signal?.aborted === true;
    while (history.steps < totalSteps && !stopped()) {
      const order = options.shuffle === false ? [...Array(rowCount).keys()] : shuffledOrder(rowCount, (options.seed ?? 0) + epoch * 7919 + 1);
      for (let start = 0; start < rowCount && history.steps < totalSteps && !stopped(); start += batchSize) {
        const batch = selectRows(rows, order.slice(start, start + batchSize));
        const tokens = batch.sampleWeight.flat().reduce((total, weight) => total + weight, 0);
        const learningRate = optimizer.currentLearningRate;
        const { value, grads } = variableGrads(() => causalLMLoss(backbone, batch), variables);
        let loss: number;
        try {
          loss = (await value.data())[0]!;
          if (!Number.isFinite(loss)) throw new TensorzooError(`fit: the loss is ${loss} at step ${history.steps + 1}; lower the learning rate or check the data`);
          optimizer.applyGradients(grads, variables);
        } finally {
          tz.dispose([value, ...grads]);
        }
        history.loss.push(loss);
        history.steps++;
        await options.onStep?.({ step: history.steps, epoch, loss, learningRate, tokens });
      }
      epoch++;
      history.epochs = epoch;
    }
  } finally {
    if (ownsOptimizer) optimizer.dispose();
  }
  return history;
}
