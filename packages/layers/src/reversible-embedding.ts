// ReversibleEmbedding: an Embedding that can also project hidden states back to vocabulary
// logits, through the transposed (tied) table or a separate `reverse_embeddings` [outputDim,
// inputDim], with an optional soft cap cap·tanh(logits / cap). Gemma's output head.
// Keras attaches the `maskZero` mask to the forward output and returns None from compute_mask;
// with no mask attachment here, computeMask gives that forward mask (ids != 0) instead.
import * as tz from '@tensorzoo/core';
import { argumentError, type Tensor } from '@tensorzoo/core';
import { promoteFloat, type FloatDType } from './dtype-policy.js';
import { Embedding, type EmbeddingConfig } from './embedding.js';
import type { CallOptions, InputShape, Shape } from './layer.js';
import { castTo } from './lora.js';
import type { Variable } from './variable.js';

export interface ReversibleEmbeddingConfig extends EmbeddingConfig {
  tieWeights?: boolean;
  reverseDtype?: FloatDType | null;
  logitSoftCap?: number | null;
}

export interface ReversibleCallOptions extends CallOptions {
  /** Project [..., outputDim] hidden states to [..., inputDim] logits. */
  reverse?: boolean;
}

/**
 * An embedding usable in reverse as the output projection.
 * @param config.tieWeights reverse with the transposed embeddings (default true); false adds `reverse_embeddings`
 * @param config.reverseDtype dtype both operands are cast to in reverse (default null: none)
 * @param config.logitSoftCap if set, reverse logits become cap·tanh(logits / cap) (default null)
 * @param config.inputDim, config.outputDim, config.embeddingsInitializer, config.maskZero, config.loraRank, config.loraAlpha as for Embedding
 * @param config.name, config.trainable, config.dtype as for every layer
 */
export class ReversibleEmbedding extends Embedding<Tensor> {
  readonly tieWeights: boolean;
  readonly reverseDtype: FloatDType | null;
  readonly logitSoftCap: number | null;
  private reverseWeight: Variable | null = null;

  constructor(config: ReversibleEmbeddingConfig) {
    super(config);
    const op = `ReversibleEmbedding '${this.name}'`;
    this.tieWeights = config.tieWeights ?? true;
    this.reverseDtype = config.reverseDtype ?? null;
    this.logitSoftCap = config.logitSoftCap ?? null;
    if (this.reverseDtype !== null && !['float32', 'bfloat16', 'float16'].includes(this.reverseDtype))
      argumentError(op, 'reverseDtype', 'float32, bfloat16, float16 or null', this.reverseDtype);
    if (this.logitSoftCap !== null && !(typeof this.logitSoftCap === 'number' && this.logitSoftCap > 0))
      argumentError(op, 'logitSoftCap', 'a positive number or null', this.logitSoftCap);
  }

  /** Creates `embeddings`, then `reverse_embeddings` when untied, then LoRA factors if configured (Keras's order). */
  override build(_inputShape?: InputShape): void {
    this.embeddingsWeight = this.addWeight('embeddings', [this.inputDim, this.outputDim], { initializer: this.embeddingsInitializer });
    if (!this.tieWeights)
      this.reverseWeight = this.addWeight('reverse_embeddings', [this.outputDim, this.inputDim], { initializer: this.embeddingsInitializer });
    this.setBuilt();
    if (this.configuredLoraRank) this.enableLora(this.configuredLoraRank, { loraAlpha: this.configuredLoraAlpha });
  }

  /** The untied reverse table [outputDim, inputDim], or null when tied. */
  get reverseEmbeddingsVariable(): Variable | null {
    this.requireBuilt('reverseEmbeddingsVariable');
    return this.reverseWeight;
  }

  /** Forward: [...ids shape, outputDim]; reverse: the last axis becomes inputDim. */
  override computeOutputShape(inputShape: Shape, options: { reverse?: boolean } = {}): (number | null)[] {
    return options.reverse ? [...inputShape.slice(0, -1), this.inputDim] : super.computeOutputShape(inputShape);
  }

  protected override extraTables(): Variable[] {
    return this.reverseWeight ? [this.reverseWeight] : [];
  }

  /**
   * Forward: ids → vectors (as Embedding). With `{reverse: true}`: hidden [..., outputDim] →
   * logits [..., inputDim] = hidden @ kernel (kernel = embeddings^T when tied), soft-capped if set.
   */
  override call(inputs: Tensor, options: ReversibleCallOptions = {}): Tensor {
    if (!options.reverse) return this.lookup(inputs);
    this.requireBuilt('call');
    if (!(inputs instanceof tz.Tensor) || inputs.rank === 0 || inputs.shape[inputs.rank - 1] !== this.outputDim)
      argumentError(`ReversibleEmbedding '${this.name}'`, 'inputs', `hidden states whose last axis is ${this.outputDim} (reverse call)`, inputs);
    let hidden = inputs;
    let table = this.tieWeights ? this.embeddings : this.reverseWeight!.value;
    if (this.reverseDtype) {
      hidden = castTo(hidden, this.reverseDtype);
      table = castTo(table, this.reverseDtype);
    }
    // No autocast here (as Keras): bfloat16 hidden with a float32 table promotes to float32 logits.
    const dtype = promoteFloat(hidden.dtype as FloatDType, table.dtype as FloatDType);
    let logits = castTo(tz.matMul(hidden, table, { transposeB: this.tieWeights }), dtype);
    if (this.logitSoftCap !== null) {
      // Each step rounds to the logits' dtype, as the same ops would in that dtype.
      const cap = this.logitSoftCap;
      logits = castTo(tz.div(logits, cap), dtype);
      logits = castTo(tz.tanh(logits), dtype);
      logits = castTo(tz.mul(logits, cap), dtype);
    }
    return logits;
  }

  /** A new ReversibleEmbedding from getConfig() output (without weights). */
  static override fromConfig(config: ReversibleEmbeddingConfig | Record<string, unknown>): ReversibleEmbedding {
    return new ReversibleEmbedding({ ...(config as ReversibleEmbeddingConfig) });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), tieWeights: this.tieWeights, reverseDtype: this.reverseDtype, logitSoftCap: this.logitSoftCap };
  }
}
