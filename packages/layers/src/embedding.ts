// Embedding: a lookup of rows of an [inputDim, outputDim] table by integer ids, with Keras's LoRA
// (lora_embeddings_a [inputDim, r], lora_embeddings_b [r, outputDim]). Like Keras's layer it does
// not autocast: the table stays in the variable dtype and the gathered rows are cast to the
// compute dtype. Unlike Keras, ids outside [0, inputDim) are rejected with a clear error.
import * as tz from '@tensorzoo/core';
import { argumentError, TensorzooError, type Tensor } from '@tensorzoo/core';
import { get as getInitializer, serialize, type Initializer, type InitializerIdentifier } from './initializers.js';
import { Layer, type CallOptions, type InputShape, type LayerConfig, type Shape } from './layer.js';
import { castTo, checkEnableLora, DerivedTensorCache, effectiveWeight, loadMergedWeights, LoraState, type EnableLoraOptions } from './lora.js';
import { int4BlockSizeOf, type QuantizationMode } from './dtype-policy.js';
import { assignTableValues, buildQuantizedTable, lookupQuantized, mergeLoraIntoTable, quantizeTableValues, type QuantizedTable } from './quantized-embedding.js';
import { checkQuantizeArgs, quantizedPolicyAfter, resolveBlockSize, type QuantizationConfig } from './quantized-kernel.js';
import type { Variable } from './variable.js';

export interface EmbeddingConfig extends LayerConfig {
  inputDim: number;
  outputDim: number;
  embeddingsInitializer?: InitializerIdentifier;
  maskZero?: boolean;
  loraRank?: number | null;
  loraAlpha?: number | null;
}

/**
 * Maps integer ids [...] to vectors [..., outputDim].
 * @param config.inputDim vocabulary size (positive integer)
 * @param config.outputDim vector size (positive integer)
 * @param config.embeddingsInitializer default 'uniform' (U(-0.05, 0.05))
 * @param config.maskZero whether id 0 is padding: computeMask gives ids != 0 (default false)
 * @param config.loraRank enable LoRA of this rank when built (default null)
 * @param config.loraAlpha LoRA scale numerator (default loraRank)
 * @param config.name, config.trainable, config.dtype as for every layer
 */
export class Embedding<Output = Tensor> extends Layer<Tensor, Output> {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly embeddingsInitializer: Initializer;
  readonly maskZero: boolean;
  protected readonly configuredLoraRank: number | null;
  protected readonly configuredLoraAlpha: number | null;
  protected embeddingsWeight: Variable | null = null;
  protected lora: LoraState | null = null;
  protected readonly embeddingsCache = new DerivedTensorCache();
  protected quantizedTable: QuantizedTable | null = null;
  private savedMerged: Tensor[] = [];

  constructor(config: EmbeddingConfig) {
    super(config);
    const op = `${new.target.name} '${this.name}'`;
    if (!config || !Number.isInteger(config.inputDim) || config.inputDim <= 0) argumentError(op, 'inputDim', 'a positive integer', config?.inputDim);
    if (!Number.isInteger(config.outputDim) || config.outputDim <= 0) argumentError(op, 'outputDim', 'a positive integer', config.outputDim);
    this.inputDim = config.inputDim;
    this.outputDim = config.outputDim;
    this.embeddingsInitializer = getInitializer(config.embeddingsInitializer ?? 'uniform');
    this.maskZero = config.maskZero ?? false;
    if (config.loraRank !== undefined && config.loraRank !== null && !(Number.isInteger(config.loraRank) && config.loraRank > 0))
      argumentError(op, 'loraRank', 'a positive integer or null', config.loraRank);
    this.configuredLoraRank = config.loraRank ?? null;
    this.configuredLoraAlpha = config.loraAlpha ?? this.configuredLoraRank;
  }

  protected override get autocastInputs(): boolean {
    return false;
  }

  /** The input shape is not needed: the table is [inputDim, outputDim]. */
  override build(_inputShape?: InputShape): void {
    // Keras's build: a quantized policy (read from a quantized preset) creates the quantized table.
    const mode = this.quantizationMode;
    if (mode) this.buildQuantizedTable(mode, int4BlockSizeOf(this.dtypePolicy));
    else this.embeddingsWeight = this.addWeight('embeddings', [this.inputDim, this.outputDim], { initializer: this.embeddingsInitializer });
    this.setBuilt();
    if (this.configuredLoraRank) this.enableLora(this.configuredLoraRank, { loraAlpha: this.configuredLoraAlpha });
  }

  /** [...ids shape, outputDim]. */
  computeOutputShape(inputShape: Shape): (number | null)[] {
    return [...inputShape, this.outputDim];
  }

  /** The stored table (the frozen base when LoRA is on). */
  get embeddingsVariable(): Variable {
    return this.requireBuilt('embeddingsVariable');
  }

  get loraEmbeddingsA(): Variable | null {
    return this.lora?.a ?? null;
  }

  get loraEmbeddingsB(): Variable | null {
    return this.lora?.b ?? null;
  }

  get loraEnabled(): boolean {
    return this.lora !== null;
  }

  get loraRank(): number | null {
    return this.lora?.rank ?? this.configuredLoraRank;
  }

  get loraAlpha(): number | null {
    return this.lora?.alpha ?? this.configuredLoraAlpha;
  }

  /** The effective table: the variable's value, or cast(E + (alpha/r)·A@B, compute dtype) with LoRA. Owned by the layer. */
  get embeddings(): Tensor {
    const table = this.requireBuilt('embeddings');
    // Quantized: the stored int8 table (packed for int4); LoRA is applied in call(), not merged here.
    if (!this.lora || this.quantizedTable) return table.value;
    return effectiveWeight(table, this.lora, this.computeDtype, this.embeddingsCache);
  }

  /** Adds float32 `lora_embeddings_a` [inputDim, rank] and `lora_embeddings_b` [rank, outputDim]; freezes the table. */
  enableLora(rank: number, options: EnableLoraOptions = {}): void {
    checkEnableLora(this, this.lora, rank, options.loraAlpha);
    const a = this.addWeight('lora_embeddings_a', [this.inputDim, rank], { initializer: options.aInitializer ?? 'he_uniform', dtype: 'float32' });
    const b = this.addWeight('lora_embeddings_b', [rank, this.outputDim], { initializer: options.bInitializer ?? 'zeros', dtype: 'float32' });
    this.embeddingsWeight!.trainable = false;
    this.lora = new LoraState(a, b, rank, options.loraAlpha ?? rank);
  }

  /** Keras's saved entries: the effective (LoRA-merged) table, then any reverse table. Owned by the layer. */
  override saveOwnVariables(): Tensor[] {
    const table = this.quantizedTable;
    if (!table) return [this.embeddings, ...this.extraTables().map((variable) => variable.value)];
    // Keras's spec: embeddings, embeddings_scale[, embeddings_zero, g_idx]; with LoRA, merged and quantized again.
    for (const tensor of this.savedMerged) tensor.dispose();
    this.savedMerged = [];
    if (!this.lora) return this.quantizedVariables().map((variable) => variable.value);
    const merged = mergeLoraIntoTable(table, this.lora);
    this.savedMerged = [
      tz.keep(tz.tensor(merged.embeddings, table.embeddings.shape, 'int8')),
      tz.keep(tz.tensor(merged.scale, table.scale.shape, 'float32')),
      ...(merged.zero ? [tz.keep(tz.tensor(merged.zero, table.zero!.shape, 'int8'))] : []),
    ];
    return [...this.savedMerged, ...(table.gIdx ? [table.gIdx.value] : [])];
  }

  /** Assigns the table(s) in saveOwnVariables' order; with LoRA on, the factors are reset to zeros (the table is merged). */
  override loadOwnVariables(values: readonly (Tensor | ArrayLike<number>)[]): void {
    const targets = this.quantizedTable ? this.quantizedVariables() : [this.requireBuilt('loadOwnVariables'), ...this.extraTables()];
    loadMergedWeights(this, targets, this.lora, values);
  }

  /** The quantized table's variables (null while float): embeddings, scale, zero, gIdx. */
  get quantized(): QuantizedTable | null {
    return this.quantizedTable;
  }

  /**
   * Keras's `quantize(mode, config)` for the table: int8 (per-row abs-max, `embeddings_scale`
   * [inputDim]) or int4 (grouped along outputDim, block 128 by default: packed `embeddings`,
   * `embeddings_scale`/`embeddings_zero` [inputDim, groups], `g_idx`; `{blockSize: -1}` per
   * channel). The policy becomes 'int8_from_<policy>' / 'int4/<block>_from_<policy>'. Keras's
   * errors: not built, already quantized, a mode other than 'int8'/'int4'.
   */
  quantize(mode: QuantizationMode, config: QuantizationConfig = {}): void {
    checkQuantizeArgs(this, mode);
    const blockSize = mode === 'int4' ? resolveBlockSize(`${this.constructor.name} '${this.name}'.quantize`, config) : -1;
    this.checkQuantizable();
    const floatTable = this.requireBuilt('quantize');
    const values = quantizeTableValues(Float32Array.from(floatTable.value.dataSync()), mode, blockSize, this.inputDim, this.outputDim);
    this.embeddingsCache.dispose();
    this.removeWeight(floatTable);
    this.buildQuantizedTable(mode, blockSize);
    assignTableValues(this.quantizedTable!, values);
    this.afterQuantize(config);
    this.setDTypePolicy(quantizedPolicyAfter(this.dtypePolicy, mode, blockSize));
  }

  /** Subclass hooks: refuse what cannot be quantized; keep config options. */
  protected checkQuantizable(): void {}
  protected afterQuantize(_config: QuantizationConfig): void {}

  protected buildQuantizedTable(mode: QuantizationMode, blockSize: number): void {
    this.quantizedTable = buildQuantizedTable((name, shape, options) => this.addWeight(name, shape, options), mode, blockSize, this.inputDim, this.outputDim);
    this.embeddingsWeight = this.quantizedTable.embeddings;
  }

  private quantizedVariables(): Variable[] {
    const table = this.quantizedTable!;
    return [table.embeddings, table.scale, ...(table.zero ? [table.zero, table.gIdx!] : [])];
  }

  /** Tables stored after the embeddings (ReversibleEmbedding's untied reverse table). */
  protected extraTables(): Variable[] {
    return [];
  }

  /** ids [...] (int32; other dtypes are cast) → [..., outputDim] in the compute dtype. */
  call(inputs: Tensor, _options: CallOptions = {}): Output {
    return this.lookup(inputs) as Output;
  }

  protected lookup(inputs: Tensor): Tensor {
    this.requireBuilt('call');
    if (!(inputs instanceof tz.Tensor)) argumentError(`${this.constructor.name} '${this.name}'`, 'inputs', 'a tensor of integer ids', inputs);
    const ids = inputs.dtype === 'int32' ? inputs : tz.cast(inputs, 'int32');
    const values = ids.dataSync();
    for (let index = 0; index < values.length; index++) {
      const id = values[index]!;
      if (id < 0 || id >= this.inputDim)
        argumentError(`${this.constructor.name} '${this.name}'`, 'inputs', `ids in [0, ${this.inputDim})`, `id ${id} at flat index ${index}`);
    }
    if (!this.quantizedTable) return castTo(tz.gather(this.embeddings, ids, 0), this.computeDtype);
    // Keras's _int8_call / _int4_call: gathered rows dequantized, + (alpha/r)·A[ids]@B, cast.
    let out = lookupQuantized(this.quantizedTable, ids);
    if (this.lora) out = tz.add(out, tz.mul(tz.matMul(tz.gather(this.lora.a.value, ids, 0), this.lora.b.value), this.lora.scale));
    return castTo(out, this.computeDtype);
  }

  /** ids != 0 when maskZero, else null. The caller owns the mask. */
  override computeMask(inputs: Tensor): Tensor | null {
    if (!this.maskZero) return null;
    return tz.notEqual(inputs, 0);
  }

  /** A new Embedding from getConfig() output (without weights). */
  static fromConfig(config: EmbeddingConfig | Record<string, unknown>): Embedding {
    return new Embedding({ ...(config as EmbeddingConfig) });
  }

  override getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {
      ...super.getConfig(),
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      embeddingsInitializer: serialize(this.embeddingsInitializer),
      maskZero: this.maskZero,
    };
    if (this.loraRank) Object.assign(config, { loraRank: this.loraRank, loraAlpha: this.loraAlpha });
    return config;
  }

  override dispose(): void {
    for (const tensor of this.savedMerged) tensor.dispose();
    this.savedMerged = [];
    this.embeddingsCache.dispose();
    super.dispose();
  }

  protected requireBuilt(what: string): Variable {
    if (!this.embeddingsWeight)
      throw new TensorzooError(`${this.constructor.name} '${this.name}'.${what}: the layer is not built yet (call build() or apply it once first)`);
    return this.embeddingsWeight;
  }
}
