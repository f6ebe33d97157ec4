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
import { TensorzooError } from '@tensorzoo/core';
import { int4BlockSizeOf } from './dtype-policy.js';
import { dequantizeTableHost, reverseQuantized } from './quantized-embedding.js';
import { detached, type QuantizationConfig } from './quantized-kernel.js';
import type { Variable } from './variable.js';

/** ReversibleEmbedding's quantize options: Embedding's, plus whether the int4 logits path quantizes its inputs. */
export interface ReversibleQuantizationConfig extends QuantizationConfig {
  /**
   * int4 only: quantize the hidden states (abs-max, int8) before the logits product, as Keras's
   * ReversibleEmbedding does when its int4 layer is built from a policy without a config. Default
   * false: Keras's `quantize('int4')` (Int4QuantizationConfig: weight-only) leaves them float, and
   * KerasHub's int4 reference logits were computed that way.
   */
  quantizeReverseInputs?: boolean;
}

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
  private quantizeReverseInputs = false;

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
    const mode = this.quantizationMode;
    if (mode) {
      this.checkQuantizable();
      this.buildQuantizedTable(mode, int4BlockSizeOf(this.dtypePolicy));
      this.setBuilt();
      if (this.configuredLoraRank) this.enableLora(this.configuredLoraRank, { loraAlpha: this.configuredLoraAlpha });
      return;
    }
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

  /** Quantizes the table (see Embedding.quantize); `config.quantizeReverseInputs` for the int4 logits path. */
  override quantize(mode: 'int8' | 'int4', config: ReversibleQuantizationConfig = {}): void {
    super.quantize(mode, config);
  }

  protected override checkQuantizable(): void {
    if (!this.tieWeights)
      throw new TensorzooError(`ReversibleEmbedding '${this.name}': quantizing an untied reverse_embeddings table is not supported yet (tieWeights: false); Gemma ties its weights`);
  }

  protected override afterQuantize(config: ReversibleQuantizationConfig): void {
    this.quantizeReverseInputs = config.quantizeReverseInputs ?? false;
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
    if (this.quantizedTable) return this.softCap(this.reverseQuantizedLogits(inputs));
    let hidden = inputs;
    let table = this.tieWeights ? this.embeddings : this.reverseWeight!.value;
    if (this.reverseDtype) {
      hidden = castTo(hidden, this.reverseDtype);
      table = castTo(table, this.reverseDtype);
    }
    // No autocast here (as Keras): bfloat16 hidden with a float32 table promotes to float32 logits.
    const dtype = promoteFloat(hidden.dtype as FloatDType, table.dtype as FloatDType);
    return this.softCap(castTo(tz.matMul(hidden, table, { transposeB: this.tieWeights }), dtype));
  }

  /** cap·tanh(logits / cap) when a soft cap is set; each step rounds to the logits' dtype. */
  private softCap(logits: Tensor): Tensor {
    if (this.logitSoftCap === null) return logits;
    const dtype = logits.dtype;
    const cap = this.logitSoftCap;
    logits = castTo(tz.div(logits, cap), dtype);
    logits = castTo(tz.tanh(logits), dtype);
    return castTo(tz.mul(logits, cap), dtype);
  }

  /**
   * Keras's quantized reverse paths (no LoRA there, as in Keras), in the compute dtype. While a
   * gradient tape records, the hidden states' gradient flows through the dequantized table
   * (a straight-through estimate; the value stays exactly the quantized one): see quantizedProduct.
   */
  private reverseQuantizedLogits(hidden: Tensor): Tensor {
    const table = this.quantizedTable!;
    if (!tz.engine.isRecording) return castTo(reverseQuantized(table, hidden, this.quantizeReverseInputs), this.computeDtype);
    const copy = detached(hidden);
    const value = reverseQuantized(table, copy, this.quantizeReverseInputs);
    const floatTable = tz.tensor(dequantizeTableHost(table), [this.inputDim, this.outputDim], 'float32');
    const asFloat = (x: Tensor) => (x.dtype === 'float32' ? x : tz.cast(x, 'float32'));
    const tracked = tz.matMul(asFloat(hidden), floatTable, { transposeB: true });
    const untracked = tz.matMul(asFloat(copy), floatTable, { transposeB: true });
    return castTo(tz.add(value, tz.sub(tracked, untracked)), this.computeDtype);
  }

  /** A new ReversibleEmbedding from getConfig() output (without weights). */
  static override fromConfig(config: ReversibleEmbeddingConfig | Record<string, unknown>): ReversibleEmbedding {
    return new ReversibleEmbedding({ ...(config as ReversibleEmbeddingConfig) });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), tieWeights: this.tieWeights, reverseDtype: this.reverseDtype, logitSoftCap: this.logitSoftCap };
  }
}
