// y = erf x → dx = dy · (2/√π) e^(-x²).
import { exp, mul, neg } from '../ops/elementwise.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const erfGradient: GradientConfig = {
  kernelName: 'Erf',
  gradient: (dy, { inputs: { x } }) => ({ x: () => mul(dy, mul(exp(neg(mul(x!, x!))), 2 / Math.sqrt(Math.PI))) }),
};
