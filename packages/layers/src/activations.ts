// Activations by Keras name. 'gelu' is the exact (erf) form, as keras.activations.gelu defaults to;
// 'gelu_approximate' is the tanh form that Gemma's MLP uses.
import * as tz from '@tensorzoo/core';
import { argumentError, type Tensor } from '@tensorzoo/core';

export type ActivationFunction = (x: Tensor) => Tensor;
export type ActivationName = 'linear' | 'relu' | 'gelu' | 'gelu_approximate' | 'tanh' | 'sigmoid' | 'softmax' | 'silu' | 'swish' | 'exponential';
export type ActivationIdentifier = ActivationName | ActivationFunction | null;

const activations: Record<ActivationName, ActivationFunction> = {
  linear: (x) => tz.cast(x, x.dtype),
  relu: (x) => tz.maximum(x, 0),
  gelu: (x) => tz.gelu(x, false),
  gelu_approximate: (x) => tz.gelu(x, true),
  tanh: (x) => tz.tanh(x),
  sigmoid: (x) => tz.sigmoid(x),
  softmax: (x) => tz.softmax(x, -1),
  // silu(x) = x · sigmoid(x); Keras's 'swish' is the same function.
  silu: (x) => tz.tidy(() => tz.mul(x, tz.sigmoid(x))),
  swish: (x) => tz.tidy(() => tz.mul(x, tz.sigmoid(x))),
  exponential: (x) => tz.exp(x),
};

export const activationNames = Object.keys(activations) as ActivationName[];

/** The function for a name (null and 'linear' give null: no activation) or the function itself. */
export function getActivation(identifier: ActivationIdentifier | undefined): ActivationFunction | null {
  if (identifier === null || identifier === undefined || identifier === 'linear') return null;
  if (typeof identifier === 'function') return identifier;
  const found = activations[identifier as ActivationName];
  if (!found) argumentError('getActivation', 'activation', `one of ${activationNames.join(', ')}, a function or null`, identifier);
  return found;
}

/**
 * Applies `activation` and keeps the input's dtype (the core ops compute in float32, so a
 * bfloat16 input gives a float32 result that is rounded back here).
 */
export function applyActivation(activation: ActivationFunction | null, x: Tensor): Tensor {
  if (!activation) return x;
  const out = activation(x);
  if (out.dtype === x.dtype) return out;
  const cast = tz.cast(out, x.dtype);
  out.dispose();
  return cast;
}
