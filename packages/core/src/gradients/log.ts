// y = ln x → dx = dy / x.
import { div } from '../ops/elementwise.js';
import type { GradientConfig } from '../autodiff/gradient-registry.js';

export const logGradient: GradientConfig = {
  kernelName: 'Log',
  gradient: (dy, { inputs: { x } }) => ({ x: () => div(dy, x!) }),
};
