// y = tanh x → dx = dy · (1 - y²). Gemma's logit soft caps are c·tanh(x / c).
import { mul, sub } from '../ops/elementwise.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const tanhGradient: GradientConfig = {
  kernelName: 'Tanh',
  gradient: (dy, { output }) => ({ x: () => mul(dy, sub(1, mul(output, output))) }),
};
