// y = concat([x0, x1, ...], axis) → dxᵢ = the slice of dy that xᵢ filled.
import { slice } from '../ops/shape-ops.js';
import type { Tensor } from '../tensor.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const concatGradient: GradientConfig = {
  kernelName: 'Concat',
  gradient: (dy, { inputs, attrs }) => {
    const axis = attrs.axis as number;
    const thunks: Record<string, () => Tensor> = {};
    let start = 0;
    // Inputs are named x0, x1, … in order (ops/shape-ops.ts concat).
    for (let index = 0; `x${index}` in inputs; index++) {
      const input = inputs[`x${index}`]!;
      const begin = input.shape.map((_, at) => (at === axis ? start : 0));
      thunks[`x${index}`] = () => slice(dy, begin, input.shape);
      start += input.shape[axis]!;
    }
    return thunks;
  },
};
