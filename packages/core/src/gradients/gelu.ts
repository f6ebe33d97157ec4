// Fused Gelu. Exact: y = x Φ(x) → dy/dx = Φ(x) + x φ(x) = ½(1 + erf(x/√2)) + x e^(-x²/2)/√(2π).
// Approximate: y = ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³)
//   → dy/dx = ½(1 + tanh u) + ½x(1 - tanh² u)·√(2/π)(1 + 3·0.044715x²).
import { add, erf, exp, mul, sub, tanh } from '../ops/elementwise.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

const sqrtTwoOverPi = Math.sqrt(2 / Math.PI);

export const geluGradient: GradientConfig = {
  kernelName: 'Gelu',
  gradient: (dy, { inputs: { x }, attrs }) => ({
    x: () => {
      const input = x!;
      if (attrs.approximate) {
        const square = mul(input, input);
        const t = tanh(mul(add(input, mul(mul(square, input), 0.044715)), sqrtTwoOverPi));
        const du = mul(add(mul(square, 3 * 0.044715), 1), sqrtTwoOverPi);
        const derivative = add(mul(add(t, 1), 0.5), mul(mul(mul(input, 0.5), sub(1, mul(t, t))), du));
        return mul(dy, derivative);
      }
      const cdf = mul(add(erf(mul(input, Math.SQRT1_2)), 1), 0.5);
      const density = mul(exp(mul(mul(input, input), -0.5)), 1 / Math.sqrt(2 * Math.PI));
      return mul(dy, add(cdf, mul(input, density)));
    },
  }),
};
