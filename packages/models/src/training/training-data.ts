// What fit trains on: texts (packed by the preprocessor: BOS … EOS, then shifted by one, as
// KerasHub's GemmaCausalLMPreprocessor does for training) or already packed token ids, where row
// r gives inputs ids[r][:-1] (mask[r][:-1]), targets ids[r][1:] and weights mask[r][1:] — the
// same shift. Batches are cut in order, optionally shuffled per epoch with a seeded generator.
import { argumentError } from '@tensorzoo/core';
import type { GemmaCausalLMPreprocessor, TrainingBatch } from '../generation/gemma-causal-lm-preprocessor.js';

export type FitData = string | readonly string[] | { tokenIds: number[][]; paddingMask?: number[][] };

/** Every training row, packed and shifted. */
export function trainingRows(data: FitData, preprocessor: GemmaCausalLMPreprocessor | null, sequenceLength: number | undefined): TrainingBatch {
  const op = 'fit';
  if (typeof data === 'string' || Array.isArray(data)) {
    if (!preprocessor) argumentError(op, 'data', 'packed {tokenIds, paddingMask} when no preprocessor is attached', 'text');
    const texts = typeof data === 'string' ? [data] : (data as readonly string[]);
    if (texts.length === 0) argumentError(op, 'data', 'at least one text', 'an empty array');
    return preprocessor.call(texts, sequenceLength ?? preprocessor.sequenceLength);
  }
  const packed = data as { tokenIds: number[][]; paddingMask?: number[][] };
  if (!packed || !Array.isArray(packed.tokenIds) || packed.tokenIds.length === 0 || !Array.isArray(packed.tokenIds[0]))
    argumentError(op, 'data', 'texts or {tokenIds: number[][], paddingMask?: number[][]}', typeof data);
  const length = packed.tokenIds[0]!.length;
  if (length < 2) argumentError(op, 'data', 'token rows of at least 2 ids (inputs and next-token targets)', `rows of ${length}`);
  if (packed.tokenIds.some((row) => row.length !== length)) argumentError(op, 'data', `rows of equal length (${length})`, 'ragged rows');
  const mask = packed.paddingMask ?? packed.tokenIds.map((row) => row.map(() => 1));
  if (mask.length !== packed.tokenIds.length || mask.some((row) => row.length !== length))
    argumentError(op, 'data.paddingMask', `the shape of tokenIds [${packed.tokenIds.length}, ${length}]`, `${mask.length} rows`);
  return {
    x: { tokenIds: packed.tokenIds.map((row) => row.slice(0, -1)), paddingMask: mask.map((row) => row.slice(0, -1).map(Number)) },
    y: packed.tokenIds.map((row) => row.slice(1)),
    sampleWeight: mask.map((row) => row.slice(1).map(Number)),
  };
}

/** A deterministic permutation (Fisher–Yates with an LCG). */
export function shuffledOrder(count: number, seed: number): number[] {
  const order = [...Array(count).keys()];
  let state = seed >>> 0 || 1;
  for (let index = count - 1; index > 0; index--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const other = state % (index + 1);
    [order[index], order[other]] = [order[other]!, order[index]!];
  }
  return order;
}

/** The rows at `indices` as one batch. */
export function selectRows(rows: TrainingBatch, indices: readonly number[]): TrainingBatch {
  return {
    x: { tokenIds: indices.map((index) => rows.x.tokenIds[index]!), paddingMask: indices.map((index) => rows.x.paddingMask[index]!) },
    y: indices.map((index) => rows.y[index]!),
    sampleWeight: indices.map((index) => rows.sampleWeight[index]!),
  };
}
