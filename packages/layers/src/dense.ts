// Dense: y = activation(x @ kernel + bias), kernel [in, units], bias [units]; with Keras's LoRA.
import * as tz from '@tensorzoo/core';
import { argumentError, TensorzooError, type Tensor } from '@tensorzoo/core';
import { applyActivation, getActivation, type ActivationFunction, type ActivationIdentifier } from './activations.js';
import { get as getInitializer, serialize, type Initializer, type InitializerIdentifier } from './initializers.js';
import { knownDimension, Layer, type CallOptions, type InputShape, type LayerConfig, type Shape } from './layer.js';
import { castTo, checkEnableLora, DerivedTensorCache, effectiveWeight, loadMergedWeights, LoraState, type EnableLoraOptions } from './lora.js';
import { int4BlockSizeOf, type QuantizationMode } from './dtype-policy.js';
import { analyzeQuantization, planProduct, type QuantizationInfo } from './quantization-analysis.js';
import {
  assignQuantizedValues, buildQuantizedKernel, checkQuantizeArgs, mergeLoraIntoQuantized, quantizedPolicyAfter, quantizedProduct, quantizedSaveValues,
  quantizeKernelValues, resolveBlockSize, type QuantizationConfig, type QuantizedKernel,
} from './quantized-kernel.js';
import type { Variable } from './variable.js';

/** Dense as an einsum, for the quantized paths (the kernel [in, units] sums over 'b'). */
const denseQuantizationInfo: QuantizationInfo = analyzeQuantization('ab,bc->ac', 2);

export interface DenseConfig extends LayerConfig {
  units: number;
  activation?: ActivationIdentifier;
  useBias?: boolean;
  kernelInitializer?: InitializerIdentifier;
  biasInitializer?: InitializerIdentifier;
  loraRank?: number | null;
  loraAlpha?: number | null;
}

/**
 * A fully connected layer over the last axis.
 * @param config.units the output size (positive integer)
 * @param config.activation a name, a function or null (default: none)
 * @param config.useBias whether to add a bias (default true)
 * @param config.kernelInitializer default 'glorot_uniform'
 * @param config.biasInitializer default 'zeros'
 * @param config.loraRank enable LoRA of this rank when built (default null)
 * @param config.loraAlpha LoRA scale numerator (default loraRank)
 * @param config.name, config.trainable, config.dtype as for every layer
 */
export class Dense extends Layer<Tensor, Tensor> {
  readonly units: number;
  readonly activation: ActivationIdentifier;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  private readonly activationFunction: ActivationFunction | null;
  private readonly configuredLoraRank: number | null;
  private readonly configuredLoraAlpha: number | null;
  private kernelWeight: Variable | null = null;
  private biasWeight: Variable | null = null;
  private lora: LoraState | null = null;
  private readonly kernelCache = new DerivedTensorCache();
  private readonly biasCache = new DerivedTensorCache();
  private quantizedKernel: QuantizedKernel | null = null;
  private savedMerged: Tensor[] = [];

  constructor(config: DenseConfig) {
    super(config);
    const op = `Dense '${this.name}'`;
    if (!config || !Number.isInteger(config.units) || config.units <= 0) argumentError(op, 'units', 'a positive integer', config?.units);
    this.units = config.units;
    this.activation = config.activation ?? null;
    this.activationFunction = getActivation(this.activation);
    this.useBias = config.useBias ?? true;
    this.kernelInitializer = getInitializer(config.kernelInitializer ?? 'glorot_uniform');
    this.biasInitializer = getInitializer(config.biasInitializer ?? 'zeros');
    if (config.loraRank !== undefined && config.loraRank !== null && !(Number.isInteger(config.loraRank) && config.loraRank > 0))
      argumentError(op, 'loraRank', 'a positive integer or null', config.loraRank);
    this.configuredLoraRank = config.loraRank ?? null;
    this.configuredLoraAlpha = config.loraAlpha ?? this.configuredLoraRank;
  }

  override build(inputShape: InputShape): void {
    const shape = inputShape as Shape;
    if (!Array.isArray(shape) || shape.length === 0 || shape.some((size) => Array.isArray(size)))
      argumentError(`Dense '${this.name}'.build`, 'inputShape', 'one shape of rank ≥ 1', inputShape);
    const inputDim = knownDimension(`Dense '${this.name}'.build`, shape, -1);
    // Keras's build: a quantized policy creates the quantized variables (quantized_build) first.
    const mode = this.quantizationMode;
    if (mode) this.buildQuantized(mode, int4BlockSizeOf(this.dtypePolicy), inputDim);
    else this.kernelWeight = this.addWeight('kernel', [inputDim, this.units], { initializer: this.kernelInitializer });
    if (this.useBias) this.biasWeight = this.addWeight('bias', [this.units], { initializer: this.biasInitializer });
    this.setBuilt();
    if (this.configuredLoraRank) this.enableLora(this.configuredLoraRank, { loraAlpha: this.configuredLoraAlpha });
  }

  /** [..., units] for inputs [..., in]. */
  computeOutputShape(inputShape: Shape): (number | null)[] {
    return [...inputShape.slice(0, -1), this.units];
  }

  get kernelVariable(): Variable {
    return this.requireBuilt('kernelVariable').kernel;
  }

  get biasVariable(): Variable | null {
    return this.requireBuilt('biasVariable').bias;
  }

  get loraKernelA(): Variable | null {
    return this.lora?.a ?? null;
  }

  get loraKernelB(): Variable | null {
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

  /** The effective kernel [in, units] (LoRA merged, in the compute dtype, when enabled). Owned by the layer. */
  get kernel(): Tensor {
    const { kernel } = this.requireBuilt('kernel');
    // Quantized: the stored int8 kernel (packed for int4); LoRA is applied in call().
    if (!this.lora || this.quantizedKernel) return kernel.value;
    return effectiveWeight(kernel, this.lora, this.computeDtype, this.kernelCache);
  }

  /** Adds float32 `lora_kernel_a` [in, rank] and `lora_kernel_b` [rank, units] and freezes the kernel. */
  enableLora(rank: number, options: EnableLoraOptions = {}): void {
    checkEnableLora(this, this.lora, rank, options.loraAlpha);
    const [inputDim, units] = (this.quantizedKernel?.kernelShape ?? this.kernelWeight!.shape) as [number, number];
    const a = this.addWeight('lora_kernel_a', [inputDim, rank], { initializer: options.aInitializer ?? 'he_uniform', dtype: 'float32' });
    const b = this.addWeight('lora_kernel_b', [rank, units], { initializer: options.bInitializer ?? 'zeros', dtype: 'float32' });
    this.kernelWeight!.trainable = false;
    this.lora = new LoraState(a, b, rank, options.loraAlpha ?? rank);
  }

  /** Keras's saved entries: the effective (LoRA-merged) kernel, then the bias if any. Owned by the layer. */
  override saveOwnVariables(): Tensor[] {
    const bias = this.biasWeight ? [this.biasWeight.value] : [];
    if (!this.quantizedKernel) return [this.kernel, ...bias];
    // Keras's spec: kernel, bias, kernel_scale[, kernel_zero, g_idx]; LoRA merged and quantized again.
    for (const tensor of this.savedMerged) tensor.dispose();
    const merged = this.lora ? mergeLoraIntoQuantized(this.quantizedKernel, denseQuantizationInfo, this.lora) : null;
    const saved = quantizedSaveValues(this.quantizedKernel, merged);
    this.savedMerged = merged ? [saved.kernel, saved.scale, ...(saved.zero ? [saved.zero] : [])] : [];
    return [saved.kernel, ...bias, saved.scale, ...(saved.zero ? [saved.zero] : []), ...(saved.gIdx ? [saved.gIdx] : [])];
  }

  /** Assigns the entries in saveOwnVariables' order; with LoRA on, the factors are reset to zeros (the kernel is merged). */
  override loadOwnVariables(values: readonly (Tensor | ArrayLike<number>)[]): void {
    const { kernel, bias } = this.requireBuilt('loadOwnVariables');
    const quantized = this.quantizedKernel;
    const biasList = bias ? [bias] : [];
    const targets = quantized ? [quantized.kernel, ...biasList, quantized.scale, ...(quantized.zero ? [quantized.zero, quantized.gIdx!] : [])] : [kernel, ...biasList];
    loadMergedWeights(this, targets, this.lora, values);
  }

  /** The quantized kernel's variables (null while float). */
  get quantized(): QuantizedKernel | null {
    return this.quantizedKernel;
  }

  /**
   * Keras's `quantize(mode, config)`: int8 (`kernel` int8 [in, units], `kernel_scale` [units]) or
   * int4 (`kernel` packed [in, ceil(units/2)], grouped `kernel_scale`/`kernel_zero` [groups, units]
   * and `g_idx` [in]; `{blockSize: -1}` per channel: `kernel_scale` [units]). See EinsumDense.quantize.
   */
  quantize(mode: QuantizationMode, config: QuantizationConfig = {}): void {
    checkQuantizeArgs(this, mode);
    const blockSize = mode === 'int4' ? resolveBlockSize(`Dense '${this.name}'.quantize`, config) : -1;
    const floatKernel = this.requireBuilt('quantize').kernel;
    const kernelShape = [...floatKernel.shape];
    const plan = planProduct(this.name, denseQuantizationInfo, kernelShape);
    const values = quantizeKernelValues(Float32Array.from(floatKernel.value.dataSync()), mode, blockSize, denseQuantizationInfo, kernelShape, plan);
    this.kernelCache.dispose();
    this.removeWeight(floatKernel);
    this.buildQuantized(mode, blockSize, kernelShape[0]!);
    assignQuantizedValues(this.quantizedKernel!, values);
    this.setDTypePolicy(quantizedPolicyAfter(this.dtypePolicy, mode, blockSize));
  }

  private buildQuantized(mode: QuantizationMode, blockSize: number, inputDim: number): void {
    this.quantizedKernel = buildQuantizedKernel(this.name, (name, shape, options) => this.addWeight(name, shape, options), mode, blockSize, denseQuantizationInfo, [inputDim, this.units], this.units);
    this.kernelWeight = this.quantizedKernel.kernel;
  }

  call(inputs: Tensor, _options: CallOptions = {}): Tensor {
    const { kernel, bias } = this.requireBuilt('call');
    const inputDim = kernel.shape[0]!;
    if (!(inputs instanceof tz.Tensor) || inputs.rank === 0 || inputs.shape[inputs.rank - 1] !== inputDim)
      argumentError(`Dense '${this.name}'`, 'inputs', `a tensor whose last axis is ${inputDim}`, inputs);
    const dtype = this.computeDtype;
    let out: Tensor;
    if (this.quantizedKernel) {
      // Keras's _int8_call / _int4_call: the quantized product, + LoRA, cast, then bias and activation.
      out = quantizedProduct(this.quantizedKernel, inputs, 1, (x, w) => tz.matMul(x, w));
      if (this.lora) {
        const input = inputs.dtype === 'float32' ? inputs : tz.cast(inputs, 'float32');
        out = tz.add(out, tz.mul(tz.matMul(tz.matMul(input, this.lora.a.value), this.lora.b.value), this.lora.scale));
      }
      out = castTo(out, dtype);
    } else out = castTo(tz.matMul(inputs, effectiveWeight(kernel, this.lora, dtype, this.kernelCache)), dtype);
    if (bias) out = castTo(tz.add(out, effectiveWeight(bias, null, dtype, this.biasCache)), dtype);
    return applyActivation(this.activationFunction, out);
  }

  /** A new Dense from getConfig() output (without weights). */
  static fromConfig(config: DenseConfig | Record<string, unknown>): Dense {
    return new Dense({ ...(config as DenseConfig) });
  }

  override getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {
      ...super.getConfig(),
      units: this.units,
      activation: this.activation,
      useBias: this.useBias,
      kernelInitializer: serialize(this.kernelInitializer),
      biasInitializer: serialize(this.biasInitializer),
    };
    if (this.loraRank) Object.assign(config, { loraRank: this.loraRank, loraAlpha: this.loraAlpha });
    return config;
  }

  override dispose(): void {
    for (const tensor of this.savedMerged) tensor.dispose();
    this.savedMerged = [];
    this.kernelCache.dispose();
    this.biasCache.dispose();
    super.dispose();
  }

  private requireBuilt(what: string): { kernel: Variable; bias: Variable | null } {
    if (!this.kernelWeight) throw new TensorzooError(`Dense '${this.name}'.${what}: the layer is not built yet (call build(inputShape) or apply it once first)`);
    return { kernel: this.kernelWeight, bias: this.biasWeight };
  }
}
