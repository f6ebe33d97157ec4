// Dense: y = activation(x @ kernel + bias), kernel [in, units], bias [units]; with Keras's LoRA.
import * as tz from '@tensorzoo/core';
import { argumentError, TensorzooError, type Tensor } from '@tensorzoo/core';
import { applyActivation, getActivation, type ActivationFunction, type ActivationIdentifier } from './activations.js';
import { get as getInitializer, serialize, type Initializer, type InitializerIdentifier } from './initializers.js';
import { knownDimension, Layer, type CallOptions, type InputShape, type LayerConfig, type Shape } from './layer.js';
import { castTo, checkEnableLora, DerivedTensorCache, effectiveWeight, loadMergedWeights, LoraState, type EnableLoraOptions } from './lora.js';
import type { Variable } from './variable.js';

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
    this.kernelWeight = this.addWeight('kernel', [inputDim, this.units], { initializer: this.kernelInitializer });
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
    if (!this.lora) return kernel.value;
    return effectiveWeight(kernel, this.lora, this.computeDtype, this.kernelCache);
  }

  /** Adds float32 `lora_kernel_a` [in, rank] and `lora_kernel_b` [rank, units] and freezes the kernel. */
  enableLora(rank: number, options: EnableLoraOptions = {}): void {
    checkEnableLora(this, this.lora, rank, options.loraAlpha);
    const [inputDim, units] = this.kernelWeight!.shape as [number, number];
    const a = this.addWeight('lora_kernel_a', [inputDim, rank], { initializer: options.aInitializer ?? 'he_uniform', dtype: 'float32' });
    const b = this.addWeight('lora_kernel_b', [rank, units], { initializer: options.bInitializer ?? 'zeros', dtype: 'float32' });
    this.kernelWeight!.trainable = false;
    this.lora = new LoraState(a, b, rank, options.loraAlpha ?? rank);
  }

  /** Keras's saved entries: the effective (LoRA-merged) kernel, then the bias if any. Owned by the layer. */
  override saveOwnVariables(): Tensor[] {
    return [this.kernel, ...(this.biasWeight ? [this.biasWeight.value] : [])];
  }

  /** Assigns the kernel (and bias); with LoRA on, the factors are reset to zeros (the kernel is merged). */
  override loadOwnVariables(values: readonly (Tensor | ArrayLike<number>)[]): void {
    const { kernel, bias } = this.requireBuilt('loadOwnVariables');
    loadMergedWeights(this, [kernel, ...(bias ? [bias] : [])], this.lora, values);
  }

  call(inputs: Tensor, _options: CallOptions = {}): Tensor {
    const { kernel, bias } = this.requireBuilt('call');
    const inputDim = kernel.shape[0]!;
    if (!(inputs instanceof tz.Tensor) || inputs.rank === 0 || inputs.shape[inputs.rank - 1] !== inputDim)
      argumentError(`Dense '${this.name}'`, 'inputs', `a tensor whose last axis is ${inputDim}`, inputs);
    const dtype = this.computeDtype;
    let out = castTo(tz.matMul(inputs, effectiveWeight(kernel, this.lora, dtype, this.kernelCache)), dtype);
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
    this.kernelCache.dispose();
    this.biasCache.dispose();
    super.dispose();
  }

  private requireBuilt(what: string): { kernel: Variable; bias: Variable | null } {
    if (!this.kernelWeight) throw new TensorzooError(`Dense '${this.name}'.${what}: the layer is not built yet (call build(inputShape) or apply it once first)`);
    return { kernel: this.kernelWeight, bias: this.biasWeight };
  }
}
