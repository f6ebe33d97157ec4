// Attention masks for Gemma (spec §1.6.6), built on the host: they are small ([B, T, S] bools) and
// the same for every layer of one kind, so the backbone builds them once per call.
import { tensor, type Tensor } from '@tensorzoo/core';

export interface AttentionMasks {
  /** [B, T, S] bool: padding AND causal. */
  global: Tensor;
  /** [B, T, S] bool: global AND the sliding window (exactly `window` keys up to and incl. the query); null when unused. */
  local: Tensor | null;
  /** [B, T, 1, 1] float32 with 0 on query rows whose global mask is empty (their attention is wiped); null when none is. */
  rowKeep: Tensor | null;
}

/**
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
  const shape = [batch, queryLength, keyLength];
  return {
    global: tensor(globalValues, shape, 'bool'),
    local: localValues ? tensor(localValues, shape, 'bool') : null,
    rowKeep: anyEmptyRow ? tensor(rowKeepValues, [batch, queryLength, 1, 1], 'float32') : null,
  };
}

export function disposeMasks(masks: AttentionMasks): void {
  masks.global.dispose();
  masks.local?.dispose();
  masks.rowKeep?.dispose();
}
