// Dtype policies: the dtype a layer stores its variables in and the dtype it computes in.
// Compute in tensorzoo is float32 arithmetic on every backend; a bfloat16/float16 compute dtype
// means results are rounded to (and stored in) that dtype between layers, as Keras's are.
import { argumentError, type DType } from '@tensorzoo/core';

export type FloatDType = 'float32' | 'bfloat16' | 'float16';
export type DTypePolicyName = 'float32' | 'bfloat16' | 'float16' | 'mixed_bfloat16' | 'mixed_float16';

const policyNames: readonly DTypePolicyName[] = ['float32', 'bfloat16', 'float16', 'mixed_bfloat16', 'mixed_float16'];

export class DTypePolicy {
  /** The dtype variables are created in. */
  readonly variableDtype: FloatDType;
  /** The dtype inputs are cast to and outputs come out in. */
  readonly computeDtype: FloatDType;

  /** @param name one of float32, bfloat16, float16 (variables and compute alike), mixed_bfloat16, mixed_float16 (float32 variables) */
  constructor(readonly name: DTypePolicyName) {
    if (!policyNames.includes(name)) argumentError('DTypePolicy', 'name', `one of ${policyNames.join(', ')}`, name);
    if (name.startsWith('mixed_')) {
      this.variableDtype = 'float32';
      this.computeDtype = name.slice('mixed_'.length) as FloatDType;
    } else {
      this.variableDtype = name as FloatDType;
      this.computeDtype = name as FloatDType;
    }
  }

  toString(): string {
    return `DTypePolicy(${this.name})`;
  }
}

export type DTypePolicyLike = DTypePolicyName | DTypePolicy;

/** A policy from its name or itself; `undefined` gives float32 (Keras's default global policy). */
export function getDTypePolicy(value: DTypePolicyLike | undefined | null): DTypePolicy {
  if (value === undefined || value === null) return new DTypePolicy('float32');
  if (value instanceof DTypePolicy) return value;
  if (typeof value === 'string') return new DTypePolicy(value);
  return argumentError('getDTypePolicy', 'dtype', `one of ${policyNames.join(', ')} or a DTypePolicy`, value);
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
