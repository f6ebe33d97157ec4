// One shard's slice of a GemmaBackbone and its tensor-parallel forward pass (runs inside a shard
// worker, on that worker's own wasm backend). The shard is a GemmaBackbone built from the plan's
// shard configuration — N/S query heads, K/S key/value heads (1 when replicated), F/S of the
// feed-forward width, V/S vocabulary rows — so every sublayer is the single-memory layer; only the
// composition below differs, at three points where `reduce` sums the shards' partial [B, T, D]:
//   1. the token embedding (each shard looks up the ids its vocabulary rows hold, zeros elsewhere);
//   2. attention_output (each shard contracts its heads);
//   3. ffw_linear (each shard contracts its slice of the intermediate dimension).
// The math mirrors GemmaBackbone.call / callWithCache and GemmaDecoderBlock.callBlock line by line
// (inference only: no dropout); keep them in step.
import {
  abs, add, bfloat16BitsToFloat32, cast, div, einsum, float16BitsToFloat32, float32ToBfloat16Bits, float32ToFloat16Bits, gelu, matMulInt8, max, maximum, minimum, mul, reshape, round, tensor, tidy, type Tensor,
} from '@tensorzoo/core';
import type { EinsumDense } from '@tensorzoo/layers';
import { buildAttentionMasks, disposeMasks, type AttentionMasks } from '../gemma/attention-mask.js';
import { GemmaBackbone } from '../gemma/gemma-backbone.js';
import type { GemmaDecoderBlock } from '../gemma/gemma-decoder-block.js';
import type { GemmaBackboneConfig } from '../gemma/gemma-config.js';
import { enableBackboneLora, weightedLayers } from '../gemma/gemma-lora.js';

/** Sums (or takes the maximum of) a partial over all shards (every shard gets the same result); consumes nothing. */
export type Reduce = (partial: Tensor, op?: 'sum' | 'max') => Tensor;

/** Keras's backend.epsilon(), the abs-max quantizer's guard (core's absMaxQuantize). */
const kerasEpsilon = 1e-7;

export class ShardModel {
  readonly backbone: GemmaBackbone;
  /** Per layer [B, 2, S_max, K / S, H], or null before emptyCache. */
  private cache: Tensor[] | null = null;

  constructor(
    readonly shard: number,
    readonly shards: number,
    shardConfig: GemmaBackboneConfig,
    private readonly reduce: Reduce,
  ) {
    // Variables are created lazily (no initializer runs until a value is read): loading assigns them.
    this.backbone = new GemmaBackbone(shardConfig);
    // attention_output runs inside CachedGemmaAttention.callAttention: an int8 one is routed
    // through splitContraction by a view of the layer whose apply is replaced (weights unchanged).
    for (const block of this.backbone.transformerLayers) {
      const layer = block.attention.outputDense;
      if (shards === 1 || (layer.quantizationMode !== 'int8' && layer.computeDtype === 'float32')) continue;
      block.attention.outputDense = Object.assign(Object.create(layer) as EinsumDense, { apply: (x: Tensor) => this.splitContraction(layer, x) });
    }
  }

  private get config() {
    return this.backbone.config;
  }

  /** Token ids [B * T] (full vocabulary) → the summed, scaled embedding [B, T, D]. */
  private embed(ids: Int32Array, batch: number, length: number): Tensor {
    const rows = this.config.vocabularySize;
    const offset = this.shard * rows;
    const local = new Int32Array(ids.length);
    const keep = new Float32Array(ids.length);
    for (let index = 0; index < ids.length; index++) {
      const row = ids[index]! - offset;
      if (row >= 0 && row < rows) {
        local[index] = row;
        keep[index] = 1;
      }
    }
    return tidy(() => {
      const embedded = this.backbone.tokenEmbedding.apply(tensor(local, [batch, length], 'int32')) as Tensor;
      // x·1 and x + 0 are exact: the reduced sum is the single-memory lookup bit for bit.
      const full = this.reduce(mul(embedded, tensor(keep, [batch, length, 1])));
      // sqrt(D) in float32, rounded to the compute dtype first (GemmaBackbone.embed).
      let multiplier = Math.fround(Math.sqrt(this.config.hiddenDim));
      if (this.backbone.computeDtype === 'bfloat16') multiplier = bfloat16BitsToFloat32(float32ToBfloat16Bits(multiplier));
      if (this.backbone.computeDtype === 'float16') multiplier = float16BitsToFloat32(float32ToFloat16Bits(multiplier));
      return mul(full, multiplier);
    });
  }

  private block(block: GemmaDecoderBlock, x: Tensor, options: { attentionMask: Tensor; rowKeep?: Tensor | null; cache?: Tensor | null; cacheUpdateIndex?: number }) {
    return tidy(() => {
      const normalized = block.preAttentionNorm.apply(x) as Tensor;
      const attended = block.attention.callAttention(normalized, options);
      let branch = this.reduceTo(attended.output, block.attention.outputDense.computeDtype);
      if (block.postAttentionNorm) branch = block.postAttentionNorm.apply(branch) as Tensor;
      const residual = add(x, branch);
      const ffwInput = block.preFfwNorm.apply(residual) as Tensor;
      const gate = gelu(block.gatingFfw.apply(ffwInput) as Tensor, true);
      const up = block.gatingFfw2.apply(ffwInput) as Tensor;
      let mlp = this.reduceTo(this.splitContraction(block.ffwLinear, mul(gate, up)), block.ffwLinear.computeDtype);
      if (block.postFfwNorm) mlp = block.postFfwNorm.apply(mlp) as Tensor;
      return { output: add(mlp, residual), cache: attended.cache };
    });
  }

  /**
   * A layer whose contraction axis is split (ffw_linear over F/S; attention_output over N/S heads,
   * see attentionOutput): its partial product. Float kernels: the layer itself. int8 kernels
   * (Keras's _int8_call): the activations are quantized per token with the abs-max of the WHOLE
   * contraction, a max all-reduce of each shard's abs-max, so every shard uses the scale one
   * memory would, and only the int32 sums are split.
   */
  private splitContraction(layer: EinsumDense, x: Tensor): Tensor {
    if (this.shards === 1) return layer.apply(x) as Tensor;
    const dtype = layer.computeDtype;
    if (layer.quantizationMode !== 'int8') {
      if (dtype === 'float32' || layer.loraRank) return layer.apply(x) as Tensor;
      // bfloat16/float16 compute: the layer would round its partial product to the compute dtype;
      // one memory rounds the whole sum once, so the partial stays float32 (reduceTo rounds the sum).
      return tidy(() => einsum(layer.equation, x.dtype === dtype ? x : cast(x, dtype), layer.weights.find((variable) => variable.name === 'kernel')!.value));
    }
    return tidy(() => {
      const kernel = layer.weights.find((variable) => variable.name === 'kernel')!;
      const kernelScale = layer.weights.find((variable) => variable.name === 'kernel_scale')!;
      const input = x.dtype === 'float32' ? x : cast(x, 'float32');
      const depth = kernel.shape.slice(0, -1).reduce((product, size) => product * size, 1);
      const leading = input.shape.slice(0, input.rank - (kernel.shape.length - 1));
      const flat = reshape(input, [...leading, depth]);
      const globalMax = this.reduce(max(abs(flat), [-1], true), 'max');
      const scale = div(127, add(globalMax, kerasEpsilon));
      const quantized = cast(maximum(minimum(round(mul(flat, scale)), 127), -127), 'int8');
      const out = matMulInt8(quantized, scale, kernel.value, reshape(kernelScale.value, [kernelScale.size]), { groups: 1 });
      return out;
    });
  }

  /** The all-reduce of a partial sum, in the dtype the single-memory layer returns (Keras's cast of the layer output). */
  private reduceTo(partial: Tensor, dtype: string): Tensor {
    const sum = this.reduce(partial);
    return sum.dtype === dtype ? sum : cast(sum, dtype as 'bfloat16');
  }

  private masks(batch: number, length: number, keyLength: number, start: number, padding: ArrayLike<number> | null): AttentionMasks {
    const window = this.config.useSlidingWindowAttention ? this.config.slidingWindowSize : null;
    return buildAttentionMasks(batch, length, keyLength, start, padding, window, this.config.numQueryHeads);
  }

  /** GemmaBackbone.call: ids [B * T], padding [B * T] (1 real, 0 pad) → final-normalized hidden [B * T * D]. */
  forward(ids: Int32Array, batch: number, length: number, padding: ArrayLike<number>): Float32Array {
    const masks = this.masks(batch, length, length, 0, padding);
    try {
      const hidden = tidy(() => {
        let x = this.embed(ids, batch, length);
        for (const block of this.backbone.transformerLayers) {
          const local = block.attention.useSlidingWindowAttention;
          x = this.block(block, x, { attentionMask: local ? masks.local! : masks.global, rowKeep: masks.rowKeep }).output;
        }
        return this.backbone.layerNorm.apply(x) as Tensor;
      });
      try {
        return hidden.dataSync() as Float32Array;
      } finally {
        hidden.dispose();
      }
    } finally {
      disposeMasks(masks);
    }
  }

  /** Replaces the cache with zeros: per layer [B, 2, maxLength, K / S, H]. */
  emptyCache(batch: number, maxLength: number): void {
    this.disposeCache();
    const { numKeyValueHeads: K, headDim: H } = this.config;
    this.cache = this.backbone.transformerLayers.map(() => tensor(new Float32Array(batch * 2 * maxLength * K * H), [batch, 2, maxLength, K, H]));
  }

  /** GemmaBackbone.callWithCache on this shard's cache (updated in place): → hidden [B * T * D]. */
  forwardCached(ids: Int32Array, batch: number, length: number, start: number): Float32Array {
    const cache = this.cache;
    if (!cache) throw new Error('no cache: emptyCache was not called on this shard');
    const masks = this.masks(batch, length, start + length, start, null);
    try {
      const { hidden, next } = tidy(() => {
        let x = this.embed(ids, batch, length);
        const next: Tensor[] = [];
        this.backbone.transformerLayers.forEach((block, index) => {
          const local = block.attention.useSlidingWindowAttention;
          const result = this.block(block, x, { attentionMask: local ? masks.local! : masks.global, cache: cache[index]!, cacheUpdateIndex: start });
          x = result.output;
          next.push(result.cache!);
        });
        return { hidden: this.backbone.layerNorm.apply(x) as Tensor, next };
      });
      for (const layerCache of cache) layerCache.dispose();
      this.cache = next;
      try {
        return hidden.dataSync() as Float32Array;
      } finally {
        hidden.dispose();
      }
    } finally {
      disposeMasks(masks);
    }
  }

  /** Hidden [rows, D] → this shard's logits [rows, V / S] (tied reverse embedding with the final soft cap). */
  logits(hidden: Float32Array, rows: number): Float32Array {
    const D = this.config.hiddenDim;
    const values = tidy(() => this.backbone.logits(tensor(hidden, [rows, D])));
    try {
      return values.dataSync() as Float32Array;
    } finally {
      values.dispose();
    }
  }

  private loraRank: number | null = null;

  /**
   * GemmaBackbone.loadLoraWeights with this shard's slices: LoRA on KerasHub's default targets
   * (query, value), factor A sliced by heads as its kernel is, B whole. The merged kernel
   * (kernel + A·B·scale) of a shard is then exactly that shard's slice of the merged full kernel.
   */
  loadLora(rank: number, factors: { index: number; a: Float32Array; aShape: number[]; b: Float32Array; bShape: number[] }[]): void {
    if (this.loraRank === null) {
      enableBackboneLora(this.backbone, rank);
      this.loraRank = rank;
    } else if (this.loraRank !== rank) throw new Error(`loadLoraWeights: the LoRA rank ${rank} does not match the model's LoRA rank (${this.loraRank})`);
    const layers = weightedLayers(this.backbone) as unknown as { path: string; loraKernelA: { shape: readonly number[]; assign(value: ArrayLike<number>): void } | null; loraKernelB: { shape: readonly number[]; assign(value: ArrayLike<number>): void } | null }[];
    for (const factor of factors) {
      const layer = layers[factor.index];
      if (!layer?.loraKernelA || !layer.loraKernelB) throw new Error(`loadLoraWeights: layer index ${factor.index} has no LoRA factors on this shard`);
      for (const [variable, shape, values] of [[layer.loraKernelA, factor.aShape, factor.a], [layer.loraKernelB, factor.bShape, factor.b]] as const) {
        if (shape.length !== variable.shape.length || shape.some((size, axis) => size !== variable.shape[axis]))
          throw new Error(`loadLoraWeights: ${layer.path}: a factor slice of shape [${shape.join(', ')}], expected [${variable.shape.join(', ')}]`);
        variable.assign(values);
      }
    }
  }

  /** Bytes held by this shard's variables. */
  weightBytes(): number {
    let total = 0;
    for (const variable of this.backbone.weights) {
      const bytes = variable.dtype === 'bfloat16' || variable.dtype === 'float16' ? 2 : variable.dtype === 'int8' ? 1 : 4;
      total += variable.size * bytes;
    }
    return total;
  }

  private disposeCache(): void {
    for (const layerCache of this.cache ?? []) layerCache.dispose();
    this.cache = null;
  }

  dispose(): void {
    this.disposeCache();
    this.backbone.dispose();
  }
}
