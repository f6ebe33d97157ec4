// Attention masks for Gemma (spec §1.6.6), built on the host: they are small ([B, T, S] bools) and
// the same for every layer of one kind, so the backbone builds them once per call.
import { tensor, type Tensor } from '@tensorzoo/core';

export interface AttentionMasks {
  /** [B, T, S] (or [B, heads, T, S]) bool: padding AND causal. */
  global: Tensor;
  /** [B, T, S] bool: global AND the sliding window (exactly `window` keys up to and incl. the query); null when unused. */
  local: Tensor | null;
  /** [B, T, 1, 1] float32 with 0 on query rows whose global mask is empty (their attention is wiped); null when none is. */
  rowKeep: Tensor | null;
}

/** Masks are replicated over query heads up to this many entries, so that a backend's fused
 * softmax (which wants a mask of the logits' exact shape) applies; beyond it they broadcast. */
const replicateHeadsUpTo = 1 << 22;

/**
 * @param heads when given (and the result is small), masks are [B, heads, T, S] instead of [B, T, S].
 * @param paddingMask [B * S] 1/0 over the key positions, or null (cached generation: causal only).
 * Query row t sits at absolute position t + cacheUpdateIndex; key column s at position s.
 */
export function buildAttentionMasks(
  batch: number,
  queryLength: number,
  keyLength: number,
  cacheUpdateIndex: number,
  paddingMask: ArrayLike<number> | null,
  slidingWindow: number | null,
  heads = 1,
): AttentionMasks {
  const globalValues = new Uint8Array(batch * queryLength * keyLength);
  const localValues = slidingWindow === null ? null : new Uint8Array(globalValues.length);
  const rowKeepValues = new Float32Array(batch * queryLength);
  let anyEmptyRow = false;
  for (let b = 0; b < batch; b++)
    for (let t = 0; t < queryLength; t++) {
      const position = t + cacheUpdateIndex;
      let rowHasKey = false;
      for (let s = 0; s < keyLength; s++) {
        const allowed = s <= position && (paddingMask === null || paddingMask[b * keyLength + s] !== 0);
        const index = (b * queryLength + t) * keyLength + s;
        globalValues[index] = allowed ? 1 : 0;
        if (localValues) localValues[index] = allowed && position - s < slidingWindow! ? 1 : 0;
        rowHasKey ||= allowed;
      }
      rowKeepValues[b * queryLength + t] = rowHasKey ? 1 : 0;
      anyEmptyRow ||= !rowHasKey;
    }
  const replicate = heads > 1 && globalValues.length * heads <= replicateHeadsUpTo ? heads : 1;
  const shape = replicate > 1 ? [batch, replicate, queryLength, keyLength] : [batch, queryLength, keyLength];
  return {
    global: tensor(replicateOverHeads(globalValues, batch, replicate), shape, 'bool'),
    local: localValues ? tensor(replicateOverHeads(localValues, batch, replicate), shape, 'bool') : null,
    rowKeep: anyEmptyRow ? tensor(rowKeepValues, [batch, queryLength, 1, 1], 'float32') : null,
  };
}

function replicateOverHeads(values: Uint8Array, batch: number, heads: number): Uint8Array {
  if (heads === 1) return values;
  const perBatch = values.length / batch;
  const out = new Uint8Array(values.length * heads);
  for (let b = 0; b < batch; b++)
    for (let head = 0; head < heads; head++) out.set(values.subarray(b * perBatch, (b + 1) * perBatch), (b * heads + head) * perBatch);
  return out;
}

export function disposeMasks(masks: AttentionMasks): void {
  masks.global.dispose();
  masks.local?.dispose();
  masks.rowKeep?.dispose();
}
