// y = √x → dx = dy / (2y).
import { div, mul } from '../ops/elementwise.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const sqrtGradient: GradientConfig = {
  kernelName: 'Sqrt',
  gradient: (dy, { output }) => ({ x: () => div(dy, mul(output, 2)) }),
};
