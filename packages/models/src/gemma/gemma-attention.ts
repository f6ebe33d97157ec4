// CachedGemmaAttention (KerasHub keras_hub/src/models/gemma/gemma_attention.py, spec §1.6).
// x: [B, T, D] → [B, T, D]. Grouped-query attention: query head n uses key/value head n // G.
import {
  cast, dotProductAttention, einsum, mul, reshape, rotaryEmbedding, slice, softmax, stack, concat, tanh, tidy, type Tensor,
} from '@tensorzoo/core';
import { Dropout, EinsumDense, Layer, type LayerConfig } from '@tensorzoo/layers';
import { quantizedLayerPolicy, type LayerQuantization } from './gemma-quantization.js';

export interface GemmaAttentionConfig extends LayerConfig {
  headDim: number;
  numQueryHeads: number;
  numKeyValueHeads: number;
  /** The multiplier applied to queries after RoPE (spec §1.6.3 with decision 1). */
  queryScale: number;
  logitSoftCap?: number | null;
  useSlidingWindowAttention?: boolean;
  slidingWindowSize?: number;
  dropout?: number;
  /** Sublayers built quantized: 'query', 'key', 'value', 'attention_output' → Keras policy mode. */
  quantizedLayers?: Readonly<Record<string, LayerQuantization>> | null;
}

export interface AttentionCallOptions {
  /** [B, T, S] or [B, N, T, S] bool, already including the sliding window when this layer is local. */
  attentionMask: Tensor;
  /** [B, T, 1, 1] float32: 0 wipes a query row whose (pre-window) mask is empty. */
  rowKeep?: Tensor | null;
  /** [B, 2, S_max, K, H]: keys (after RoPE) and values of earlier positions. */
  cache?: Tensor | null;
  cacheUpdateIndex?: number;
  training?: boolean;
}

export interface AttentionOutput {
  output: Tensor;
  cache: Tensor | null;
}

export class CachedGemmaAttention extends Layer {
  readonly headDim: number;
  readonly numQueryHeads: number;
  readonly numKeyValueHeads: number;
  readonly queryScale: number;
  readonly logitSoftCap: number | null;
  readonly useSlidingWindowAttention: boolean;
  readonly slidingWindowSize: number;
  readonly dropout: number;
  readonly quantizedLayers: Readonly<Record<string, LayerQuantization>>;
  queryDense!: EinsumDense;
  keyDense!: EinsumDense;
  valueDense!: EinsumDense;
  outputDense!: EinsumDense;
  private dropoutLayer: Dropout | null = null;

  constructor(config: GemmaAttentionConfig) {
    super({ name: 'attention', ...config });
    this.headDim = config.headDim;
    this.numQueryHeads = config.numQueryHeads;
    this.numKeyValueHeads = config.numKeyValueHeads;
    this.queryScale = config.queryScale;
    this.logitSoftCap = config.logitSoftCap ?? null;
    this.useSlidingWindowAttention = config.useSlidingWindowAttention ?? false;
    this.slidingWindowSize = config.slidingWindowSize ?? 4096;
    this.dropout = config.dropout ?? 0;
    this.quantizedLayers = config.quantizedLayers ?? {};
  }

  override build(inputShape: readonly (number | null)[]): void {
    const N = this.numQueryHeads;
    const K = this.numKeyValueHeads;
    const H = this.headDim;
    const hiddenDim = inputShape[inputShape.length - 1]!;
    const common = { kernelInitializer: 'glorot_uniform' };
    // A quantized layer gets its Keras policy (int8_from_float32, int4/128_from_float32) and builds its quantized variables.
    const dtype = (name: string) => quantizedLayerPolicy(this.quantizedLayers[name], this.dtype);
    this.queryDense = this.trackLayer(new EinsumDense({ equation: 'btd,ndh->btnh', outputShape: [null, N, H], name: 'query', dtype: dtype('query'), ...common }));
    this.queryDense.build(inputShape);
    this.keyDense = this.trackLayer(new EinsumDense({ equation: 'bsd,kdh->bskh', outputShape: [null, K, H], name: 'key', dtype: dtype('key'), ...common }));
    this.keyDense.build(inputShape);
    this.valueDense = this.trackLayer(new EinsumDense({ equation: 'bsd,kdh->bskh', outputShape: [null, K, H], name: 'value', dtype: dtype('value'), ...common }));
    this.valueDense.build(inputShape);
    if (this.dropout > 0) this.dropoutLayer = this.trackLayer(new Dropout({ rate: this.dropout, dtype: this.dtype }));
    this.outputDense = this.trackLayer(new EinsumDense({ equation: 'btnh,nhd->btd', outputShape: [null, hiddenDim], name: 'attention_output', dtype: dtype('attention_output'), ...common }));
    this.outputDense.build([inputShape[0] ?? null, inputShape[1] ?? null, N, H]);
    super.build(inputShape);
  }

  /** Returns the output and, when a cache was given, the updated cache. */
  callAttention(x: Tensor, options: AttentionCallOptions): AttentionOutput {
    const [batch, length] = x.shape as [number, number, number];
    const N = this.numQueryHeads;
    const K = this.numKeyValueHeads;
    const G = N / K;
    const H = this.headDim;
    const startIndex = options.cacheUpdateIndex ?? 0;
    return tidy(() => {
      let newCache: Tensor | null = null;
      const query = mul(rotaryEmbedding(this.queryDense.apply(x) as Tensor, { startIndex }), Math.fround(this.queryScale));
      let key = rotaryEmbedding(this.keyDense.apply(x) as Tensor, { startIndex });
      let value = this.valueDense.apply(x) as Tensor;
      if (options.cache) {
        // Write rows startIndex..startIndex+T-1, then attend over the filled prefix only: the
        // causal mask gives every later row probability exactly 0, so the result is identical.
        const cache = options.cache;
        const maxLength = cache.shape[2]!;
        // The cache is float32 (emptyCache); bfloat16/float16 keys or values widen exactly.
        const asCache = (x: Tensor) => (x.dtype === cache.dtype ? x : cast(x, cache.dtype));
        const fresh = stack([asCache(key), asCache(value)], 1);
        const parts = [slice(cache, [0, 0, 0, 0, 0], [batch, 2, startIndex, K, H]), fresh];
        if (startIndex + length < maxLength) parts.push(slice(cache, [0, 0, startIndex + length, 0, 0], [batch, 2, maxLength - startIndex - length, K, H]));
        newCache = concat(parts, 2);
        const filled = startIndex + length;
        key = reshape(slice(newCache, [0, 0, 0, 0, 0], [batch, 1, filled, K, H]), [batch, filled, K, H]);
        value = reshape(slice(newCache, [0, 1, 0, 0, 0], [batch, 1, filled, K, H]), [batch, filled, K, H]);
      }
      const keyLength = key.shape[1]!;
      const mask = options.attentionMask;
      if (!(this.dropoutLayer && options.training)) {
        // One fused pass per query row where the backend has it (scores, soft cap, mask, softmax,
        // weighted sum); the einsum composition below otherwise, and for dropout on the probabilities.
        let attended = dotProductAttention(query, key, value, { mask, logitSoftCap: this.logitSoftCap });
        if (options.rowKeep) attended = mul(attended, options.rowKeep);
        return { output: this.outputDense.apply(attended) as Tensor, cache: newCache };
      }
      const grouped = reshape(query, [batch, length, K, G, H]);
      let logits = einsum('btkgh,bskh->bkgts', grouped, key);
      if (this.logitSoftCap !== null) logits = mul(tanh(mul(logits, 1 / this.logitSoftCap)), this.logitSoftCap);
      // [B, T, S] broadcasts over heads; [B, N, T, S] matches the logits exactly (fused softmax).
      const maskView = mask.rank === 4 ? reshape(mask, [batch, K, G, length, keyLength]) : reshape(mask, [batch, 1, 1, length, keyLength]);
      let probabilities = softmax(logits, -1, maskView);
      if (this.dropoutLayer && options.training) probabilities = this.dropoutLayer.apply(probabilities, { training: true }) as Tensor;
      let attended = reshape(einsum('bkgts,bskh->btkgh', probabilities, value), [batch, length, N, H]);
      if (options.rowKeep) attended = mul(attended, options.rowKeep);
      return { output: this.outputDense.apply(attended) as Tensor, cache: newCache };
    });
  }

  override call(x: Tensor, options?: AttentionCallOptions & Record<string, unknown>): Tensor {
    if (!options?.attentionMask) throw new Error("CachedGemmaAttention.call: argument 'attentionMask' expected a [B, T, S] bool tensor, received none");
    const { output, cache } = this.callAttention(x, options);
    cache?.dispose();
    return output;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      headDim: this.headDim,
      numQueryHeads: this.numQueryHeads,
      numKeyValueHeads: this.numKeyValueHeads,
      queryScale: this.queryScale,
      logitSoftCap: this.logitSoftCap,
      useSlidingWindowAttention: this.useSlidingWindowAttention,
      slidingWindowSize: this.slidingWindowSize,
      dropout: this.dropout,
    };
  }
}
