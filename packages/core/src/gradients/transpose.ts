// y = transpose(x, perm) → dx = transpose(dy, perm⁻¹).
import { transpose } from '../ops/shape-ops.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const transposeGradient: GradientConfig = {
  kernelName: 'Transpose',
  gradient: (dy, { attrs }) => {
    const perm = attrs.perm as number[];
    const inverse = perm.map((_, axis) => perm.indexOf(axis));
    return { x: () => transpose(dy, inverse) };
  },
};
