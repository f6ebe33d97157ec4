// Dtype policies: the dtype a layer stores its variables in and the dtype it computes in.
// Compute in tensorzoo is float32 arithmetic on every backend; a bfloat16/float16 compute dtype
// means results are rounded to (and stored in) that dtype between layers, as Keras's are.
// Quantized policies (Keras 3.16 dtype_policies/dtype_policy.py): `QuantizedDTypePolicy`
// ('int8_from_float32') and `Int4DTypePolicy` ('int4/128_from_float32', block size in the name);
// `DTypePolicyMap` (dtype_policy_map.py) maps layer paths to policies, as a quantized KerasHub
// preset's config.json does. Serialized forms are Keras's JSON exactly.
import { argumentError, TensorzooError, type DType } from '@tensorzoo/core';

export type FloatDType = 'float32' | 'bfloat16' | 'float16';
export type DTypePolicyName = 'float32' | 'bfloat16' | 'float16' | 'mixed_bfloat16' | 'mixed_float16';
/** The quantization modes tensorzoo implements (Keras also has float8, ternary, gptq, awq). */
export type QuantizationMode = 'int8' | 'int4';
export const SUPPORTED_QUANTIZATION_MODES: readonly QuantizationMode[] = ['int8', 'int4'];
/** Keras's QUANTIZATION_MODES: recognised in names and configs, rejected with a clear error unless supported. */
const KERAS_QUANTIZATION_MODES = ['int8', 'float8', 'int4', 'ternary', 'gptq', 'awq'];

const policyNames: readonly DTypePolicyName[] = ['float32', 'bfloat16', 'float16', 'mixed_bfloat16', 'mixed_float16'];

/** The error for a mode other than 'int8'/'int4', naming the supported modes (Keras's message, our modes). */
export function unsupportedModeError(op: string, mode: unknown): TensorzooError {
  return new TensorzooError(
    `${op}: invalid quantization mode. Expected one of ('int8', 'int4'). Received: mode=${typeof mode === 'string' ? `'${mode}'` : String(mode)}` +
      (typeof mode === 'string' && KERAS_QUANTIZATION_MODES.includes(mode.split('/')[0]!) ? ` (Keras's '${mode.split('/')[0]}' mode is not supported by tensorzoo)` : ''),
  );
}

/** Whether `mode` is one tensorzoo implements; otherwise throws the error naming the supported modes. */
export function checkQuantizationMode(op: string, mode: unknown): asserts mode is QuantizationMode {
  if (!SUPPORTED_QUANTIZATION_MODES.includes(mode as QuantizationMode)) throw unsupportedModeError(op, mode);
}

export class DTypePolicy {
  /** 'float32', 'mixed_bfloat16', 'int8_from_float32', 'int4/128_from_bfloat16', … */
  readonly name: string;
  /** The dtype float variables are created in. */
  readonly variableDtype: FloatDType;
  /** The dtype inputs are cast to and outputs come out in. */
  readonly computeDtype: FloatDType;

  /** @param name one of float32, bfloat16, float16 (variables and compute alike), mixed_bfloat16, mixed_float16 (float32 variables) */
  constructor(name: DTypePolicyName) {
    if (!policyNames.includes(name)) argumentError('DTypePolicy', 'name', `one of ${policyNames.join(', ')}`, name);
    this.name = name;
    if (name.startsWith('mixed_')) {
      this.variableDtype = 'float32';
      this.computeDtype = name.slice('mixed_'.length) as FloatDType;
    } else {
      this.variableDtype = name as FloatDType;
      this.computeDtype = name as FloatDType;
    }
  }

  /** null for a float policy; 'int8' or 'int4' for a quantized one. */
  get quantizationMode(): QuantizationMode | null {
    return null;
  }

  /** Keras's serialized form: {module: 'keras', class_name: 'DTypePolicy', config: {name}, registered_name: null}. */
  toJSON(): SerializedDTypePolicy {
    return { module: 'keras', class_name: 'DTypePolicy', config: { name: this.name }, registered_name: null };
  }

  toString(): string {
    return `${this.constructor.name}(${this.name})`;
  }
}

/**
 * Keras's `QuantizedDTypePolicy(mode, source_name)`: name `<mode>_from_<source>`, with the
 * source policy's variable and compute dtypes (the float dtypes of what is not quantized: bias,
 * scales are float32 regardless).
 */
export class QuantizedDTypePolicy extends DTypePolicy {
  readonly mode: QuantizationMode;
  /** The float policy the layer was quantized from ('float32' when none was given, as Keras's global default). */
  readonly sourceName: DTypePolicyName;

  /**
   * @param mode 'int8' or 'int4' (an int4 with a block size is an Int4DTypePolicy; plain 'int4' is Keras's legacy per-channel int4)
   * @param sourceName the float policy's name (default 'float32')
   */
  constructor(mode: QuantizationMode, sourceName: DTypePolicyName | null = null) {
    checkQuantizationMode('QuantizedDTypePolicy', mode);
    super(sourceName ?? 'float32');
    this.mode = mode;
    this.sourceName = sourceName ?? 'float32';
    if (this.computeDtype === 'float16' && mode === 'int8')
      throw new TensorzooError(`QuantizedDTypePolicy: quantization mode='${mode}' doesn't work well with compute_dtype='float16'.`);
    (this as { name: string }).name = `${this.modeName}_from_${this.sourceName}`;
  }

  override get quantizationMode(): QuantizationMode {
    return this.mode;
  }

  /** The mode as written in the name and config: 'int8', 'int4', 'int4/128'. */
  get modeName(): string {
    return this.mode;
  }

  /**
   * Keras's serialized form. `sourceName: null` writes `"source_name": null`, as a
   * DTypePolicyMap without a default policy does when it serializes its entries.
   */
  override toJSON(options: { sourceName?: DTypePolicyName | null } = {}): SerializedDTypePolicy {
    const sourceName = 'sourceName' in options ? options.sourceName : this.sourceName;
    return { module: 'keras.dtype_policies', class_name: this.constructor.name, config: { mode: this.modeName, source_name: sourceName ?? null }, registered_name: null };
  }
}

/**
 * Keras's `Int4DTypePolicy('int4/<block_size>', source_name)`: grouped int4 with `blockSize` rows
 * per group (128 by default in Keras's int4 config), or -1 for per-channel.
 */
export class Int4DTypePolicy extends QuantizedDTypePolicy {
  readonly blockSize: number;

  /** @param mode 'int4/<block size>' ('int4/128', 'int4/-1'; Keras's legacy 'int4/None' reads as -1) */
  constructor(mode: string, sourceName: DTypePolicyName | null = null) {
    const parts = typeof mode === 'string' ? mode.split('/') : [];
    if (parts.length !== 2 || parts[0] !== 'int4')
      throw new TensorzooError(`Int4DTypePolicy: invalid mode. Expected format 'int4/<block_size>', but got '${mode}'.`);
    const blockSize = parts[1] === 'None' ? -1 : /^-?\d+$/.test(parts[1]!) ? Number(parts[1]) : NaN;
    if (Number.isNaN(blockSize))
      throw new TensorzooError(`Int4DTypePolicy: invalid mode. <block_size> must be an integer. Expected format 'int4/<block_size>', but got '${mode}'.`);
    if (blockSize < -1 || blockSize === 0)
      throw new TensorzooError(`Int4DTypePolicy: invalid block_size in mode. Supported values are -1 (per-channel) or a positive integer (sub-channel), but got ${blockSize} from '${mode}'.`);
    super('int4', sourceName);
    this.blockSize = blockSize;
    (this as { name: string }).name = `int4/${blockSize}_from_${this.sourceName}`;
  }

  override get modeName(): string {
    return `int4/${this.blockSize}`;
  }
}

/** A policy as Keras serializes it in config.json. */
export interface SerializedDTypePolicy {
  module: string;
  class_name: string;
  config: Record<string, unknown>;
  registered_name: string | null;
}

export type DTypePolicyLike = DTypePolicyName | DTypePolicy | SerializedDTypePolicy | string;

/**
 * A policy from a name ('float32', 'mixed_bfloat16', 'int8_from_float32', 'int4/128_from_float32'),
 * Keras's serialized JSON, or itself; `undefined` gives float32 (Keras's default global policy).
 */
export function getDTypePolicy(value: DTypePolicyLike | undefined | null): DTypePolicy {
  if (value === undefined || value === null) return new DTypePolicy('float32');
  if (value instanceof DTypePolicy) return value;
  if (typeof value === 'string') {
    if (policyNames.includes(value as DTypePolicyName)) return new DTypePolicy(value as DTypePolicyName);
    const mode = KERAS_QUANTIZATION_MODES.find((candidate) => value.startsWith(candidate));
    if (mode) {
      const parts = value.split('_from_');
      if (parts.length !== 2)
        throw new TensorzooError(`getDTypePolicy: cannot convert '${value}' into a valid pair (mode, source_name): expected '<mode>_from_<source policy>'`);
      const [modeName, sourceName] = parts as [string, string];
      if (!policyNames.includes(sourceName as DTypePolicyName)) argumentError('getDTypePolicy', 'dtype', `a source policy of ${policyNames.join(', ')}`, sourceName);
      if (modeName.startsWith('int4/')) return new Int4DTypePolicy(modeName, sourceName as DTypePolicyName);
      checkQuantizationMode('getDTypePolicy', modeName);
      return new QuantizedDTypePolicy(modeName, sourceName as DTypePolicyName);
    }
    return new DTypePolicy(value as DTypePolicyName); // throws, naming the float policies
  }
  if (typeof value === 'object') return deserializeDTypePolicy(value as SerializedDTypePolicy);
  return argumentError('getDTypePolicy', 'dtype', `one of ${policyNames.join(', ')} or a DTypePolicy`, value);
}

/** A policy from Keras's JSON ({class_name: 'DTypePolicy' | 'QuantizedDTypePolicy' | 'Int4DTypePolicy', config}). */
export function deserializeDTypePolicy(json: SerializedDTypePolicy): DTypePolicy {
  const className = json?.class_name;
  const config = (json?.config ?? {}) as Record<string, unknown>;
  const sourceName = (config.source_name ?? null) as DTypePolicyName | null;
  switch (className) {
    case 'DTypePolicy':
    case 'FloatDTypePolicy':
      return getDTypePolicy(config.name as string);
    case 'QuantizedDTypePolicy': {
      const mode = config.mode as string;
      if (typeof mode === 'string' && mode.startsWith('int4/')) return new Int4DTypePolicy(mode, sourceName);
      checkQuantizationMode('QuantizedDTypePolicy', mode);
      return new QuantizedDTypePolicy(mode, sourceName);
    }
    case 'Int4DTypePolicy':
      return new Int4DTypePolicy(config.mode as string, sourceName);
    case 'QuantizedFloat8DTypePolicy':
    case 'GPTQDTypePolicy':
    case 'AWQDTypePolicy':
    case 'TernaryDTypePolicy':
      throw unsupportedModeError(`deserializeDTypePolicy (${className})`, config.mode);
    default:
      return argumentError('deserializeDTypePolicy', 'class_name', 'DTypePolicy, QuantizedDTypePolicy or Int4DTypePolicy', className);
  }
}

/**
 * Keras's `DTypePolicyMap`: layer path → policy; a lookup tries the exact path, then each key as
 * a regular expression that must match the whole path (more than one match is an error), then
 * the default policy (float32 when none was given). Insertion order is kept (and serialized).
 */
export class DTypePolicyMap {
  private readonly entries = new Map<string, DTypePolicy>();

  /** @param defaultPolicy the policy of paths not in the map (null: Keras's global default, float32) */
  constructor(
    readonly defaultPolicy: DTypePolicy | null = null,
    policyMap: Record<string, DTypePolicyLike> | Map<string, DTypePolicyLike> = {},
  ) {
    for (const [path, policy] of policyMap instanceof Map ? policyMap : Object.entries(policyMap)) this.set(path, policy);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Adds a path; a path already present is an error (as Keras). */
  set(path: string, policy: DTypePolicyLike): void {
    if (typeof path !== 'string') argumentError('DTypePolicyMap.set', 'path', 'a string', path);
    if (this.entries.has(path)) throw new TensorzooError(`DTypePolicyMap: '${path}' already exists in the map with value ${this.entries.get(path)!.name}; keys must not repeat`);
    this.entries.set(path, getDTypePolicy(policy));
  }

  delete(path: string): boolean {
    return this.entries.delete(path);
  }

  has(path: string): boolean {
    return this.entries.has(path);
  }

  /** The policy of the layer at `path` (exact key, else one regex key matching the whole path, else the default). */
  get(path: string): DTypePolicy {
    const exact = this.entries.get(path);
    if (exact) return exact;
    const matching = [...this.entries.keys()].filter((pattern) => {
      try {
        return new RegExp(`^(?:${pattern})$`).test(path);
      } catch {
        return false;
      }
    });
    if (matching.length > 1)
      throw new TensorzooError(`DTypePolicyMap: path '${path}' matches multiple dtype policy specification keys: [${matching.join(', ')}]`);
    if (matching.length === 1) return this.entries.get(matching[0]!)!;
    return this.defaultPolicy ?? new DTypePolicy('float32');
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  [Symbol.iterator](): IterableIterator<[string, DTypePolicy]> {
    return this.entries.entries();
  }

  /**
   * Keras's JSON: {module: 'keras.dtype_policies', class_name: 'DTypePolicyMap', config:
   * {default_policy, policy_map}}. Without a default policy, quantized entries are written with
   * `source_name: null` (Keras clears it), exactly as KerasHub's quantized config.json files are.
   */
  toJSON(): SerializedDTypePolicy {
    const policyMap: Record<string, SerializedDTypePolicy> = {};
    for (const [path, policy] of this.entries)
      policyMap[path] = policy instanceof QuantizedDTypePolicy && this.defaultPolicy === null ? policy.toJSON({ sourceName: null }) : policy.toJSON();
    return {
      module: 'keras.dtype_policies',
      class_name: 'DTypePolicyMap',
      config: { default_policy: this.defaultPolicy ? this.defaultPolicy.toJSON() : null, policy_map: policyMap },
      registered_name: null,
    };
  }

  /** From Keras's JSON (`config.json`'s `dtype` when it is a DTypePolicyMap). */
  static fromJSON(json: SerializedDTypePolicy): DTypePolicyMap {
    if (json?.class_name !== 'DTypePolicyMap') argumentError('DTypePolicyMap.fromJSON', 'class_name', 'DTypePolicyMap', json?.class_name);
    const config = (json.config ?? {}) as { default_policy?: SerializedDTypePolicy | string | null; policy_map?: Record<string, SerializedDTypePolicy> };
    const defaultPolicy = config.default_policy ? getDTypePolicy(config.default_policy) : null;
    const map = new DTypePolicyMap(defaultPolicy);
    for (const [path, policy] of Object.entries(config.policy_map ?? {})) map.set(path, deserializeDTypePolicy(policy));
    return map;
  }
}

/** The block size of an int4 policy: -1 per-channel (also Keras's legacy 'int4' QuantizedDTypePolicy), else its groups. */
export function int4BlockSizeOf(policy: DTypePolicy): number {
  return policy instanceof Int4DTypePolicy ? policy.blockSize : -1;
}

export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === 'float32' || dtype === 'bfloat16' || dtype === 'float16';
}

/**
 * NumPy/JAX promotion between float dtypes: equal dtypes stay, anything mixed with float32 is
 * float32, and bfloat16 with float16 is float32.
 */
export function promoteFloat(a: FloatDType, b: FloatDType): FloatDType {
  return a === b ? a : 'float32';
}
