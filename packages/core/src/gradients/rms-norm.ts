// Fused RMSNorm: x [..., D], scale [D], y = x · r · (1 + scale) with r = (mean(x², -1) + ε)^(-1/2).
// With g = dy · (1 + scale):  dx = r · g - x · r³ · mean(g · x, -1);  dscale = Σ_rows dy · x · r.
import { add, mul, rsqrt, sub } from '../ops/elementwise.js';
import { mean } from '../ops/reductions.js';
import { sumToShape } from './sum-to-shape.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const rmsNormGradient: GradientConfig = {
  kernelName: 'RMSNorm',
  gradient: (dy, { inputs: { x, scale }, attrs }) => {
    const inverseRms = () => rsqrt(add(mean(mul(x!, x!), -1, true), attrs.epsilon as number));
    return {
      x: () => {
        const r = inverseRms();
        const g = mul(dy, add(scale!, 1));
        return sub(mul(r, g), mul(mul(x!, mul(mul(r, r), r)), mean(mul(g, x!), -1, true)));
      },
      scale: () => sumToShape(mul(dy, mul(x!, inverseRms())), scale!.shape),
    };
  },
};
