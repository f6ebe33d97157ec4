// y = -x → dx = -dy.
import { neg } from '../ops/elementwise.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const negGradient: GradientConfig = {
  kernelName: 'Neg',
  gradient: (dy) => ({ x: () => neg(dy) }),
};
