// y = eˣ → dx = dy · y.
import { mul } from '../ops/elementwise.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const expGradient: GradientConfig = {
  kernelName: 'Exp',
  gradient: (dy, { output }) => ({ x: () => mul(dy, output) }),
};
