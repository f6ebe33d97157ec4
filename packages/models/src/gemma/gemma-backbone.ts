// GemmaBackbone (KerasHub keras_hub/src/models/gemma/gemma_backbone.py, spec §1): token ids →
// final-normalized hidden states [B, T, D]. Gemma 1 and 2 (post norms, soft caps, sliding window).
import { argumentError, bfloat16BitsToFloat32, float16BitsToFloat32, float32ToBfloat16Bits, float32ToFloat16Bits, mul, tensor, tidy, type Tensor } from '@tensorzoo/core';
import { Model, RMSNormalization, ReversibleEmbedding, VarianceScaling, type Layer } from '@tensorzoo/layers';
import { buildAttentionMasks, disposeMasks } from './attention-mask.js';
import { queryScale, resolveGemmaConfig, type GemmaBackboneConfig, type ResolvedGemmaConfig } from './gemma-config.js';
import { gemmaVariableSpecsWithDTypes, type GemmaVariableSpec } from './gemma-variable-specs.js';
import { GemmaDecoderBlock } from './gemma-decoder-block.js';
import { checkPaddingValues, checkSequenceLength, checkTokenIdRows } from './input-checks.js';
import { gemmaBackboneFromPreset, presetBackboneConfig, type FromPresetOptions } from './gemma-from-preset.js';
import { enableBackboneLora, loadBackboneLora, saveBackboneLora, type LoraState } from './gemma-lora.js';
import { saveGemmaBackboneToPreset, type SaveToPresetOptions } from './gemma-save.js';
import { quantizeGemmaBackbone, quantizedLayerPolicy, type QuantizationMode, type QuantizeOptions } from './gemma-quantization.js';
import { gemmaLayoutMap, type DeviceMesh, type LayoutMap } from '../distribution/index.js';
import { gemmaPresets, type GemmaPreset } from '../presets/index.js';

export type IdsInput = Tensor | number[][] | Int32Array;

export interface GemmaInputs {
  /** [B, T] int32 token ids. */
  tokenIds: IdsInput;
  /** [B, T] 1 for real tokens, 0 for padding; defaults to all ones. */
  paddingMask?: IdsInput | boolean[][];
}

export interface CachedForward {
  /** [B, T, D] final-normalized hidden states for the T new positions. */
  hiddenStates: Tensor;
  /** One [B, 2, S_max, K, H] tensor per layer. */
  cache: Tensor[];
}

export class GemmaBackbone extends Model {
  /** The resolved configuration; `quantize(mode)` replaces it (its quantizedLayers). */
  readonly config: ResolvedGemmaConfig;
  readonly transformerLayers: GemmaDecoderBlock[] = [];
  private readonly embedding: ReversibleEmbedding;
  readonly layerNorm: RMSNormalization;

  constructor(config: GemmaBackboneConfig) {
    const resolved = resolveGemmaConfig(config);
    super({ name: resolved.name, trainable: resolved.trainable, dtype: resolved.dtype });
    this.config = resolved;
    // === Layers ===
    const { vocabularySize, hiddenDim, numLayers } = resolved;
    // Layers named in quantizedLayers are built quantized (Keras's quantized_build from their policy).
    const quantized = resolved.quantizedLayers ?? {};
    const blockQuantized = (index: number) =>
      Object.fromEntries(
        Object.entries(quantized)
          .filter(([path]) => path.startsWith(`decoder_block_${index}/`))
          .map(([path, mode]) => [path.slice(`decoder_block_${index}/`.length), mode]),
      );
    this.embedding = this.trackLayer(
      new ReversibleEmbedding({
        inputDim: vocabularySize,
        outputDim: hiddenDim,
        tieWeights: true,
        embeddingsInitializer: new VarianceScaling({ scale: 1, mode: 'fan_in', distribution: 'untruncated_normal' }),
        logitSoftCap: resolved.finalLogitSoftCap,
        name: 'token_embedding',
        dtype: quantizedLayerPolicy(quantized.token_embedding, resolved.dtype),
      }),
    );
    this.embedding.build([null, null]);
    for (let index = 0; index < numLayers; index++) {
      const block = this.trackLayer(
        new GemmaDecoderBlock({
          intermediateDim: resolved.intermediateDim,
          headDim: resolved.headDim,
          numQueryHeads: resolved.numQueryHeads,
          numKeyValueHeads: resolved.numKeyValueHeads,
          queryScale: queryScale(resolved),
          layerNormEpsilon: resolved.layerNormEpsilon,
          usePostFfwNorm: resolved.usePostFfwNorm,
          usePostAttentionNorm: resolved.usePostAttentionNorm,
          logitSoftCap: resolved.attentionLogitSoftCap,
          useSlidingWindowAttention: resolved.useSlidingWindowAttention && index % 2 === 0,
          slidingWindowSize: resolved.slidingWindowSize,
          dropout: resolved.dropout,
          quantizedLayers: blockQuantized(index),
          name: `decoder_block_${index}`,
          dtype: resolved.dtype,
        }),
      );
      block.build([null, null, hiddenDim]);
      this.transformerLayers.push(block);
    }
    this.layerNorm = this.trackLayer(new RMSNormalization({ epsilon: resolved.layerNormEpsilon, name: 'final_normalization', dtype: resolved.dtype }));
    this.layerNorm.build([null, null, hiddenDim]);
    this.setBuilt();
  }

  get tokenEmbedding(): ReversibleEmbedding {
    return this.embedding;
  }

  // === Forward ===

  /** inputs → [B, T, hiddenDim]. */
  override call(inputs: GemmaInputs, options: { training?: boolean } = {}): Tensor {
    const tokenIds = this.idsTensor(inputs?.tokenIds, 'tokenIds');
    const [batch, length] = tokenIds.shape as [number, number];
    let paddingValues: ArrayLike<number>;
    try {
      paddingValues = this.paddingValues(inputs.paddingMask, batch, length);
    } catch (error) {
      if (tokenIds !== inputs.tokenIds) tokenIds.dispose();
      throw error;
    }
    const masks = buildAttentionMasks(batch, length, length, 0, paddingValues, this.config.useSlidingWindowAttention ? this.config.slidingWindowSize : null, this.config.numQueryHeads);
    try {
      return tidy(() => {
        let x = this.embed(tokenIds);
        this.transformerLayers.forEach((block, index) => {
          const local = block.attention.useSlidingWindowAttention;
          x = block.callBlock(x, { attentionMask: local ? masks.local! : masks.global, rowKeep: masks.rowKeep, training: options.training }).output;
        });
        return this.layerNorm.apply(x) as Tensor;
      });
    } finally {
      disposeMasks(masks);
      if (tokenIds !== inputs.tokenIds) tokenIds.dispose();
    }
  }

  /**
   * KerasHub's `call_with_cache` without the logits: runs the new token ids [B, T] at positions
   * cacheUpdateIndex.. with causal masking only, writing their keys/values into the cache.
   */
  callWithCache(tokenIds: IdsInput, cache: readonly Tensor[], cacheUpdateIndex: number): CachedForward {
    const ids = this.idsTensor(tokenIds, 'tokenIds');
    const [batch, length] = ids.shape as [number, number];
    if (cache.length !== this.config.numLayers) argumentError('callWithCache', 'cache', `${this.config.numLayers} per-layer tensors`, `${cache.length}`);
    const maxLength = cache[0]!.shape[2]!;
    if (!Number.isInteger(cacheUpdateIndex) || cacheUpdateIndex < 0 || cacheUpdateIndex + length > maxLength)
      argumentError('callWithCache', 'cacheUpdateIndex', `an integer in [0, ${maxLength - length}] (cache length ${maxLength}, ${length} new tokens)`, String(cacheUpdateIndex));
    const keyLength = cacheUpdateIndex + length;
    const masks = buildAttentionMasks(batch, length, keyLength, cacheUpdateIndex, null, this.config.useSlidingWindowAttention ? this.config.slidingWindowSize : null, this.config.numQueryHeads);
    try {
      return tidy(() => {
        let x = this.embed(ids);
        const newCache: Tensor[] = [];
        this.transformerLayers.forEach((block, index) => {
          const local = block.attention.useSlidingWindowAttention;
          const result = block.callBlock(x, { attentionMask: local ? masks.local! : masks.global, cache: cache[index]!, cacheUpdateIndex });
          x = result.output;
          newCache.push(result.cache!);
        });
        return { hiddenStates: this.layerNorm.apply(x) as Tensor, cache: newCache };
      });
    } finally {
      disposeMasks(masks);
      if (ids !== tokenIds) ids.dispose();
    }
  }

  /** A zero cache: one [B, 2, maxLength, K, H] float32 tensor per layer. */
  emptyCache(batch: number, maxLength: number): Tensor[] {
    if (!Number.isSafeInteger(batch) || batch < 1) argumentError('GemmaBackbone.emptyCache', 'batch', 'a positive integer', String(batch));
    if (!Number.isSafeInteger(maxLength) || maxLength < 1) argumentError('GemmaBackbone.emptyCache', 'maxLength', 'a positive integer', String(maxLength));
    checkSequenceLength('GemmaBackbone.emptyCache', 'maxLength', this.config, { batch, queryLength: 1, keyLength: 1, cacheLength: maxLength });
    const { numKeyValueHeads: K, headDim: H } = this.config;
    return this.transformerLayers.map(() => tensor(new Float32Array(batch * 2 * maxLength * K * H), [batch, 2, maxLength, K, H]));
  }

  /** Hidden states [..., D] → logits [..., V] through the tied embedding and the final soft cap. */
  logits(hiddenStates: Tensor): Tensor {
    return this.embedding.apply(hiddenStates, { reverse: true }) as Tensor;
  }

  private embed(tokenIds: Tensor): Tensor {
    const embedded = this.embedding.apply(tokenIds) as Tensor;
    // sqrt(D) in float32, rounded to the compute dtype first as KerasHub does (45.25 for D = 2048 in bf16).
    let multiplier = Math.fround(Math.sqrt(this.config.hiddenDim));
    if (this.computeDtype === 'bfloat16') multiplier = bfloat16BitsToFloat32(float32ToBfloat16Bits(multiplier));
    if (this.computeDtype === 'float16') multiplier = float16BitsToFloat32(float32ToFloat16Bits(multiplier));
    const scaled = mul(embedded, multiplier);
    embedded.dispose();
    return scaled;
  }

  private idsTensor(value: IdsInput | undefined, argument: string): Tensor {
    let ids: Tensor;
    if (value === undefined || value === null) return argumentError('GemmaBackbone', argument, 'a [batch, sequence] int32 tensor or nested array', String(value));
    if (typeof value === 'object' && 'shape' in value && 'dtype' in value) ids = value as Tensor;
    else {
      // Checked before the int32 conversion, which would truncate 10.7 and wrap 2^32 + 5 silently.
      const { batch, length } = checkTokenIdRows('GemmaBackbone', argument, value, this.config.vocabularySize);
      checkSequenceLength('GemmaBackbone', argument, this.config, { batch, queryLength: length, keyLength: length });
      return tensor(value as number[][], undefined, 'int32');
    }
    if (ids.rank !== 2) argumentError('GemmaBackbone', argument, 'shape [batch, sequence]', `[${ids.shape.join(', ')}]`);
    if (ids.dtype !== 'int32') argumentError('GemmaBackbone', argument, 'int32 token ids', ids.dtype);
    checkSequenceLength('GemmaBackbone', argument, this.config, { batch: ids.shape[0]!, queryLength: ids.shape[1]!, keyLength: ids.shape[1]! });
    const values = ids.dataSync();
    const vocabulary = this.config.vocabularySize;
    for (let index = 0; index < values.length; index++)
      if (values[index]! < 0 || values[index]! >= vocabulary)
        argumentError('GemmaBackbone', argument, `ids in [0, ${vocabulary - 1}] (vocabularySize ${vocabulary})`, `${values[index]} at flat position ${index}`);
    return ids;
  }

  private paddingValues(value: GemmaInputs['paddingMask'], batch: number, length: number): ArrayLike<number> {
    if (value === undefined || value === null) return new Uint8Array(batch * length).fill(1);
    let values: ArrayLike<number>;
    let shape: readonly number[];
    if (typeof value === 'object' && 'shape' in value && 'dtype' in value) {
      values = (value as Tensor).dataSync();
      shape = (value as Tensor).shape;
      checkPaddingValues('GemmaBackbone', values, shape.at(-1) ?? 1);
    } else {
      const rows = value as ArrayLike<ArrayLike<number | boolean>>;
      shape = [rows.length, rows[0]?.length ?? 0];
      const flat = new Uint8Array(rows.length * (rows[0]?.length ?? 0));
      for (let row = 0; row < rows.length; row++) {
        checkPaddingValues('GemmaBackbone', rows[row]!, Infinity, row);
        for (let column = 0; column < rows[row]!.length; column++) flat[row * shape[1]! + column] = rows[row]![column] ? 1 : 0;
      }
      values = flat;
    }
    if (shape.length !== 2 || shape[0] !== batch || shape[1] !== length)
      argumentError('GemmaBackbone', 'paddingMask', `shape [${batch}, ${length}] (the shape of tokenIds)`, `[${shape.join(', ')}]`);
    return values;
  }

  // === Presets, LoRA, layouts ===

  /** The built-in presets (KerasHub's Gemma table), by name. */
  static get presets(): Readonly<Record<string, GemmaPreset & { metadata: { description: string; params: number; path: string } }>> {
    return Object.fromEntries(
      Object.entries(gemmaPresets).map(([name, preset]) => [name, { ...preset, metadata: { description: preset.description, params: preset.params, path: preset.path } }]),
    );
  }

  /**
   * A built-in name, `kaggle://owner/model/keras/variant[/version]`, `hf://owner/repo` (KerasHub
   * or Hugging Face layout) or a local folder; the embedded tinycode-gemma2-6m when omitted.
   */
  static async fromPreset(preset?: string, options: FromPresetOptions = {}): Promise<GemmaBackbone> {
    return gemmaBackboneFromPreset(preset, options);
  }

  /** A preset's backbone configuration without loading weights (a built-in name downloads nothing). */
  static presetConfig(preset?: string, options: FromPresetOptions = {}): Promise<GemmaBackboneConfig> {
    return presetBackboneConfig(preset, options);
  }

  /**
   * Every variable's path, shape and dtype in Keras's order, computed from a configuration alone;
   * a quantized configuration (quantizedLayers) lists Keras's quantized variables.
   */
  static variableSpecs(config: GemmaBackboneConfig): GemmaVariableSpec[] {
    return gemmaVariableSpecsWithDTypes(config);
  }

  /** Writes a KerasHub-layout preset (config.json, metadata.json, model.weights.h5 or shards). */
  async saveToPreset(presetDir: string, options: SaveToPresetOptions = {}): Promise<void> {
    await saveGemmaBackboneToPreset(this, presetDir, options);
  }

  private loraState: LoraState | null = null;

  /** KerasHub's Backbone.enable_lora: LoRA on layers named `query` and `value` by default; all else frozen. */
  enableLora(rank: number, targetLayerNames?: readonly string[]): void {
    if (this.loraState) throw new Error(`enableLora: LoRA is already enabled (rank ${this.loraState.rank})`);
    this.loraState = enableBackboneLora(this, rank, targetLayerNames);
  }

  get loraRank(): number | null {
    return this.loraState?.rank ?? null;
  }

  async saveLoraWeights(path: string): Promise<void> {
    await saveBackboneLora(this, this.loraState, path);
  }

  async loadLoraWeights(path: string): Promise<void> {
    this.loraState = await loadBackboneLora(this, this.loraState, path);
  }

  // === Quantization ===

  /**
   * Keras's Model.quantize(mode): quantizes the token embedding and every EinsumDense ('int8':
   * per-channel abs-max int8, activations quantized per token at call time; 'int4': Keras's
   * default grouped int4, block 128, with zero points), skipping the norms as Keras does. The
   * float weights are replaced, not kept. Quantizing twice is Keras's "already quantized" error.
   */
  quantize(mode: QuantizationMode, options: QuantizeOptions = {}): void {
    const quantizedLayers = quantizeGemmaBackbone(this, mode, options);
    (this as { config: ResolvedGemmaConfig }).config = { ...this.config, quantizedLayers };
  }

  /** Quantized layer path → Keras policy mode ('int8', 'int4/128'); empty when not quantized. */
  get quantizedLayers(): Readonly<Record<string, string>> {
    return this.config.quantizedLayers ?? {};
  }

  /** Every layer below the backbone, depth first in creation order. */
  get allLayers(): Layer[] {
    const walk = (layer: Layer): Layer[] => layer.layers.flatMap((child) => [child, ...walk(child)]);
    return walk(this);
  }

  /** KerasHub's GemmaBackbone.get_layout_map for a device mesh (spec §5.4). */
  static getLayoutMap(deviceMesh: DeviceMesh, modelParallelDimName = 'model', dataParallelDimName = 'batch'): LayoutMap {
    return gemmaLayoutMap(deviceMesh, modelParallelDimName, dataParallelDimName);
  }

  // === Config ===

  override getConfig(): Record<string, unknown> {
    return { ...this.config };
  }

  static fromConfig(config: GemmaBackboneConfig): GemmaBackbone {
    return new GemmaBackbone(config);
  }
}
