// Gradients with respect to Variables: the tape differentiates with respect to their current
// value tensors (layers read `variable.value`, and LoRA-merged kernels are recomputed, not
// cached, while the tape records).
import * as tz from '@tensorzoo/core';
import { argumentError, type Tensor } from '@tensorzoo/core';
import { Variable } from '../variable.js';

/** { value: loss(), grads: dL/dvariableᵢ (float32, the variables' shapes) }; the caller owns all of them. */
export function variableGrads(loss: () => Tensor, variables: readonly Variable[]): { value: Tensor; grads: Tensor[] } {
  if (!Array.isArray(variables) || variables.length === 0) argumentError('variableGrads', 'variables', 'a non-empty array of Variables', variables);
  variables.forEach((variable, index) => {
    if (!(variable instanceof Variable)) argumentError('variableGrads', `variables[${index}]`, 'a Variable', variable);
    if (variable.dtype === 'int32') argumentError('variableGrads', `variables[${index}]`, 'a float variable', `'${variable.path}' (int32)`);
  });
  return tz.gradientsOf(loss, variables.map((variable) => variable.value));
}
