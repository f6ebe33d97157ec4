// A weight: a tensor owned by the variable, with a name, a Keras-style path, a dtype and a
// trainable flag. Values only change through `assign`, which bumps `version` so that layers can
// cache what they derive from it (a LoRA-merged kernel, a cast copy).
import * as tz from '@tensorzoo/core';
import { argumentError, TensorzooError, type DType, type Tensor } from '@tensorzoo/core';
import { get as getInitializer, type InitializerIdentifier } from './initializers.js';

/** What a variable needs from the layer that owns it: the prefix of its path. */
export interface VariableOwner {
  /** '' for a path root, else the owner's path followed by '/'. */
  readonly pathPrefix: string;
}

export interface VariableOptions {
  name: string;
  shape: readonly number[];
  dtype?: DType;
  trainable?: boolean;
  /** Used when `initialValue` is not given (default 'zeros'). */
  initializer?: InitializerIdentifier;
  /** A tensor (copied) or flat values in row-major order. */
  initialValue?: Tensor | ArrayLike<number>;
  owner?: VariableOwner | null;
}

export class Variable {
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
  trainable: boolean;
  private owner: VariableOwner | null;
  private current: Tensor | null;
  /** Set until the first read: weights materialize lazily, so a model that is loaded (or only
   * inspected, like a 27B architecture for its layout) never pays for random initialization. */
  private pendingInitializer: ReturnType<typeof getInitializer> | null = null;
  private versionCounter = 0;

  /**
   * @param options.name the variable's own name ('kernel')
   * @param options.shape its shape
   * @param options.dtype its dtype (default float32)
   * @param options.trainable whether training updates it (default true)
   * @param options.initializer how to fill it when no initial value is given (default zeros)
   * @param options.initialValue a tensor (copied, cast to dtype) or flat values
   * @param options.owner the layer that owns it (gives the path)
   */
  constructor(options: VariableOptions) {
    if (typeof options.name !== 'string' || options.name === '') argumentError('Variable', 'name', 'a non-empty string', options.name);
    if (!Array.isArray(options.shape) || !options.shape.every((size) => Number.isInteger(size) && size >= 0))
      argumentError('Variable', 'shape', 'an array of non-negative integers', options.shape);
    this.name = options.name;
    this.shape = Object.freeze([...options.shape]);
    this.dtype = options.dtype ?? 'float32';
    if (this.dtype === 'bool') argumentError('Variable', 'dtype', 'float32, bfloat16, float16 or int32', this.dtype);
    this.trainable = options.trainable ?? true;
    this.owner = options.owner ?? null;
    this.current = null;
    if (options.initialValue !== undefined) this.current = tz.keep(this.convert(options.initialValue));
    else this.pendingInitializer = getInitializer(options.initializer ?? 'zeros');
  }

  /** The owner's path + '/' + name ('decoder_block_0/attention/query/kernel'); the name alone without an owner. */
  get path(): string {
    return (this.owner?.pathPrefix ?? '') + this.name;
  }

  /** Incremented by every `assign`. */
  get version(): number {
    return this.versionCounter;
  }

  get size(): number {
    return this.shape.reduce((total, size) => total * size, 1);
  }

  get isDisposed(): boolean {
    return this.current === null && this.pendingInitializer === null;
  }

  /** Whether the value exists yet (false until the first read of a never-assigned variable). */
  get isMaterialized(): boolean {
    return this.current !== null;
  }

  /** The current value. Owned by the variable: do not dispose it; it is replaced by `assign`. */
  get value(): Tensor {
    if (!this.current && this.pendingInitializer) {
      const initial = this.pendingInitializer.call(this.shape, 'float32');
      this.pendingInitializer = null;
      this.current = tz.keep(this.adopt(initial));
    }
    if (!this.current) throw new TensorzooError(`Variable '${this.path}' was used after dispose()`);
    return this.current;
  }

  /**
   * Replaces the value. A tensor is copied (cast to this dtype), never adopted: the caller keeps
   * ownership of what it passed. Flat values are row-major. The shape must equal this shape.
   */
  assign(value: Tensor | ArrayLike<number>): void {
    const next = tz.keep(this.convert(value));
    this.current?.dispose();
    this.current = next;
    this.pendingInitializer = null;
    this.versionCounter++;
  }

  /** The value's numbers, decoded to float32 (or int32 for an int32 variable). */
  numpy(): Float32Array | Int32Array {
    return this.value.dataSync() as Float32Array | Int32Array;
  }

  dispose(): void {
    this.current?.dispose();
    this.current = null;
    this.pendingInitializer = null;
  }

  /** Sets the owner once (a layer adopting a variable made outside it). */
  setOwner(owner: VariableOwner): void {
    if (this.owner && this.owner !== owner) throw new TensorzooError(`Variable '${this.path}' already belongs to a layer`);
    this.owner = owner;
  }

  toString(): string {
    return `Variable(${this.path}, ${this.dtype}, [${this.shape.join(', ')}])`;
  }

  private convert(value: Tensor | ArrayLike<number>): Tensor {
    if (value instanceof tz.Tensor) {
      if (value.shape.length !== this.shape.length || value.shape.some((size, axis) => size !== this.shape[axis]))
        argumentError(`Variable '${this.path}'.assign`, 'value', `shape [${this.shape.join(', ')}]`, `shape [${value.shape.join(', ')}]`);
      return tz.cast(value, this.dtype);
    }
    if (value === null || typeof value !== 'object' || typeof (value as ArrayLike<number>).length !== 'number')
      return argumentError(`Variable '${this.path}'.assign`, 'value', 'a Tensor or an array of numbers', value);
    if (value.length !== this.size)
      argumentError(`Variable '${this.path}'.assign`, 'value', `${this.size} values (shape [${this.shape.join(', ')}])`, `${value.length} values`);
    const flat = value instanceof Float32Array || value instanceof Int32Array || value instanceof Int8Array ? value : Float32Array.from(value);
    return tz.tensor(flat, this.shape, this.dtype);
  }

  private adopt(initial: Tensor): Tensor {
    if (initial.dtype === this.dtype) return initial;
    const cast = tz.cast(initial, this.dtype);
    initial.dispose();
    return cast;
  }
}
