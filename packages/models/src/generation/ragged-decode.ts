// Continuous batching's forward pass: one decoder step for B sequences that sit at different
// positions of one batched key/value cache. The cache keeps GemmaBackbone.emptyCache's layout, one
// [B, 2, capacity, K, H] float32 tensor per layer, row b holding sequence b's keys (after RoPE)
// and values at their absolute positions 0..positions[b]-1.
//
// This is GemmaDecoderBlock.callBlock and CachedGemmaAttention.callAttention with per-row
// positions instead of one cacheUpdateIndex (a new function beside them, so the KerasHub-shaped
// code stays as it is):
//   - RoPE uses each row's own position (the fused Rope kernel with one table row per sequence);
//   - the new key/value of row b is written at column positions[b] (one `where` over the cache);
//   - attention runs over columns 0..max(positions) with a per-row causal (and sliding-window)
//     mask, so a row never sees another row's or a stale column.
// With a single row the ops, shapes and masks are those of GemmaCausalLM.generate's decode step,
// so greedy output is the same token for token.
import {
  activeBackendHas, add, concat, einsum, engine, gather, gelu, mul, neg, reshape, rotaryTables, slice, softmax, split, stack, tanh,
  tensor, tidy, where, type Tensor,
} from '@tensorzoo/core';
import type { GemmaBackbone } from '../gemma/gemma-backbone.js';
import type { CachedGemmaAttention } from '../gemma/gemma-attention.js';
import type { GemmaDecoderBlock } from '../gemma/gemma-decoder-block.js';

/** Per-step inputs shared by every layer (built once per step, on the host). */
interface StepTables {
  /** [B, H] cos/sin of each row's position. */
  cos: Tensor;
  sin: Tensor;
  /** [B, 1, capacity, 1, 1] bool: true at column positions[b] of row b. */
  writeMask: Tensor;
  /** [B, N, 1, S] bool over the attended columns S = max(positions) + 1. */
  globalMask: Tensor;
  localMask: Tensor | null;
  keyLength: number;
}

export interface RaggedStepResult {
  /** [B * V] float32 logits of the new position of every row. */
  logits: Float32Array;
  /** The updated per-layer caches (the input caches are not disposed). */
  cache: Tensor[];
}

/**
 * Runs one new token per row through the backbone. tokenIds[b] goes to position positions[b] of
 * row b; cache[l] is [B, 2, capacity, K, H] with capacity > max(positions).
 */
export function raggedDecodeStep(backbone: GemmaBackbone, tokenIds: readonly number[], positions: readonly number[], cache: readonly Tensor[]): RaggedStepResult {
  const batch = tokenIds.length;
  const config = backbone.config;
  if (batch === 0 || positions.length !== batch) throw new Error(`raggedDecodeStep: argument 'positions' expected ${batch} positions (one per token), received ${positions.length}`);
  if (cache.length !== config.numLayers) throw new Error(`raggedDecodeStep: argument 'cache' expected ${config.numLayers} per-layer tensors, received ${cache.length}`);
  const capacity = cache[0]!.shape[2]!;
  if (cache[0]!.shape[0] !== batch) throw new Error(`raggedDecodeStep: argument 'cache' expected ${batch} rows, received ${cache[0]!.shape[0]}`);
  for (const position of positions)
    if (!Number.isInteger(position) || position < 0 || position >= capacity)
      throw new Error(`raggedDecodeStep: argument 'positions' expected integers in [0, ${capacity - 1}] (cache capacity ${capacity}), received ${position}`);
  const tables = stepTables(backbone, positions, capacity);
  const ids = tensor(Int32Array.from(tokenIds), [batch, 1], 'int32');
  try {
    const { logits, cache: next } = tidy(() => {
      // GemmaBackbone.embed is private in TypeScript only; calling it keeps the sqrt(D) rounding in one place.
      let x = (backbone as unknown as { embed(ids: Tensor): Tensor }).embed(ids);
      const newCache: Tensor[] = [];
      backbone.transformerLayers.forEach((block, index) => {
        const result = raggedBlock(block, x, cache[index]!, tables);
        x = result.output;
        newCache.push(result.cache);
      });
      const hidden = backbone.layerNorm.apply(x) as Tensor;
      return { logits: backbone.logits(hidden), cache: newCache };
    });
    const values = logits.dataSync() as Float32Array;
    logits.dispose();
    return { logits: values, cache: next };
  } finally {
    ids.dispose();
    for (const table of [tables.cos, tables.sin, tables.writeMask, tables.globalMask, tables.localMask]) table?.dispose();
  }
}

function stepTables(backbone: GemmaBackbone, positions: readonly number[], capacity: number): StepTables {
  const { headDim, numQueryHeads: heads, useSlidingWindowAttention, slidingWindowSize } = backbone.config;
  const batch = positions.length;
  const cos = new Float32Array(batch * headDim);
  const sin = new Float32Array(batch * headDim);
  positions.forEach((position, row) => {
    // The same tables rotaryEmbedding builds for startIndex = position, one row each.
    const table = rotaryTables(1, headDim, position);
    cos.set(table.cos, row * headDim);
    sin.set(table.sin, row * headDim);
  });
  const keyLength = Math.max(...positions) + 1;
  const writeMask = new Uint8Array(batch * capacity);
  const globalValues = new Uint8Array(batch * heads * keyLength);
  const localValues = useSlidingWindowAttention ? new Uint8Array(globalValues.length) : null;
  positions.forEach((position, row) => {
    writeMask[row * capacity + position] = 1;
    for (let head = 0; head < heads; head++)
      for (let column = 0; column <= position; column++) {
        const index = (row * heads + head) * keyLength + column;
        globalValues[index] = 1;
        if (localValues && position - column < slidingWindowSize) localValues[index] = 1;
      }
  });
  return {
    cos: tensor(cos, [batch, headDim]),
    sin: tensor(sin, [batch, headDim]),
    writeMask: tensor(writeMask, [batch, 1, capacity, 1, 1], 'bool'),
    globalMask: tensor(globalValues, [batch, heads, 1, keyLength], 'bool'),
    localMask: localValues ? tensor(localValues, [batch, heads, 1, keyLength], 'bool') : null,
    keyLength,
  };
}

/** x [B, 1, heads, H] rotated by each row's position: the rows are viewed as one sequence of length B. */
function rotateRows(x: Tensor, tables: StepTables): Tensor {
  const [batch, , heads, headDim] = x.shape as [number, number, number, number];
  const view = reshape(x, [1, batch, heads, headDim]);
  let rotated: Tensor;
  if (activeBackendHas('Rope')) rotated = engine.runKernel('Rope', { x: view, cos: tables.cos, sin: tables.sin }, {}, [view.shape])[0]!;
  else {
    // rotaryEmbedding's composed form: x·cos + [-x2, x1]·sin.
    const [first, second] = split(view, 2, -1) as [Tensor, Tensor];
    const half = concat([neg(second), first], -1);
    rotated = add(mul(view, reshape(tables.cos, [1, batch, 1, headDim])), mul(half, reshape(tables.sin, [1, batch, 1, headDim])));
  }
  return reshape(rotated, [batch, 1, heads, headDim]);
}

/** GemmaDecoderBlock.callBlock with raggedAttention in place of callAttention. */
function raggedBlock(block: GemmaDecoderBlock, x: Tensor, cache: Tensor, tables: StepTables): { output: Tensor; cache: Tensor } {
  const normalized = block.preAttentionNorm.apply(x) as Tensor;
  const attended = raggedAttention(block.attention, normalized, cache, tables);
  let branch = attended.output;
  if (block.postAttentionNorm) branch = block.postAttentionNorm.apply(branch) as Tensor;
  const residual = add(x, branch);
  const ffwInput = block.preFfwNorm.apply(residual) as Tensor;
  const gate = gelu(block.gatingFfw.apply(ffwInput) as Tensor, true);
  const up = block.gatingFfw2.apply(ffwInput) as Tensor;
  let mlp = block.ffwLinear.apply(mul(gate, up)) as Tensor;
  if (block.postFfwNorm) mlp = block.postFfwNorm.apply(mlp) as Tensor;
  return { output: add(mlp, residual), cache: attended.cache };
}

/** CachedGemmaAttention.callAttention for one token per row at per-row positions. x: [B, 1, D]. */
function raggedAttention(attention: CachedGemmaAttention, x: Tensor, cache: Tensor, tables: StepTables): { output: Tensor; cache: Tensor } {
  const batch = x.shape[0]!;
  const N = attention.numQueryHeads;
  const K = attention.numKeyValueHeads;
  const G = N / K;
  const H = attention.headDim;
  const S = tables.keyLength;
  const query = mul(rotateRows(attention.queryDense.apply(x) as Tensor, tables), Math.fround(attention.queryScale));
  const key = rotateRows(attention.keyDense.apply(x) as Tensor, tables);
  const value = attention.valueDense.apply(x) as Tensor;
  // [B, 2, 1, K, H] broadcast along the capacity axis, kept only at each row's own column.
  const newCache = where(tables.writeMask, stack([key, value], 1), cache);
  const keys = reshape(slice(newCache, [0, 0, 0, 0, 0], [batch, 1, S, K, H]), [batch, S, K, H]);
  const values = reshape(slice(newCache, [0, 1, 0, 0, 0], [batch, 1, S, K, H]), [batch, S, K, H]);
  const grouped = reshape(query, [batch, 1, K, G, H]);
  let logits = einsum('btkgh,bskh->bkgts', grouped, keys);
  if (attention.logitSoftCap !== null) logits = mul(tanh(mul(logits, 1 / attention.logitSoftCap)), attention.logitSoftCap);
  const mask = attention.useSlidingWindowAttention && tables.localMask ? tables.localMask : tables.globalMask;
  const probabilities = softmax(logits, -1, reshape(mask, [batch, K, G, 1, S]));
  const attended = reshape(einsum('bkgts,bskh->btkgh', probabilities, values), [batch, 1, N, H]);
  return { output: attention.outputDense.apply(attended) as Tensor, cache: newCache };
}

// === The batched cache's rows and capacity ===

/** Pads (zeros) or cuts every layer's cache [B, 2, C, K, H] to `capacity` columns; disposes the input. */
export function resizeCacheCapacity(cache: Tensor[], capacity: number): Tensor[] {
  const current = cache[0]!.shape[2]!;
  if (current === capacity) return cache;
  const resized = cache.map((layer) =>
    tidy(() => {
      const [batch, two, , K, H] = layer.shape as [number, number, number, number, number];
      if (capacity < current) return slice(layer, [0, 0, 0, 0, 0], [batch, two, capacity, K, H]);
      return concat([layer, tensor(new Float32Array(batch * two * (capacity - current) * K * H), [batch, two, capacity - current, K, H])], 2);
    }),
  );
  for (const layer of cache) layer.dispose();
  return resized;
}

/** Keeps the given rows (in that order) of every layer's cache; disposes the input. */
export function selectCacheRows(cache: Tensor[], rows: readonly number[]): Tensor[] {
  const indices = tensor(Int32Array.from(rows), [rows.length], 'int32');
  const selected = cache.map((layer) => gather(layer, indices, 0));
  indices.dispose();
  for (const layer of cache) layer.dispose();
  return selected;
}

/** Appends row caches (each [1, 2, C_i, K, H], C_i ≤ the batch's capacity) below `cache`; disposes every input. */
export function appendCacheRows(cache: Tensor[] | null, rows: Tensor[][]): Tensor[] {
  const capacity = Math.max(cache?.[0]!.shape[2] ?? 0, ...rows.map((row) => row[0]!.shape[2]!));
  const grown = cache ? resizeCacheCapacity(cache, capacity) : null;
  const padded = rows.map((row) => resizeCacheCapacity(row, capacity));
  const layers = padded[0]!.length;
  const joined: Tensor[] = [];
  for (let layer = 0; layer < layers; layer++) joined.push(concat([...(grown ? [grown[layer]!] : []), ...padded.map((row) => row[layer]!)], 0));
  for (const layer of grown ?? []) layer.dispose();
  for (const row of padded) for (const layer of row) layer.dispose();
  return joined;
}
