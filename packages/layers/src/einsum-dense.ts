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
    this.kernelWeight = this.addWeight('kernel', analysis.kernelShape, { initializer });
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
    if (!this.lora) return this.kernelWeight!.value;
    return effectiveWeight(this.kernelWeight!, this.lora, this.computeDtype, this.kernelCache);
  }

  /**
   * Turns LoRA on: adds float32 `lora_kernel_a` (kernel.shape[:-1] + [rank]) and `lora_kernel_b`
   * ([rank, kernel.shape[-1]]), freezes the kernel. Errors if not built, already enabled, or rank ≤ 0.
   */
  enableLora(rank: number, options: EnableLoraOptions = {}): void {
    checkEnableLora(this, this.lora, rank, options.loraAlpha);
    const kernelShape = this.kernelWeight!.shape;
    const a = this.addWeight('lora_kernel_a', [...kernelShape.slice(0, -1), rank], { initializer: options.aInitializer ?? 'he_uniform', dtype: 'float32' });
    const b = this.addWeight('lora_kernel_b', [rank, kernelShape[kernelShape.length - 1]!], { initializer: options.bInitializer ?? 'zeros', dtype: 'float32' });
    this.kernelWeight!.trainable = false;
    this.lora = new LoraState(a, b, rank, options.loraAlpha ?? rank);
  }

  /** Keras's saved entries: the effective (LoRA-merged) kernel, then the bias if any. Owned by the layer. */
  override saveOwnVariables(): Tensor[] {
    return [this.kernel, ...(this.biasWeight ? [this.biasWeight.value] : [])];
  }

  /** Assigns the kernel (and bias); with LoRA on, the factors are reset to zeros (the kernel is merged). */
  override loadOwnVariables(values: readonly (Tensor | ArrayLike<number>)[]): void {
    this.requireAnalysis('loadOwnVariables');
    loadMergedWeights(this, [this.kernelWeight!, ...(this.biasWeight ? [this.biasWeight] : [])], this.lora, values);
  }

  call(inputs: Tensor, _options: CallOptions = {}): Tensor {
    const analysis = this.requireAnalysis('call');
    const expectedRank = analysis.inputSpec.length + analysis.elided;
    if (!(inputs instanceof tz.Tensor) || inputs.rank !== expectedRank)
      argumentError(`EinsumDense '${this.name}'`, 'inputs', `a tensor of rank ${expectedRank} (as built)`, inputs);
    const dtype = this.computeDtype;
    const kernel = effectiveWeight(this.kernelWeight!, this.lora, dtype, this.kernelCache);
    let out = castTo(tz.einsum(this.equation, inputs, kernel), dtype);
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
    this.kernelCache.dispose();
    this.biasCache.dispose();
    super.dispose();
  }

  private requireAnalysis(what: string): EinsumAnalysis {
    if (!this.analysis) throw new TensorzooError(`EinsumDense '${this.name}'.${what}: the layer is not built yet (call build(inputShape) or apply it once first)`);
    return this.analysis;
  }
}
