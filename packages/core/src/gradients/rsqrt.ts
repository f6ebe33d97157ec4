// y = x^(-1/2) → dx = dy · (-1/2) x^(-3/2) = dy · (-1/2) y³.
import { mul } from '../ops/elementwise.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const rsqrtGradient: GradientConfig = {
  kernelName: 'Rsqrt',
  gradient: (dy, { output }) => ({ x: () => mul(dy, mul(mul(mul(output, output), output), -0.5)) }),
};
