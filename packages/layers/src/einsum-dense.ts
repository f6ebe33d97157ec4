// EinsumDense: y = activation(einsum(equation, x, kernel) + bias), with the kernel and bias shapes
// derived from the equation as Keras derives them (einsum-analysis.ts), VarianceScaling fans taken
// from the kernel's input and output axes, and Keras's LoRA.
import * as tz from '@tensorzoo/core';
import { argumentError, TensorzooError, type Tensor } from '@tensorzoo/core';
import { applyActivation, getActivation, type ActivationFunction, type ActivationIdentifier } from './activations.js';
import { analyzeEinsum, splitEinsumEquation, type EinsumAnalysis } from './einsum-analysis.js';
import { get as getInitializer, serialize, VarianceScaling, type Initializer, type InitializerIdentifier } from './initializers.js';
import { Layer, type CallOptions, type InputShape, type LayerConfig, type Shape } from './layer.js';
import { castTo, checkEnableLora, DerivedTensorCache, effectiveWeight, loadMergedWeights, LoraState, type EnableLoraOptions } from './lora.js';
import { int4BlockSizeOf, type QuantizationMode } from './dtype-policy.js';
import { analyzeQuantization, planProduct, type QuantizationInfo } from './quantization-analysis.js';
import {
  assignQuantizedValues, buildQuantizedKernel, checkQuantizeArgs, mergeLoraIntoQuantized, quantizedPolicyAfter, quantizedProduct, quantizedSaveValues,
  quantizeKernelValues, resolveBlockSize, type QuantizationConfig, type QuantizedKernel,
} from './quantized-kernel.js';
import type { Variable } from './variable.js';

export interface EinsumDenseConfig extends LayerConfig {
  equation: string;
  outputShape: number | Shape;
  activation?: ActivationIdentifier;
  biasAxes?: string | null;
  kernelInitializer?: InitializerIdentifier;
  biasInitializer?: InitializerIdentifier;
  loraRank?: number | null;
  loraAlpha?: number | null;
}

/**
 * A dense layer of any einsum shape.
 * @param config.equation 'X,Y->Z', '...X,Y->...Z' or 'X...,Y->Z...' (input, kernel, output letters)
 * @param config.outputShape the output's dims without the batch and elided dims; null for a size taken from the input
 * @param config.activation a name ('gelu', 'relu', …), a function or null (default: none)
 * @param config.biasAxes output letters that get a bias (default null: no bias)
 * @param config.kernelInitializer default 'glorot_uniform' (fans from the einsum's input/output axes)
 * @param config.biasInitializer default 'zeros'
 * @param config.loraRank enable LoRA of this rank when built (default null)
 * @param config.loraAlpha LoRA scale numerator (default loraRank)
 * @param config.name, config.trainable, config.dtype as for every layer
 */
export class EinsumDense extends Layer<Tensor, Tensor> {
  readonly equation: string;
  readonly outputShape: number | Shape;
  readonly activation: ActivationIdentifier;
  readonly biasAxes: string | null;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  private readonly activationFunction: ActivationFunction | null;
  private readonly configuredLoraRank: number | null;
  private readonly configuredLoraAlpha: number | null;
  private analysis: EinsumAnalysis | null = null;
  private kernelWeight: Variable | null = null;
  private biasWeight: Variable | null = null;
  private lora: LoraState | null = null;
  private readonly kernelCache = new DerivedTensorCache();
  private readonly biasCache = new DerivedTensorCache();
  private quantizedKernel: QuantizedKernel | null = null;
  private quantizationInfo: QuantizationInfo | null = null;
  private savedMerged: Tensor[] = [];

  constructor(config: EinsumDenseConfig) {
    super(config);
    const op = `EinsumDense '${this.name}'`;
    if (!config || typeof config.equation !== 'string') argumentError(op, 'equation', 'a string', config?.equation);
    splitEinsumEquation(config.equation);
    const outputShape = config.outputShape;
    const validSize = (size: unknown) => size === null || (Number.isInteger(size) && (size as number) >= 0);
    if (!(typeof outputShape === 'number' ? validSize(outputShape) : Array.isArray(outputShape) && outputShape.every(validSize)))
      argumentError(op, 'outputShape', 'a non-negative integer or an array of non-negative integers and nulls', outputShape);
    this.equation = config.equation;
    this.outputShape = typeof outputShape === 'number' ? outputShape : Object.freeze([...outputShape]);
    this.activation = config.activation ?? null;
    this.activationFunction = getActivation(this.activation);
    this.biasAxes = config.biasAxes ?? null;
    this.kernelInitializer = getInitializer(config.kernelInitializer ?? 'glorot_uniform');
    this.biasInitializer = getInitializer(config.biasInitializer ?? 'zeros');
    if (config.loraRank !== undefined && config.loraRank !== null && !(Number.isInteger(config.loraRank) && config.loraRank > 0))
      argumentError(op, 'loraRank', 'a positive integer or null', config.loraRank);
    this.configuredLoraRank = config.loraRank ?? null;
    this.configuredLoraAlpha = config.loraAlpha ?? this.configuredLoraRank;
  }

  override build(inputShape: InputShape): void {
    const shape = inputShape as Shape;
    if (!Array.isArray(shape) || shape.some((size) => Array.isArray(size)))
      argumentError(`EinsumDense '${this.name}'.build`, 'inputShape', 'one shape (an array of sizes)', inputShape);
    const analysis = analyzeEinsum(this.equation, this.biasAxes, shape, this.outputShape);
    this.analysis = analysis;
    // A VarianceScaling kernel initializer counts fans over the einsum's own input/output axes.
    let initializer = this.kernelInitializer;
    if (initializer instanceof VarianceScaling && initializer.inputAxes === null)
      initializer = initializer.withFanAxes(analysis.kernelInputAxes, analysis.kernelOutputAxes);
    // Keras's build: a quantized policy (a layer read from a quantized preset) creates the
    // quantized variables (quantized_build) instead of the float kernel, before the bias.
    const mode = this.quantizationMode;
    if (mode) this.buildQuantized(mode, int4BlockSizeOf(this.dtypePolicy));
    else this.kernelWeight = this.addWeight('kernel', analysis.kernelShape, { initializer });
    if (analysis.biasShape) this.biasWeight = this.addWeight('bias', analysis.biasShape, { initializer: this.biasInitializer });
    this.setBuilt();
    if (this.configuredLoraRank) this.enableLora(this.configuredLoraRank, { loraAlpha: this.configuredLoraAlpha });
  }

  /** The output shape for inputs of `inputShape` (null where unknown), as the equation gives it. */
  computeOutputShape(inputShape: Shape): (number | null)[] {
    return [...analyzeEinsum(this.equation, this.biasAxes, inputShape, this.outputShape).fullOutputShape];
  }

  /** The output shape including the batch and elided dims (null where unknown); available once built. */
  get fullOutputShape(): (number | null)[] {
    return [...this.requireAnalysis('fullOutputShape').fullOutputShape];
  }

  /** The stored kernel variable (the frozen base when LoRA is on). */
  get kernelVariable(): Variable {
    this.requireAnalysis('kernelVariable');
    return this.kernelWeight!;
  }

  get biasVariable(): Variable | null {
    this.requireAnalysis('biasVariable');
    return this.biasWeight;
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

  /**
   * The effective kernel: the variable's value, or with LoRA cast(W + (alpha/r)·A@B, compute dtype).
   * Owned by the layer (cached until a weight is assigned): do not dispose it.
   */
  get kernel(): Tensor {
    this.requireAnalysis('kernel');
    // Quantized: the stored int8 kernel (packed for int4); LoRA is applied in call(), not merged here.
    if (!this.lora || this.quantizedKernel) return this.kernelWeight!.value;
    return effectiveWeight(this.kernelWeight!, this.lora, this.computeDtype, this.kernelCache);
  }

  /**
   * Turns LoRA on: adds float32 `lora_kernel_a` (kernel.shape[:-1] + [rank]) and `lora_kernel_b`
   * ([rank, kernel.shape[-1]]), freezes the kernel. Errors if not built, already enabled, or rank ≤ 0.
   */
  enableLora(rank: number, options: EnableLoraOptions = {}): void {
    checkEnableLora(this, this.lora, rank, options.loraAlpha);
    // int4 stores a flattened, packed kernel: the factors follow the float kernel's shape (Keras).
    const kernelShape = this.quantizedKernel?.kernelShape ?? this.kernelWeight!.shape;
    const a = this.addWeight('lora_kernel_a', [...kernelShape.slice(0, -1), rank], { initializer: options.aInitializer ?? 'he_uniform', dtype: 'float32' });
    const b = this.addWeight('lora_kernel_b', [rank, kernelShape[kernelShape.length - 1]!], { initializer: options.bInitializer ?? 'zeros', dtype: 'float32' });
    this.kernelWeight!.trainable = false;
    this.lora = new LoraState(a, b, rank, options.loraAlpha ?? rank);
  }

  /**
   * Keras's saved entries (variable_serialization_spec): float: kernel (LoRA merged), bias;
   * int8: kernel, bias, kernel_scale; int4: kernel, bias, kernel_scale, kernel_zero, g_idx (the
   * last two when grouped). With LoRA on a quantized kernel, the kernel is dequantized, merged and
   * quantized again (Keras's _get_kernel_with_merged_lora). Owned by the layer.
   */
  override saveOwnVariables(): Tensor[] {
    const bias = this.biasWeight ? [this.biasWeight.value] : [];
    if (!this.quantizedKernel) return [this.kernel, ...bias];
    for (const tensor of this.savedMerged) tensor.dispose();
    const merged = this.lora ? mergeLoraIntoQuantized(this.quantizedKernel, this.quantizationInfo!, this.lora) : null;
    const saved = quantizedSaveValues(this.quantizedKernel, merged);
    this.savedMerged = merged ? [saved.kernel, saved.scale, ...(saved.zero ? [saved.zero] : [])] : [];
    return [saved.kernel, ...bias, saved.scale, ...(saved.zero ? [saved.zero] : []), ...(saved.gIdx ? [saved.gIdx] : [])];
  }

  /** Assigns the stored entries in saveOwnVariables' order; with LoRA on, the factors are reset to zeros (the kernel is merged). */
  override loadOwnVariables(values: readonly (Tensor | ArrayLike<number>)[]): void {
    this.requireAnalysis('loadOwnVariables');
    const bias = this.biasWeight ? [this.biasWeight] : [];
    const quantized = this.quantizedKernel;
    const targets = quantized ? [quantized.kernel, ...bias, quantized.scale, ...(quantized.zero ? [quantized.zero, quantized.gIdx!] : [])] : [this.kernelWeight!, ...bias];
    loadMergedWeights(this, targets, this.lora, values);
  }

  /** The quantized kernel's variables (null while float): kernel, scale, zero, gIdx, and how its product runs. */
  get quantized(): QuantizedKernel | null {
    return this.quantizedKernel;
  }

  /**
   * Keras's `quantize(mode, config)`: quantizes the float kernel on the host (NumPy's float32
   * arithmetic, bit-exact), replaces it with Keras's variables (int8: `kernel` int8 + `kernel_scale`
   * in the output's layout; int4: `kernel` packed [rows, ceil(columns/2)], `kernel_scale`,
   * `kernel_zero`, `g_idx` when grouped) and sets the policy to 'int8_from_<policy>' or
   * 'int4/<block size>_from_<policy>'. Errors (Keras's): not built, already quantized, a mode
   * other than 'int8'/'int4'.
   * @param config int4: `{blockSize}` (default 128; -1 per-channel)
   */
  quantize(mode: QuantizationMode, config: QuantizationConfig = {}): void {
    checkQuantizeArgs(this, mode);
    const op = `EinsumDense '${this.name}'.quantize`;
    const blockSize = mode === 'int4' ? resolveBlockSize(op, config) : -1;
    const analysis = this.requireAnalysis('quantize');
    const info = analyzeQuantization(this.equation, analysis.inputSpec.length + analysis.elided);
    const plan = planProduct(this.name, info, analysis.kernelShape); // fails before anything changes
    const floatKernel = this.kernelWeight!;
    const values = quantizeKernelValues(Float32Array.from(floatKernel.value.dataSync()), mode, blockSize, info, analysis.kernelShape, plan);
    this.kernelCache.dispose();
    this.removeWeight(floatKernel);
    this.buildQuantized(mode, blockSize);
    assignQuantizedValues(this.quantizedKernel!, values);
    this.setDTypePolicy(quantizedPolicyAfter(this.dtypePolicy, mode, blockSize));
  }

  private buildQuantized(mode: QuantizationMode, blockSize: number): void {
    const analysis = this.analysis!;
    const info = analyzeQuantization(this.equation, analysis.inputSpec.length + analysis.elided);
    this.quantizationInfo = info;
    this.quantizedKernel = buildQuantizedKernel(this.name, (name, shape, options) => this.addWeight(name, shape, options), mode, blockSize, info, analysis.kernelShape);
    this.kernelWeight = this.quantizedKernel.kernel;
  }

  call(inputs: Tensor, _options: CallOptions = {}): Tensor {
    const analysis = this.requireAnalysis('call');
    const expectedRank = analysis.inputSpec.length + analysis.elided;
    if (!(inputs instanceof tz.Tensor) || inputs.rank !== expectedRank)
      argumentError(`EinsumDense '${this.name}'`, 'inputs', `a tensor of rank ${expectedRank} (as built)`, inputs);
    const dtype = this.computeDtype;
    let out: Tensor;
    if (this.quantizedKernel) {
      // Keras's _int8_call / _int4_call: the quantized product, + LoRA, cast, then bias and activation.
      out = quantizedProduct(this.quantizedKernel, inputs, this.quantizationInfo!.inputReducedAxes.length, (x, kernel) => tz.einsum(this.equation, x, kernel));
      if (this.lora) {
        const input = inputs.dtype === 'float32' ? inputs : tz.cast(inputs, 'float32');
        const loraOut = tz.matMul(tz.einsum(this.equation, input, this.lora.a.value), this.lora.b.value);
        out = tz.add(out, tz.mul(loraOut, this.lora.scale));
      }
      out = castTo(out, dtype);
    } else out = castTo(tz.einsum(this.equation, inputs, effectiveWeight(this.kernelWeight!, this.lora, dtype, this.kernelCache)), dtype);
    if (this.biasWeight) out = castTo(tz.add(out, effectiveWeight(this.biasWeight, null, dtype, this.biasCache)), dtype);
    return applyActivation(this.activationFunction, out);
  }

  /** A new EinsumDense from getConfig() output (without weights). */
  static fromConfig(config: EinsumDenseConfig | Record<string, unknown>): EinsumDense {
    return new EinsumDense({ ...(config as EinsumDenseConfig) });
  }

  override getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {
      ...super.getConfig(),
      equation: this.equation,
      outputShape: typeof this.outputShape === 'number' ? this.outputShape : [...this.outputShape],
      activation: this.activation,
      biasAxes: this.biasAxes,
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

  private requireAnalysis(what: string): EinsumAnalysis {
    if (!this.analysis) throw new TensorzooError(`EinsumDense '${this.name}'.${what}: the layer is not built yet (call build(inputShape) or apply it once first)`);
    return this.analysis;
  }
}
