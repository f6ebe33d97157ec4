// Fused Rope: x [B, T, heads, H], cos/sin [T, H]; y = x·cos + R(x)·sin with R([x1, x2]) = [-x2, x1].
// R is a rotation, so Rᵀ([v1, v2]) = [v2, -v1] and dx = dy·cos + Rᵀ(dy·sin). The tables are
// constants (made from positions) and carry no gradient.
import { add, mul, neg } from '../ops/elementwise.js';
import { concat, reshape, split } from '../ops/shape-ops.js';
import type { Tensor } from '../tensor.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const ropeGradient: GradientConfig = {
  kernelName: 'Rope',
  gradient: (dy, { inputs: { cos, sin } }) => ({
    x: () => {
      const [length, headDim] = cos!.shape as [number, number];
      const cosView = reshape(cos!, [length, 1, headDim]);
      const sinView = reshape(sin!, [length, 1, headDim]);
      const [first, second] = split(mul(dy, sinView), 2, -1) as [Tensor, Tensor];
      return add(mul(dy, cosView), concat([second, neg(first)], -1));
    },
  }),
};
