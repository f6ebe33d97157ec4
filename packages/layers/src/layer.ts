// The Layer base class: Keras 3's Layer reduced to what a faithful port needs. Weights are created
// in build() through addWeight; nested layers are tracked explicitly (trackLayer) in creation order;
// apply() is Keras's __call__ (build from the input shapes on first use, cast float inputs to the
// compute dtype, run call() inside a scope so temporaries are freed).
import * as tz from '@tensorzoo/core';
import { argumentError, TensorzooError, type DType, type Tensor, type TensorContainer } from '@tensorzoo/core';
import { getDTypePolicy, isFloat, QuantizedDTypePolicy, type DTypePolicy, type DTypePolicyLike, type QuantizationMode } from './dtype-policy.js';
import { get as getInitializer, type InitializerIdentifier } from './initializers.js';
import { toSnakeCase, uniqueName } from './naming.js';
import { Variable } from './variable.js';

/** An input shape; null for a dimension that is not known. */
export type Shape = readonly (number | null)[];
export type InputShape = Shape | readonly Shape[] | Readonly<Record<string, Shape>>;

export interface LayerConfig {
  /** The layer's name; by default the snake_case class name made unique ('einsum_dense_1'). */
  name?: string;
  /** Whether its weights train (default true); propagates to nested layers. */
  trainable?: boolean;
  /** Variable and compute dtype: a policy or its name (default float32). */
  dtype?: DTypePolicyLike;
}

export interface CallOptions {
  /** Training mode (Dropout is active only when true). */
  training?: boolean;
  [key: string]: unknown;
}

export interface AddWeightOptions {
  initializer?: InitializerIdentifier;
  trainable?: boolean;
  /** Default: the policy's variable dtype. */
  dtype?: DType;
}

export abstract class Layer<Input = any, Output = any> {
  readonly name: string;
  private policy: DTypePolicy;
  private trainableFlag: boolean;
  private builtFlag = false;
  private parentLayer: Layer | null = null;
  private readonly children: Layer[] = [];
  // Keras keeps variables created trainable apart from those created non-trainable; the
  // `trainable` setter toggles only the former, and `weights` lists the former first.
  private readonly createdTrainable: Variable[] = [];
  private readonly createdNonTrainable: Variable[] = [];

  constructor(config: LayerConfig = {}) {
    // Keras forbids '/' in names: it separates the parts of a path.
    if (config.name !== undefined && (typeof config.name !== 'string' || config.name === '' || config.name.includes('/')))
      argumentError(new.target.name, 'name', "a non-empty string without '/'", config.name);
    this.name = config.name ?? uniqueName(toSnakeCase(new.target.name));
    this.trainableFlag = config.trainable ?? true;
    this.policy = getDTypePolicy(config.dtype);
    // Keras marks a layer built when its build() returns, whoever calls it; wrap the most derived
    // build once per instance so that direct calls count too. A second build() is a no-op.
    const build = this.build;
    Object.defineProperty(this, 'build', {
      value: (inputShape: InputShape) => {
        if (this.builtFlag) return;
        build.call(this, inputShape);
        this.builtFlag = true;
      },
      writable: false,
      enumerable: false,
    });
  }

  // === Dtypes ===

  /**
   * The policy's name ('float32', 'bfloat16', 'mixed_bfloat16', …), so that `dtype: this.dtype`
   * hands the whole policy to sublayers. Keras's `layer.dtype` is the variable dtype, which is the
   * same string except for mixed policies; `variableDtype` gives that.
   */
  get dtype(): string {
    return this.dtypePolicy.name;
  }

  /** The layer's policy; quantize() replaces it with a QuantizedDTypePolicy, as Keras does. */
  get dtypePolicy(): DTypePolicy {
    return this.policy;
  }

  /** Replaces the policy (quantize() does, after quantizing the weights). */
  protected setDTypePolicy(policy: DTypePolicy): void {
    this.policy = policy;
  }

  /** Keras's `quantization_mode`: null for a float layer, 'int8' or 'int4' once quantized (or built from a quantized policy). */
  get quantizationMode(): QuantizationMode | null {
    return this.policy.quantizationMode;
  }

  get variableDtype(): DType {
    return this.dtypePolicy.variableDtype;
  }

  get computeDtype(): DType {
    return this.dtypePolicy.computeDtype;
  }

  // === Names and paths ===

  /** Whether children's paths start afresh below this layer (a model: Keras leaves its name out). */
  protected get isPathRoot(): boolean {
    return false;
  }

  get parent(): Layer | null {
    return this.parentLayer;
  }

  /** The parent's path + '/' + name; the name alone at the top or below a path root. */
  get path(): string {
    return (this.parentLayer?.pathPrefix ?? '') + this.name;
  }

  /** What children's and variables' paths start with: '' for a path root, else path + '/'. */
  get pathPrefix(): string {
    return this.isPathRoot ? '' : `${this.path}/`;
  }

  // === Building ===

  get built(): boolean {
    return this.builtFlag;
  }

  /** Marks the layer built from inside build() (before enabling LoRA there, as Keras does). */
  protected setBuilt(): void {
    this.builtFlag = true;
  }

  /** Creates the weights for inputs of `inputShape`. Called once; later calls do nothing. */
  build(_inputShape: InputShape): void {}

  abstract call(inputs: Input, options?: CallOptions): Output;

  /** Keras's `__call__`: builds from the inputs' shapes on first use, casts float inputs to the compute dtype, then call(). */
  apply(inputs: Input, options: CallOptions = {}): Output {
    if (!this.builtFlag) this.build(shapesOf(this, inputs));
    return tz.tidy(() => this.call(this.castInputs(inputs), options) as TensorContainer) as Output;
  }

  /** Whether apply() casts float tensor inputs to the compute dtype (Keras's autocast of inputs). */
  protected get autocastInputs(): boolean {
    return true;
  }

  private castInputs(inputs: Input): Input {
    if (!this.autocastInputs) return inputs;
    const target = this.computeDtype;
    const convert = (value: unknown): unknown => {
      if (value instanceof tz.Tensor) return isFloat(value.dtype) && value.dtype !== target ? tz.cast(value, target) : value;
      if (Array.isArray(value)) return value.map(convert);
      if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, convert(item)]));
      return value;
    };
    return convert(inputs) as Input;
  }

  // === Weights and nested layers ===

  /** Creates a weight owned by this layer (path `<layer path>/<name>`). */
  protected addWeight(name: string, shape: readonly number[], options: AddWeightOptions = {}): Variable {
    const trainable = options.trainable ?? true;
    if ([...this.createdTrainable, ...this.createdNonTrainable].some((variable) => variable.name === name))
      argumentError(`${this.constructor.name} '${this.name}'.addWeight`, 'name', 'a name not yet used by this layer', name);
    const variable = new Variable({
      name,
      shape,
      dtype: options.dtype ?? this.variableDtype,
      trainable: trainable && this.trainableFlag,
      initializer: getInitializer(options.initializer ?? 'zeros'),
      owner: this,
    });
    (trainable ? this.createdTrainable : this.createdNonTrainable).push(variable);
    return variable;
  }

  /** Disposes and forgets one of this layer's own weights (Keras's `del self._kernel` before quantized_build). */
  protected removeWeight(variable: Variable): void {
    for (const list of [this.createdTrainable, this.createdNonTrainable]) {
      const index = list.indexOf(variable);
      if (index >= 0) list.splice(index, 1);
    }
    variable.dispose();
  }

  /** Tracks a nested layer (creation order is kept) and makes this layer its parent for paths. */
  protected trackLayer<T extends Layer>(layer: T): T {
    if (!(layer instanceof Layer)) argumentError(`${this.constructor.name} '${this.name}'.trackLayer`, 'layer', 'a Layer', layer);
    if (layer === (this as Layer)) argumentError(`${this.constructor.name} '${this.name}'.trackLayer`, 'layer', 'a layer other than itself', layer.name);
    if (!this.children.includes(layer)) this.children.push(layer);
    if (!layer.parentLayer) layer.parentLayer = this;
    return layer;
  }

  /** Direct nested layers in creation order. */
  get layers(): Layer[] {
    return [...this.children];
  }

  /** Own weights (created-trainable first, then created-non-trainable), then each child's, in creation order. */
  get weights(): Variable[] {
    const seen = new Set<Variable>();
    const out: Variable[] = [];
    const visit = (layer: Layer) => {
      for (const variable of [...layer.createdTrainable, ...layer.createdNonTrainable])
        if (!seen.has(variable)) {
          seen.add(variable);
          out.push(variable);
        }
      for (const child of layer.children) visit(child);
    };
    visit(this);
    return out;
  }

  get trainableWeights(): Variable[] {
    return this.trainableFlag ? this.weights.filter((variable) => variable.trainable) : [];
  }

  get nonTrainableWeights(): Variable[] {
    return this.trainableFlag ? this.weights.filter((variable) => !variable.trainable) : this.weights;
  }

  get trainable(): boolean {
    return this.trainableFlag;
  }

  /** Keras semantics: sets the flag, the trainable flag of every variable created trainable, and every nested layer's. */
  set trainable(value: boolean) {
    this.trainableFlag = Boolean(value);
    for (const variable of this.createdTrainable) variable.trainable = this.trainableFlag;
    for (const child of this.children) child.trainable = this.trainableFlag;
  }

  /** This layer's own variables (not its children's): created-trainable first, in creation order. */
  get ownWeights(): Variable[] {
    return [...this.createdTrainable, ...this.createdNonTrainable];
  }

  /**
   * Keras's save_own_variables: the values a weights file stores for this layer, in entry order
   * ("0", "1", …). By default the own weights; layers with LoRA give the merged kernel instead.
   * The tensors belong to the layer: do not dispose them.
   */
  saveOwnVariables(): Tensor[] {
    return this.ownWeights.map((variable) => variable.value);
  }

  /**
   * Keras's load_own_variables: assigns stored values in entry order (each is copied and cast to
   * the variable's dtype). The count must match, as Keras requires.
   */
  loadOwnVariables(values: readonly (Tensor | ArrayLike<number>)[]): void {
    const own = this.ownWeights;
    if (values.length !== own.length)
      throw new TensorzooError(
        `Layer '${this.name}' expected ${own.length} variables, but received ${values.length} variables during loading. ` +
          `Expected: [${own.map((variable) => variable.name).join(', ')}]`,
      );
    own.forEach((variable, index) => variable.assign(values[index]!));
  }

  /** The number of scalars in all weights. */
  countParams(): number {
    if (!this.builtFlag)
      throw new TensorzooError(`${this.constructor.name} '${this.name}'.countParams: the layer is not built yet (call build() or apply() first)`);
    return this.weights.reduce((total, variable) => total + variable.size, 0);
  }

  /** A mask for the outputs (Embedding with maskZero); none by default. The caller owns it. */
  computeMask(_inputs: Input, _previousMask?: Tensor | null): Tensor | null {
    return null;
  }

  // === Config ===

  /**
   * The constructor options that rebuild this layer (camelCase keys, JSON-friendly values). Each
   * concrete class has a static `fromConfig(config)` that takes this back (declared per class, not
   * here, so that a subclass can type it with its own config).
   */
  getConfig(): Record<string, unknown> {
    // A float policy by name (as before); a quantized one as Keras's serialized JSON.
    const dtype = this.policy instanceof QuantizedDTypePolicy ? this.policy.toJSON() : this.policy.name;
    return { name: this.name, trainable: this.trainableFlag, dtype };
  }

  /** Frees every weight of this layer and its nested layers. The layer cannot be used afterwards. */
  dispose(): void {
    for (const variable of [...this.createdTrainable, ...this.createdNonTrainable]) variable.dispose();
    for (const child of this.children) child.dispose();
  }

  toString(): string {
    return `${this.constructor.name}(${this.name})`;
  }
}

/**
 * A layer whose nested layers' paths leave its own name out, as a Keras model's do
 * ('token_embedding/embeddings', not 'gemma_backbone/token_embedding/embeddings'). A model that
 * builds its layers in its constructor (as a Keras functional model is built) calls setBuilt().
 */
export abstract class Model<Input = any, Output = any> extends Layer<Input, Output> {
  protected override get isPathRoot(): boolean {
    return true;
  }
}

function shapesOf(layer: Layer, inputs: unknown): InputShape {
  if (inputs instanceof tz.Tensor) return [...inputs.shape];
  if (Array.isArray(inputs)) return inputs.map((item) => shapesOf(layer, item) as Shape);
  if (inputs && typeof inputs === 'object')
    return Object.fromEntries(Object.entries(inputs).map(([key, item]) => [key, shapesOf(layer, item) as Shape]));
  return argumentError(`${layer.constructor.name} '${layer.name}'`, 'inputs', 'a Tensor, an array or a record of Tensors', inputs);
}

/** The concrete size of `shape[axis]`, or a clear error when it is null. */
export function knownDimension(op: string, shape: Shape, axis: number): number {
  const position = axis < 0 ? shape.length + axis : axis;
  const size = shape[position];
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0)
    argumentError(op, 'inputShape', `a known size at axis ${axis}`, `[${shape.map((value) => value ?? 'null').join(', ')}]`);
  return size;
}
