// GemmaDecoderBlock (KerasHub gemma_decoder_block.py, spec §1.3). x: [B, T, D] → [B, T, D].
// Sublayers are created in KerasHub's order, which fixes the variable order and LoRA indices.
import { add, gelu, mul, tidy, type Tensor } from '@tensorzoo/core';
import { Dropout, EinsumDense, Layer, RMSNormalization, type LayerConfig } from '@tensorzoo/layers';
import { CachedGemmaAttention } from './gemma-attention.js';
import { quantizedLayerPolicy, type LayerQuantization } from './gemma-quantization.js';

export interface GemmaDecoderBlockConfig extends LayerConfig {
  intermediateDim: number;
  headDim: number;
  numQueryHeads: number;
  numKeyValueHeads: number;
  queryScale: number;
  layerNormEpsilon: number;
  usePostFfwNorm: boolean;
  usePostAttentionNorm: boolean;
  logitSoftCap: number | null;
  useSlidingWindowAttention: boolean;
  slidingWindowSize: number;
  dropout: number;
  /** Sublayers built quantized, by path below the block ('ffw_linear', 'attention/query') → Keras policy mode. */
  quantizedLayers?: Readonly<Record<string, LayerQuantization>> | null;
}

export interface DecoderBlockCallOptions {
  attentionMask: Tensor;
  rowKeep?: Tensor | null;
  cache?: Tensor | null;
  cacheUpdateIndex?: number;
  training?: boolean;
}

export class GemmaDecoderBlock extends Layer {
  readonly blockConfig: GemmaDecoderBlockConfig;
  preAttentionNorm!: RMSNormalization;
  postAttentionNorm: RMSNormalization | null = null;
  attention!: CachedGemmaAttention;
  attentionDropout: Dropout | null = null;
  feedforwardDropout: Dropout | null = null;
  preFfwNorm!: RMSNormalization;
  postFfwNorm: RMSNormalization | null = null;
  gatingFfw!: EinsumDense;
  gatingFfw2!: EinsumDense;
  ffwLinear!: EinsumDense;

  constructor(config: GemmaDecoderBlockConfig) {
    super(config);
    this.blockConfig = config;
  }

  override build(inputShape: readonly (number | null)[]): void {
    const config = this.blockConfig;
    const hiddenDim = inputShape[inputShape.length - 1]!;
    const width = config.intermediateDim / 2;
    const norm = (name: string) => {
      const layer = this.trackLayer(new RMSNormalization({ epsilon: config.layerNormEpsilon, name, dtype: this.dtype }));
      layer.build(inputShape);
      return layer;
    };
    this.preAttentionNorm = norm('pre_attention_norm');
    if (config.usePostAttentionNorm) this.postAttentionNorm = norm('post_attention_norm');
    this.attention = this.trackLayer(
      new CachedGemmaAttention({
        headDim: config.headDim,
        numQueryHeads: config.numQueryHeads,
        numKeyValueHeads: config.numKeyValueHeads,
        queryScale: config.queryScale,
        logitSoftCap: config.logitSoftCap,
        useSlidingWindowAttention: config.useSlidingWindowAttention,
        slidingWindowSize: config.slidingWindowSize,
        dropout: config.dropout,
        quantizedLayers: Object.fromEntries(
          Object.entries(config.quantizedLayers ?? {})
            .filter(([path]) => path.startsWith('attention/'))
            .map(([path, mode]) => [path.slice('attention/'.length), mode]),
        ),
        name: 'attention',
        dtype: this.dtype,
      }),
    );
    this.attention.build(inputShape);
    if (config.dropout > 0) {
      this.attentionDropout = this.trackLayer(new Dropout({ rate: config.dropout, dtype: this.dtype }));
      // Created but never called, as in KerasHub.
      this.feedforwardDropout = this.trackLayer(new Dropout({ rate: config.dropout, dtype: this.dtype }));
    }
    this.preFfwNorm = norm('pre_ffw_norm');
    if (config.usePostFfwNorm) this.postFfwNorm = norm('post_ffw_norm');
    const dense = (name: string, equation: string, outputWidth: number, inputWidth: number) => {
      const dtype = quantizedLayerPolicy(config.quantizedLayers?.[name], this.dtype);
      const layer = this.trackLayer(new EinsumDense({ equation, outputShape: [null, outputWidth], name, dtype, kernelInitializer: 'glorot_uniform' }));
      layer.build([inputShape[0] ?? null, inputShape[1] ?? null, inputWidth]);
      return layer;
    };
    this.gatingFfw = dense('ffw_gating', 'btd,df->btf', width, hiddenDim);
    this.gatingFfw2 = dense('ffw_gating_2', 'btd,df->btf', width, hiddenDim);
    this.ffwLinear = dense('ffw_linear', 'btf,fd->btd', hiddenDim, width);
    super.build(inputShape);
  }

  /** Returns the block output and, with a cache, the updated cache. */
  callBlock(x: Tensor, options: DecoderBlockCallOptions): { output: Tensor; cache: Tensor | null } {
    return tidy(() => {
      const normalized = this.preAttentionNorm.apply(x) as Tensor;
      const attended = this.attention.callAttention(normalized, options);
      let branch = attended.output;
      if (this.postAttentionNorm) branch = this.postAttentionNorm.apply(branch) as Tensor;
      if (this.attentionDropout && options.training) branch = this.attentionDropout.apply(branch, { training: true }) as Tensor;
      const residual = add(x, branch);
      const ffwInput = this.preFfwNorm.apply(residual) as Tensor;
      const gate = gelu(this.gatingFfw.apply(ffwInput) as Tensor, true);
      const up = this.gatingFfw2.apply(ffwInput) as Tensor;
      let mlp = this.ffwLinear.apply(mul(gate, up)) as Tensor;
      if (this.postFfwNorm) mlp = this.postFfwNorm.apply(mlp) as Tensor;
      return { output: add(mlp, residual), cache: attended.cache };
    });
  }

  override call(x: Tensor, options?: DecoderBlockCallOptions & Record<string, unknown>): Tensor {
    if (!options?.attentionMask) throw new Error("GemmaDecoderBlock.call: argument 'attentionMask' expected a [B, T, S] bool tensor, received none");
    const { output, cache } = this.callBlock(x, options);
    cache?.dispose();
    return output;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), ...this.blockConfig };
  }
}
